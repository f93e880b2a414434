"""Fetching a closure calendar: an .ics address (GET), or a CalDAV collection (a calendar-query REPORT,
RFC 4791 7.8), asking the server to answer 304 when nothing changed (If-None-Match with the last ETag,
If-Modified-Since with the last Last-Modified).

Addresses may carry a token (a Nextcloud share link, a user and password): nothing here puts the
address in an error message or a log line; `host_of` is what may be shown or logged.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urljoin, urlsplit

if TYPE_CHECKING:
    import httpx

KINDS = ("ics", "caldav")
MAX_CALENDAR_BYTES = 5 * 1024 * 1024   # a year of closures is a few kilobytes; anything this big is wrong
CALDAV = "urn:ietf:params:xml:ns:caldav"
MAX_REDIRECTS = 3


class FetchError(Exception):
    """The calendar could not be fetched; `reason` is short and safe to show and log (no address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    """What the server answered: `files` None when it said nothing changed (304)."""

    files: list[bytes] | None
    etag: str = ""
    last_modified: str = ""


def host_of(url: str) -> str:
    """The address's host (and port), without user, password, path or query: what a log may show."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""


def check_url(url: str) -> str:
    """The address, if it is an http(s) address with a host; `FetchError` otherwise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchError("not an address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("not an http(s) address")
    return url


def _report_body(first: date, last: date) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>'
            f'<C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">'
            f'<D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{first:%Y%m%d}T000000Z" end="{last:%Y%m%d}T235959Z"/>'
            f'</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>').encode()


async def fetch_calendar(url: str, kind: str, *, etag: str = "", last_modified: str = "",
                         first: date, last: date, timeout: float = 20.0,
                         transport: "httpx.AsyncBaseTransport | None" = None) -> Fetched:
    """Fetch the calendar at `url` (`kind` "ics" or "caldav"); `Fetched(None)` when the server says
    it has not changed since `etag` / `last_modified`. `FetchError` for an unreachable server, an
    error status, a body too large or a CalDAV answer that is not a multistatus.

    Sent through the transport itself, not an `httpx.AsyncClient`: the client logs every request's
    full address (with its token) at INFO."""
    import httpx   # with the first fetch, not at the server's start

    url = check_url(url)
    headers = {"User-Agent": "Okienko closure calendar"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    parts = urlsplit(url)
    if parts.username is not None:   # user:password@host: HTTP basic, never sent as part of the address
        token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
        url = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()
    if kind == "caldav":
        method, content = "REPORT", _report_body(first, last)
        headers.update({"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    else:
        method, content = "GET", b""
        headers["Accept"] = "text/calendar"
    own = transport is None
    transport = transport or httpx.AsyncHTTPTransport()
    limits = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            request = httpx.Request(method, url, headers=headers, content=content, extensions=limits)
            answer = await transport.handle_async_request(request)
            try:
                location = answer.headers.get("location", "")
                if answer.status_code in (301, 302, 303, 307, 308) and location:
                    target = urljoin(url, location)
                    if urlsplit(target).hostname != urlsplit(url).hostname:
                        headers.pop("Authorization", None)   # a password goes to its own host only
                    url = check_url(target)
                    continue
                if answer.status_code == 304:
                    return Fetched(None, etag, last_modified)
                if answer.status_code not in (200, 207):
                    raise FetchError(f"HTTP {answer.status_code}")
                body = b""
                async for chunk in answer.stream:   # type: ignore[union-attr]
                    body += chunk
                    if len(body) > MAX_CALENDAR_BYTES:
                        raise FetchError("the calendar is too large")
            finally:
                await answer.aclose()
            break
        else:
            raise FetchError("too many redirects")
    except httpx.TimeoutException:
        raise FetchError("no answer in time") from None
    except httpx.HTTPError as error:   # refused, unknown host, TLS: its kind only (its text names the address)
        raise FetchError(f"cannot connect ({type(error).__name__})") from None
    finally:
        if own:
            await transport.aclose()
    new_etag, modified = answer.headers.get("etag", ""), answer.headers.get("last-modified", "")
    files = [body] if kind != "caldav" else _calendar_data(body)
    return Fetched(files, new_etag, modified)


def _calendar_data(body: bytes) -> list[bytes]:
    """The calendar-data of every event in a CalDAV multistatus answer."""
    from xml.etree import ElementTree

    if re.search(rb"<!(DOCTYPE|ENTITY)", body[:4096], re.IGNORECASE):   # no entities: no billion laughs
        raise FetchError("the CalDAV answer is not plain XML")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise FetchError("the CalDAV answer is not XML") from None
    if root.tag != "{DAV:}multistatus":
        raise FetchError("the CalDAV answer is not a multistatus")
    return [(element.text or "").encode() for element in root.iter(f"{{{CALDAV}}}calendar-data")
            if (element.text or "").strip()]

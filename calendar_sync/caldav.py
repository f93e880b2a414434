"""A CalDAV collection (RFC 4791) as Okienko writes to it: one calendar object resource per booking
at `<collection>/<uid>.ics`, created, replaced and deleted with ETag preconditions (RFC 7232).

Okienko's bookings are the truth and the collection is their copy: a resource created with
`If-None-Match: *` that exists already (a push that reached the server but whose answer was lost)
or replaced or deleted with an `If-Match` that no longer holds (someone edited the entry in their
calendar) is read again for its current ETag and written over; a DELETE of a resource that is gone
is done. Only the standard library and httpx; credentials are given by the caller and never put
in an error's text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

import httpx

from calendar_sync.rfc5545 import check_uid

_DAV = "{DAV:}"
_PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?>'
             b'<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')


class CalDAVError(Exception):
    """The server refused or could not be reached; the text names the status, never a credential."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Stored:
    etag: str | None     # the resource's ETag after the write (None where the server gives none)


class CalDAVCollection:
    """One calendar collection; `client` carries the credentials and timeouts (the caller's)."""

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.client = client

    def href(self, uid: str) -> str:
        check_uid(uid)
        return urljoin(self.url, quote(uid, safe="@") + ".ics")

    async def put(self, uid: str, body: bytes, etag: str | None) -> Stored:
        """Create (no `etag`) or replace the booking's resource; returns its new ETag."""
        href = self.href(uid)
        for attempt in range(3):
            condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
            answer = await self._send("PUT", href, content=body,
                                      headers={"Content-Type": "text/calendar; charset=utf-8", **condition})
            if answer.status_code in (200, 201, 204):
                return Stored(answer.headers.get("ETag") or await self.etag_of(uid))
            if answer.status_code == 412:   # it exists (or changed): write over its current version
                etag = await self.etag_of(uid)
                continue
            raise _refused("PUT", answer)
        raise CalDAVError("PUT: the resource kept changing under us")

    async def delete(self, uid: str, etag: str | None) -> None:
        """Delete the booking's resource; one that is not there is deleted already."""
        href = self.href(uid)
        for attempt in range(3):
            answer = await self._send("DELETE", href, headers={"If-Match": etag} if etag else {})
            if answer.status_code in (200, 204, 404, 410):
                return
            if answer.status_code == 412:
                etag = await self.etag_of(uid)
                if etag is None:
                    return
                continue
            raise _refused("DELETE", answer)
        raise CalDAVError("DELETE: the resource kept changing under us")

    async def etag_of(self, uid: str) -> str | None:
        """The resource's current ETag; None when there is no such resource."""
        answer = await self._send("GET", self.href(uid))
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise _refused("GET", answer)
        return answer.headers.get("ETag")

    async def get(self, uid: str) -> bytes | None:
        answer = await self._send("GET", self.href(uid))
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise _refused("GET", answer)
        return answer.content

    async def listing(self) -> dict[str, str]:
        """Every resource in the collection: its name (`<uid>.ics`, decoded) -> ETag (PROPFIND, depth 1)."""
        answer = await self._send("PROPFIND", self.url, content=_PROPFIND,
                                  headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        if answer.status_code != 207:
            raise _refused("PROPFIND", answer)
        found = {}
        own = urlsplit(self.url).path
        for response in ElementTree.fromstring(answer.content).iter(f"{_DAV}response"):
            href = unquote(urlsplit(response.findtext(f"{_DAV}href") or "").path)
            if href.rstrip("/") == own.rstrip("/"):
                continue
            etag = next((node.text for node in response.iter(f"{_DAV}getetag") if node.text), "")
            found[href.rsplit("/", 1)[-1]] = etag
        return found

    async def _send(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return await self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:   # down, refused, timed out: tried again later
            raise CalDAVError(f"{method}: {type(error).__name__}") from None


def _refused(method: str, answer: httpx.Response) -> CalDAVError:
    # 4xx other than a conflict will not mend by itself (a wrong collection, a wrong password): it is
    # still retried, with the longest pauses, because an administrator may fix the setting.
    return CalDAVError(f"{method}: HTTP {answer.status_code}", retry=answer.status_code >= 500)

"""Every address the server gives out, from one public address and one rule.

A ticket's tracking page and its QR code (on the kiosk's screen and on paper), a booking's manage
link, the code step of a hold (in its code's email) or a waiting-list offer, a draw entry's page, the calendar file: in API
answers, pages, emails and SMS alike, each is built here, so a QR code and an email never
disagree about where the server is. The rule (docs/configuration.md, "The public address"):

0. the office's own `public_url` (its office file's `[office] public_url`) when it has one: several
   offices in one installation each give out their own address (`for_office`);
1. `public_url` (OKIENKO_PUBLIC_URL) when it is set;
2. otherwise the address the server listens on, `http://HOST:PORT` as `okienko serve` or
   `okienko demo` was started (`--host`, `--port`, OKIENKO_HOST, OKIENKO_PORT);
3. listening on every interface (0.0.0.0, ::) without a public URL, no address is known ahead:
   links in an answer take the address that request was sent to. Emails are written where no
   request is, so a server that takes bookings refuses to start like that (`start_refusal`).

Pages link within the site by path (`*_path`), so that a visitor stays on the host they came by;
everything that leaves the site (QR codes, printed tickets, emails, SMS, `track_url`,
`manage_url`) is absolute (`url`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def is_loopback(host: str) -> bool:
    """Only this computer can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listening_address(host: str, port: int) -> str:
    """`http://HOST:PORT` (an IPv6 address in brackets)."""
    host = host.strip("[]")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass(frozen=True)
class PublicLinks:
    """The server's public address (no trailing slash) and every link built on it."""

    base: str
    from_request: bool = False   # rule 3: each request's own address stands in for `base`
    own_office: bool = False     # `base` is one office's own address: its links need no `office=`

    @classmethod
    def from_settings(cls, settings: Any) -> "PublicLinks":
        if settings.public_url:
            return cls(settings.public_url.rstrip("/"))
        return cls(listening_address(settings.host, settings.port),
                   from_request=settings.host.strip("[]") in WILDCARD_HOSTS)

    def for_request(self, request_base: str) -> "PublicLinks":
        """The links for an answer to a request that came to `request_base` (its scheme and host)."""
        return PublicLinks(request_base.rstrip("/")) if self.from_request else self

    def for_office(self, setup: Any) -> "PublicLinks":
        """An office's links: on its own public address where it has one (`[office] public_url`,
        okienko/office/addresses.py), which reaches that office alone, so no `office=` is added."""
        public_url = getattr(setup, "public_url", "")
        return PublicLinks(public_url.rstrip("/"), own_office=True) if public_url else self

    def _office(self, office: str | None) -> str | None:
        return None if self.own_office else office

    def url(self, path: str) -> str:
        return self.base + path

    # --- the visitor's ticket ----------------------------------------------------------------
    @staticmethod
    def ticket_path(ticket_id: str) -> str:
        return f"/t/{quote(ticket_id, safe='')}"

    def ticket(self, ticket_id: str) -> str:
        """The tracking page a ticket's QR code holds (screen, paper and `track_url` alike)."""
        return self.url(self.ticket_path(ticket_id))

    # --- devices -----------------------------------------------------------------------------
    @staticmethod
    def enrol_path(kind: str, token: str) -> str:
        """The page a kiosk or board opens once to sign itself in (its token in the address)."""
        return f"/{quote(kind, safe='')}/enroll?{_query(token=token)}"

    def enrol(self, kind: str, token: str) -> str:
        """The enrolment link the back office shows (and puts in a QR code) for a new device."""
        return self.url(self.enrol_path(kind, token))

    # --- bookings ----------------------------------------------------------------------------
    @staticmethod
    def manage_path(code: str, secret: str, language: str, office: str | None = None) -> str:
        return f"/book/manage/{quote(code, safe='')}?{_query(secret=secret, lang=language, office=office)}"

    def manage(self, code: str, secret: str, language: str, office: str | None = None) -> str:
        """The booking's own page: the link in the confirmation email and `manage_url`."""
        return self.url(self.manage_path(code, secret, language, self._office(office)))

    @staticmethod
    def calendar_path(code: str, secret: str, language: str, office: str | None = None) -> str:
        return (f"/api/v1/bookings/{quote(code, safe='')}/calendar.ics?"
                f"{_query(secret=secret, lang=language, office=office)}")

    @staticmethod
    def booking_qr_path(code: str) -> str:
        """The booking code alone as a QR image (what the kiosk's scanner reads; not a link)."""
        return f"/book/qr/{quote(code, safe='')}.svg"

    @staticmethod
    def confirm_path(booking_id: str, language: str, office: str | None = None) -> str:
        return f"/book/confirm/{quote(booking_id, safe='')}?{_query(lang=language, office=office)}"

    def confirm(self, booking_id: str, language: str, office: str | None = None) -> str:
        """The code step of a hold alone: in the one-time code's email and a waiting-list offer's."""
        return self.url(self.confirm_path(booking_id, language, self._office(office)))

    # --- draws -------------------------------------------------------------------------------
    @staticmethod
    def draw_entry_path(entry_id: str, *, receipt: str | None = None, language: str | None = None,
                        office: str | None = None) -> str:
        """An entry's page; with the receipt it shows the entry (receipts are never in an email)."""
        query = _query(receipt=receipt, lang=language, office=office)
        return f"/book/draw/{quote(entry_id, safe='')}" + (f"?{query}" if query else "")

    def draw_entry(self, entry_id: str, *, language: str | None = None, office: str | None = None) -> str:
        return self.url(self.draw_entry_path(entry_id, language=language, office=self._office(office)))


    # --- information Saturdays ----------------------------------------------------------------
    @staticmethod
    def book_path(service: str | None = None, language: str | None = None, office: str | None = None) -> str:
        """The booking site, at a service's first step when given."""
        query = _query(service=service, lang=language, office=office)
        return "/book" + (f"?{query}" if query else "")

    def book(self, service: str | None = None, language: str | None = None, office: str | None = None) -> str:
        return self.url(self.book_path(service, language, self._office(office)))

    @staticmethod
    def events_feed_path(language: str | None = None, office: str | None = None) -> str:
        """The public iCalendar feed of the office's information Saturdays."""
        query = _query(lang=language, office=office)
        return "/calendar/events.ics" + (f"?{query}" if query else "")

    def events_feed(self, language: str | None = None, office: str | None = None) -> str:
        return self.url(self.events_feed_path(language, self._office(office)))

    @staticmethod
    def staff_feed_path(token: str) -> str:
        """A staff calendar feed (okienko/booking/staff_calendars.py): its token is the key."""
        return f"/calendar/staff/{quote(token, safe='')}.ics"

    def staff_feed(self, token: str) -> str:
        return self.url(self.staff_feed_path(token))


def _query(**params: str | None) -> str:
    return urlencode({name: value for name, value in params.items() if value})


def start_refusal(settings: Any, takes_bookings: bool) -> str | None:
    """Why a server must not start with these settings, or None.

    Booking emails (codes, confirmations, waiting-list offers, draw results) are written where no
    request is, so their links come from the settings alone: while any service takes bookings, a
    server that listens beyond loopback needs `public_url`, or every visitor would be sent an
    address only the server itself can reach (`http://0.0.0.0:8000/…`, `http://10.0.0.5:8000/…`)."""
    if settings.public_url or not takes_bookings or is_loopback(settings.host):
        return None
    shown = listening_address(settings.host, settings.port)
    return (f"services take online bookings, and their emails would send visitors links to {shown}, "
            "which they cannot reach: set OKIENKO_PUBLIC_URL to the address visitors reach this server at "
            "(e.g. https://kolejka.example.gov.pl); without it only a server on loopback (--host 127.0.0.1, "
            "a demo on this computer) takes bookings (docs/configuration.md, \"The public address\")")

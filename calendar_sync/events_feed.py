"""The public feed of an office's information Saturdays (`/calendar/events.ics`): one iCalendar
file (RFC 5545) anyone can subscribe to in Google, Outlook, Apple Calendar or Thunderbird.

Guarantees: METHOD:PUBLISH with the office's name; one VTIMEZONE of yearly RRULEs (ics.py's); one
VEVENT per event with a UID that never changes (given by the caller, no whitespace), its SEQUENCE
(raised by every change people must hear of) and LAST-MODIFIED, so a subscribed calendar updates
the entry in place; a cancelled event stays listed as STATUS:CANCELLED, so subscribers see it go.
The events are TRANSPARENT: a public office day does not make a subscriber busy. Lines as ics.py
writes them: CRLF, folded at 75 octets without splitting a character or an escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from calendar_sync.ics import _fold, _folded_timezone, _text, _uri, _utc, _wall_time

PRODID = "-//Okienko//Events//EN"


@dataclass(frozen=True)
class PublicEvent:
    uid: str
    sequence: int
    start: datetime         # aware
    end: datetime
    summary: str
    description: str
    location: str
    modified: datetime
    url: str | None = None
    cancelled: bool = False


def events_feed(*, name: str, tz: ZoneInfo, events: Sequence[PublicEvent], stamp: datetime) -> bytes:
    """The feed as UTF-8 bytes; ValueError for a naive time, an end not after its start, a UID with
    whitespace or a negative sequence (as ics.booking_calendar)."""
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_text(name)}", f"X-WR-TIMEZONE:{_text(tz.key or '')}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
    body: list[bytes] = [_fold(line) for line in lines]
    if events:
        body.append(_folded_timezone(tz, min(event.start for event in events).astimezone(tz).year))
    for event in events:
        body += [_fold(line) for line in _vevent(event, tz, stamp)]
    body.append(_fold("END:VCALENDAR"))
    return b"".join(body)


def _vevent(event: PublicEvent, tz: ZoneInfo, stamp: datetime) -> list[str]:
    for moment in (event.start, event.end, event.modified, stamp):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("every time in the feed must be timezone-aware")
    if event.end.astimezone(UTC) <= event.start.astimezone(UTC):
        raise ValueError("end must be after start")
    if not event.uid or any(ch.isspace() or ch < " " for ch in event.uid):
        raise ValueError("uid must be non-empty and contain no whitespace")
    if event.sequence < 0:
        raise ValueError("sequence must be a non-negative integer")
    lines = ["BEGIN:VEVENT", f"UID:{_text(event.uid)}", f"SEQUENCE:{event.sequence}", f"DTSTAMP:{_utc(stamp)}",
             f"LAST-MODIFIED:{_utc(event.modified)}", _wall_time("DTSTART", event.start, tz),
             _wall_time("DTEND", event.end, tz), f"SUMMARY:{_text(event.summary)}",
             f"DESCRIPTION:{_text(event.description)}", f"LOCATION:{_text(event.location)}"]
    if event.url is not None:
        lines.append(f"URL:{_uri(event.url, 'url')}")
    lines += [f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines

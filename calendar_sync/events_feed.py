"""The public feed of an office's information Saturdays (`/calendar/events.ics`): one iCalendar
file (RFC 5545) anyone can subscribe to in Google, Outlook, Apple Calendar or Thunderbird.

Guarantees: METHOD:PUBLISH with the office's name; one VTIMEZONE of yearly RRULEs (ics.py's); one
VEVENT per event with a UID that never changes (given by the caller, no whitespace), its SEQUENCE
(raised by every change people must hear of) and LAST-MODIFIED, so a subscribed calendar updates
the entry in place; a cancelled event stays listed as STATUS:CANCELLED, so subscribers see it go.
The events are TRANSPARENT: a public office day does not make a subscriber busy. Lines as rfc5545.py
writes them: CRLF, folded at 75 octets without splitting a character or an escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from calendar_sync.rfc5545 import CalendarEntry, check_event, envelope, head, text, uri, utc, wall_time

PRODID = "-//Okienko//Events//EN"


@dataclass(frozen=True)
class PublicEvent(CalendarEntry):
    url: str | None = None


def events_feed(*, name: str, tz: ZoneInfo, events: Sequence[PublicEvent], stamp: datetime) -> bytes:
    """The feed as UTF-8 bytes; ValueError for a naive time, an end not after its start, a UID with
    whitespace or a negative sequence (as ics.booking_calendar)."""
    extra = [f"X-WR-CALNAME:{text(name)}", f"X-WR-TIMEZONE:{text(tz.key or '')}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
    year = min(event.start for event in events).astimezone(tz).year if events else None
    return envelope(head(PRODID, "PUBLISH", *extra), tz, year, [_vevent(event, tz, stamp) for event in events])


def _vevent(event: PublicEvent, tz: ZoneInfo, stamp: datetime) -> list[str]:
    check_event(event.uid, event.sequence, event.start, event.end, event.modified, stamp)
    lines = ["BEGIN:VEVENT", f"UID:{text(event.uid)}", f"SEQUENCE:{event.sequence}", f"DTSTAMP:{utc(stamp)}",
             f"LAST-MODIFIED:{utc(event.modified)}", wall_time("DTSTART", event.start, tz),
             wall_time("DTEND", event.end, tz), f"SUMMARY:{text(event.summary)}",
             f"DESCRIPTION:{text(event.description)}", f"LOCATION:{text(event.location)}"]
    if event.url is not None:
        lines.append(f"URL:{uri(event.url, 'url')}")
    lines += [f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines

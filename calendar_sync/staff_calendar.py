"""Booked visits as staff calendars: the feed a clerk subscribes to (a service's or a window's
visits) and the one-event resource written to a CalDAV collection (caldav.py).

Guarantees: each visit is one VEVENT whose UID is the booking's, the same as in the visitor's
invitation (ics.py), never changing, so a calendar updates its entry in place; SEQUENCE is the
booking's (raised by every move and cancellation); a cancelled visit is STATUS:CANCELLED in the
feed (for as long as the caller lists it) and is deleted from a CalDAV calendar instead. Visits are
OPAQUE: they make the clerk busy. Lines as rfc5545.py writes them; a CalDAV resource carries no
METHOD (RFC 4791 4.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from calendar_sync.rfc5545 import CalendarEntry, check_event, envelope, head, text, utc, wall_time

PRODID = "-//Okienko//Staff//EN"


@dataclass(frozen=True)
class Visit(CalendarEntry):
    """A booked visit as the staff's calendars show it (its UID the booking's invitation's)."""


def staff_feed(*, name: str, tz: ZoneInfo, visits: Sequence[Visit], stamp: datetime,
               refresh_minutes: int = 15) -> bytes:
    """A subscribable feed (METHOD:PUBLISH) of `visits`, named `name`; clients are asked to fetch it
    again every `refresh_minutes`. ValueError as rfc5545.check_event."""
    extra = [f"X-WR-CALNAME:{text(name)}", f"X-WR-TIMEZONE:{text(tz.key or '')}",
             f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh_minutes}M", f"X-PUBLISHED-TTL:PT{refresh_minutes}M"]
    year = min(visit.start for visit in visits).astimezone(tz).year if visits else None
    return envelope(head(PRODID, "PUBLISH", *extra), tz, year, [_vevent(visit, tz, stamp) for visit in visits])


def caldav_resource(visit: Visit, tz: ZoneInfo, stamp: datetime) -> bytes:
    """One visit as the calendar object resource a CalDAV PUT stores (`<collection>/<uid>.ics`)."""
    return envelope(head(PRODID, None), tz, visit.start.astimezone(tz).year, [_vevent(visit, tz, stamp)])


def _vevent(visit: Visit, tz: ZoneInfo, stamp: datetime) -> list[str]:
    check_event(visit.uid, visit.sequence, visit.start, visit.end, visit.modified, stamp)
    return ["BEGIN:VEVENT", f"UID:{text(visit.uid)}", f"SEQUENCE:{visit.sequence}", f"DTSTAMP:{utc(stamp)}",
            f"LAST-MODIFIED:{utc(visit.modified)}", wall_time("DTSTART", visit.start, tz),
            wall_time("DTEND", visit.end, tz), f"SUMMARY:{text(visit.summary)}",
            f"DESCRIPTION:{text(visit.description)}", f"LOCATION:{text(visit.location)}",
            f"STATUS:{'CANCELLED' if visit.cancelled else 'CONFIRMED'}", "TRANSP:OPAQUE", "END:VEVENT"]

"""Booking confirmations as iCalendar (RFC 5545) files that Outlook, Google and Apple Calendar accept.

The lines, escaping, folding and VTIMEZONE are rfc5545.py's, as in every calendar we write.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from calendar_sync.rfc5545 import check_event, envelope, head, param, text, timezone_lines, uri, utc, wall_time

__all__ = ["booking_calendar", "timezone_lines", "METHODS", "PRODID", "REMINDER_TRIGGER"]

PRODID = "-//Okienko//Booking//EN"
METHODS = ("REQUEST", "CANCEL")
REMINDER_TRIGGER = "-PT2H"


def booking_calendar(*, uid: str, sequence: int, method: str, start: datetime, end: datetime, tz: ZoneInfo,
                     summary: str, description: str, location: str, organizer_email: str, organizer_name: str,
                     attendee_email: str | None, stamp: datetime, url: str | None = None) -> bytes:
    """Return one booking as a UTF-8 iCalendar file ready to attach as `text/calendar; method=<method>`.

    Guarantees: a VCALENDAR with METHOD `method`, one VTIMEZONE for `tz` (STANDARD/DAYLIGHT with yearly
    RRULEs for the year of `start`) and one VEVENT whose DTSTART/DTEND are the wall time in `tz` (or UTC
    for the second, repeated hour after clocks go back) and whose DTSTAMP is `stamp` in UTC. A REQUEST is
    CONFIRMED and carries a display reminder; a CANCEL is CANCELLED, so sending it with the same `uid` and
    a higher `sequence` removes the event. Every line ends in CRLF and is at most 75 octets long.
    Raises ValueError for an unknown method, a naive datetime, an end not after the start, a negative
    sequence, a zone without a key, a UID that is empty or contains whitespace, or an address or URL
    with spaces or control characters.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    check_event(uid, sequence, start, end, stamp)
    if not tz.key:
        raise ValueError("tz must be a ZoneInfo with a key such as 'Europe/Warsaw'")

    event = [
        "BEGIN:VEVENT",
        f"UID:{text(uid)}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc(stamp)}",
        wall_time("DTSTART", start, tz),
        wall_time("DTEND", end, tz),
        f"SUMMARY:{text(summary)}",
        f"DESCRIPTION:{text(description)}",
        f"LOCATION:{text(location)}",
        f"ORGANIZER;CN={param(organizer_name)}:mailto:{uri(organizer_email, 'organizer_email')}",
    ]
    if attendee_email is not None:
        reply = ";PARTSTAT=NEEDS-ACTION" if method == "REQUEST" else ""
        event.append(
            f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT{reply};RSVP=FALSE"
            f":mailto:{uri(attendee_email, 'attendee_email')}"
        )
    if url is not None:
        event.append(f"URL:{uri(url, 'url')}")
    event += [f"STATUS:{'CONFIRMED' if method == 'REQUEST' else 'CANCELLED'}", "TRANSP:OPAQUE"]
    if method == "REQUEST":
        event += ["BEGIN:VALARM", "ACTION:DISPLAY", f"TRIGGER:{REMINDER_TRIGGER}",
                  f"DESCRIPTION:{text(summary)}", "END:VALARM"]
    event.append("END:VEVENT")
    return envelope(head(PRODID, method), tz, start.astimezone(tz).year, [event])

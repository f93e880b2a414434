"""The one home of how Okienko writes iCalendar (RFC 5545): what every calendar file shares.

Every calendar we give out (the booking invite, the public events feed, the staff feeds and the
events pushed to CalDAV) is written with these parts, by hand rather than with a library, so that
every byte the clients see is decided here: CRLF line endings, 75-octet folding that splits neither
a UTF-8 character nor an escape sequence, TEXT escaping (backslash, comma, semicolon, newline), and
a VTIMEZONE made of yearly RRULEs (Outlook misreads long RDATE lists).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

_FOLD_AT = 75  # octets per physical line, CRLF not counted (RFC 5545 section 3.1)
_ATOM = re.compile(r"\\.|.", re.DOTALL)  # an escape such as "\n" or "\," is never split by a fold
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")   # control characters but tab and newline: dropped
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class CalendarEntry:
    """What every event Okienko writes has: a stable UID, a SEQUENCE that goes up at each change, its
    aware start and end, its texts and when it last changed; `cancelled` writes it as CANCELLED."""

    uid: str
    sequence: int
    start: datetime         # aware
    end: datetime
    summary: str
    description: str
    location: str
    modified: datetime
    cancelled: bool = False


def head(prodid: str, method: str | None, *extra: str) -> list[str]:
    """The VCALENDAR's opening lines: PRODID, VERSION 2.0, GREGORIAN, METHOD (when the file has one:
    an invite or a feed; none in a CalDAV resource, RFC 4791 4.1) and the caller's extra lines."""
    lines = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "VERSION:2.0", "CALSCALE:GREGORIAN"]
    if method is not None:
        lines.append(f"METHOD:{method}")
    return lines + list(extra)


def envelope(head_lines: Iterable[str], tz: ZoneInfo, year: int | None, events: Iterable[Iterable[str]]) -> bytes:
    """A whole VCALENDAR as UTF-8 bytes: `head_lines`, the VTIMEZONE of `tz` for `year` (none when
    `year` is None: a feed with no events), each event's lines, END:VCALENDAR; every line folded."""
    body = [fold(line) for line in head_lines]
    if year is not None:
        body.append(folded_timezone(tz, year))
    for lines in events:
        body += [fold(line) for line in lines]
    body.append(fold("END:VCALENDAR"))
    return b"".join(body)


def check_event(uid: str, sequence: int, start: datetime, end: datetime, *moments: datetime) -> None:
    """ValueError for what no client takes: a naive time, an end not after its start, a UID that is
    empty or holds whitespace or control characters, a sequence that is not a non-negative integer."""
    for moment in (start, end, *moments):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("every time must be a timezone-aware datetime")
    if end.astimezone(UTC) <= start.astimezone(UTC):  # same-zone comparison would ignore `fold`
        raise ValueError("end must be after start")
    check_uid(uid)
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
        raise ValueError("sequence must be a non-negative integer")


def check_uid(uid: str) -> None:
    if not uid or any(ch.isspace() or ch < " " for ch in uid):
        raise ValueError("uid must be non-empty and contain no whitespace")


@functools.lru_cache(maxsize=64)
def folded_timezone(tz: ZoneInfo, year: int) -> bytes:
    """The VTIMEZONE block, folded: the same for every booking of the year (a draw writes thousands)."""
    return b"".join(fold(line) for line in timezone_lines(tz, year))


def timezone_lines(tz: ZoneInfo, year: int) -> list[str]:
    """Return the unfolded lines of a VTIMEZONE for `tz` that gives the zone's UTC offsets in `year`.

    Each offset change found in the zone's data for that year becomes a STANDARD (clocks go back) or
    DAYLIGHT (clocks go forward) part with a yearly RRULE; a zone whose offset does not change that year
    gets a single STANDARD part starting 1970-01-01. Built once per zone and year in a process (finding
    the changes walks the year hour by hour, ~20 ms); later calls get a copy of the same lines.
    """
    return list(_timezone_lines(tz, year))


@functools.lru_cache(maxsize=64)
def _timezone_lines(tz: ZoneInfo, year: int) -> tuple[str, ...]:
    """The VTIMEZONE's lines: a pure function of the zone's data and the year (ZoneInfo objects are
    cached per key by the standard library, so equal zones hit the same entry)."""
    return tuple(_build_timezone_lines(tz, year))


def _build_timezone_lines(tz: ZoneInfo, year: int) -> list[str]:
    lines = ["BEGIN:VTIMEZONE", f"TZID:{text(tz.key)}"]
    changes = _offset_changes(tz, year)
    if not changes:
        midyear = datetime(year, 7, 1, tzinfo=UTC).astimezone(tz)
        offset = _offset(midyear.utcoffset())
        return lines + ["BEGIN:STANDARD", "DTSTART:19700101T000000", f"TZOFFSETFROM:{offset}",
                        f"TZOFFSETTO:{offset}", f"TZNAME:{text(midyear.tzname())}", "END:STANDARD",
                        "END:VTIMEZONE"]
    for moment, before, after in changes:
        wall = moment.replace(tzinfo=None) + before  # the local clock reading at which the change happens
        last_day = calendar.monthrange(wall.year, wall.month)[1]
        nth = -1 if wall.day + 7 > last_day else (wall.day - 1) // 7 + 1
        first = _nth_weekday(1970, wall.month, wall.weekday(), nth)
        kind = "DAYLIGHT" if after > before else "STANDARD"
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{first:%Y%m%d}T{wall:%H%M%S}",
            f"RRULE:FREQ=YEARLY;BYMONTH={wall.month};BYDAY={nth}{_WEEKDAYS[wall.weekday()]}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"TZNAME:{text(moment.astimezone(tz).tzname())}",
            f"END:{kind}",
        ]
    return lines + ["END:VTIMEZONE"]


@functools.lru_cache(maxsize=64)
def _offset_changes(tz: ZoneInfo, year: int) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """(first UTC minute of the new offset, offset before, offset after) for each change in `year`.

    Cached: a zone's year never changes, and finding it checks every hour (a draw writes
    thousands of invitations at once)."""
    changes = []
    hour = datetime(year, 1, 1, tzinfo=UTC)
    before = hour.astimezone(tz).utcoffset()
    while hour.year == year:
        after = (hour + timedelta(hours=1)).astimezone(tz).utcoffset()
        if after != before:
            # The old offset holds at minute `low`, the new one at minute `high`: narrow to one minute.
            low, high = 0, 60
            while high - low > 1:
                middle = (low + high) // 2
                if (hour + timedelta(minutes=middle)).astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            changes.append((hour + timedelta(minutes=high), before, after))
            before = after
        hour += timedelta(hours=1)
    return tuple(changes)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` (1-4, or -1 for the last) `weekday` (0 = Monday) of a month."""
    if nth > 0:
        return date(year, month, 1 + (weekday - date(year, month, 1).weekday()) % 7 + 7 * (nth - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def wall_time(name: str, moment: datetime, tz: ZoneInfo) -> str:
    """A DATE-TIME property in `tz`'s wall time (TZID), or in UTC in the repeated hour after the
    clocks go back, where a TZID time would mean the first occurrence (RFC 5545 3.3.5)."""
    wall = moment.astimezone(tz)
    if wall.fold and wall.replace(fold=0).utcoffset() != wall.utcoffset():
        return f"{name}:{utc(moment)}"
    return f"{name};TZID={param(tz.key)}:{wall:%Y%m%dT%H%M%S}"


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{'-' if seconds < 0 else '+'}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def text(value: str) -> str:
    """TEXT value escaped per RFC 5545 3.3.11; line breaks of any kind become a literal \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param(value: str) -> str:
    """Parameter value: no quotes or control characters inside, quoted when it holds : ; or ,."""
    value = "".join(ch for ch in value if ch >= " " and ch not in '"\x7f')
    return f'"{value}"' if any(ch in value for ch in ":;,") else value


def uri(value: str, name: str) -> str:
    if not value or any(ch <= " " or ch == "\x7f" for ch in value):
        raise ValueError(f"{name} must be non-empty and contain no spaces or control characters")
    return value


def fold(line: str) -> bytes:
    """One content line as UTF-8 with CRLF, folded (CRLF + space) before it would pass 75 octets."""
    encoded = line.encode("utf-8")
    if len(encoded) <= _FOLD_AT:
        return encoded + b"\r\n"
    folded, width = bytearray(), 0
    for atom in _ATOM.findall(line):
        piece = atom.encode("utf-8")
        if width + len(piece) > _FOLD_AT:
            folded += b"\r\n "
            width = 1
        folded += piece
        width += len(piece)
    return bytes(folded) + b"\r\n"

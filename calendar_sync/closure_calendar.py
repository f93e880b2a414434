"""A closure calendar (.ics) read into the office's own days: the dates it closes and the dates it gives
other hours, in the office's zone (Europe/Warsaw).

How a calendar says it (docs/calendar-closures.md):
- an all-day event (DTSTART;VALUE=DATE) closes every date it covers (DTEND exclusive, as RFC 5545 says);
- a timed event gives its date those hours instead of the weekly ones (several on one date: each a
  range); a timed event that runs past midnight gives each date its part, and a date it covers from
  midnight to midnight is closed;
- on one date a closure wins over hours;
- recurring events (RRULE, RDATE) are expanded for the dates asked about, EXDATE and RECURRENCE-ID
  overrides honoured (`recurring-ical-events`); STATUS:CANCELLED events are left out;
- times with a TZID, in UTC or floating (read as the office's wall time) are turned into the office's
  wall time: 08:00 UTC in July is 10:00 in Warsaw, in January 09:00, right on the days the clocks change.

No database and no network here: bytes in, days out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
DAY_MINUTES = 24 * 60
MAX_REASON = 200   # the length of a day's reason in the database
MAX_OCCURRENCES = 20_000   # a closure calendar has dozens a year; more is a mistake or an attack
TOO_OFTEN = ("SECONDLY", "MINUTELY", "HOURLY")


class CalendarError(ValueError):
    """The bytes are not an iCalendar file we can read (the message says why, without the file)."""


@dataclass(frozen=True)
class CalendarDay:
    """One date as the calendar sets it: `ranges` () closes it; else its hours, in minutes after local
    midnight (24:00 is 1440). `reason`: the events' summaries, as the calendar wrote them."""

    day: date
    ranges: tuple[tuple[int, int], ...]
    reason: str = ""

    @property
    def closed(self) -> bool:
        return not self.ranges


def read_closure_calendar(files: bytes | str | Iterable[bytes | str], first: date, last: date,
                          zone: ZoneInfo = WARSAW) -> dict[date, CalendarDay]:
    """The dates from `first` to `last` (both included) that the calendar closes or gives other hours,
    by date. `files`: one .ics, or several (a CalDAV REPORT answers one per event). Raises
    `CalendarError` for anything that is not a calendar: nothing is half-read."""
    import icalendar
    import recurring_ical_events

    closed: dict[date, list[str]] = {}
    hours: dict[date, list[tuple[int, int, str]]] = {}
    for raw in ([files] if isinstance(files, (bytes, str)) else list(files)):
        try:
            calendar = icalendar.Calendar.from_ical(raw)
            if calendar.name != "VCALENDAR":
                raise CalendarError("not an iCalendar file (no VCALENDAR)")
            for component in calendar.walk("VEVENT"):
                rules = component.get("RRULE")
                for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
                    if str((rule.get("FREQ") or [""])[0]).upper() in TOO_OFTEN:
                        # Hourly or more often is no closure plan, and would expand to thousands of events.
                        raise CalendarError("a recurrence more often than daily")
            occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
                first, last + timedelta(days=1))
            if len(occurrences) > MAX_OCCURRENCES:
                raise CalendarError(f"more than {MAX_OCCURRENCES} events in {(last - first).days} days")
        except CalendarError:
            raise
        except Exception as error:   # icalendar and the expander raise many kinds: one answer for all
            raise CalendarError(f"not a readable iCalendar file ({type(error).__name__})") from None
        for event in occurrences:
            if event.name != "VEVENT" or str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            summary = str(event.get("SUMMARY", "")).strip()
            for day, opens, closes in _parts(event, zone):
                if not first <= day <= last:
                    continue
                if opens == 0 and closes == DAY_MINUTES:
                    closed.setdefault(day, []).append(summary)
                else:
                    hours.setdefault(day, []).append((opens, closes, summary))
    days = {day: CalendarDay(day, (), _reason(summaries)) for day, summaries in closed.items()}
    for day, parts in hours.items():
        if day not in days:
            days[day] = CalendarDay(day, _merged((a, b) for a, b, _s in sorted(parts)),
                                    _reason(summary for _a, _b, summary in sorted(parts)))
    return dict(sorted(days.items()))


def _parts(event: object, zone: ZoneInfo) -> list[tuple[date, int, int]]:
    """The dates an occurrence touches, each with its part in local minutes (0-1440: the whole date)."""
    start = event["DTSTART"].dt                         # type: ignore[index]
    end_prop = event.get("DTEND")                       # type: ignore[attr-defined]
    if not isinstance(start, datetime):                 # all day: DTEND exclusive, one day if left out
        end = end_prop.dt if end_prop is not None else start + timedelta(days=1)
        if isinstance(end, datetime):
            end = end.date()
        return [(start + timedelta(days=n), 0, DAY_MINUTES) for n in range(max((end - start).days, 1))]
    end = end_prop.dt if end_prop is not None else start
    if not isinstance(end, datetime):
        end = datetime.combine(end, time(0))
    start, end = _local(start, zone), _local(end, zone)
    if end <= start:   # a timed event of no length marks nothing
        return []
    parts = []
    day = start.date()
    while day <= end.date():
        opens = _minute(start) if day == start.date() else 0
        closes = _minute(end) if day == end.date() else DAY_MINUTES
        if closes > opens:
            parts.append((day, opens, closes))
        day += timedelta(days=1)
    return parts


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The office's wall time of a calendar time: a floating time is the office's own wall time."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(zone).replace(tzinfo=None)


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _merged(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    joined: list[list[int]] = []
    for opens, closes in ranges:
        if joined and opens <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], closes)
        else:
            joined.append([opens, closes])
    return tuple((a, b) for a, b in joined)


def _reason(summaries: Iterable[str]) -> str:
    unique = list(dict.fromkeys(s for s in summaries if s))
    return "; ".join(unique)[:MAX_REASON]

"""Opening hours, office days and the rules for when a service stops issuing tickets.

All of it in the office's local time (Europe/Warsaw by default), so that the day's numbering
starts at local midnight and the cut-off minute is right on the nights the clocks change.

The office's clock has one home, here: `office_day` (the office day of an instant) and
`local_moment` / `wall_instant` (the instant of a wall time on a day). Nobody else turns an
instant into a day or a wall time into an instant. On the nights the clocks change they follow
one rule:

- a wall time the clocks skip (Warsaw, last Sunday of March: 02:00 → 03:00, so 02:30 never
  shows) moves forward by the gap: 02:30 is the instant the clock shows 03:30;
- a wall time the clocks show twice (last Sunday of October: 03:00 → 02:00, so 02:30 shows
  twice) is the first of the two: 02:30+02:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from okienko.office.directory import OfficeSetup, ServiceSetup


def _zone(where: OfficeSetup | ZoneInfo) -> ZoneInfo:
    return where.timezone if isinstance(where, OfficeSetup) else where


def office_day(where: OfficeSetup | ZoneInfo, now: datetime) -> date:
    """The office's calendar day at the instant `now` (its local date, not UTC's): the day a ticket
    is numbered on, a booking falls on, a day's listing starts from. `where`: the office or its zone."""
    return now.astimezone(_zone(where)).date()


def wall_instant(where: OfficeSetup | ZoneInfo, wall: datetime) -> datetime:
    """The instant the office's clock shows the naive `wall` time, in the office's zone (normalised:
    its fields are what the clock shows). Skipped by the clocks: moved forward by the gap; shown
    twice: the first (the module's rule)."""
    zone = _zone(where)
    # fold=0 reads a skipped time with the offset before the change (so it lands after the gap)
    # and a repeated time as its first showing; the round trip through UTC normalises it.
    return wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc).astimezone(zone)


def local_moment(where: OfficeSetup | ZoneInfo, day: date, minute: int) -> datetime:
    """The instant of the wall time `minute` after local midnight on `day` (24:00: the next
    midnight), by `wall_instant`'s rule."""
    if minute >= 24 * 60:
        day, minute = day + timedelta(days=minute // (24 * 60)), minute % (24 * 60)
    return wall_instant(where, datetime.combine(day, time(minute // 60, minute % 60)))


@lru_cache(maxsize=16)
def _polish_holidays(year: int) -> dict[date, str]:
    import holidays  # with the first day looked up, not at start-up; cached per year from then on

    return dict(holidays.country_holidays("PL", years=year))


# The holidays package names Polish holidays in these languages; Russian readers get English.
_HOLIDAY_LANGUAGES = {"pl": "pl", "uk": "uk", "en": "en_US", "ru": "en_US"}


@lru_cache(maxsize=64)
def _named_holidays(year: int, language: str) -> dict[date, str]:
    import holidays

    return dict(holidays.country_holidays("PL", years=year, language=_HOLIDAY_LANGUAGES.get(language, "en_US")))


def holiday_name(day: date, language: str) -> str | None:
    """The public holiday on `day` in the visitor's language (English where the package has none)."""
    return _named_holidays(day.year, language).get(day)


def saturday_holidays_without_substitute(closures: Iterable[date], today: date) -> list[tuple[date, str]]:
    """Public holidays from `today` to a year on that fall on a Saturday and for which the office
    has not closed a substitute day (Labour Code art. 130 §2: staff get another day off, which the
    employer chooses within the settlement period), with their Polish names.

    Covered means: `closures` holds a working day (Monday to Friday, not itself a public holiday)
    in the holiday's calendar month (the usual one-month settlement period); each such closure
    covers one Saturday holiday of its month."""
    until = today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) \
        else date(today.year + 1, 2, 28)
    found = sorted((day, name) for year in range(today.year, until.year + 1)
                   for day, name in _named_holidays(year, "pl").items()
                   if today <= day <= until and day.weekday() == 5)
    spare: dict[tuple[int, int], int] = {}
    for day in set(closures):
        if day.weekday() < 5 and day not in _polish_holidays(day.year):
            spare[(day.year, day.month)] = spare.get((day.year, day.month), 0) + 1
    uncovered = []
    for day, name in found:
        month = (day.year, day.month)
        if spare.get(month, 0) > 0:
            spare[month] -= 1
        else:
            uncovered.append((day, name))
    return uncovered


def closed_reason(setup: OfficeSetup, day: date,
                  own_dates: dict[date, tuple[tuple[int, int], ...]] | None = None) -> str | None:
    """Why the office is closed on `day` ("holiday: <name>", "closure"), or None.

    `own_dates`: the dates with their own hours for what is asked about (a service's walk-ins,
    `ServiceSetup.dates`, or its slots, `SlotSchedule.dates`). The one rule for a date:

    1. a date in the office's `closures` is closed, whatever else is set for it (the office file
       and the back office refuse own hours on such a date);
    2. a date with its own hours is open in those hours, a public holiday too: opening on one is
       the manager's deliberate choice (an information Saturday); its own hours empty: closed;
    3. otherwise a public holiday closes it where the office closes on them; else the weekly hours.
    """
    if day in setup.closures:
        return "closure"
    if own_dates is not None and day in own_dates:
        return None if own_dates[day] else "closure"
    if setup.closed_on_public_holidays:
        name = _polish_holidays(day.year).get(day)
        if name:
            return f"holiday: {name}"
    return None


@dataclass(frozen=True)
class Availability:
    """Whether a walk-in ticket can be issued now, and if not, why (an error code and its params)."""

    open: bool
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    closes_at: datetime | None = None


def walk_in_ranges(setup: OfficeSetup, service: ServiceSetup, day: date) -> tuple[tuple[int, int], ...]:
    """The service's walk-in hours on `day`: the date's own hours if it has some, else the weekly
    hours, neither on a closed day (`closed_reason`'s rule)."""
    if setup.always_open:
        return ((0, 24 * 60),)
    if closed_reason(setup, day, service.dates):
        return ()
    return service.dates.get(day, service.hours.get(day.weekday(), ()))


def availability(setup: OfficeSetup, service: ServiceSetup, now: datetime, estimated_wait_minutes: int,
                 language: str = "pl") -> Availability:
    """Can a walk-in ticket for `service` be issued at `now`?

    Stops at the service's cut-off (closing minus `last_ticket_minutes_before_close`), and when the
    estimated wait would run past closing, so that everyone given a ticket can be served. The daily
    limit is enforced separately, inside the issuing transaction.
    """
    name = service.name(language)
    if not service.walk_in:
        return Availability(False, "booking_only", {"service": name})
    local = now.astimezone(setup.timezone)
    day = office_day(setup, now)
    ranges = walk_in_ranges(setup, service, day)
    if not ranges:
        return Availability(False, "service_closed_today", {"service": name})
    minute = local.hour * 60 + local.minute
    for opens, closes in ranges:
        if minute < opens:
            return Availability(False, "service_not_open_yet", {"service": name, "time": _hhmm(opens)})
        if minute >= closes:
            continue
        closes_at = local_moment(setup, day, closes)
        if setup.always_open:
            return Availability(True, closes_at=closes_at)
        cutoff = closes - service.last_ticket_minutes_before_close
        if minute >= cutoff:
            return Availability(False, "service_cutoff_passed", {"service": name, "time": _hhmm(cutoff)}, closes_at)
        if now + timedelta(minutes=estimated_wait_minutes) > closes_at:
            return Availability(False, "service_wait_past_closing", {"service": name, "time": _hhmm(closes)},
                                closes_at)
        return Availability(True, closes_at=closes_at)
    last_close = ranges[-1][1]
    cutoff = last_close - service.last_ticket_minutes_before_close
    return Availability(False, "service_cutoff_passed", {"service": name, "time": _hhmm(cutoff)})


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"

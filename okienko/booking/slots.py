"""Bookable slots: a service's weekly schedule turned into concrete visits.

A slot is a local wall-clock time on an office day (Europe/Warsaw by default) with a number of
places (how many people the windows take at once). Days on which the office is closed (Polish
public holidays, including 24 December since 2025, and the office's own closure days) have no
slots. Wall times become instants by hours.py's one rule; a slot whose start the clocks skip on
the night they go forward is not offered (the rule would move it onto a later slot's time); on
the night they go back, the slot keeps its wall time (the first of the two) and a true length.

When a day can be booked follows the office's release rule: day D opens at `release_time` on
day D - `horizon_days`, and never before `first_day` days from today, so everyone knows when
to look and a month of slots is never released at once. For a service released by draw
(`release_mode = "draw"`), the release moment opens the draw's entry window of `draw_minutes`;
the day is bookable first come only after the window has closed and the draw has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

from okienko.booking.rules import SlotSchedule
from okienko.errors import DomainError
from okienko.office.hours import closed_reason, local_moment, office_day
from okienko.office.directory import OfficeSetup, ServiceSetup

MAX_RANGE_DAYS = 62


@dataclass(frozen=True)
class Slot:
    starts_at: datetime   # aware, in the office's time zone
    ends_at: datetime
    places: int

    @property
    def day(self) -> date:
        return self.starts_at.date()


def schedule_of(service: ServiceSetup, language: str = "pl") -> SlotSchedule:
    """The service's schedule, or `not_bookable` when it takes no bookings."""
    if service.booking is None:
        raise DomainError("not_bookable", service=service.name(language))
    return service.booking


def slots_on(setup: OfficeSetup, schedule: SlotSchedule, day: date) -> list[Slot]:
    """Every slot of `day` by the schedule, ignoring closures and the booking horizon.

    Computed once per process for the same time zone, slot length, places, day's hours and breaks
    (every hold checks its start against the day's slots); the cache is keyed by those values, so a
    reloaded office set-up with other hours never gets the old slots.
    """
    return list(_day_slots(setup.timezone, schedule.slot_minutes, schedule.places,
                           schedule.dates.get(day, schedule.days.get(day.weekday(), ())), schedule.breaks, day))


def day_closed(setup: OfficeSetup, schedule: SlotSchedule, day: date) -> str | None:
    """Why `day` has no slots of the schedule ("holiday: <name>", "closure"), or None: hours.py's
    one rule, with the date's own booking hours (`schedule.dates`)."""
    return closed_reason(setup, day, schedule.dates)


@lru_cache(maxsize=1024)
def _day_slots(tz: ZoneInfo, slot_minutes: int, places: int, hours: tuple[tuple[int, int], ...],
               breaks: tuple[tuple[int, int], ...], day: date) -> tuple[Slot, ...]:
    """The slots of `day`: a pure function of its arguments (Slot is frozen, so sharing is safe)."""
    slots = []
    for opens, closes in hours:
        start = opens
        while start + slot_minutes <= closes:
            end = start + slot_minutes
            if not any(start < b_end and b_start < end for b_start, b_end in breaks):
                moment = local_moment(tz, day, start)
                if (moment.hour * 60 + moment.minute, moment.date()) == (start, day):   # not skipped
                    ends = (moment.astimezone(timezone.utc) + timedelta(minutes=slot_minutes))
                    slots.append(Slot(moment, ends.astimezone(tz), places))
            start = end
    return tuple(slots)


def release_moment(setup: OfficeSetup, schedule: SlotSchedule, day: date) -> datetime:
    """When `day` opens for booking: its own moment (an information Saturday's `booking_opens_at`),
    else `release_time` on the day `horizon_days` before it."""
    own = schedule.releases.get(day)
    if own is not None:
        return own
    return local_moment(setup, day - timedelta(days=schedule.horizon_days), schedule.release_minute)


def released(setup: OfficeSetup, schedule: SlotSchedule, day: date, now: datetime, ahead_days: int = 0) -> bool:
    """`day` can be booked at `now` by the release rule: from `first_day` days ahead, up to the
    horizon (widened by `ahead_days`, see `check_bookable`); a date with its own release moment
    from that moment on, however far ahead."""
    first, last = bookable_days(setup, schedule, now)
    if day < first:
        return False
    if day in schedule.releases:
        return ahead_days > 0 or now >= schedule.releases[day]
    return day <= last + timedelta(days=ahead_days)


def draw_window(setup: OfficeSetup, schedule: SlotSchedule, day: date) -> tuple[datetime, datetime] | None:
    """The entry window of `day`'s draw, [opens, closes), for a service released by draw; None
    for a service released first come. The window opens at the day's release moment."""
    policy = setup.booking_policy
    if policy.release_mode_of(schedule) != "draw":
        return None
    opens = release_moment(setup, schedule, day)
    closes = opens.astimezone(timezone.utc) + timedelta(minutes=policy.draw_minutes_of(schedule))
    return opens, closes.astimezone(setup.timezone)


def draw_days_around(setup: OfficeSetup, schedule: SlotSchedule, now: datetime, ahead: timedelta) -> list[date]:
    """The days of a draw service whose window is open at `now` or opens within `ahead`, that have
    slots (open weekdays, not closed): the draws that must exist by now."""
    minutes = setup.booking_policy.draw_minutes_of(schedule)
    today = office_day(setup, now)
    first = today + timedelta(days=schedule.horizon_days - minutes // (24 * 60) - 2)
    last = today + timedelta(days=schedule.horizon_days + ahead.days + 2)
    found = []
    for day in sorted({*_days(first, last), *schedule.releases}):
        window = draw_window(setup, schedule, day)
        if window is None or window[1] <= now or window[0] > now + ahead:
            continue
        if not day_closed(setup, schedule, day) and slots_on(setup, schedule, day):
            found.append(day)
    return found


def bookable_days(setup: OfficeSetup, schedule: SlotSchedule, now: datetime) -> tuple[date, date]:
    """The first and last day that can be booked at `now` (the last may be before the first)."""
    today = office_day(setup, now)
    last = today + timedelta(days=schedule.horizon_days)
    if now < release_moment(setup, schedule, last):
        last -= timedelta(days=1)
    return today + timedelta(days=schedule.first_day), last


def next_release(setup: OfficeSetup, schedule: SlotSchedule, now: datetime) -> datetime:
    """The next moment a new day opens for booking: the next day by the weekly rule, or a date's own
    release moment if one comes sooner (the only kind a schedule with no weekly days has)."""
    own = [moment for moment in schedule.releases.values() if moment > now]
    _, last = bookable_days(setup, schedule, now)
    weekly = release_moment(setup, schedule, last + timedelta(days=1))
    if not schedule.days and own:
        return min(own)
    return min([weekly, *own])


def check_bookable(setup: OfficeSetup, schedule: SlotSchedule, starts_at: datetime, now: datetime,
                   ahead_days: int = 0) -> Slot:
    """The slot starting at `starts_at`, if it can be booked at `now`.

    `ahead_days`: the booking may go this many days past the public's last bookable day, and into
    a day whose draw has not run (a booking whose day the office closed: changes.py's rule).

    Raises `closed_day` (holiday or closure), `outside_horizon` (too soon, already past or not
    released yet), `draw_pending` (a draw day whose entry window has not closed yet; whether its
    draw has run is the database's part, bookings.refuse_if_draw_pending) or `no_such_slot` (not a
    start time of the schedule).
    """
    day = office_day(setup, starts_at)
    if not released(setup, schedule, day, now, ahead_days) or starts_at <= now:
        first, last = bookable_days(setup, schedule, now)
        raise DomainError("outside_horizon", first=first, last=last + timedelta(days=ahead_days))
    if day_closed(setup, schedule, day):
        raise DomainError("closed_day", day=day)
    window = draw_window(setup, schedule, day)
    if window is not None and now < window[1] and not ahead_days:
        # Released, but given out by the draw first: first come only once the draw has run.
        raise DomainError("draw_pending", day=day, time=window[1])
    # The exact instant, not the wall time: on the night the clocks go back, 02:30+01:00 is not
    # the listed 02:30+02:00 (aware datetimes in one zone compare by wall time).
    moment = starts_at.astimezone(timezone.utc)
    for slot in slots_on(setup, schedule, day):
        if slot.starts_at.astimezone(timezone.utc) == moment:
            return slot
    raise DomainError("no_such_slot")


def slot_offered(setup: OfficeSetup, schedule: SlotSchedule, starts_at: datetime) -> bool:
    """`starts_at` is still a slot of the schedule (its day open, the time one of the day's slots):
    a booking whose slot is not was cut off by a closed day or shorter hours."""
    day = office_day(setup, starts_at)
    if day_closed(setup, schedule, day):
        return False
    moment = starts_at.astimezone(timezone.utc)
    return any(slot.starts_at.astimezone(timezone.utc) == moment for slot in slots_on(setup, schedule, day))


@dataclass(frozen=True)
class DayPlan:
    day: date
    closed: str | None          # "holiday: <name>", "closure" or None
    slots: tuple[Slot, ...]


def plan(setup: OfficeSetup, schedule: SlotSchedule, first: date, last: date, now: datetime,
         ahead_days: int = 0) -> list[DayPlan]:
    """The bookable days between `first` and `last` (inclusive) at `now`, each with its slots.

    Days outside the horizon (widened by `ahead_days`, as `check_bookable`) are left out; closed
    days are listed with their reason and no slots.
    """
    if last < first:
        raise DomainError("bad_date_range")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise DomainError("date_range_too_long", days=MAX_RANGE_DAYS)
    days = []
    for day in _days(first, last):
        if not released(setup, schedule, day, now, ahead_days) or (not schedule.days and day not in schedule.dates):
            continue   # not yet released, or a day a schedule with dates only (an event's) never has
        reason = day_closed(setup, schedule, day)
        if reason:
            days.append(DayPlan(day, reason, ()))
            continue
        slots = tuple(s for s in slots_on(setup, schedule, day) if s.starts_at > now)
        if slots or schedule.dates.get(day, schedule.days.get(day.weekday())):
            days.append(DayPlan(day, None, slots))
    return days


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)

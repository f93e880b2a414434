"""Slot generation: weekly schedule, breaks, holidays, closures, both DST changes, horizon, release."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from okienko.booking.rules import SlotSchedule
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.booking.slots import bookable_days, check_bookable, next_release, plan, slots_on

WARSAW = ZoneInfo("Europe/Warsaw")


def office(closures: tuple[date, ...] = ()) -> OfficeSetup:
    return OfficeSetup(id=1, code="t", name="Test", timezone=WARSAW, default_language="pl", always_open=False,
                       closed_on_public_holidays=True, priority_mode="first", ticket_footer={},
                       recalls_before_no_show=1, transfer_position="end", ticker="", services=(), windows=(),
                       categories=(), closures=frozenset(closures))


def schedule(**changes: object) -> SlotSchedule:
    every_day = {day: ((8 * 60, 12 * 60),) for day in range(7)}
    values: dict[object, object] = dict(slot_minutes=30, places=3, days=every_day, breaks=((10 * 60, 10 * 60 + 30),),
                                        horizon_days=30, first_day=1, release_minute=6 * 60)
    values.update(changes)
    return SlotSchedule(**values)  # type: ignore[arg-type]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def starts(slots: list) -> list[str]:
    return [s.starts_at.strftime("%H:%M") for s in slots]


def test_slots_follow_the_schedule_and_skip_the_break() -> None:
    slots = slots_on(office(), schedule(), date(2026, 12, 1))
    assert starts(slots) == ["08:00", "08:30", "09:00", "09:30", "10:30", "11:00", "11:30"]
    assert all(s.places == 3 for s in slots)
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=30)


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_slots_on_the_days_the_clocks_change_keep_their_wall_time(day: date) -> None:
    slots = slots_on(office(), schedule(), day)
    assert starts(slots)[0] == "08:00"
    utc_first = slots[0].starts_at.astimezone(timezone.utc).hour
    assert utc_first == (6 if day.month == 3 else 7)   # CEST after the spring change, CET after autumn
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)


def test_a_reloaded_schedule_gets_its_own_slots_not_the_remembered_ones() -> None:
    # The day's slots are remembered per process; an office set-up loaded again with other hours,
    # another slot length or more places must not see the old ones.
    day = date(2026, 12, 1)
    before = slots_on(office(), schedule(), day)
    before.clear()  # a caller changing its list changes nothing for the next one
    assert starts(slots_on(office(), schedule(), day)) == ["08:00", "08:30", "09:00", "09:30", "10:30", "11:00",
                                                           "11:30"]
    longer = schedule(days={day.weekday(): ((8 * 60, 13 * 60),)})
    assert starts(slots_on(office(), longer, day))[-2:] == ["12:00", "12:30"]
    assert starts(slots_on(office(), schedule(slot_minutes=60, breaks=()), day)) == ["08:00", "09:00", "10:00",
                                                                                     "11:00"]
    assert {s.places for s in slots_on(office(), schedule(places=5), day)} == {5}
    assert slots_on(office(), schedule(breaks=((8 * 60, 9 * 60),)), day)[0].starts_at.hour == 9
    tokyo = slots_on(OfficeSetup(**{**office().__dict__, "timezone": ZoneInfo("Asia/Tokyo")}), schedule(), day)
    assert tokyo[0].starts_at.utcoffset() == timedelta(hours=9)


def test_a_night_schedule_skips_the_hour_that_does_not_exist() -> None:
    night = schedule(days={6: ((60, 4 * 60),)}, breaks=())
    spring = starts(slots_on(office(), night, date(2026, 3, 29)))
    assert "02:00" not in spring and "02:30" not in spring and "03:00" in spring
    autumn = slots_on(office(), night, date(2026, 10, 25))
    assert starts(autumn).count("02:00") == 1
    utc = timezone.utc
    assert all(s.ends_at.astimezone(utc) - s.starts_at.astimezone(utc) == timedelta(minutes=30) for s in autumn)


def test_holidays_and_closures_have_no_slots() -> None:
    setup = office(closures=(date(2026, 12, 28),))
    now = at(2026, 12, 1, 9, 0)
    days = {d.day: d for d in plan(setup, schedule(), date(2026, 12, 20), date(2026, 12, 30), now)}
    assert days[date(2026, 12, 24)].closed and "holiday" in days[date(2026, 12, 24)].closed  # Wigilia, since 2025
    assert days[date(2026, 12, 25)].slots == () and days[date(2026, 12, 26)].slots == ()
    assert days[date(2026, 12, 28)].closed == "closure"
    assert len(days[date(2026, 12, 23)].slots) == 7
    with pytest.raises(DomainError) as closed:
        check_bookable(setup, schedule(), at(2026, 12, 24, 8, 0), now)
    assert closed.value.code == "closed_day"


def test_horizon_starts_tomorrow_and_a_new_day_opens_at_the_release_time() -> None:
    setup, rules = office(), schedule()
    before = at(2026, 12, 1, 5, 59)
    after = at(2026, 12, 1, 6, 0)
    assert bookable_days(setup, rules, before) == (date(2026, 12, 2), date(2026, 12, 30))
    assert bookable_days(setup, rules, after) == (date(2026, 12, 2), date(2026, 12, 31))
    assert next_release(setup, rules, before) == at(2026, 12, 1, 6, 0)
    with pytest.raises(DomainError) as early:
        check_bookable(setup, rules, at(2026, 12, 31, 8, 0), before)
    assert early.value.code == "outside_horizon"
    assert check_bookable(setup, rules, at(2026, 12, 31, 8, 0), after).starts_at == at(2026, 12, 31, 8, 0)
    with pytest.raises(DomainError) as today:
        check_bookable(setup, rules, at(2026, 12, 1, 11, 0), after)
    assert today.value.code == "outside_horizon"


def test_release_is_right_across_the_spring_change() -> None:
    setup, rules = office(), schedule(horizon_days=7)
    # Day 2026-04-05 opens on 2026-03-29 at 06:00 CEST (04:00 UTC), the morning the clocks went forward.
    assert next_release(setup, rules, at(2026, 3, 29, 5, 0)).astimezone(timezone.utc) == \
        datetime(2026, 3, 29, 4, 0, tzinfo=timezone.utc)


def test_a_time_that_is_not_a_slot_start_is_refused() -> None:
    with pytest.raises(DomainError) as wrong:
        check_bookable(office(), schedule(), at(2026, 12, 2, 8, 15), at(2026, 12, 1, 9, 0))
    assert wrong.value.code == "no_such_slot"
    with pytest.raises(DomainError) as in_break:
        check_bookable(office(), schedule(), at(2026, 12, 2, 10, 0), at(2026, 12, 1, 9, 0))
    assert in_break.value.code == "no_such_slot"


def test_a_range_must_be_ordered_and_short() -> None:
    now = at(2026, 12, 1, 9, 0)
    with pytest.raises(DomainError) as backwards:
        plan(office(), schedule(), date(2026, 12, 5), date(2026, 12, 4), now)
    assert backwards.value.code == "bad_date_range"
    with pytest.raises(DomainError) as long:
        plan(office(), schedule(), date(2026, 12, 1), date(2027, 3, 1), now)
    assert long.value.code == "date_range_too_long"

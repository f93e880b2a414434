"""The office's clock on the nights the clocks change (Europe/Warsaw, last Sunday of March and of
October): one helper for the office day of an instant, one for the instant of a wall time, one
rule (skipped: forward by the gap; shown twice: the first), and everything that uses them agrees."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from okienko.office.hours import availability, local_moment, office_day, wall_instant
from okienko.office.directory import ServiceSetup
from okienko.booking.slots import release_moment, slots_on
from tests.okienko.booking.test_slots import WARSAW, office, schedule

SPRING = date(2026, 3, 29)   # 02:00 CET → 03:00 CEST: 02:00–02:59 never shows
AUTUMN = date(2026, 10, 25)  # 03:00 CEST → 02:00 CET: 02:00–02:59 shows twice
UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("instant", "day"), [
    (utc(2026, 3, 28, 22, 59), date(2026, 3, 28)),    # 23:59 CET
    (utc(2026, 3, 28, 23, 0), SPRING),                # 00:00 CET
    (utc(2026, 3, 29, 21, 59), SPRING),               # 23:59 CEST
    (utc(2026, 3, 29, 22, 0), date(2026, 3, 30)),     # 00:00 CEST
    (utc(2026, 10, 24, 21, 59), date(2026, 10, 24)),  # 23:59 CEST
    (utc(2026, 10, 24, 22, 0), AUTUMN),               # 00:00 CEST
    (utc(2026, 10, 25, 22, 59), AUTUMN),              # 23:59 CET
    (utc(2026, 10, 25, 23, 0), date(2026, 10, 26)),   # 00:00 CET
])
def test_the_office_day_of_an_instant_turns_at_local_midnight(instant: datetime, day: date) -> None:
    assert office_day(office(), instant) == day == office_day(WARSAW, instant)


@pytest.mark.parametrize(("day", "minute", "expected"), [
    (SPRING, 90, utc(2026, 3, 29, 0, 30)),     # 01:30 CET
    (SPRING, 120, utc(2026, 3, 29, 1, 0)),     # 02:00 never shows: 03:00 CEST
    (SPRING, 150, utc(2026, 3, 29, 1, 30)),    # 02:30 never shows: 03:30 CEST
    (SPRING, 180, utc(2026, 3, 29, 1, 0)),     # 03:00 CEST
    (AUTUMN, 150, utc(2026, 10, 25, 0, 30)),   # 02:30 shows twice: the first, CEST
    (AUTUMN, 180, utc(2026, 10, 25, 2, 0)),    # 03:00 CET
    (AUTUMN, 24 * 60, utc(2026, 10, 25, 23, 0)),   # 24:00: the next midnight
])
def test_the_instant_of_a_wall_time_moves_a_skipped_time_forward_and_takes_the_first_of_two(
        day: date, minute: int, expected: datetime) -> None:
    moment = local_moment(office(), day, minute)
    assert moment.astimezone(UTC) == expected
    # Normalised: its fields are what the office's clock shows, so it compares and prints right.
    assert moment.utcoffset() == expected.astimezone(WARSAW).utcoffset()
    assert (moment.hour, moment.minute) == (expected.astimezone(WARSAW).hour, expected.astimezone(WARSAW).minute)
    naive = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
    assert wall_instant(office(), naive) == moment == wall_instant(WARSAW, naive)


def test_the_days_the_clocks_change_are_23_and_25_hours_long() -> None:
    for day, hours in ((SPRING, 23), (AUTUMN, 25)):
        # In UTC: Python subtracts two times of one zone by their wall clocks (24 h).
        length = local_moment(office(), day, 24 * 60).astimezone(UTC) - local_moment(office(), day, 0)
        assert length == timedelta(hours=hours)


def test_a_release_time_the_clocks_skip_comes_when_the_clock_shows_the_time_after_the_gap() -> None:
    rules = schedule(horizon_days=7, release_minute=2 * 60 + 30)
    assert release_moment(office(), rules, SPRING + timedelta(days=7)) == utc(2026, 3, 29, 1, 30)


def test_night_slots_are_on_the_office_day_their_start_falls_on() -> None:
    night = schedule(days={6: ((0, 4 * 60),)}, breaks=())
    for day in (SPRING, AUTUMN):
        slots = slots_on(office(), night, day)
        assert slots and all(slot.day == office_day(office(), slot.starts_at) == day for slot in slots)
        # The same instants as the one helper gives, except the starts the clocks skip.
        assert [slot.starts_at for slot in slots] == [
            local_moment(office(), day, minute) for minute in range(0, 4 * 60 - 29, 30)
            if not (day == SPRING and 120 <= minute < 180)]


def test_walk_in_hours_through_the_night_close_at_the_real_instant() -> None:
    service = ServiceSetup(id=1, code="N", prefix="N", names={"pl": "Nocna"}, average_service_minutes=10,
                           daily_limit=None, last_ticket_minutes_before_close=0, walk_in=True,
                           hours={6: ((60, 2 * 60 + 30),)}, window_ids=())
    setup = replace(office(), closed_on_public_holidays=False, services=(service,))
    now = utc(2026, 3, 29, 0, 10)   # 01:10 CET
    open_now = availability(setup, service, now, 0)
    assert open_now.open and open_now.closes_at is not None
    assert open_now.closes_at.astimezone(UTC) == utc(2026, 3, 29, 1, 30)   # "02:30" is 03:30 CEST

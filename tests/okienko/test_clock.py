"""The server's clock: the real one, or (OKIENKO_CLOCK_START, demos and rehearsals) one that starts
at a chosen moment and runs on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from okienko.clock import StartedClock, SystemClock, clock_for
from okienko.settings import SettingsError, load_settings


def test_a_started_clock_starts_at_its_moment_and_runs_on() -> None:
    ticks = iter([100.0, 100.0, 161.5])
    clock = StartedClock(datetime.fromisoformat("2027-01-16T09:00:00+01:00"), monotonic=lambda: next(ticks))
    assert clock.now() == datetime(2027, 1, 16, 8, 0, tzinfo=timezone.utc)
    assert clock.now() - datetime(2027, 1, 16, 8, 0, tzinfo=timezone.utc) == timedelta(seconds=61.5)


def test_the_setting_chooses_the_clock() -> None:
    assert isinstance(clock_for(""), SystemClock)
    started = clock_for(load_settings({"OKIENKO_CLOCK_START": "2027-01-16T09:00:00+01:00"}).clock_start)
    assert abs(started.now() - datetime(2027, 1, 16, 8, 0, tzinfo=timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize("value", ["2027-01-16T09:00:00", "Saturday", "2027-13-01T09:00:00+01:00"])
def test_a_moment_without_its_offset_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="OKIENKO_CLOCK_START"):
        load_settings({"OKIENKO_CLOCK_START": value})

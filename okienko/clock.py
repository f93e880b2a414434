"""Time is injected: services ask a clock, so tests can stand at any minute of any day."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until moved; for tests and demos."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.moment = moment.astimezone(timezone.utc)


class StartedClock:
    """A clock that starts at `moment` and runs on in real time (`OKIENKO_CLOCK_START`): a demo, a
    rehearsal or a browser test standing on an information Saturday, not a production server."""

    def __init__(self, moment: datetime, monotonic=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        if moment.tzinfo is None:
            raise ValueError("StartedClock needs an aware datetime")
        self.start, self.monotonic = moment.astimezone(timezone.utc), monotonic
        self.started = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.monotonic() - self.started)


def clock_for(start: str) -> Clock:
    """The server's clock: the real one, or one started at `start` (ISO 8601 with its offset)."""
    return StartedClock(datetime.fromisoformat(start)) if start else SystemClock()

"""Estimated waiting time, from recent real service times and the windows open for a service."""

from __future__ import annotations

import math
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from okienko.clock import Clock
from okienko.storage.db import Database
from okienko.storage.models import Ticket
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.hall.windows import staffed_windows

MIN_SAMPLES = 5
LOOKBACK = timedelta(days=14)
STAFFED_REFRESH_SECONDS = 5.0


class Estimator:
    """Per-process cache of how long each service really takes (median of the last N visits)."""

    def __init__(self, db: Database, clock: Clock, sample_size: int = 20, refresh_seconds: float = 30.0) -> None:
        self.db = db
        self.clock = clock
        self.sample_size = sample_size
        self.refresh_seconds = refresh_seconds
        self._minutes: dict[int, tuple[float, float]] = {}
        self._staffed: dict[int, tuple[float, frozenset[int]]] = {}

    async def service_minutes(self, service: ServiceSetup) -> float:
        """Median minutes of the service's recent finished visits; the configured average until
        there are at least MIN_SAMPLES of them."""
        cached = self._minutes.get(service.id)
        if cached and time.monotonic() - cached[0] < self.refresh_seconds:
            return cached[1]
        tickets = Ticket.__table__
        since = self.clock.now() - LOOKBACK
        async with self.db.read() as conn:
            rows = (await conn.execute(
                sa.select(tickets.c.started_at, tickets.c.finished_at)
                .where(tickets.c.service_id == service.id, tickets.c.status == "done",
                       tickets.c.finished_at > since, tickets.c.started_at.is_not(None))
                .order_by(tickets.c.finished_at.desc()).limit(self.sample_size))).all()
        durations = [(finished - started).total_seconds() / 60 for started, finished in rows if finished > started]
        minutes = statistics.median(durations) if len(durations) >= MIN_SAMPLES else service.average_service_minutes
        self._minutes[service.id] = (time.monotonic(), minutes)
        return minutes

    async def staffed_windows(self, office_id: int) -> frozenset[int]:
        """Windows with a clerk signed in and not paused (cached briefly)."""
        cached = self._staffed.get(office_id)
        if cached and time.monotonic() - cached[0] < STAFFED_REFRESH_SECONDS:
            return cached[1]
        async with self.db.read() as conn:
            staffed = frozenset(await staffed_windows(conn, office_id, self.clock.now()))
        self._staffed[office_id] = (time.monotonic(), staffed)
        return staffed

    def forget(self, service_id: int | None = None) -> None:
        self._staffed.clear()
        if service_id is None:
            self._minutes.clear()
        else:
            self._minutes.pop(service_id, None)


def wait_minutes(setup: OfficeSetup, service: ServiceSetup, people_ahead: int, minutes_per_visit: float,
                 staffed: frozenset[int] = frozenset()) -> int:
    """Minutes until a visitor with `people_ahead` is called: the people ahead shared among the
    windows open for the service (at least one), each taking `minutes_per_visit`."""
    windows = max(1, setup.open_windows_for(service.id, staffed))
    return math.ceil(people_ahead * minutes_per_visit / windows)

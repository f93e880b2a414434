"""Monitoring's front door: readiness and the scrape (docs/monitoring.md)."""

from __future__ import annotations

from okienko.clock import Clock
from okienko.live import LiveHub
from okienko.monitoring.figures import office_ids, read_figures
from okienko.monitoring.metrics import Metrics
from okienko.monitoring.readiness import Readiness, readiness
from okienko.office.directory import OfficeDirectory
from okienko.storage.db import Database


class Monitoring:
    def __init__(self, db: Database, clock: Clock, offices: OfficeDirectory, live: LiveHub, metrics: Metrics,
                 stuck_after_seconds: float) -> None:
        self.db, self.clock, self.offices, self.live, self.metrics = db, clock, offices, live, metrics
        self.stuck_after_seconds = stuck_after_seconds

    async def ready(self) -> Readiness:
        """Database, broker and outbox checked now; never raises."""
        return await readiness(self.db, self.clock, self.live.broker_answers, self.stuck_after_seconds)

    async def scrape(self) -> bytes:
        """The metrics' text: the database's figures read now, with this process's (or, in multiprocess
        mode, this machine's processes') own. A database that cannot answer raises `Unavailable`."""
        async with self.db.read() as conn:
            ids = await office_ids(conn)
        setups = [await self.offices.by_id(office_id) for office_id in ids]
        async with self.db.read() as conn:
            figures = await read_figures(conn, setups, self.clock.now())
        return self.metrics.exposition(figures)

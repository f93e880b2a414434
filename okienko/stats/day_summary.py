"""One office day's statistics in one replay of its events, kept once the day is over.

A day's summary holds what a period's report adds up (okienko/stats/report.py): per service, per
window and per clerk the counts and every wait and visit length (whole seconds, so that a month's
median is the median of all its visits, not a mean of daily medians), tickets issued and waits per
local hour, and the people waiting at every quarter hour. Only counts and durations: nothing
personal, so erasing personal data changes no summary, and neither does archiving (the replay reads
the archived tickets too, figures.day_events).

Why kept: a month of a large office is ~100,000 tickets and ~600,000 events; replaying them for every
look at the page takes seconds, reading 31 summaries a few milliseconds. A day's summary is made the
first time a report needs it once the day is over (or by `okienko archive`, which makes them before
moving tickets), and never changes after, as the events it is made of do not. Today's is made anew
on every look. `VERSION` changes with what a summary holds: an older one is made again.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.office.hours import office_day
from okienko.stats.figures import Tally, day_figures, ticket_rows
from okienko.storage.models import Service, StatsDay

VERSION = 1
QUEUE_STEP_MINUTES = 15   # the queue's length is read every quarter hour
_SAMPLES = ("waits", "service_times")


@dataclasses.dataclass
class DaySummary:
    day: date
    services: dict[int, Tally]
    windows: dict[int, Tally]
    clerks: dict[int, Tally]
    issued_by_hour: list[int]                   # 24 local hours
    waits_by_hour: dict[int, list[float]]       # local hour of joining the queue -> waits
    queue: list[tuple[int, int]]                # (local minute of the day, people waiting)

    def to_json(self) -> dict[str, Any]:
        return {"services": _tallies_json(self.services), "windows": _tallies_json(self.windows),
                "clerks": _tallies_json(self.clerks), "issued_by_hour": self.issued_by_hour,
                "waits_by_hour": {str(hour): [round(s) for s in waits] for hour, waits in self.waits_by_hour.items()},
                "queue": [list(mark) for mark in self.queue]}

    @classmethod
    def from_json(cls, day: date, stored: dict[str, Any]) -> "DaySummary":
        return cls(day, _tallies(stored["services"]), _tallies(stored["windows"]), _tallies(stored["clerks"]),
                   list(stored["issued_by_hour"]),
                   {int(hour): list(waits) for hour, waits in stored["waits_by_hour"].items()},
                   [(int(minute), int(waiting)) for minute, waiting in stored["queue"]])


def _tallies_json(tallies: dict[int, Tally]) -> dict[str, Any]:
    found = {}
    for key, tally in tallies.items():
        fields = dataclasses.asdict(tally)
        for name in _SAMPLES:
            fields[name] = [round(s) for s in fields[name]]
        found[str(key)] = fields
    return found


def _tallies(stored: dict[str, Any]) -> dict[int, Tally]:
    return {int(key): Tally(**fields) for key, fields in stored.items()}


class _Watcher:
    """Listens to figures' replay (figures.ReplayWatcher) and sorts what it hears."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.windows: dict[int, Tally] = defaultdict(Tally)
        self.clerks: dict[int, Tally] = defaultdict(Tally)
        self.issued_by_hour = [0] * 24
        self.waits_by_hour: dict[int, list[float]] = defaultdict(list)
        self.changes: list[tuple[datetime, int]] = []

    def _at(self, window_id: int | None, clerk_id: int | None) -> list[Tally]:
        return [*([self.windows[window_id]] if window_id is not None else []),
                *([self.clerks[clerk_id]] if clerk_id is not None else [])]

    def issued(self, at: datetime, service_id: int, booked: bool) -> None:
        self.issued_by_hour[at.astimezone(self.zone).hour] += 1

    def waited(self, joined_at: datetime, seconds: float, window_id: int | None, clerk_id: int | None) -> None:
        self.waits_by_hour[joined_at.astimezone(self.zone).hour].append(seconds)
        for tally in self._at(window_id, clerk_id):
            tally.waits.append(seconds)

    def finished(self, kind: str, seconds: float | None, window_id: int | None, clerk_id: int | None) -> None:
        for tally in self._at(window_id, clerk_id):
            if kind == "finished":
                tally.served += 1
                if seconds is not None:
                    tally.service_times.append(seconds)
            elif kind == "no_show":
                tally.no_shows += 1

    def queue(self, at: datetime, waiting: int) -> None:
        self.changes.append((at, waiting))

    def queue_marks(self, day: date) -> list[tuple[int, int]]:
        """People waiting at each quarter hour from the first change to the last (local minutes)."""
        if not self.changes:
            return []
        minutes = [(_local_minute(at, day, self.zone), waiting) for at, waiting in self.changes]
        step = QUEUE_STEP_MINUTES
        first, last = minutes[0][0] // step * step, -(-minutes[-1][0] // step) * step
        marks, waiting, index = [], 0, 0
        for mark in range(first, last + 1, step):
            while index < len(minutes) and minutes[index][0] <= mark:
                waiting = minutes[index][1]
                index += 1
            marks.append((mark, waiting))
        return marks


def _local_minute(at: datetime, day: date, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute


async def office_service_ids(conn: AsyncConnection, office_id: int) -> list[int]:
    """Every service of the office, switched off ones too (their past tickets still count)."""
    services = Service.__table__
    return list((await conn.execute(sa.select(services.c.id).where(services.c.office_id == office_id)
                                    .order_by(services.c.sort_order, services.c.id))).scalars())


async def make_summary(conn: AsyncConnection, office_id: int, zone: ZoneInfo, day: date) -> DaySummary:
    """Replay the office day `day` (figures.day_figures) into its summary."""
    watcher = _Watcher(zone)
    services = await day_figures(conn, office_id, day, await office_service_ids(conn, office_id), watcher=watcher)
    return DaySummary(day, services, dict(watcher.windows), dict(watcher.clerks), watcher.issued_by_hour,
                      dict(watcher.waits_by_hour), watcher.queue_marks(day))


async def day_summaries(conn: AsyncConnection, office_id: int, zone: ZoneInfo, days: list[date],
                        now: datetime) -> tuple[list[DaySummary], list[DaySummary]]:
    """The summaries of `days` (days still ahead left out): kept ones read, the others made (today's
    anew on every look); and those of them made for days that are over, for the caller to keep
    (`keep_summary`, in a write transaction)."""
    today = office_day(zone, now)
    wanted = [day for day in days if day <= today]
    table = StatsDay.__table__
    kept = {row.day: row.summary for row in (await conn.execute(
        sa.select(table.c.day, table.c.summary).where(table.c.office_id == office_id, table.c.day.in_(wanted),
                                                      table.c.version == VERSION))).all()}
    found, to_keep = [], []
    for day in wanted:
        if day in kept:
            found.append(DaySummary.from_json(day, kept[day]))
            continue
        summary = await make_summary(conn, office_id, zone, day)
        if day < today:
            to_keep.append(summary)
        found.append(summary)
    return found, to_keep


async def keep_summary(conn: AsyncConnection, office_id: int, summary: DaySummary, now: datetime) -> None:
    """Store a day's summary (replacing an older version's)."""
    table = StatsDay.__table__
    await conn.execute(sa.delete(table).where(table.c.office_id == office_id, table.c.day == summary.day))
    await conn.execute(sa.insert(table).values(office_id=office_id, day=summary.day, version=VERSION, made_at=now,
                                               summary=summary.to_json()))


async def days_without_summary(conn: AsyncConnection, office_id: int, before: date) -> list[date]:
    """The office's days before `before` that have tickets and no summary (of this `VERSION`) yet
    (okienko archive makes them, a day at a time)."""
    tickets, table = ticket_rows(), StatsDay.__table__
    days = set((await conn.execute(sa.select(tickets.c.office_day).where(
        tickets.c.office_id == office_id, tickets.c.office_day < before).distinct())).scalars())
    kept = set((await conn.execute(sa.select(table.c.day).where(
        table.c.office_id == office_id, table.c.version == VERSION))).scalars())
    return sorted(days - kept)

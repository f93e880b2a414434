"""A period's report (a day, an ISO week, a month) of one office: the front door of the statistics.

`Statistics.report` adds up the period's day summaries (okienko/stats/day_summary.py: one replay of a
day's events, kept once the day is over), and reads the draws of its days and its information
Saturdays (okienko/stats/events.py). tables.py names and orders what it holds for the page, the API
and the CSV/XLSX files; charts.py draws it. Counts and durations only, nothing personal: a clerk is
a user id here, named only where the reader may see it (`Report.clerk_names`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.stats.day_summary import DaySummary, day_summaries, keep_summary
from okienko.stats.events import EventFigures, events_figures
from okienko.stats.figures import Tally, median
from okienko.stats.period import Period
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import Draw, DrawEntry, Event, User


@dataclass(frozen=True)
class DrawFigures:
    """One draw of the period: how many entered, the places it gave out, how many got one."""

    day: date
    service_id: int
    status: str          # open | done
    entries: int
    places: int
    allocated: int

    @property
    def share_allocated(self) -> float | None:
        """The share of the entries that got a place (None: nobody entered)."""
        return round(self.allocated / self.entries, 4) if self.entries else None


@dataclass(frozen=True)
class Report:
    office_code: str
    period: Period
    made_at: datetime
    days: list[DaySummary]                  # the period's days up to today, oldest first
    services: dict[int, Tally]              # service id -> its period
    windows: dict[int, Tally]
    clerks: dict[int, Tally]                # user id -> their period
    clerk_names: dict[int, str]             # user id -> username; empty unless the reader may see them
    issued_by_hour: list[int]
    waits_by_hour: dict[int, list[float]]
    waits_by_weekday_hour: dict[tuple[int, int], list[float]]
    queue: list[tuple[int, float]]          # local minute -> people waiting (a day's, else the days' mean)
    draws: list[DrawFigures]
    events: list[EventFigures]

    @property
    def total(self) -> Tally:
        return Tally.merged(self.services.values())

    def heat_map(self) -> dict[tuple[int, int], int | None]:
        """(weekday, local hour) -> the median wait (s) of those who joined the queue then."""
        return {cell: median(waits) for cell, waits in self.waits_by_weekday_hour.items()}


def add_up(office_code: str, period: Period, days: list[DaySummary], now: datetime) -> Report:
    """The period's figures from its days' summaries (samples pooled, counts added)."""
    services: dict[int, list[Tally]] = {}
    windows: dict[int, list[Tally]] = {}
    clerks: dict[int, list[Tally]] = {}
    issued = [0] * 24
    by_hour: dict[int, list[float]] = {}
    by_cell: dict[tuple[int, int], list[float]] = {}
    queue_sum: dict[int, int] = {}
    queue_days = 0
    for day in days:
        for into, tallies in ((services, day.services), (windows, day.windows), (clerks, day.clerks)):
            for key, tally in tallies.items():
                into.setdefault(key, []).append(tally)
        issued = [a + b for a, b in zip(issued, day.issued_by_hour)]
        for hour, waits in day.waits_by_hour.items():
            by_hour.setdefault(hour, []).extend(waits)
            by_cell.setdefault((day.day.weekday(), hour), []).extend(waits)
        if day.queue:
            queue_days += 1
            for minute, waiting in day.queue:
                queue_sum[minute] = queue_sum.get(minute, 0) + waiting
    queue = [(minute, round(total / queue_days, 2)) for minute, total in sorted(queue_sum.items())]
    return Report(office_code, period, now, days,
                  {key: Tally.merged(found) for key, found in services.items()},
                  {key: Tally.merged(found) for key, found in windows.items()},
                  {key: Tally.merged(found) for key, found in clerks.items()},
                  {}, issued, by_hour, by_cell, queue, [], [])


async def period_draws(conn: AsyncConnection, office_id: int, period: Period) -> list[DrawFigures]:
    """The draws releasing the period's days, with their entries and the places they gave."""
    draws, entries = Draw.__table__, DrawEntry.__table__
    won = (sa.select(sa.func.count()).where(entries.c.draw_id == draws.c.id, entries.c.status == "won")
           .scalar_subquery())
    rows = (await conn.execute(
        sa.select(draws.c.office_day, draws.c.service_id, draws.c.status, draws.c.entries, draws.c.places,
                  won.label("won"))
        .where(draws.c.office_id == office_id, draws.c.office_day >= period.first,
               draws.c.office_day <= period.last)
        .order_by(draws.c.office_day, draws.c.service_id))).all()
    return [DrawFigures(row.office_day, row.service_id, row.status, int(row.entries), int(row.places), int(row.won))
            for row in rows]


async def period_events(conn: AsyncConnection, setup: OfficeSetup, period: Period, now: datetime) -> list[EventFigures]:
    """The information Saturdays (and other events) of the period that are not drafts, side by side."""
    events = Event.__table__
    ids = list((await conn.execute(sa.select(events.c.id).where(
        events.c.office_id == setup.id, events.c.status != "draft", events.c.day >= period.first,
        events.c.day <= period.last))).scalars())
    return await events_figures(conn, setup, ids, now) if ids else []


async def usernames(conn: AsyncConnection, user_ids: list[int]) -> dict[int, str]:
    users = User.__table__
    if not user_ids:
        return {}
    return {int(uid): name for uid, name in (await conn.execute(
        sa.select(users.c.id, users.c.username).where(users.c.id.in_(user_ids)))).all()}


class Statistics:
    """The front door of the period reports (read only, but for keeping the summaries of days
    that are over the first time they are made)."""

    KEPT_REPORTS = 8   # reports of periods that are over, kept in the process (the page asks for one 4 times)

    def __init__(self, db: Database, locks: Locks, clock: Clock) -> None:
        self.db, self.locks, self.clock = db, locks, clock
        self._kept: OrderedDict[tuple[int, Period, bool], Report] = OrderedDict()

    def period(self, setup: OfficeSetup, kind: str | None, given: str | None) -> Period:
        """The period the reader named (Period.parse), today's by default in the office's time."""
        return Period.parse(kind, given, office_day(setup, self.clock.now()))

    async def report(self, setup: OfficeSetup, period: Period, *, name_clerks: bool) -> Report:
        """The office's figures over `period`. `name_clerks`: the reader is a manager of this office,
        who may see which clerk is which (others see them numbered)."""
        now = self.clock.now()
        key = (setup.id, period, name_clerks)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        async with self.db.read() as conn:
            days, made = await day_summaries(conn, setup.id, setup.timezone, period.days, now)
            report = add_up(setup.code, period, days, now)
            names = await usernames(conn, sorted(report.clerks)) if name_clerks else {}
            draws = await period_draws(conn, setup.id, period)
            events = await period_events(conn, setup, period, now)
        if made:
            await self._keep(setup.id, made, now)
        report = replace(report, clerk_names=names, draws=draws, events=events)
        if period.last < office_day(setup, now):   # over: its figures change no more (the page, its charts,
            self._kept[key] = report                # its files ask for the same report one after another)
            while len(self._kept) > self.KEPT_REPORTS:
                self._kept.popitem(last=False)
        return report

    async def _keep(self, office_id: int, made: list[DaySummary], now: datetime) -> None:
        try:
            async with self.locks.write_transaction() as conn:
                for summary in made:
                    await keep_summary(conn, office_id, summary, now)
        except IntegrityError:   # another process kept the same day meanwhile: the same figures
            pass

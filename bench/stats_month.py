#!/usr/bin/env python3
"""Benchmark: the month report of a large office (goal: a couple of seconds on PostgreSQL).

    .venv/bin/python bench/stats_month.py [--tickets 100000] [--month 2026-11]
                                          [--pg-url postgresql://postgres@127.0.0.1:5432/okienko_bench_stats]

A fresh schema (the PostgreSQL database at --pg-url is DROPPED and recreated) with the demo office, then a
month of its working days filled straight into `tickets` and `ticket_events` (~`--tickets` tickets, spread
over the day's hours; each issued, called at one of 12 windows by one of 24 clerks after a random wait,
started and finished, a few not present or transferred): about 4 events per ticket. Then timed, as the back
office asks for them (okienko/stats/report.py):

- `cold`: the first month report: every day's summary made by replaying its events, and kept;
- `warm`, `warm_again`: the same report again in a new `Statistics` (another process), from the kept
  summaries (what a later look costs);
- `kept_in_process`: once more in the same process (a month that is over is kept there: the page, its
  three charts and its files ask for it one after another);
- `tables`, `charts`, `xlsx`: turning the warm report into the page's tables, the three SVG charts and the
  XLSX workbook.

Prints one JSON line. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from common import fresh_schema  # noqa: E402

from okienko.clock import FixedClock  # noqa: E402
from okienko.office.config_file import load_office, read_office_file  # noqa: E402
from okienko.office.directory import OfficeDirectory  # noqa: E402
from okienko.staff.auth import add_user  # noqa: E402
from okienko.stats.charts import report_charts  # noqa: E402
from okienko.stats.export import workbook  # noqa: E402
from okienko.stats.period import Period  # noqa: E402
from okienko.stats.report import Statistics  # noqa: E402
from okienko.stats.tables import report_tables  # noqa: E402
from okienko.storage.db import Database  # noqa: E402
from okienko.storage.locking import Locks  # noqa: E402
from okienko.storage.models import Ticket, TicketEvent, User, Window  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_stats"
WARSAW = ZoneInfo("Europe/Warsaw")
CLERKS = 24
CHUNK = 5000


async def fill(db: Database, month: Period, tickets: int, seed: int = 15) -> int:
    """The month's working days, `tickets` spread evenly over them; returns the events written."""
    async with db.engine.begin() as conn:
        await load_office(conn, read_office_file(ROOT / "config" / "demo-office.toml"), always_open=False)
        for n in range(CLERKS):
            await add_user(conn, f"clerk{n:02d}", "clerk", "correct horse battery", "demo")
    setup = await OfficeDirectory(db).get("demo")
    async with db.engine.begin() as conn:
        users = list((await conn.execute(sa.select(User.__table__.c.id).order_by(User.__table__.c.id))).scalars())
        windows = list((await conn.execute(sa.select(Window.__table__.c.id).order_by(Window.__table__.c.id)))
                       .scalars())
    services = [service for service in setup.services if service.walk_in][:5]
    days = [day for day in month.days if day.weekday() < 5]
    per_day = tickets // len(days)
    rng = random.Random(seed)
    seq, written = 0, 0
    ticket_rows: list[dict] = []
    event_rows: list[dict] = []

    async def flush(force: bool = False) -> None:
        nonlocal ticket_rows, event_rows, written
        if len(event_rows) < CHUNK * 4 and not force:
            return
        async with db.engine.begin() as conn:
            if ticket_rows:
                await conn.execute(sa.insert(Ticket.__table__), ticket_rows)
            if event_rows:
                await conn.execute(sa.insert(TicketEvent.__table__), event_rows)
        written += len(event_rows)
        ticket_rows, event_rows = [], []

    for day in days:
        opens = datetime(day.year, day.month, day.day, 8, tzinfo=WARSAW)
        numbers: dict[str, int] = {}
        for n in range(per_day):
            service = services[n % len(services)]
            issued = opens + timedelta(seconds=rng.uniform(0, 6.5 * 3600))
            numbers[service.prefix] = numbers.get(service.prefix, 0) + 1
            number = f"{service.prefix}{numbers[service.prefix]:04d}"
            ticket_id = secrets.token_hex(16)
            window = windows[rng.randrange(len(windows))]
            clerk = users[windows.index(window) * 2 % len(users) + (1 if issued.hour >= 12 else 0)]
            called = issued + timedelta(seconds=rng.expovariate(1 / 900))
            started = called + timedelta(seconds=rng.uniform(10, 90))
            finished = started + timedelta(seconds=rng.expovariate(1 / 420) + 60)
            outcome = rng.random()
            ticket_rows.append({
                "id": ticket_id, "office_id": setup.id, "office_day": day, "service_id": service.id,
                "prefix": service.prefix, "seq": numbers[service.prefix], "number": number, "language": "pl",
                "status": "no_show" if outcome < 0.03 else "finished", "window_id": window, "issued_at": issued,
                "queued_at": issued, "called_at": called, "recalls": 0})
            steps = [("issued", issued, None, None), ("called", called, window, clerk)]
            if outcome < 0.03:
                steps.append(("no_show", called + timedelta(seconds=120), window, clerk))
            else:
                steps += [("started", started, window, clerk), ("finished", finished, window, clerk)]
            for kind, at, at_window, by in steps:
                seq += 1
                event_rows.append({"office_id": setup.id, "seq": seq, "ticket_id": ticket_id, "kind": kind, "at": at,
                                   "service_id": service.id, "window_id": at_window, "clerk_id": by,
                                   "detail": {"number": number}})
            await flush()
    await flush(force=True)
    return written


async def measure(url: str, tickets: int, month_name: str) -> dict:
    await fresh_schema(url)
    db = Database(url)
    try:
        month = Period.parse("month", month_name, date.today())
        began = time.perf_counter()
        events = await fill(db, month, tickets)
        async with db.engine.begin() as conn:   # as autovacuum would soon after a day's writes
            await conn.execute(sa.text("ANALYZE"))
        filled = time.perf_counter() - began
        clock = FixedClock(datetime.combine(month.last + timedelta(days=3), datetime.min.time(), WARSAW))
        setup = await OfficeDirectory(db).get("demo")
        timings: dict[str, float] = {}
        for name in ("cold", "warm", "warm_again"):   # each as a process that has not looked before
            stats = Statistics(db, Locks(db), clock)
            began = time.perf_counter()
            report = await stats.report(setup, month, name_clerks=True)
            timings[name] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        await stats.report(setup, month, name_clerks=True)
        timings["kept_in_process"] = round(time.perf_counter() - began, 4)
        began = time.perf_counter()
        tables = report_tables(report, setup, "pl", lambda text: text)
        timings["tables"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        report_charts(report, setup, "pl", lambda text: text, tables)
        timings["charts"] = round(time.perf_counter() - began, 3)
        began = time.perf_counter()
        size = len(workbook(tables, "demo"))
        timings["xlsx"] = round(time.perf_counter() - began, 3)
        served = next(row for row in tables[0].as_dicts() if row["service"] == "")["served"]
        return {"database": url.split(":", 1)[0], "month": month.name, "tickets": tickets, "events": events,
                "served": served, "fill_seconds": round(filled, 1), "xlsx_bytes": size, **timings}
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.pg_url, args.tickets, args.month))))


if __name__ == "__main__":
    main()

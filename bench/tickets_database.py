"""What tickets.py does in the database itself, beside the server: the simulated clerks that keep
numbers free while the load runs, and the check of the tickets table afterwards.

A library for bench/tickets.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from typing import Any
from zoneinfo import ZoneInfo

from common import OFFICE_TZ


async def check_tickets(database: str, url: str, issued: int) -> dict[str, Any]:
    """No two tickets share (office, day, prefix, seq); per day and prefix seq is exactly 1..N."""
    totals = "SELECT count(*), count(DISTINCT (office_id, office_day, prefix, seq)) FROM tickets"
    groups = ("SELECT office_id, office_day, prefix, count(*), count(DISTINCT seq), min(seq), max(seq) "
              "FROM tickets GROUP BY office_id, office_day, prefix ORDER BY 1, 2, 3")
    open_dupes = ("SELECT count(*) FROM (SELECT office_id, office_day, number FROM tickets "
                  "WHERE status IN ('waiting', 'called', 'serving') GROUP BY 1, 2, 3 HAVING count(*) > 1) d")
    events = "SELECT count(*) FROM ticket_events WHERE kind = 'issued'"
    if database == "sqlite":
        path = url.split("///", 1)[1]
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            total = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
            distinct = db.execute("SELECT count(*) FROM (SELECT DISTINCT office_id, office_day, prefix, seq "
                                  "FROM tickets)").fetchone()[0]
            rows = db.execute(groups).fetchall()
            dupes = db.execute(open_dupes).fetchone()[0]
            n_events = db.execute(events).fetchone()[0]
        finally:
            db.close()
    else:
        import asyncpg
        conn = await asyncpg.connect(url)
        try:
            total, distinct = await conn.fetchrow(totals)
            rows = [tuple(r) for r in await conn.fetch(groups)]
            dupes = await conn.fetchval(open_dupes)
            n_events = await conn.fetchval(events)
        finally:
            await conn.close()
    per_prefix = [{"office_day": str(r[1]), "prefix": r[2], "tickets": r[3], "distinct_seq": r[4],
                   "min_seq": r[5], "max_seq": r[6]} for r in rows]
    problems = []
    if total != distinct:
        problems.append(f"{total - distinct} duplicate (day, prefix, seq)")
    for g in per_prefix:
        if not (g["tickets"] == g["distinct_seq"] == g["max_seq"] and g["min_seq"] == 1):
            problems.append(f"{g['office_day']} {g['prefix']}: {g['tickets']} tickets, seq "
                            f"{g['min_seq']}..{g['max_seq']} ({g['distinct_seq']} distinct): not exactly 1..N")
    if dupes:
        problems.append(f"{dupes} open numbers held by more than one ticket")
    if n_events != total:
        problems.append(f"{total} tickets but {n_events} 'issued' events")
    if issued != total:
        problems.append(f"clients got {issued} tickets (201) but the database holds {total}")
    return {"tickets": total, "distinct": distinct, "per_prefix": per_prefix, "open_number_dupes": dupes,
            "issued_events": n_events, "answers_201": issued, "ok": not problems, "problems": problems}


class Drainer:
    """Simulated clerks: every `interval` s, mark the oldest waiting tickets of each prefix done,
    keeping the newest `keep` waiting. Without it a prefix stops at 999 open tickets, which is the
    app's rule (numbers wrap after 999 and never onto an open number), not a limit of throughput.
    Only the status changes (no service times), so the wait estimate stays as configured."""

    def __init__(self, database: str, services: list[str], url: str, keep: int) -> None:
        self.database = database
        self.services = services
        self.url = url
        self.keep = keep
        self.interval = 0.25 if database == "sqlite" else 0.1
        self.task: asyncio.Task[None] | None = None
        self.rounds = 0
        self.marked = 0
        self.max_waiting = 0
        self.slowest_ms = 0.0
        self.stopping = False

    async def start(self) -> None:
        if self.database == "sqlite":
            self.db = sqlite3.connect(self.url.split("///", 1)[1], isolation_level=None, timeout=30,
                                      check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout=30000")
        else:
            import asyncpg
            self.db = await asyncpg.connect(self.url)
        self.task = asyncio.create_task(self.loop())

    def days(self) -> list[dt.date]:
        today = dt.datetime.now(ZoneInfo(OFFICE_TZ)).date()
        return [today - dt.timedelta(days=1), today]

    def sqlite_round(self) -> tuple[int, int]:
        marked = waiting_max = 0
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for day in self.days():
                for prefix in self.services:
                    top = self.db.execute("SELECT max(seq) FROM tickets WHERE office_id = 1 AND office_day = ? "
                                          "AND prefix = ?", (day.isoformat(), prefix)).fetchone()[0]
                    if top is None:
                        continue
                    waiting = self.db.execute("SELECT count(*) FROM tickets WHERE office_id = 1 AND office_day = ? "
                                              "AND status = 'waiting' AND prefix = ?",
                                              (day.isoformat(), prefix)).fetchone()[0]
                    waiting_max = max(waiting_max, waiting)
                    marked += self.db.execute(
                        "UPDATE tickets SET status = 'done' WHERE office_id = 1 AND office_day = ? AND "
                        "status = 'waiting' AND prefix = ? AND seq <= ?",
                        (day.isoformat(), prefix, top - self.keep)).rowcount
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return marked, waiting_max

    async def pg_round(self) -> tuple[int, int]:
        marked = waiting_max = 0
        async with self.db.transaction():
            for day in self.days():
                for prefix in self.services:
                    top = await self.db.fetchval("SELECT max(seq) FROM tickets WHERE office_id = 1 AND "
                                                 "office_day = $1 AND prefix = $2", day, prefix)
                    if top is None:
                        continue
                    waiting = await self.db.fetchval("SELECT count(*) FROM tickets WHERE office_id = 1 AND "
                                                     "office_day = $1 AND status = 'waiting' AND prefix = $2",
                                                     day, prefix)
                    waiting_max = max(waiting_max, waiting)
                    status = await self.db.execute(
                        "UPDATE tickets SET status = 'done' WHERE office_id = 1 AND office_day = $1 AND "
                        "status = 'waiting' AND prefix = $2 AND seq <= $3", day, prefix, top - self.keep)
                    marked += int(status.rsplit(" ", 1)[-1])
        return marked, waiting_max

    async def loop(self) -> None:
        while not self.stopping:
            started = time.perf_counter()
            if self.database == "sqlite":
                marked, waiting = await asyncio.to_thread(self.sqlite_round)
            else:
                marked, waiting = await self.pg_round()
            self.slowest_ms = max(self.slowest_ms, (time.perf_counter() - started) * 1000)
            self.rounds += 1
            self.marked += marked
            self.max_waiting = max(self.max_waiting, waiting)
            await asyncio.sleep(self.interval)

    async def stop(self) -> dict[str, Any]:
        self.stopping = True
        if self.task:
            try:
                await asyncio.wait_for(self.task, 30)
            except Exception as error:  # report, do not hide
                return {"error": repr(error)}
            finally:
                self.task = None
                if self.database == "sqlite":
                    self.db.close()
                else:
                    await self.db.close()
        return {"keep_waiting": self.keep, "interval_s": self.interval, "rounds": self.rounds,
                "marked_done": self.marked, "max_waiting_seen": self.max_waiting,
                "slowest_round_ms": round(self.slowest_ms, 1)}

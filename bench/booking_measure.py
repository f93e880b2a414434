"""What a run of booking.py measured and found: the CPU of the measured window (PostgreSQL's
exited backends and other databases' backends included), latency summaries and the figures of
each kind of request and of the race, and the checks of the database afterwards.

A library for bench/booking.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import collections
import contextlib
import re
import sqlite3
import time
from typing import Any

from booking_office import RACE_SERVICE, READ_SERVICE
from common import pct
from processes import postgres_processes


class Meter:
    """processes.CpuMeter, plus what it cannot see: PostgreSQL backends that exited during the
    window (connections the pool opened and closed again), from the postmaster's reaped-children
    times, and CPU time no live process accounts for (`unaccounted`: processes that started and
    ended inside the window, e.g. other people's test runs; softirq time is left out)."""

    def __init__(self, meter: Any, postgres: bool, database: str) -> None:
        self.meter, self.postgres, self.database = meter, postgres, database
        self.per_process: dict[str, dict[str, float]] = {}
        self.t0 = 0.0
        self.reaped0 = 0.0
        self.foreign: set[int] = set()

    def note_foreign_backends(self) -> None:
        """Backends serving other databases (other people's tests) count as `other`, not `postgres`."""
        import psutil
        for process in postgres_processes():
            with contextlib.suppress(psutil.Error):
                title = " ".join(process.cmdline())
                match = re.match(r"postgres: [^:]+: \S+ (\S+) ", title)
                if match and match.group(1) != self.database:
                    self.foreign.add(process.pid)

    @staticmethod
    def reaped() -> float:
        import psutil
        total = 0.0
        for process in postgres_processes():
            with contextlib.suppress(psutil.Error):
                if process.ppid() == 1 or process.parent().name() != process.name():
                    times = process.cpu_times()
                    total += times.children_user + times.children_system
        return total

    def begin(self) -> None:
        self.t0 = time.perf_counter()
        if self.postgres:
            self.reaped0 = self.reaped()
            self.note_foreign_backends()
        self.meter.begin()

    def end(self) -> dict[str, float]:
        cpu = self.meter.end()
        self.per_process = self.meter.per_process
        parts = [key for key in cpu if key.startswith("server:")]
        if parts:                  # several server processes (rush --rush-split): `server` is their sum
            cpu["server"] = round(sum(cpu[key] for key in parts), 1)
        if self.postgres:
            self.note_foreign_backends()
            ours = self.per_process.get("postgres", {})
            foreign = {key: value for key, value in ours.items() if int(key.split()[0]) in self.foreign}
            for key, value in foreign.items():
                del ours[key]
                self.per_process.setdefault("other", {})[f"{key} (another database)"] = value
            moved = round(sum(foreign.values()), 1)
            cpu["postgres"] = round(cpu.get("postgres", 0.0) - moved, 1)
            cpu["other"] = round(cpu.get("other", 0.0) + moved, 1)
            exited = round(100.0 * (self.reaped() - self.reaped0) / (time.perf_counter() - self.t0), 1)
            cpu["postgres_exited_backends"] = exited
            cpu["postgres"] = round(cpu.get("postgres", 0.0) + exited, 1)
        named = sum(cpu.get(k, 0.0) for k in ("server", "client", "postgres", "harness", "other"))
        cpu["unaccounted"] = round(max(0.0, cpu["machine"] - cpu.get("softirq", 0.0) - named), 1)
        return cpu


def latency_summary(values_us: list[int]) -> dict[str, float | None]:
    values = sorted(values_us)
    return {"count": len(values), "p50_ms": pct(values, 0.50), "p90_ms": pct(values, 0.90),
            "p99_ms": pct(values, 0.99), "max_ms": pct(values, 1.0)}


def kind_figures(kind: dict[str, Any], seconds: float) -> dict[str, Any]:
    ok = len(kind["ok_latencies_us"])
    errors = sum(v for k, v in kind["statuses"].items() if int(k) != kind["expect"])
    return {"per_s": round(ok / seconds, 1), "ok": ok, "errors": errors, "errors_by_code": kind["errors"],
            "error_samples": kind["samples"], "per_second": kind["per_second"],
            **latency_summary(kind["ok_latencies_us"])}


def race_figures(data: dict[str, Any], places: int, elapsed: float) -> dict[str, Any]:
    log, outcomes = data["log"], data["outcomes"]
    by_kind: dict[str, Any] = {}
    for kind in ("hold", "slots", "confirm"):
        rows = [r for r in log if r[0] == kind]
        statuses = collections.Counter(f"{r[1]} {r[2]}".strip() for r in rows)
        by_kind[kind] = {**latency_summary([r[3] for r in rows if r[1]]), "statuses": dict(statuses)}
    held = sorted(o["held_at"] for o in outcomes if "held_at" in o)
    confirmed = sorted(o["confirmed_at"] for o in outcomes if o["outcome"] == "confirmed")
    delays = sorted(o["code_delay_ms"] for o in outcomes if "code_delay_ms" in o)
    last = confirmed[-1] if confirmed else None
    return {
        "all": latency_summary([r[3] for r in log if r[1]]), "by_kind": by_kind, "requests": len(log),
        "no_answer": sum(1 for r in log if not r[1]),
        "unexpected": sum(1 for r in log if r[1] and r[1] not in (200, 201, 202) and r[2] != "slot_full"),
        "outcomes": dict(collections.Counter(o["outcome"] for o in outcomes)),
        "confirmed": len(confirmed), "held": len(held),
        "all_held_after_s": held[-1] if len(held) >= places else None,
        "last_confirmed_after_s": last,
        "bookings_per_s": round(len(confirmed) / last, 1) if last else 0.0,
        "hold_attempts": sum(o["holds"] for o in outcomes),
        "code_delay_ms": {"p50": delays[len(delays) // 2] if delays else None,
                          "max": delays[-1] if delays else None},
        "mail_files": data["mail_files"], "elapsed_s": round(elapsed, 2),
        "client_cpu_s": round(data["cpu_seconds"], 2),
    }


# --- checks in the database afterwards ---------------------------------------------------------

async def query(url: str, statements: list[str]) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows, read from the SQLite file (read-only) or PostgreSQL database at `url`."""
    if url.startswith("sqlite"):
        db = sqlite3.connect(f"file:{url.split('///', 1)[1]}?mode=ro", uri=True)
        try:
            return [db.execute(sql).fetchall() for sql in statements]
        finally:
            db.close()
    import asyncpg
    conn = await asyncpg.connect(url)
    try:
        return [[tuple(row) for row in await conn.fetch(sql)] for sql in statements]
    finally:
        await conn.close()


SLOTS_SQL = ("SELECT b.starts_at, count(*) FILTER (WHERE b.status IN ('held', 'confirmed')), "
             "count(DISTINCT b.place) FILTER (WHERE b.status IN ('held', 'confirmed')), "
             "max(b.place) FILTER (WHERE b.status IN ('held', 'confirmed')), "
             "count(*) FILTER (WHERE b.status = 'confirmed') "
             "FROM bookings b JOIN services s ON s.id = b.service_id WHERE s.code = '{code}' "
             "GROUP BY b.starts_at ORDER BY b.starts_at")


def slot_problems(rows: list[tuple[Any, ...]], places: int) -> list[str]:
    """A slot with more active (held, confirmed) bookings than places, or a place held twice."""
    problems = []
    for starts_at, active, distinct_places, top_place, _confirmed in rows:
        if active > places or (top_place or 0) > places:
            problems.append(f"slot {starts_at}: {active} active bookings for {places} places")
        if distinct_places != active:
            problems.append(f"slot {starts_at}: {active} active bookings on {distinct_places} places")
    return problems


async def check_race(url: str, data: dict[str, Any], places: int, per_slot: int) -> dict[str, Any]:
    """No slot over-booked, no place held twice, every confirmation the database has is one a client got."""
    slots, statuses, events, emails = await query(url, [
        SLOTS_SQL.format(code=RACE_SERVICE),
        "SELECT status, count(*) FROM bookings GROUP BY status ORDER BY status",
        "SELECT kind, count(*) FROM booking_events GROUP BY kind ORDER BY kind",
        "SELECT email FROM bookings WHERE status = 'confirmed'",
    ])
    by_status = {status: count for status, count in statuses}
    by_event = {kind: count for kind, count in events}
    got_202 = sum(1 for r in data["log"] if r[0] == "hold" and r[1] == 202)
    got_201 = [o["email"] for o in data["outcomes"] if o["outcome"] == "confirmed"]
    problems = slot_problems(slots, per_slot)
    rows = sum(by_status.values())
    if rows != got_202:
        problems.append(f"clients got {got_202} holds (202) but the database has {rows} bookings")
    if sorted(email for (email,) in emails) != sorted(got_201):
        problems.append(f"the database has {len(emails)} confirmed bookings, the clients {len(got_201)} "
                        "confirmations, not the same people")
    if by_status.get("confirmed", 0) > places:
        problems.append(f"{by_status['confirmed']} confirmed bookings for {places} places")
    if by_event.get("held", 0) != rows or by_event.get("confirmed", 0) != by_status.get("confirmed", 0):
        problems.append(f"events {by_event} do not match bookings {by_status}")
    return {"ok": not problems, "problems": problems, "bookings_by_status": by_status, "events": by_event,
            "slots_with_bookings": len(slots),
            "most_active_in_a_slot": max((r[1] for r in slots), default=0),
            "confirmed_per_slot": sorted({r[4] for r in slots})}


async def check_rush(url: str, holds_202: int, tickets_201: int, places: int) -> dict[str, Any]:
    """No slot over-booked, as many bookings as 202 answers and as many tickets as 201 answers."""
    slots, statuses, tickets, outbox = await query(url, [
        SLOTS_SQL.format(code=READ_SERVICE),
        "SELECT status, count(*) FROM bookings GROUP BY status ORDER BY status",
        "SELECT count(*), count(DISTINCT number) FROM tickets",
        "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM outbox_messages",
    ])
    by_status = {status: count for status, count in statuses}
    problems = slot_problems(slots, places)
    if sum(by_status.values()) != holds_202:
        problems.append(f"clients got {holds_202} holds (202) but the database has {sum(by_status.values())}")
    if tickets[0][0] != tickets_201:
        problems.append(f"the kiosk got {tickets_201} tickets (201) but the database has {tickets[0][0]}")
    return {"ok": not problems, "problems": problems, "bookings_by_status": by_status,
            "tickets": tickets[0][0], "outbox_messages": outbox[0][0], "outbox_unsent_at_stop": outbox[0][1]}

#!/usr/bin/env python3
"""Benchmark: one draw of 10,000 confirmed entries for 2,000 places (goal: under 5 s).

    .venv/bin/python bench/draw_speed.py [--entries 10000] [--places 2000] [--database sqlite,postgresql]
                                         [--pg-url postgresql://postgres@127.0.0.1:5432/okienko_bench_draw]

For each database: a fresh schema (the PostgreSQL database at --pg-url is DROPPED and recreated), an office
whose service "D" has 40 slots of 50 places on its day (2,000 places), the entries written straight into
`draw_entries` (confirmed, each with its own ticket and one to three time ranges or none), then the draw run
as the sweeper runs it (`draw_run.run_due_draws` in a write transaction) and timed: lock, read, allocate,
bookings, events, entries' outcomes, waiting list, emails (with the winners' .ics) and the published result.

`time_draw(url, entries, places)` is the entry point for other benchmarks (bench/fairness.py): it returns
{"database", "entries", "places", "won", "not_drawn", "waiting", "seconds"}. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from common import fresh_schema  # noqa: E402

from okienko.booking import draw_run  # noqa: E402
from okienko.notify.booking_mail import Notifier  # noqa: E402
from okienko.booking.bookings import digest  # noqa: E402
from okienko.storage.db import Database  # noqa: E402
from okienko.booking.draws import ensure_draws, ticket_of  # noqa: E402
from okienko.i18n import Translator  # noqa: E402
from okienko.storage.locking import Locks  # noqa: E402
from okienko.storage.models import Draw, DrawEntry  # noqa: E402
from okienko.office.directory import OfficeDirectory  # noqa: E402
from okienko.office.config_file import load_office, read_office_file  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_draw"
OFFICE = """
[office]
code = "bench"
name = "Draw benchmark"
timezone = "Europe/Warsaw"
[office.booking]
waitlist = true
[[service]]
code = "D"
prefix = "D"
names = {{ pl = "Losowanie", en = "Drawn visit", uk = "Жеребкування", ru = "Жеребьёвка" }}
hours = {{ tue = "08:00-15:00" }}
[service.booking]
slot_minutes = 10
places = {places_per_slot}
days = {{ tue = "08:00-14:40" }}
horizon_days = 7
release_time = "06:00"
release_mode = "draw"
draw_minutes = 60
[[window]]
number = "1"
services = ["D"]
"""
SLOTS = 40
DURING = datetime(2026, 12, 1, 5, 30, tzinfo=timezone.utc)     # 06:30 in Warsaw: the window of 2026-12-08
AFTER = datetime(2026, 12, 1, 6, 1, tzinfo=timezone.utc)


def _preferences(rng: random.Random) -> list[list[int]]:
    ranges = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        start = rng.randrange(8 * 60, 14 * 60, 10)
        ranges.append([start, min(start + rng.choice((30, 60, 120)), 14 * 60 + 40)])
    return ranges


async def time_draw(url: str, entries: int = 10_000, places: int = 2_000, seed: int = 8) -> dict[str, Any]:
    """Time one draw of `entries` confirmed entries for `places` places on a fresh database at `url`."""
    await fresh_schema(url)
    folder = Path(tempfile.mkdtemp(prefix="okienko-draw-bench-"))
    office_file = folder / "office.toml"
    office_file.write_text(OFFICE.format(places_per_slot=max(1, places // SLOTS)), encoding="utf-8")
    db = Database(url)
    locks = Locks(db)
    try:
        async with db.engine.begin() as conn:
            await load_office(conn, read_office_file(office_file), always_open=False)
        setup = await OfficeDirectory(db).get("bench")
        async with locks.write_transaction() as conn:
            await ensure_draws(conn, setup, DURING)
            draw = (await conn.execute(sa.select(Draw.__table__).where(
                Draw.__table__.c.office_day == date(2026, 12, 8)))).mappings().one()
        rng = random.Random(seed)
        rows = []
        for n in range(entries):
            entry_id = secrets.token_urlsafe(16)
            receipt = secrets.token_urlsafe(18)
            rows.append({
                "id": entry_id, "office_id": setup.id, "draw_id": draw["id"], "service_id": setup.service("D").id,
                "status": "entered", "person_key": f"{n:064x}", "person_name": f"Person {n}",
                "birth_date": date(1990, 1, 1), "document_hash": f"{n:064x}", "document_masked": "EP****00",
                "document_country": "", "case_key": None, "email": f"p{n}@example.com", "phone": "",
                "language": ("pl", "en", "uk", "ru")[n % 4], "preferences": _preferences(rng),
                "confirm_code_hash": None, "confirm_attempts": 0, "pending_expires_at": DURING,
                "secret_hash": digest(receipt), "ticket": ticket_of(receipt, draw["id"]), "rank": None,
                "booking_id": None, "created_at": DURING, "entered_at": DURING})
        async with db.engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                await conn.execute(sa.insert(DrawEntry.__table__), rows[start:start + 2000])
        notifier = Notifier(Translator(), "http://127.0.0.1:8000", "okienko@example.com", "Okienko")
        began = time.perf_counter()
        runs = await draw_run.run_due_draws(locks.write_transaction, setup, now=AFTER, secret_key="bench",
                                            notifier=notifier)
        seconds = time.perf_counter() - began
        run = runs[0]
        return {"database": url.split(":", 1)[0], "entries": run.entries, "places": run.places, "won": run.won,
                "not_drawn": run.not_drawn, "waiting": run.waiting, "seconds": round(seconds, 3)}
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=2_000)
    parser.add_argument("--database", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    results = []
    for kind in args.database.split(","):
        url = args.pg_url if kind == "postgresql" else f"sqlite:///{tempfile.mkdtemp()}/draw.db"
        results.append(asyncio.run(time_draw(url, args.entries, args.places)))
        print(f"| {results[-1]['database']} | {results[-1]['entries']} entries | {results[-1]['places']} places | "
              f"{results[-1]['won']} won | {results[-1]['waiting']} waiting | {results[-1]['seconds']:.2f} s |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if all(result["seconds"] < 5 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())

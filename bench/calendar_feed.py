#!/usr/bin/env python3
"""Benchmark: a staff calendar feed of 10,000 booked visits, and 1,000 booking changes pushed to a
CalDAV server (Radicale on loopback).

    .venv/bin/python bench/calendar_feed.py [--bookings 10000] [--changes 1000] [--database sqlite,postgresql]
                                            [--pg-url postgresql://postgres@127.0.0.1:5432/okienko_bench_calendar]

For each database: a fresh schema (the PostgreSQL database at --pg-url is DROPPED and recreated), an
office whose service "A" has 36 slots of 10 places a day, and `--bookings` confirmed bookings written
straight into `bookings` over the next 30 days. Then:
- feed: a staff feed link for service A (StaffFeeds.create) and the feed built from the database
  (StaffFeeds.feed: read, the entries, the iCalendar bytes), timed three times (first, median);
- push: `--changes` of those bookings recorded as changed (caldav_push.booking_changed, one
  transaction) and pushed to a fresh Radicale collection (CalendarPusher.push_due until nothing is
  due: one PUT each, with If-None-Match), timed; the collection is then listed (PROPFIND) to check
  that it holds exactly that many resources;
- the server alone: the same resources PUT into a second collection straight from the script (four at a
  time, no database), for what the push costs beyond the CalDAV server's own time.
Radicale (the test extra) runs as a subprocess on a free loopback port with a temporary folder and no
authentication. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from calendar_sync.caldav import CalDAVCollection  # noqa: E402
from common import free_port, fresh_schema  # noqa: E402
from okienko.booking.staff_calendars import StaffFeeds  # noqa: E402
from okienko.clock import FixedClock  # noqa: E402
from okienko.i18n import Translator  # noqa: E402
from calendar_sync.staff_calendar import caldav_resource  # noqa: E402
from okienko.booking.staff_calendars import visit_of  # noqa: E402
from okienko.notify.caldav_push import PARALLEL, CalendarPusher, booking_changed  # noqa: E402
from okienko.office.config_file import load_office, read_office_file  # noqa: E402
from okienko.office.directory import OfficeDirectory  # noqa: E402
from okienko.settings import CalDAVCalendar  # noqa: E402
from okienko.staff.roles import Actor  # noqa: E402
from okienko.storage.db import Database  # noqa: E402
from okienko.storage.locking import Locks  # noqa: E402
from okienko.storage.models import Booking  # noqa: E402

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_calendar"
OFFICE = """
[office]
code = "bench"
name = "Urząd — kalendarz"
timezone = "Europe/Warsaw"
[[service]]
code = "A"
prefix = "A"
names = { pl = "Złożenie wniosku", en = "Application", uk = "Подання заяви", ru = "Подача заявления" }
hours = { mon = "08:00-20:00", tue = "08:00-20:00", wed = "08:00-20:00", thu = "08:00-20:00", fri = "08:00-20:00", sat = "08:00-20:00", sun = "08:00-20:00" }
[[window]]
number = "1"
services = ["A"]
"""
NOW = datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc)
SLOTS_A_DAY, PLACES, DAYS = 36, 10, 30


def _bookings(office_id: int, service_id: int, count: int) -> list[dict[str, Any]]:
    rows = []
    first = NOW.replace(hour=7, minute=0)   # 08:00 in Warsaw (winter time)
    for n in range(count):
        day, rest = divmod(n, SLOTS_A_DAY * PLACES)
        slot, place = divmod(rest, PLACES)
        starts = first + timedelta(days=day, minutes=20 * slot)
        rows.append({
            "id": secrets.token_urlsafe(16), "office_id": office_id, "service_id": service_id,
            "office_day": starts.date(), "starts_at": starts, "ends_at": starts + timedelta(minutes=20),
            "place": place + 1, "status": "confirmed", "code": f"{n:06d}", "secret_hash": "",
            "person_key": f"{n:064x}", "person_name": ("Łukasz Żółtowski", "Ірина Шевченко")[n % 2],
            "birth_date": datetime(1990, 1, 1).date(), "document_hash": f"{n:064x}", "document_masked": "AB****66",
            "document_country": "PL", "case_key": None, "email": f"p{n}@example.com", "phone": "",
            "language": "pl", "confirm_code_hash": None, "confirm_attempts": 0, "hold_expires_at": None,
            "sequence": 0, "flag": None, "waitlist_entry_id": None, "ticket_id": None, "created_at": NOW,
            "confirmed_at": NOW, "ended_at": None})
    return rows


def _radicale(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
                                "--storage-filesystem-folder", str(folder), "--auth-type", "none",
                                "--rights-type", "authenticated", "--logging-level", "error"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/.web/", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    httpx.request("MKCOL", f"{base}/bench/")
    assert httpx.request("MKCALENDAR", f"{base}/bench/a/").status_code == 201
    return process, f"{base}/bench/a/"


async def run(url: str, bookings: int, changes: int) -> dict[str, Any]:
    await fresh_schema(url)
    folder = Path(tempfile.mkdtemp(prefix="okienko-calendar-bench-"))
    (folder / "office.toml").write_text(OFFICE, encoding="utf-8")
    db = Database(url)
    locks = Locks(db)
    clock = FixedClock(NOW)
    offices = OfficeDirectory(db)
    radicale, collection = _radicale(folder / "radicale")
    try:
        async with db.engine.begin() as conn:
            await load_office(conn, read_office_file(folder / "office.toml"), always_open=True)
        setup = await offices.get("bench")
        rows = _bookings(setup.id, setup.service("A").id, bookings)
        async with db.engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                await conn.execute(sa.insert(Booking.__table__), rows[start:start + 2000])
        feeds = StaffFeeds(db, locks, clock, offices, Translator())
        _row, token = await feeds.create(setup, Actor("bench", "manager", setup.id), scope="service", target="A",
                                         with_names=True, label="bench")
        times, size, events = [], 0, 0
        for _ in range(3):
            began = time.perf_counter()
            _setup, body = await feeds.feed(token)
            times.append(time.perf_counter() - began)
            size, events = len(body), body.count(b"BEGIN:VEVENT")

        pusher = CalendarPusher(db, locks, clock, offices, Translator(),
                                (CalDAVCalendar(None, "service", "A", collection),), with_names=False)
        async with locks.write_transaction() as conn:
            for row in rows[:changes]:
                await booking_changed(conn, row, NOW)
        began = time.perf_counter()
        pushed = 0
        while (await pusher.backlog())["pending"]:
            pushed += await pusher.push_due(limit=10_000)
        push_seconds = time.perf_counter() - began
        async with httpx.AsyncClient(timeout=30) as client:
            listed = len(await CalDAVCollection(collection, client).listing())
            # The CalDAV server alone: the same resources PUT into a second collection, four at a
            # time as the pusher does, without the database (what the push costs beyond the server).
            bodies = [(row["id"] + "@okienko", caldav_resource(visit_of(
                Translator(), setup, setup.service("A"), row, with_names=False, modified=NOW), setup.timezone, NOW))
                for row in rows[:changes]]
            second = CalDAVCollection(collection.replace("/bench/a/", "/bench/b/"), client)
            assert (await client.request("MKCALENDAR", second.url)).status_code == 201
            lanes = asyncio.Semaphore(PARALLEL)

            async def put(uid: str, body: bytes) -> None:
                async with lanes:
                    await second.put(uid, body, None)

            began = time.perf_counter()
            await asyncio.gather(*(put(uid, body) for uid, body in bodies))
            server_seconds = time.perf_counter() - began
        return {"database": url.split(":", 1)[0], "bookings": bookings, "feed_events": events, "feed_bytes": size,
                "feed_first_s": round(times[0], 3), "feed_median_s": round(statistics.median(times), 3),
                "changes": changes, "pushed": pushed, "listed": listed, "push_s": round(push_seconds, 2),
                "push_per_s": round(pushed / push_seconds, 1), "server_alone_s": round(server_seconds, 2)}
    finally:
        radicale.terminate()
        radicale.wait(10)
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--database", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    results = []
    print("| database | feed of | first | median | size | changes pushed | time | per second | listed "
          "| the server alone |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in args.database.split(","):
        url = args.pg_url if kind == "postgresql" else f"sqlite:///{tempfile.mkdtemp()}/calendar.db"
        result = asyncio.run(run(url, args.bookings, args.changes))
        results.append(result)
        print(f"| {result['database']} | {result['feed_events']} visits | {result['feed_first_s']:.2f} s | "
              f"{result['feed_median_s']:.2f} s | {result['feed_bytes'] / 1e6:.1f} MB | {result['pushed']} | "
              f"{result['push_s']:.1f} s | {result['push_per_s']:.0f} | {result['listed']} | "
              f"{result['server_alone_s']:.1f} s |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if all(result["listed"] == result["changes"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())

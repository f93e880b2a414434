"""day.py's booking site: people booking first-come visits (hold, the code from the e-mail,
confirm), people entering the day released by draw (entry, code, confirm), then, once the draw's
window has closed, the draw read until it has run and every entrant reading their result.

It runs in a process of its own, started with `start(spec_path, spec)`:

    .venv/bin/python bench/day_booking.py SPEC.json

SPEC.json: ports, offices (codes), mail_dir, bookings and entries (per office), day (the simulated
day, ISO), day_seconds (bookings spread over the first 80 %), draw_closes_at (time.perf_counter()
when the servers' clocks reach the end of the draw window; entries stop 3 s before it),
start_at, max_seconds, out. The codes come from the outbox's .eml files (no SMTP server), read
every 50 ms, so "code by e-mail" is good to about 50 ms.

A library for bench/day.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from boards_clients import Http, raise_nofile
from common import AnyCodeMailFolder
from day_office import DRAWN, FIRST_COME


def person(kind: str, code: str, number: int) -> dict[str, Any]:
    return {"name": "Anna Nowak", "birth_date": f"19{60 + number % 40}-0{1 + number % 9}-1{number % 10}",
            "document_number": f"{kind.upper()}{8_000_000 + number}", "document_country": "PL",
            "email": f"{code}-{kind}{number}@example.com", "language": "en"}


class Booking:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.ports: list[int] = spec["ports"]
        self.rng = random.Random(spec["seed"])
        self.latency: dict[str, list[int]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.counts: collections.Counter[str] = collections.Counter()
        self.mail = AnyCodeMailFolder(Path(spec["mail_dir"]))
        self.draws: dict[str, Any] = {}
        self.start_at = spec["start_at"]

    async def timed(self, op: str, http: Http, method: str, path: str, body: Any = None,
                    ok: tuple[int, ...] = (200, 201, 202)) -> tuple[int, Any]:
        sent: list[float] = []
        try:
            status, answer = await http.request(method, path, "", body, sent)
        except Exception as error:
            self.errors[f"{op}: {type(error).__name__}"] += 1
            await http.close()
            return 0, None
        self.latency[op].append(int((time.perf_counter() - sent[-1]) * 1e6))
        if status not in ok:
            code = answer.get("error") if isinstance(answer, dict) else ""
            self.errors[f"{op}: {status} {code}"] += 1
        return status, answer

    async def code(self, email: str, answered: float) -> str | None:
        try:
            code, found = await self.mail.code_for(email, 60.0)
        except asyncio.TimeoutError:
            self.errors["code by e-mail: none within 60 s"] += 1
            return None
        self.latency["code by e-mail"].append(int(max(0.0, found - answered) * 1e6))
        return code

    async def until(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))

    # --- first come ----------------------------------------------------------------------------

    async def first_come(self, office: str, pool: asyncio.Queue[Http]) -> None:
        day = dt.date.fromisoformat(self.spec["day"])
        http = await pool.get()
        status, listing = await self.timed(
            "list slots", http, "GET",
            f"/api/v1/slots?service={FIRST_COME}&from={day + dt.timedelta(days=1)}"
            f"&to={day + dt.timedelta(days=14)}&office={office}")
        pool.put_nowait(http)
        places = [slot["start"] for d in (listing or {}).get("days", []) for slot in d.get("slots", [])
                  for _ in range(slot.get("free", 0))]
        self.rng.shuffle(places)
        count = min(self.spec["bookings"], len(places))
        self.counts["places offered"] += len(places)
        window = 0.8 * self.spec["day_seconds"]

        async def one(number: int) -> None:
            await self.until(self.start_at + window * (number + self.rng.random()) / max(1, count))
            http = await pool.get()
            try:
                who = person("b", office, number)
                status, hold = await self.timed("book", http, "POST", f"/api/v1/bookings?office={office}",
                                                {"service": FIRST_COME, "start": places[number], **who})
                answered = time.perf_counter()
            finally:
                pool.put_nowait(http)
            if status != 202:
                return
            code = await self.code(who["email"], answered)
            if code is None:
                return
            http = await pool.get()
            try:
                status, _ = await self.timed("confirm booking", http, "POST",
                                             f"/api/v1/bookings/{hold['id']}/confirm?office={office}", {"code": code})
            finally:
                pool.put_nowait(http)
            self.counts["bookings confirmed"] += status == 201

        await asyncio.gather(*(one(n) for n in range(count)))

    # --- the draw ------------------------------------------------------------------------------

    async def draw(self, office: str, pool: asyncio.Queue[Http]) -> None:
        http = await pool.get()
        status, listing = await self.timed("list draws", http, "GET", f"/api/v1/draws?service={DRAWN}&office={office}")
        pool.put_nowait(http)
        found = [d for d in (listing or {}).get("draws", []) if d.get("status") == "open"]
        if not found:
            self.errors[f"draw: no open draw for {office} ({status})"] += 1
            return
        draw_id = found[0]["id"]
        stop = self.spec["draw_closes_at"] - 3.0
        count = self.spec["entries"]
        entered: list[tuple[str, str]] = []

        async def one(number: int) -> None:
            await self.until(self.start_at + (stop - self.start_at) * (number + self.rng.random()) / max(1, count))
            who = person("d", office, number)
            http = await pool.get()
            try:
                status, entry = await self.timed("enter draw", http, "POST", f"/api/v1/draws/{draw_id}/entries?office={office}",
                                                 {**who, "preferences": []})
                answered = time.perf_counter()
            finally:
                pool.put_nowait(http)
            if status != 202:
                return
            code = await self.code(who["email"], answered)
            if code is None:
                return
            http = await pool.get()
            try:
                status, receipt = await self.timed("confirm entry", http, "POST",
                                                   f"/api/v1/draw-entries/{entry['id']}/confirm?office={office}", {"code": code})
            finally:
                pool.put_nowait(http)
            if status == 201:
                entered.append((entry["id"], receipt["receipt"]))

        outcome: dict[str, Any] = {}

        async def run_by_close() -> None:
            """The draw runs once its window has closed, at the sweeper's round or the first read:
            read it from the close on (on a connection of its own) until it has run."""
            await self.until(self.spec["draw_closes_at"])
            http = Http(self.ports[0])
            deadline = time.perf_counter() + 120.0
            while time.perf_counter() < deadline:
                status, drawn = await self.timed("read draw", http, "GET", f"/api/v1/draws/{draw_id}?office={office}")
                if status == 200 and drawn.get("status") == "done":
                    outcome["done_after_close_s"] = round(time.perf_counter() - self.spec["draw_closes_at"], 2)
                    outcome["places"] = drawn.get("places")
                    break
                await asyncio.sleep(0.25)
            await http.close()

        await asyncio.gather(run_by_close(), *(one(n) for n in range(count)))
        outcome["entered"] = len(entered)
        results: collections.Counter[str] = collections.Counter()

        async def result(entry_id: str, receipt: str) -> None:
            http = await pool.get()
            try:
                status, answer = await self.timed("read draw result", http, "GET",
                                                  f"/api/v1/draw-entries/{entry_id}?receipt={receipt}&office={office}")
            finally:
                pool.put_nowait(http)
            results[(answer or {}).get("status", f"answer {status}")] += 1

        await asyncio.gather(*(result(*e) for e in entered))
        outcome["results"] = dict(results)
        self.draws[office] = outcome

    async def run(self) -> dict[str, Any]:
        watcher = asyncio.create_task(self.mail.watch(0.05))
        tasks = []
        for office in self.spec["offices"]:
            pool: asyncio.Queue[Http] = asyncio.Queue()
            for index in range(16):
                pool.put_nowait(Http(self.ports[index % len(self.ports)]))
            tasks += [self.first_come(office, pool), self.draw(office, pool)]
        await self.until(self.start_at)
        began = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), self.start_at + self.spec["max_seconds"] + 30 - began)
        except asyncio.TimeoutError:
            self.errors["the bookings did not end within max_seconds"] += 1
        watcher.cancel()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"latency": self.latency, "errors": dict(self.errors), "counts": dict(self.counts),
                "draws": self.draws, "mail_files": self.mail.files, "seconds": round(time.perf_counter() - began, 2),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}


def booking_process(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    raise_nofile()
    import uvloop
    report = uvloop.run(Booking(spec).run())
    Path(spec["out"]).write_text(json.dumps(report))


def start(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(spec_path)])


if __name__ == "__main__":
    booking_process(sys.argv[1])

"""day.py's hall: the kiosks issuing the day's tickets, a clerk at every window calling, starting,
finishing (some visitors do not come, some are sent to another service), the visitors' phones
following every `phone_every`-th ticket, and a watcher reading the queues once a second.

It runs in a process of its own, started with `start(spec_path, spec)`:

    .venv/bin/python bench/day_hall.py SPEC.json

SPEC.json: ports, offices (day_office.Office.to_json()), tickets (per office), day_seconds (the
kiosks issue over the first 80 % of it, with a morning peak), visit_seconds (a clerk's mean time
per visitor), no_show, transfer (shares), phone_every, start_at (time.perf_counter()), max_seconds,
seed, out. The day ends when every ticket issued is done or not present (or at max_seconds).

Every request is timed from its write to the last byte of the answer; a call's write time is kept
per ticket (office/number), for the boards' and phones' delivery latency.

A library for bench/day.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from boards_clients import Http, raise_nofile
from common import LANGUAGES
from day_live import open_phone


def arrival_times(count: int, seconds: float, rng: random.Random) -> list[float]:
    """`count` arrivals over `seconds`, twice as dense in the morning peak (a third into the day)."""
    bins = 400
    density = [1.0 + 1.5 * math.exp(-(((i + 0.5) / bins - 0.33) / 0.12) ** 2) for i in range(bins)]
    total = sum(density)
    cumulative, running = [], 0.0
    for value in density:
        running += value / total
        cumulative.append(running)
    times, index = [], 0
    for k in range(count):
        target = (k + rng.random()) / count
        while index < bins - 1 and cumulative[index] < target:
            index += 1
        times.append(seconds * (index + rng.random()) / bins)
    return sorted(times)


class Hall:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.ports: list[int] = spec["ports"]
        self.rng = random.Random(spec["seed"])
        self.latency: dict[str, list[int]] = collections.defaultdict(list)   # op -> µs
        self.errors: collections.Counter[str] = collections.Counter()
        self.calls: dict[str, float] = {}            # office/number -> perf_counter of the first call's write
        self.phone_arrivals: dict[str, float] = {}   # office/number -> the phone's `called` message
        self.phones = {"open": 0, "most_open": 0, "refused": 0, "messages": 0, "failed": 0, "followed": 0}
        self.issued = collections.Counter()          # office -> tickets issued
        self.closed = collections.Counter()          # office -> done or not present
        self.kiosks_done: set[str] = set()
        self.last_ticket_at: dict[str, float] = {}     # office -> s after the start
        self.queues: dict[str, list[tuple[float, int, dict[str, int]]]] = collections.defaultdict(list)
        self.actions = collections.Counter()
        self.start_at = spec["start_at"]

    def port(self, index: int) -> int:
        return self.ports[index % len(self.ports)]

    async def timed(self, op: str, http: Http, method: str, path: str, token: str, body: Any = None,
                    ok: tuple[int, ...] = (200, 201), empty: str = "") -> tuple[int, Any]:
        """One request, timed under `op` (a 204 under `empty`, when given)."""
        sent: list[float] = []
        try:
            status, answer = await http.request(method, path, token, body, sent)
        except Exception as error:     # a lost connection: counted, and the next request reconnects
            self.errors[f"{op}: {type(error).__name__}"] += 1
            await http.close()
            return 0, None
        self.latency[empty if empty and status == 204 else op].append(int((time.perf_counter() - sent[-1]) * 1e6))
        if status not in ok:
            code = answer.get("error") if isinstance(answer, dict) else ""
            self.errors[f"{op}: {status} {code}"] += 1
        return status, answer

    def office_done(self, code: str) -> bool:
        return code in self.kiosks_done and self.closed[code] >= self.issued[code]

    # --- kiosks --------------------------------------------------------------------------------

    async def kiosks(self, office: dict[str, Any]) -> None:
        code, services = office["code"], office["services"]
        weights = [3, 2, 2, 1, 1, 1, 1, 1][: len(services)]
        pool: asyncio.Queue[Http] = asyncio.Queue()
        for index in range(8):                 # eight kiosks in the hall, four on each server
            pool.put_nowait(Http(self.port(index)))
        schedule = arrival_times(self.spec["tickets"], 0.8 * self.spec["day_seconds"], self.rng)

        async def one(index: int, at: float) -> None:
            await asyncio.sleep(max(0.0, self.start_at + at - time.perf_counter()))
            service = self.rng.choices(services, weights)[0]
            http = await pool.get()
            try:
                status, answer = await self.timed(
                    "issue", http, "POST", "/api/v1/tickets", office["kiosk"],
                    {"service": service, "language": LANGUAGES[index % len(LANGUAGES)]})
            finally:
                pool.put_nowait(http)
            if status != 201:
                return
            self.issued[code] += 1
            if index % self.spec["phone_every"] == 0:
                self.phones["followed"] += 1
                await open_phone(self.port(index), answer["id"], f"{code}/{answer['number']}",
                                 self.phone_arrivals, self.phones)

        await asyncio.gather(*(one(i, at) for i, at in enumerate(schedule)))
        self.kiosks_done.add(code)
        self.last_ticket_at[code] = round(time.perf_counter() - self.start_at, 2)

    # --- clerks --------------------------------------------------------------------------------

    async def clerk(self, office: dict[str, Any], window: str, token: str) -> None:
        code, services = office["code"], office["services"]
        http = Http(self.port(int(window)))
        visit = self.spec["visit_seconds"]
        transferred: set[str] = set()
        await asyncio.sleep(max(0.0, self.start_at - time.perf_counter()))
        await self.timed("sign in", http, "POST", f"/api/v1/windows/{window}/sign-in", token, {})
        deadline = self.start_at + self.spec["max_seconds"]
        while not self.office_done(code) and time.perf_counter() < deadline:
            sent = time.perf_counter()
            status, ticket = await self.timed("call", http, "POST", f"/api/v1/windows/{window}/call-next", token,
                                              {}, ok=(200, 204), empty="call, nobody waiting")
            if status == 409 and (ticket or {}).get("error") == "window_not_held":
                # The hold lapsed (two minutes without a request that renews it: only when requests
                # take that long): sit down again, as the console sends its clerk back to the chooser.
                self.actions["window lost, signed in again"] += 1
                await self.timed("sign in", http, "POST", f"/api/v1/windows/{window}/sign-in", token, {})
                continue
            if status == 409 and (ticket or {}).get("error") == "current_ticket_open":
                # A call whose answer was lost (the client gave up after 30 s) left a visitor called
                # to this window: send them back to their place, as the console asks, and sit again.
                self.actions["lost call: ticket returned"] += 1
                await self.timed("sign out", http, "POST", f"/api/v1/windows/{window}/sign-out", token,
                                 {"ticket": "return"}, ok=(200, 204))
                await self.timed("sign in", http, "POST", f"/api/v1/windows/{window}/sign-in", token, {})
                continue
            if status != 200:
                # Nobody waiting: the clerk looks up again a second later (a console follows the
                # queue live; pressing "next" on an empty queue is the exception).
                await asyncio.sleep(1.0)
                continue
            self.calls.setdefault(f"{code}/{ticket['number']}", sent)
            base = f"/api/v1/tickets/{ticket['id']}"
            await asyncio.sleep(self.rng.uniform(0.05, 0.15) * visit)      # the visitor walks up
            if self.rng.random() < self.spec["no_show"]:
                await self.timed("recall", http, "POST", f"{base}/recall", token, {})
                await asyncio.sleep(0.05 * visit)
                status, _ = await self.timed("no-show", http, "POST", f"{base}/no-show", token, {})
                self.closed[code] += status == 200
                self.actions["no-show"] += 1
                continue
            await self.timed("start", http, "POST", f"{base}/start", token, {})
            await asyncio.sleep(self.rng.expovariate(1.0 / (0.85 * visit)))
            if ticket["id"] not in transferred and self.rng.random() < self.spec["transfer"]:
                transferred.add(ticket["id"])
                other = self.rng.choice([s for s in services if s != ticket["service"]])
                status, _ = await self.timed("transfer", http, "POST", f"{base}/transfer", token, {"service": other})
                self.actions["transfer"] += 1
                if status == 200:
                    continue
            status, _ = await self.timed("finish", http, "POST", f"{base}/finish", token, {})
            self.closed[code] += status == 200
            self.actions["finish"] += 1
        await self.timed("sign out", http, "POST", f"/api/v1/windows/{window}/sign-out", token, {"ticket": "finish"},
                         ok=(200, 204))
        await http.close()

    # --- the queue, once a second ----------------------------------------------------------------

    async def watch(self, office: dict[str, Any]) -> None:
        code = office["code"]
        http = Http(self.ports[0])
        await asyncio.sleep(max(0.0, self.start_at - time.perf_counter()))
        deadline = self.start_at + self.spec["max_seconds"]
        while not self.office_done(code) and time.perf_counter() < deadline:
            status, answer = await self.timed("read queues", http, "GET", f"/api/v1/services?office={code}", "")
            if status == 200:
                waiting = {s["code"]: s.get("waiting", 0) for s in answer.get("services", [])}
                self.queues[code].append((round(time.perf_counter() - self.start_at, 2), sum(waiting.values()),
                                          waiting))
            await asyncio.sleep(1.0)
        await http.close()

    async def run(self) -> dict[str, Any]:
        offices = self.spec["offices"]
        tasks = [self.kiosks(o) for o in offices] + [self.watch(o) for o in offices]
        tasks += [self.clerk(o, window, token) for o in offices for window, token in o["clerks"].items()]
        began = time.perf_counter()
        try:       # a day the servers cannot keep up with ends at max_seconds, with what was measured
            await asyncio.wait_for(asyncio.gather(*tasks), self.start_at + self.spec["max_seconds"] + 30 - began)
        except asyncio.TimeoutError:
            self.errors["the day did not end within max_seconds"] += 1
        ended = time.perf_counter()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.wait_phones(), 5.0)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"latency": self.latency, "errors": dict(self.errors), "calls": self.calls,
                "phone_arrivals": self.phone_arrivals, "phones": self.phones, "issued": dict(self.issued),
                "closed": dict(self.closed), "actions": dict(self.actions), "queues": self.queues,
                "last_ticket_at": self.last_ticket_at,
                "seconds": round(ended - max(began, self.start_at), 2), "ended_at": ended,
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}

    async def wait_phones(self) -> None:
        while self.phones["open"] > 0:
            await asyncio.sleep(0.1)


def hall_process(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    raise_nofile()
    import uvloop
    report = uvloop.run(Hall(spec).run())
    Path(spec["out"]).write_text(json.dumps(report))


def start(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(spec_path)])


if __name__ == "__main__":
    hall_process(sys.argv[1])

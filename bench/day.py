#!/usr/bin/env python3
"""Benchmark: a whole day of a large office, on two server processes with PostgreSQL and Redis.

    .venv/bin/python bench/day.py                          # one office: 5,000 tickets, 40 windows, ...
    .venv/bin/python bench/day.py --scale 0.1              # a smoke run, under a minute
    .venv/bin/python bench/day.py --offices 16 --scale 0.1 --json /tmp/day16.json

One day of one office (numbers at `--scale 1`): the kiosks issue 5,000 tickets over eight services,
with a morning peak; a clerk at each of 40 windows calls, starts and finishes (4 % do not come: a
recall, then not present; 5 % are sent to another service and called again there); 200 hall
boards follow the calls and 1,000 phones follow their tickets (every fifth ticket, from its issue
to its end); 1,500 people book first-come visits (hold, the code from the e-mail, confirm) and
1,000 enter the draw for the next day's 512 places (entry, code, confirm); when the draw's window
closes the draw runs and every entrant reads their result. `--offices N` runs N such offices at
once on the same database and servers (distinct codes and prefixes), each at `--scale`.

How the day is compressed and where the clock stands: bench/day_office.py. What each client does:
bench/day_hall.py, bench/day_booking.py, bench/day_live.py. Figures: bench/day_report.py.
The PostgreSQL database at `--pg-url` is DROPPED and recreated. Only 127.0.0.1 is contacted; every
process the script starts, it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import day_booking
import day_hall
import day_live
from common import OFFICE_TZ, ROOT, free_port, launcher, machine_info, okienko_env, wait_ready
from day_office import DRAW_CLOSES, clock_start, plan_offices, set_up, simulated_day
from day_report import check_database, figures, table
from processes import postgres_processes, stop_process, tree

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_day"
STARTUP_BUDGET = 20.0        # s from the first server's start to the day's start, at most


class Sampler:
    """CPU (% of one core) and RSS of named process groups, once a second, in a thread."""

    def __init__(self, groups: dict[str, Any]) -> None:
        import psutil
        self.psutil, self.groups = psutil, groups
        self.samples: list[tuple[float, dict[str, tuple[float, float]]]] = []
        self.cpu_seen: dict[str, dict[int, float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def take(self) -> dict[str, tuple[float, float]]:
        out = {}
        for name, lister in self.groups.items():
            seen = self.cpu_seen.setdefault(name, {})     # a process that ended keeps the CPU it used
            rss = 0.0
            for proc in lister():
                with contextlib.suppress(self.psutil.Error):
                    times = proc.cpu_times()
                    seen[proc.pid] = times.user + times.system
                    rss += proc.memory_info().rss
            out[name] = (sum(seen.values()), rss / 2**20)
        return out

    def loop(self) -> None:
        while not self.stop.is_set():
            taken = self.take()
            machine = self.psutil.cpu_times()
            # The whole machine as one more group: every core's busy time (200 % = both cores busy).
            taken["machine (all processes)"] = (sum(machine) - machine.idle - getattr(machine, "iowait", 0.0), 0.0)
            self.samples.append((time.perf_counter(), taken))
            self.stop.wait(1.0)

    def summary(self, since: float, until: float) -> dict[str, dict[str, float]]:
        rows = [s for s in self.samples if since <= s[0] <= until] or self.samples[-2:]
        out: dict[str, dict[str, float]] = {}
        for name in [*self.groups, "machine (all processes)"]:
            first, last = rows[0], rows[-1]
            wall = max(1e-6, last[0] - first[0])
            peaks = [100.0 * (b[1][name][0] - a[1][name][0]) / max(1e-6, b[0] - a[0]) for a, b in zip(rows, rows[1:])]
            out[name] = {"cpu": round(100.0 * (last[1][name][0] - first[1][name][0]) / wall, 1),
                         "cpu_seconds": round(last[1][name][0] - first[1][name][0], 1),
                         "cpu_peak": round(max(peaks, default=0.0), 1),
                         "rss_end_mb": round(next((r[1][name][1] for r in reversed(rows) if r[1][name][1]), 0.0), 1),
                         "rss_max_mb": round(max(r[1][name][1] for r in rows), 1)}
        return out


def scaled(args: argparse.Namespace) -> dict[str, Any]:
    s = args.scale
    tickets = max(40, round(args.tickets * s))
    windows = max(4, round(args.windows * s))
    day_seconds = max(20.0, args.day_seconds * s) if args.day_seconds_fixed is None else args.day_seconds_fixed
    # Clerks a little faster than the day's mean arrival rate: a queue builds up in the morning peak
    # and is gone by the end.
    visit = args.visit_seconds or windows * 0.8 * day_seconds / tickets / 1.15
    return {"tickets": tickets, "windows": windows, "day_seconds": round(day_seconds, 1), "visit_seconds": round(visit, 3),
            "bookings": max(4, round(args.bookings * s)), "entries": max(4, round(args.draw_entries * s)),
            "draw_places": max(2, round(args.draw_places * s)), "boards": max(2, round(args.boards * s)),
            "phone_every": max(1, round(args.tickets / args.phones)), "phones": max(1, round(args.phones * s))}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = scaled(args)
    load_before = os.getloadavg()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="okienko-bench-day-"))
    workdir.mkdir(parents=True, exist_ok=True)
    offices = plan_offices(args.offices, plan["windows"], plan["bookings"], plan["draw_places"])
    label = f"{args.offices} office{'s' if args.offices > 1 else ''} at scale {args.scale}"
    print(f"{label}: {plan}", flush=True)
    began = time.perf_counter()
    env = okienko_env(args.pg_url, workdir / "var", OKIENKO_BROKER_URL=args.redis_url)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    shutil.rmtree(workdir / "var", ignore_errors=True)
    await set_up(args.pg_url, workdir, offices)
    setup_seconds = round(time.perf_counter() - began, 1)

    servers: list[tuple[subprocess.Popen, int]] = []
    clients: dict[str, subprocess.Popen] = {}
    log = open(workdir / "servers.log", "ab")
    first = time.perf_counter()
    close_after = STARTUP_BUDGET + 0.5 * plan["day_seconds"]
    try:
        for index in range(args.servers):
            port = free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                [*launcher(args.okienko), "serve", "--port", str(port)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                env={**env, "OKIENKO_CLOCK_START": clock_start(close_after, started - first)})
            servers.append((process, port))
        for process, port in servers:
            wait_ready(port, process)
        ports = [port for _, port in servers]
        closes_at = await draw_closes_at(ports, offices[0].board)
        groups = {f"server {i + 1}": (lambda p=p: tree(p.pid)) for i, (p, _) in enumerate(servers)}
        groups["postgres (all databases)"] = postgres_processes
        groups["redis"] = redis_processes
        sampler = Sampler({**groups, **{name: (lambda name=name: tree(clients[name].pid) if name in clients else [])
                                         for name in ("hall", "boards", "booking")}})
        sampler.thread.start()

        boards_out = workdir / "boards-out.json"
        clients["boards"] = day_live.start_boards(workdir / "boards.json", {
            "ports": ports, "offices": [o.to_json() for o in offices], "boards": plan["boards"],
            "max_seconds": args.max_seconds + 120, "out": str(boards_out)})
        ready = json.loads(clients["boards"].stdout.readline() or "{}")   # type: ignore[union-attr]
        start_at = time.perf_counter() + 3.0
        if start_at > closes_at - 0.4 * plan["day_seconds"]:
            print(f"warning: the day starts {closes_at - start_at:.1f} s before the draw closes", flush=True)
        common_spec = {"ports": ports, "start_at": start_at, "day_seconds": plan["day_seconds"],
                       "max_seconds": args.max_seconds, "seed": args.seed}
        hall_out, booking_out = workdir / "hall-out.json", workdir / "booking-out.json"
        clients["hall"] = day_hall.start(workdir / "hall.json", {
            **common_spec, "offices": [o.to_json() for o in offices], "tickets": plan["tickets"],
            "visit_seconds": plan["visit_seconds"], "no_show": args.no_show, "transfer": args.transfer,
            "phone_every": plan["phone_every"], "out": str(hall_out)})
        clients["booking"] = day_booking.start(workdir / "booking.json", {
            **common_spec, "offices": [o.code for o in offices], "mail_dir": str(workdir / "var" / "mail"),
            "bookings": plan["bookings"], "entries": plan["entries"], "day": simulated_day().isoformat(),
            "draw_closes_at": closes_at, "out": str(booking_out)})
        for name in ("hall", "booking"):
            await wait_for(clients[name], args.max_seconds + 60)
        ended = time.perf_counter()
        with contextlib.suppress(OSError):                # it may have given up already (max_seconds)
            clients["boards"].stdin.write("report\n")    # type: ignore[union-attr]
            clients["boards"].stdin.flush()              # type: ignore[union-attr]
        await wait_for(clients["boards"], 60)
        sampler.stop.set()
        processes = sampler.summary(start_at, ended)
        hall, booking = read_json(hall_out), read_json(booking_out)
        boards = read_json(boards_out)
    finally:
        for process in clients.values():
            stop_process(process, 5)
        for process, _ in servers:
            stop_process(process)
        log.close()
    found = figures(hall, boards, booking, plan["boards"])
    check = await check_database(args.pg_url, found["tickets_issued"], found["bookings"].get("bookings confirmed", 0))
    result = {"label": label, "plan": plan, "load_average_before": load_before, "offices": args.offices, "scale": args.scale, "setup_seconds": setup_seconds,
              "boards_ready": ready, "figures": found, "processes": processes, "check": check,
              "load_average": os.getloadavg(), "machine": machine_info(), "workdir": str(workdir)}
    if not args.keep_workdir and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


async def draw_closes_at(ports: list[int], board_token: str) -> float:
    """The time.perf_counter() moment at which the last server's clock reaches the end of the draw
    window. Each server starts its clock when its app is built, a little after the process starts,
    so it is read from the board snapshot's `at` (to a few ms: the answer's own time)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from boards_clients import Http
    closes = dt.datetime.combine(simulated_day(), DRAW_CLOSES, tzinfo=ZoneInfo(OFFICE_TZ))
    moments = []
    for port in ports:
        http = Http(port)
        status, snapshot = await http.request("GET", "/api/v1/board", board_token)
        asked = time.perf_counter()
        await http.close()
        if status != 200:
            raise RuntimeError(f"GET /api/v1/board answered {status}: {snapshot}")
        moments.append(asked + (closes - dt.datetime.fromisoformat(snapshot["at"])).total_seconds())
    return max(moments)


def redis_processes() -> list[Any]:
    import psutil
    return [p for p in psutil.process_iter(["name"]) if (p.info.get("name") or "").startswith("redis-server")]


async def wait_for(process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


def read_json(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="every count and the day's length times this")
    parser.add_argument("--offices", type=int, default=1, help="offices at once, each at --scale (at most 26)")
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--windows", type=int, default=40)
    parser.add_argument("--bookings", type=int, default=1500, help="first-come bookings")
    parser.add_argument("--draw-entries", type=int, default=1000)
    parser.add_argument("--draw-places", type=int, default=500, help="rounded up to whole slots (32 a day)")
    parser.add_argument("--boards", type=int, default=200)
    parser.add_argument("--phones", type=int, default=1000, help="tickets followed by a phone")
    parser.add_argument("--day-seconds", type=float, default=180.0, help="the day's wall time at scale 1 (min 20)")
    parser.add_argument("--day-seconds-fixed", type=float, default=None, help="the day's wall time, whatever the scale")
    parser.add_argument("--visit-seconds", type=float, default=0.0, help="a clerk's mean time per visitor (0: fit)")
    parser.add_argument("--no-show", type=float, default=0.04)
    parser.add_argument("--transfer", type=float, default=0.05)
    parser.add_argument("--servers", type=int, default=2, help="`okienko serve` processes, each on its own port")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--workdir")
    parser.add_argument("--keep-workdir", action="store_true")
    parser.add_argument("--okienko", default="", help="another launcher taking `okienko`'s arguments")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(table(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    ok = result["check"]["ok"] and not result["figures"]["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

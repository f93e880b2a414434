"""One run of one of booking.py's scenarios: the server(s) on a fresh database, the client
processes, the measured window, the figures and the checks (`Runner.run`).

A library for bench/booking.py, not a benchmark. Only 127.0.0.1 is ever contacted; everything a
run starts, it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import booking_clients
import ceilings
from booking_clients import get_request, post_request
from booking_measure import Meter, check_race, check_rush, kind_figures, latency_summary, race_figures
from booking_office import (RACE_SERVICE, READ_HORIZON_DAYS, READ_SERVICE, TICKET_SERVICE, office_today,
                            office_toml, synthetic_listing, week_path)
from booking_probes import PROBE_HOOK, read_probes
from common import ROOT, free_port, http_once, launcher, okienko_env, recreate_pg_database, wait_ready
from processes import CpuMeter, postgres_processes, rss_mb, stop_process, tree


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    url: str = ""                 # the database, for the checks afterwards
    token: str = ""               # the kiosk's
    mail_dir: Path | None = None
    part: str = ""                # `okienko serve --part` ("" = not given: every route)


@dataclass
class Result:
    scenario: str
    run: int
    server: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)     # % of one core over the measured window
    cpu_per_process: dict[str, dict[str, float]] = field(default_factory=dict)
    check: dict[str, Any] | None = None
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    disturbed: bool = False


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="okienko-bench-booking-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.clients: list[subprocess.Popen] = []      # of the current run, started by client()

    # --- servers -----------------------------------------------------------------------------

    async def start_okienko(self, folder: Path, database: str, workers: int, log: Any,
                            processes: list[subprocess.Popen], parts: tuple[str, ...] = ("",)) -> list[Server]:
        """A fresh database with the benchmark office and a kiosk token, then one `okienko serve`
        per entry of `parts` (`--part PART`, "" for none), each on its own port and all on that
        database, started one after the other; each is appended to `processes` at once, so that it
        is stopped whatever happens next."""
        if database == "sqlite":
            path = folder / "bench.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            await recreate_pg_database(self.args.pg_url)
            url = self.args.pg_url
        shutil.rmtree(folder / "var", ignore_errors=True)
        env = okienko_env(url, folder / "var")
        # The working tree's packages, also those added since the venv's editable install was made.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        if self.args.slots_cache is not None:
            env["OKIENKO_SLOTS_CACHE_SECONDS"] = str(self.args.slots_cache)
        (folder / "office.toml").write_text(office_toml(self.args.race_slots, self.args.race_places,
                                                        self.args.places))
        okienko = launcher(self.args.okienko)
        for step in (["migrate"], ["office", "load", str(folder / "office.toml")]):
            subprocess.run([*okienko, *step], env=env, cwd=folder, check=True, stdout=log, stderr=log)
        token = subprocess.run([*okienko, "device", "add", "kiosk", "hall-1"], env=env, cwd=folder, check=True,
                               stdout=subprocess.PIPE, stderr=log, text=True).stdout.strip()
        if self.args.probes:       # a sitecustomize.py that installs them, for `serve` only
            hook = folder / "probes"
            shutil.rmtree(hook, ignore_errors=True)
            (hook / "out").mkdir(parents=True)
            (hook / "sitecustomize.py").write_text(PROBE_HOOK)
            env["PYTHONPATH"] = os.pathsep.join([str(hook), str(Path(__file__).resolve().parent), env["PYTHONPATH"]])
            env["BENCH_PROBE_DIR"] = str(hook / "out")
        servers = []
        for part in parts:
            port = free_port()
            command = [*okienko, "serve"] + (["--workers", str(workers)] if workers > 1 else []) + (
                ["--part", part] if part else [])
            process = subprocess.Popen(command, env={**env, "OKIENKO_PORT": str(port)}, cwd=folder, stdout=log,
                                       stderr=subprocess.STDOUT)
            processes.append(process)
            wait_ready(port, process)
            servers.append(Server(process, port, url, token, folder / "var" / "mail", part))
        return servers

    def meter(self, server: subprocess.Popen, clients: list[subprocess.Popen], database: str | None,
              parts: dict[str, subprocess.Popen] | None = None) -> Meter:
        """`parts`: several server processes, measured one by one as `server:<part>` (summed as `server`)."""
        servers = {f"server:{part}": (lambda process=process: tree(process.pid))
                   for part, process in (parts or {}).items()} or {"server": lambda: tree(server.pid)}
        return Meter(CpuMeter({
            **servers,
            "client": lambda: [p for c in clients for p in tree(c.pid)],
            **({"postgres": postgres_processes} if database == "postgresql" else {}),
        }), database == "postgresql", self.args.pg_url.rpartition("/")[2].split("?", 1)[0])

    def client(self, folder: Path, role: str, spec: dict[str, Any]) -> tuple[subprocess.Popen, Path]:
        out = folder / f"{role}-out.json"
        process = booking_clients.start(role, folder / f"{role}.json", {**spec, "out": str(out)})
        self.clients.append(process)
        return process, out

    async def wait_clients(self, clients: list[subprocess.Popen], seconds: float, result: Result) -> None:
        deadline = time.monotonic() + seconds
        for process in clients:
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if process.poll() is None:
                process.kill()
                process.wait(5)
                result.failures.append("a client process did not finish in time")

    # --- one run of one scenario -------------------------------------------------------------

    async def run(self, scenario: str, number: int) -> Result:
        result = Result(scenario, number)
        folder = self.workdir / f"{scenario}-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder / "server.log", "wb")
        processes: list[subprocess.Popen] = []
        self.clients = []
        try:
            if scenario == "race":
                await self.race(folder, log, result, processes)
            elif scenario == "rush":
                await self.rush(folder, log, result, processes)
            else:
                await self.reads(scenario, folder, log, result, processes)
        except Exception as error:  # a scenario that cannot run fails the benchmark, not the others
            result.failures.append(f"could not run: {error!r}")
        finally:
            for process in processes:              # clients first: whatever happened, none stays
                if process in self.clients and process.poll() is None:
                    process.kill()
                    process.wait(10)
            for process in processes:              # then the server(s), as `okienko serve` is stopped
                if process not in self.clients:
                    stop_process(process)
            log.close()
        if self.args.probes and (folder / "probes" / "out").is_dir():
            result.figures["probes"] = read_probes(folder / "probes" / "out")
        self.judge(result)
        return result

    async def reads(self, scenario: str, folder: Path, log: Any, result: Result,
                    processes: list[subprocess.Popen]) -> None:
        args = self.args
        database = None
        if scenario == "slot-reads":
            database = args.database
            [server] = await self.start_okienko(folder, database, 1, log, processes)
            result.server = f"okienko serve, 1 process, {database}"
        else:
            port = free_port()
            body_file = folder / "listing.json"
            body_file.write_bytes(synthetic_listing(args.places))
            process = subprocess.Popen(ceilings.command(scenario, port, str(body_file)), cwd=folder, stdout=log,
                                       stderr=subprocess.STDOUT)
            processes.append(process)
            wait_ready(port, process)
            server = Server(process, port)
            result.server = "bare Starlette under uvicorn, 1 process"
        path = week_path()
        raw = get_request(path, server.port)
        status, body = http_once(server.port, raw)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        result.figures.update(path=path, body_bytes=len(body))
        if scenario == "slot-reads":
            result.figures["slots_in_listing"] = sum(len(day["slots"]) for day in json.loads(body)["days"])
        now = time.perf_counter()
        start_at = now + 2.0 + 0.02 * args.clients
        warm_at, stop_at = start_at + args.warmup, start_at + args.warmup + args.duration
        hammer, out = self.client(folder, "hammer", {
            "port": server.port, "start_at": start_at, "warm_at": warm_at, "stop_at": stop_at, "grace_seconds": 15.0,
            "first_person": 1, "streams": [{"kind": "reads", "connections": args.clients, "expect": 200,
                                            "request": raw.decode("latin-1")}]})
        processes.append(hammer)
        meter = self.meter(server.process, [hammer], database)
        await asyncio.sleep(max(0.0, warm_at - time.perf_counter()))
        meter.begin()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        result.cpu = meter.end()
        result.cpu_per_process = meter.per_process
        await self.wait_clients([hammer], 40, result)
        data = json.loads(out.read_text())
        reads = data["kinds"]["reads"]
        answered = sum(reads["statuses"].values())
        if answered:
            result.figures["server_cpu_us_per_request"] = round(result.cpu["server"] / 100.0 * args.duration
                                                                / answered * 1e6)
        result.figures.update(kind_figures(reads, args.duration))
        result.figures["client_problems"] = data["problems"]
        with contextlib.suppress(Exception):
            result.figures["server_rss_mb"] = rss_mb(server.process.pid)
        if scenario == "slot-reads" and result.figures["per_s"] < 5000:
            result.failures.append(f"{result.figures['per_s']:,.0f} req/s is below the target 5,000/s")
        if result.figures["errors"]:
            result.failures.append(f"{result.figures['errors']} requests failed: {result.figures['errors_by_code']}")

    async def rush(self, folder: Path, log: Any, result: Result, processes: list[subprocess.Popen]) -> None:
        args = self.args
        if args.rush_split:
            # Two processes on one database: the kiosk talks to the hall's, the hammer to the public's.
            hall, public = await self.start_okienko(folder, args.database, 1, log, processes, ("hall", "public"))
            servers = [hall, public]
            result.server = f"okienko serve --part hall + --part public, 2 processes, {args.database}"
            for server, path, wrong in ((hall, f"/api/v1/slots?service={READ_SERVICE}", "GET"),
                                        (public, "/api/v1/tickets", "POST")):
                raw = (get_request(path, server.port) if wrong == "GET"
                       else post_request(path, server.port, b'{"service":"T","language":"pl"}', server.token))
                status, body = http_once(server.port, raw)
                if status != 404:           # the split is real: neither process answers the other's routes
                    raise RuntimeError(f"--part {server.part} answered {wrong} {path} with {status}, not 404")
        else:
            [hall] = servers = await self.start_okienko(folder, args.database, 1, log, processes)
            public = hall
            result.server = f"okienko serve, 1 process, {args.database}"
        result.figures["servers"] = {s.part or "all": {"port": s.port, "pid": s.process.pid} for s in servers}
        path = week_path()
        reads_raw = get_request(path, public.port)
        first = office_today() + dt.timedelta(days=1)
        all_days = get_request(f"/api/v1/slots?service={READ_SERVICE}&from={first}"
                               f"&to={first + dt.timedelta(days=READ_HORIZON_DAYS - 1)}", public.port)
        status, body = http_once(public.port, all_days)
        if status != 200:
            raise RuntimeError(f"the slot listing answered {status}: {body[:300]!r}")
        slots = [s["start"] for day in json.loads(body)["days"] for s in day["slots"]]
        status, body = http_once(hall.port, post_request(
            "/api/v1/tickets", hall.port, b'{"service":"T","language":"pl"}', hall.token))
        if status != 201:
            raise RuntimeError(f"the first ticket got {status}: {body[:300]!r}")
        result.figures.update(path=path, hold_slots=len(slots), places_per_slot=args.places)
        now = time.perf_counter()
        kiosk_at = now + 2.0 + 0.02 * (args.rush_readers + args.rush_holders)
        start_at = kiosk_at + args.kiosk_alone
        warm_at, stop_at = start_at + args.warmup, start_at + args.warmup + args.duration
        hammer, hammer_out = self.client(folder, "hammer", {
            "port": public.port, "start_at": start_at, "warm_at": warm_at, "stop_at": stop_at, "grace_seconds": 15.0,
            "first_person": 1, "streams": [
                {"kind": "reads", "connections": args.rush_readers, "expect": 200,
                 "request": reads_raw.decode("latin-1")},
                {"kind": "holds", "connections": args.rush_holders, "expect": 202, "service": READ_SERVICE,
                 "slots": slots}]})
        kiosk, kiosk_out = self.client(folder, "kiosk", {
            "port": hall.port, "token": hall.token, "service": TICKET_SERVICE, "interval": args.kiosk_interval,
            "start_at": kiosk_at, "stop_at": stop_at})
        processes += [hammer, kiosk]
        meter = self.meter(hall.process, [hammer, kiosk], args.database,
                           {"hall": hall.process, "public": public.process} if args.rush_split else None)
        await asyncio.sleep(max(0.0, warm_at - time.perf_counter()))
        meter.begin()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        result.cpu = meter.end()
        result.cpu_per_process = meter.per_process
        await self.wait_clients([hammer, kiosk], 60, result)
        data = json.loads(hammer_out.read_text())
        kiosk_data = json.loads(kiosk_out.read_text())
        for kind in ("reads", "holds"):
            result.figures[kind] = kind_figures(data["kinds"][kind], args.duration)
        answered = sum(sum(data["kinds"][k]["statuses"].values()) for k in ("reads", "holds"))
        if answered:       # split: the public process's CPU only (it alone answers the hammer)
            result.figures["server_cpu_us_per_request"] = round(
                result.cpu.get("server:public", result.cpu["server"]) / 100.0 * args.duration / answered * 1e6)
        result.figures["client_problems"] = data["problems"]
        alone_until, measured = args.kiosk_alone, (warm_at - kiosk_at, stop_at - kiosk_at)
        records = kiosk_data["records"]
        alone = [r for r in records if r[0] < alone_until]
        loaded = [r for r in records if measured[0] <= r[0] < measured[1]]
        result.figures["kiosk_alone"] = {**latency_summary([r[1] for r in alone if r[2] == 201]),
                                         "errors": sum(1 for r in alone if r[2] != 201)}
        result.figures["kiosk"] = {**latency_summary([r[1] for r in loaded if r[2] == 201]),
                                   "errors": sum(1 for r in loaded if r[2] != 201),
                                   "sent": len(loaded), "connections": kiosk_data["connections"],
                                   "max_late_ms": round(max((r[3] for r in records), default=0) / 1000, 1),
                                   "samples": kiosk_data["samples"]}
        for server in servers:
            stop_process(server.process)
        tickets_201 = sum(1 for r in records if r[2] == 201) + 1       # + the first ticket above
        holds_202 = int(data["kinds"]["holds"]["all_statuses"].get("202", 0))
        result.check = await check_rush(hall.url, holds_202, tickets_201, args.places)
        kiosk = result.figures["kiosk"]
        if kiosk["p99_ms"] is None or kiosk["p99_ms"] >= 100:
            result.failures.append(f"kiosk p99 {kiosk['p99_ms']} ms is not below 100 ms")
        if kiosk["errors"] or result.figures["kiosk_alone"]["errors"]:
            result.failures.append(f"kiosk: {kiosk['errors'] + result.figures['kiosk_alone']['errors']} tickets "
                                   f"failed: {kiosk['samples'][:2]}")

    async def race(self, folder: Path, log: Any, result: Result, processes: list[subprocess.Popen]) -> None:
        args = self.args
        [server] = await self.start_okienko(folder, "postgresql", args.race_workers, log, processes)
        result.server = f"okienko serve --workers {args.race_workers}, postgresql"
        day = office_today() + dt.timedelta(days=1)
        status, body = http_once(server.port, get_request(
            f"/api/v1/slots?service={RACE_SERVICE}&from={day}&to={day}", server.port))
        if status != 200:
            raise RuntimeError(f"the slot listing answered {status}: {body[:300]!r}")
        slots = [s["start"] for d in json.loads(body)["days"] for s in d["slots"] if s["free"] > 0]
        if len(slots) != args.race_slots:
            raise RuntimeError(f"the race service lists {len(slots)} free slots tomorrow, not {args.race_slots}")
        places = args.race_slots * args.race_places
        result.figures.update(clients=args.race_clients, slots=args.race_slots, places_per_slot=args.race_places,
                              places=places, pick=args.race_pick)
        start_at = time.perf_counter() + 3.0 + 0.01 * args.race_clients
        deadline = start_at + args.race_deadline
        race, out = self.client(folder, "race", {
            "port": server.port, "service": RACE_SERVICE, "day": day.isoformat(), "slots": slots,
            "clients": args.race_clients, "first_person": 1, "start_at": start_at, "deadline": deadline,
            "request_timeout": 30.0, "pick": args.race_pick, "seed": args.seed, "mail_dir": str(server.mail_dir)})
        processes.append(race)
        meter = self.meter(server.process, [race], "postgresql")
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        meter.begin()
        await self.wait_clients([race], args.race_deadline + 40, result)
        elapsed = time.perf_counter() - start_at
        result.cpu = meter.end()
        result.cpu_per_process = meter.per_process
        data = json.loads(out.read_text())
        # The client process has exited by now, so the meter cannot see it: it reports its own CPU time.
        result.cpu["client"] = round(100.0 * data["cpu_seconds"] / elapsed, 1)
        result.cpu["unaccounted"] = round(max(0.0, result.cpu["unaccounted"] - result.cpu["client"]), 1)
        result.figures.update(race_figures(data, places, elapsed))
        stop_process(server.process)
        result.check = await check_race(server.url, data, places, args.race_places)
        figures = result.figures
        if figures["all"]["max_ms"] is not None and figures["all"]["max_ms"] >= 1000:
            result.failures.append(f"the slowest request took {figures['all']['max_ms']:,.0f} ms (target < 1,000 ms)")
        if figures["no_answer"]:
            result.failures.append(f"{figures['no_answer']} requests got no answer")
        expected = min(places, args.race_clients)
        if figures["confirmed"] != expected:
            result.failures.append(f"{figures['confirmed']} clients confirmed a booking, not {expected}")

    def judge(self, result: Result) -> None:
        if result.check is not None and not result.check["ok"]:
            result.failures.append("check: " + "; ".join(result.check["problems"][:5]))
        other = result.cpu.get("other", 0.0) + result.cpu.get("unaccounted", 0.0)
        result.disturbed = other > self.args.disturbed_limit
        if result.disturbed:
            top = sorted(result.cpu_per_process.get("other", {}).items(), key=lambda kv: -kv[1])[:3]
            result.notes.append(f"other processes used {other:.0f} % of a core during the window "
                                f"({result.cpu.get('unaccounted', 0):.0f} % of it by processes that ended "
                                f"within it): {dict(top)}")
        result.passed = not result.failures

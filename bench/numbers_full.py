#!/usr/bin/env python3
"""Benchmark: 64 kiosks on one service that has every number open (issue 9, item 11).

    .venv/bin/python bench/numbers_full.py [--database sqlite|postgresql|both] [--kiosks 64]
                                           [--duration 10] [--json results.json]

For each database, against a real `okienko serve` on 127.0.0.1 started from an empty database
(`okienko migrate`, `okienko office load` of bench/tickets.py's office with one service `K`: open all
week, no daily limit, three-digit numbers; `okienko device add kiosk hall-1`):

1. fill: one kiosk alone takes --alone tickets (timed one by one, for comparison), then --kiosks
   connections take tickets for K until 999 are issued (nobody is called), timed;
2. full: the same number of keep-alive connections (bench/load.py, tickets.py's load generator)
   keep asking for K as fast as the answers come, --warmup s unmeasured, then --duration s
   measured: every answer must be `409 numbers_exhausted`; refusals per second, latency, server CPU;
3. check: the tickets table holds 999 tickets of K with 999 distinct open numbers, and the day's
   counter of K is 999 (a refused request uses up nothing).

Exit 0 when every answer in the window was a 409 numbers_exhausted with p99 under --p99-limit ms
and the check passed; 1 otherwise; 2 when a run could not run at all. Only 127.0.0.1 is contacted;
every process the script starts, it stops. With --source DIR the Okienko of another source tree
(e.g. an older commit: `git archive COMMIT | tar -x -C DIR`) is measured the same way, run with
this venv; --okienko CMD takes any other launcher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import load as load_generator
from common import (HOST, free_port, launcher, machine_info, office_toml, okienko_env, pct,
                    recreate_pg_database, wait_ready)
from processes import CpuMeter, postgres_processes, stop_process, tree, wait_quiet

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_numbers"
SERVICE = "K"
NUMBERS = 999


async def fill(port: int, request: bytes, kiosks: int, timeout: float) -> dict[str, Any]:
    """Take tickets from `kiosks` keep-alive connections until the first refusal; counts and time.

    Plain asyncio streams and a pre-built request: a client as light as the load generator's, so
    that on 2 cores the time is the server's."""
    statuses: dict[str, int] = {}
    stop = asyncio.Event()

    async def kiosk() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while not stop.is_set():
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                body = await reader.readexactly(int(length.group(1)) if length else 0)
                status = int(head[9:12])
                key = str(status) if status == 201 else f"{status} {json.loads(body or b'{}').get('error', '')}"
                statuses[key] = statuses.get(key, 0) + 1
                if status != 201:
                    stop.set()
        finally:
            writer.close()

    started = time.perf_counter()
    kiosks_done = asyncio.gather(*(kiosk() for _ in range(kiosks)))
    try:
        await asyncio.wait_for(kiosks_done, timeout)
    except TimeoutError:   # the server stopped answering (what issue 9 found): say so, go on
        return {"seconds": None, "stalled_after_s": timeout, "statuses": statuses}
    return {"seconds": round(time.perf_counter() - started, 2), "statuses": statuses}


async def alone(port: int, request: bytes, count: int) -> dict[str, Any]:
    """One kiosk asking `count` times in a row, nobody else: how long one answer takes (ms)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    took: list[float] = []
    errors: dict[str, int] = {}
    try:
        for _ in range(count):
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            body = await reader.readexactly(int(length.group(1)) if length else 0)
            took.append((time.perf_counter() - sent) * 1000)
            key = f"{int(head[9:12])} {json.loads(body or b'{}').get('error', '')}".strip()
            errors[key] = errors.get(key, 0) + 1
    finally:
        writer.close()
    took.sort()
    return {"answers": errors, "p50_ms": round(took[len(took) // 2], 2), "max_ms": round(took[-1], 2)}


def check_database(url: str) -> dict[str, Any]:
    """Tickets of K, distinct open numbers, and the day's counter, read after the server stopped."""
    queries = ("SELECT count(*) FROM tickets WHERE prefix = 'K'",
               "SELECT count(DISTINCT number) FROM tickets WHERE prefix = 'K' "
               "AND status IN ('waiting', 'called', 'serving')",
               "SELECT max(value) FROM counters WHERE name LIKE 'tickets/%/K'")
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as db:
            values = [db.execute(query).fetchone()[0] for query in queries]
    else:
        async def read() -> list[Any]:
            import asyncpg
            conn = await asyncpg.connect(url)
            try:
                return [await conn.fetchval(query) for query in queries]
            finally:
                await conn.close()
        values = asyncio.run(read())
    tickets, open_numbers, counter = values
    return {"tickets": tickets, "open_numbers": open_numbers, "counter": counter,
            "ok": tickets == open_numbers == counter == NUMBERS}


def run_one(args: argparse.Namespace, database: str, workdir: Path) -> dict[str, Any]:
    folder = workdir / database
    folder.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"database": database, "passed": False, "failures": []}
    if database == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        asyncio.run(recreate_pg_database(args.pg_url))
        url = args.pg_url
    port = free_port()
    env = okienko_env(url, folder / "var", OKIENKO_PORT=str(port))
    # tickets.py's office, with one service
    (folder / "office.toml").write_text(office_toml([SERVICE], args.windows, "bench/tickets.py"))
    okienko = launcher(args.okienko)
    if args.source:
        okienko = [sys.executable, str(Path(__file__).resolve()), "_cli", str(Path(args.source).resolve())]
    result["other_cpu_before"] = round(asyncio.run(wait_quiet(args.disturbed_limit, args.quiet_wait)), 1)
    server = None
    with open(folder / "server.log", "wb") as log:
        try:
            for step in (["migrate"], ["office", "load", str(folder / "office.toml")]):
                subprocess.run([*okienko, *step], env=env, cwd=folder, check=True, stdout=log, stderr=log)
            token = subprocess.run([*okienko, "device", "add", "kiosk", "hall-1"], env=env, cwd=folder, check=True,
                                   stdout=subprocess.PIPE, stderr=log, text=True).stdout.strip()
            server = subprocess.Popen([*okienko, "serve"], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
            wait_ready(port, server)
            request = load_generator.build_requests("/api/v1/tickets", port, token, [SERVICE])[0].encode("latin-1")
            result["alone_issuing"] = asyncio.run(alone(port, request, args.alone))   # the first tickets, for comparison
            result["fill"] = asyncio.run(fill(port, request, args.kiosks, args.fill_timeout))
            if result["fill"]["seconds"] is not None:
                result["alone"] = asyncio.run(alone(port, request, args.alone))
            result.update(load(args, folder, port, token, server, database))
        except Exception as error:  # a run that cannot run fails the benchmark, not the other database
            result["failures"].append(f"could not run: {error}")
            return result
        finally:
            if server is not None:
                stop_process(server)
    result["check"] = check_database(url)
    judge(args, result)
    return result


def load(args: argparse.Namespace, folder: Path, port: int, token: str, server: subprocess.Popen,
         database: str) -> dict[str, Any]:
    """The measured window: `--kiosks` connections asking for K as fast as answers come."""
    now = time.perf_counter()
    start_at = now + 2.0 + 0.02 * args.kiosks
    warm_at, stop_at = start_at + args.warmup, start_at + args.warmup + args.duration
    out = folder / "client-out.json"
    client = load_generator.start(folder / "client.json", {
        "host": HOST, "port": port, "requests": load_generator.build_requests("/api/v1/tickets", port, token, [SERVICE]),
        "connections": args.kiosks, "first_index": 0, "expect_status": 409, "start_at": start_at,
        "warm_at": warm_at, "stop_at": stop_at, "grace_seconds": 15.0, "out": str(out)})
    meter = CpuMeter({"server": lambda: tree(server.pid), "client": lambda: tree(client.pid),
                      **({"postgres": postgres_processes} if database == "postgresql" else {})})
    time.sleep(max(0.0, warm_at - time.perf_counter()))
    meter.begin()
    time.sleep(max(0.0, stop_at - time.perf_counter()))
    cpu = meter.end()
    client.wait(timeout=60)
    answers = json.loads(out.read_text())
    latencies = sorted(answers["ok_latencies_us"])
    refused = answers["statuses"].get("409", 0)
    return {
        "refusals_per_s": round(refused / args.duration, 1), "statuses": answers["statuses"],
        "p50_ms": pct(latencies, 0.50), "p99_ms": pct(latencies, 0.99),
        "max_ms": latencies[-1] / 1000.0 if latencies else None, "samples": answers["samples"],
        "problems": answers["problems"], "cpu": cpu,
        "server_cpu_us_per_request": round(cpu["server"] / 100.0 * args.duration / refused * 1e6) if refused else None,
    }


def judge(args: argparse.Namespace, result: dict[str, Any]) -> None:
    failures = result["failures"]
    statuses = result.get("statuses", {})
    if not statuses or set(statuses) != {"409"}:
        failures.append(f"answers other than 409 in the window: {statuses}")
    if any("numbers_exhausted" not in sample for sample in result.get("samples", [])):
        failures.append(f"unexpected answers, e.g. {result['samples'][:2]}")
    if result.get("p99_ms") is None or result["p99_ms"] > args.p99_limit:
        failures.append(f"p99 {result.get('p99_ms')} ms over {args.p99_limit} ms")
    if result.get("problems"):
        failures.append(f"client problems: {result['problems']}")
    if not result.get("check", {}).get("ok"):
        failures.append(f"database check failed: {result.get('check')}")
    if set(result.get("alone", {}).get("answers", {})) != {"409 numbers_exhausted"}:
        failures.append(f"one kiosk alone got {result.get('alone')}")
    if result.get("fill", {}).get("statuses", {}).get("201") != NUMBERS - args.alone:
        failures.append(f"the fill did not issue exactly {NUMBERS - args.alone}: {result.get('fill')}")
    result["passed"] = not failures


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| database | fill to 999, s | one kiosk alone: issue / refusal p50 ms | 64 kiosks: refusals/s | p50 ms | p99 ms | max ms | answers in window | "
             "CPU % of a core: server / PostgreSQL / client / other | server CPU µs per refusal | tickets / open numbers / "
             "counter | passed |", "|---|--:|--:|--:|--:|--:|--:|---|---|--:|---|---|"]
    for r in results:
        cpu = r.get("cpu", {})
        check = r.get("check", {})
        lines.append(
            f"| {r['database']} | {r.get('fill', {}).get('seconds') or 'stalled'} | "
            f"{r.get('alone_issuing', {}).get('p50_ms', '—')} / {r.get('alone', {}).get('p50_ms', '—')} | "
            f"{r.get('refusals_per_s', '—')} | "
            f"{r.get('p50_ms', '—')} | {r.get('p99_ms', '—')} | {r.get('max_ms', '—')} | {r.get('statuses', {})} | "
            f"{cpu.get('server', '—')} / {cpu.get('postgres', '—')} / {cpu.get('client', '—')} / {cpu.get('other', '—')} | "
            f"{r.get('server_cpu_us_per_request', '—')} | {check.get('tickets', '—')} / "
            f"{check.get('open_numbers', '—')} / {check.get('counter', '—')} | {'yes' if r['passed'] else 'no'} |")
    return "\n".join(lines)


def other_source_cli(source: str, argv: list[str]) -> int:
    """`okienko ARGS` from another source tree with this venv, whose editable install would win otherwise."""
    sys.meta_path[:] = [finder for finder in sys.meta_path
                        if "editable" not in (getattr(finder, "__name__", "") + type(finder).__module__).lower()]
    sys.path.insert(0, source)
    from okienko_server.cli import main as okienko
    return okienko(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_cli"]:
        return other_source_cli(argv[1], argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--kiosks", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load before measuring")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--alone", type=int, default=50,
                        help="requests of one kiosk alone, before the fill (issued) and after it (refused)")
    parser.add_argument("--windows", type=int, default=4, help="windows serving K (none is ever called)")
    parser.add_argument("--fill-timeout", type=float, default=30.0, help="give up filling after this long")
    parser.add_argument("--disturbed-limit", type=float, default=15.0,
                        help="wait until other processes use less than this %% of a core before each run")
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="wait at most this long for that (s)")
    parser.add_argument("--p99-limit", type=float, default=1000.0, help="the most a refusal may take at p99, ms")
    parser.add_argument("--pg-url", default=os.environ.get("OKIENKO_BENCH_NUMBERS_PG_URL", PG_DEFAULT),
                        help="a PostgreSQL database this script may drop and create")
    parser.add_argument("--okienko", default="", metavar="CMD", help="another launcher instead of .venv/bin/okienko")
    parser.add_argument("--source", default="", metavar="DIR", help="run the Okienko of this source tree instead")
    parser.add_argument("--json", default="", help="write the results here as JSON")
    parser.add_argument("--workdir", default="", help="where databases and logs go (default: a new temp folder)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="okienko-numbers-"))
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    results = [run_one(args, database, workdir) for database in databases]
    print(markdown(results))
    for r in results:
        for failure in r["failures"]:
            print(f"- {r['database']}: {failure}")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": " ".join(sys.argv), "settings": vars(args),
                                               "machine": machine_info(), "results": results},
                                              indent=2, default=str))
    if any(f.startswith("could not run") for r in results for f in r["failures"]):
        return 2
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: how soon a freshly started `okienko serve` answers, and how long importing the app takes.

    .venv/bin/python bench/startup.py [--runs 10] [--json results.json] [--source DIR ...]

For each source tree (--source, repeatable; default this one), compiles its bytecode (as installing
a package does: `python -m compileall`, even under PYTHONDONTWRITEBYTECODE) and prepares a fresh SQLite database in
a temporary folder with the tree's demo office (config/demo-office.toml, its kiosks' printers set
to `none`: a server without local printers): `okienko migrate`, `okienko office load`,
`okienko device add kiosk hall-1`. Then --runs rounds, each tree once per round (interleaved, so
that a busy spell of a shared machine falls on every tree alike):

  first answer   spawns `okienko serve --port P` and measures the wall time from just before the
                 spawn to the first `200` from GET /healthz (a raw socket, polled every --poll-ms),
                 and the CPU time the server process had used by then (/proc/PID/stat, 10 ms
                 ticks); then stops the server (SIGTERM) and waits for it to exit;
  import         in a fresh process, `import okienko_server.app` timed by the process itself
                 (wall and CPU around the import, so the interpreter's own start is not in it),
                 and once more under `python -X importtime`, whose total for okienko_server.app
                 is reported as well (it runs slower: it times every module).

With --floor, a bare server on the same stack is measured alike, interleaved with the trees: a
Starlette app under `uvicorn.run` whose /healthz runs `SELECT 1` through SQLAlchemy's async engine
on aiosqlite, importing Jinja2 as well; what any app built on these libraries pays before it can
answer, on this machine at this time.

Prints the median, min and max of each; writes everything with --json. Every tree runs with this
venv (its editable install set aside), so an older commit from `git archive` and the current code
are measured by the same script in the same way.

Only 127.0.0.1 is contacted. Every process the script starts, it stops; the folder is removed
unless --keep-workdir.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Runs `okienko` or an import from the tree at SOURCE (argv[1]) rather than from the editable
# install, whose finder would win otherwise; the same code for every tree, so that trees compare.
PRELUDE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
           "(getattr(f, '__name__', '') + type(f).__module__).lower()]; sys.path.insert(0, sys.argv.pop(1)); ")
CLI = PRELUDE + "from okienko_server.cli import main; sys.argv[0] = 'okienko'; sys.exit(main())"
APP_IMPORT = "import okienko_server.app"
# The same statement timed in-process (wall and CPU), or under -X importtime after a marker line.
TIMED = ("import time; wall, cpu = time.perf_counter(), time.process_time(); {statement}; "
         "print(time.perf_counter() - wall, time.process_time() - cpu)")
MARKED = "sys.stderr.write('-- measured from here --\\n'); {statement}"
FLOOR_IMPORT = "import sqlalchemy.ext.asyncio, aiosqlite, jinja2, uvicorn, starlette.applications"
FLOOR = "\n".join([
    "import sys", "import sqlalchemy as sa, jinja2, uvicorn", "from sqlalchemy.ext.asyncio import create_async_engine",
    "from starlette.applications import Starlette", "from starlette.responses import JSONResponse",
    "from starlette.routing import Route",
    "engine = create_async_engine(sys.argv[1])",
    "async def healthz(request):",
    "    async with engine.connect() as conn:",
    "        await conn.execute(sa.text('SELECT 1'))",
    "    return JSONResponse({'status': 'ok'})",
    "uvicorn.run(Starlette(routes=[Route('/healthz', healthz)]), host='127.0.0.1', port=int(sys.argv[-1]),",
    "            log_level='warning')",
])


def office_toml(source: Path) -> str:
    """The tree's demo office (services, windows, bookings, draws, kiosks, a board), with every
    kiosk's printer `none`: the server has no printer of its own to check."""
    office = (source / "config" / "demo-office.toml").read_text(encoding="utf-8")
    return re.sub(r"^\[kiosk\.printer\]\n(?:#.*\n)*(?:\w+ = .*\n)+", '[kiosk.printer]\nkind = "none"\n', office,
                  flags=re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def healthz_status(port: int) -> int | None:
    """The status of one GET /healthz on a new connection; None while nothing listens."""
    try:
        with socket.create_connection((HOST, port), timeout=5) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
            return int(head[9:12]) if head.startswith(b"HTTP/1.1 ") else 0
    except OSError:
        return None


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process (not its children)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_answer(command: list[str], env: dict[str, str], folder: Path, poll: float,
                 timeout: float) -> tuple[float, float]:
    """Seconds from spawning `command PORT` (`okienko serve --port` PORT) to its first 200 on
    /healthz, and the server's CPU time by then."""
    port = free_port()
    with open(folder / "serve.log", "ab") as log:
        started = time.perf_counter()
        process = subprocess.Popen([*command, str(port)], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                status = healthz_status(port)
                if status == 200:
                    return time.perf_counter() - started, cpu_seconds(process.pid)
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}; see {folder / 'serve.log'}")
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"no 200 from /healthz within {timeout:.0f} s (last: {status})")
                time.sleep(poll)
        finally:
            stop(process)


def import_seconds(prelude: list[str], statement: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of `statement` (an import) in a fresh process."""
    code, *source = prelude
    done = subprocess.run([sys.executable, "-c", code + TIMED.format(statement=statement), *source], env=env,
                          check=True, capture_output=True, text=True)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def importtime(prelude: list[str], statement: str, env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    """`-X importtime`'s total for `statement` (its top-level imports), and the top-level packages
    it took longest on."""
    code, *source = prelude
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code + MARKED.format(statement=statement),
                           *source], env=env, check=True, capture_output=True, text=True)
    total = 0.0
    packages: dict[str, float] = {}
    measured = done.stderr.partition("-- measured from here --\n")[2]
    for line in measured.splitlines():
        if not line.startswith("import time:"):
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        if not name[1:].startswith(" "):   # imported by the statement itself, not by another module
            total += int(cumulative) / 1e6
        top = name.strip().split(".")[0]
        packages[top] = packages.get(top, 0.0) + int(own) / 1e6
    return total, sorted(packages.items(), key=lambda item: -item[1])[:12]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "load_average": os.getloadavg()}


class Tree:
    """One server under test (a source tree, or the stack's floor): its folder, how it is started
    and imported, and what was measured."""

    def __init__(self, label: str, folder: Path, source: Path | None) -> None:
        self.label, self.folder, self.source = label, folder, source
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith("OKIENKO_") and name not in ("DATABASE_URL", "PYTHONPATH")}
        database = f"sqlite:///{folder / 'okienko.db'}"
        self.env.update(DATABASE_URL=database, OKIENKO_DATA_DIR=str(folder / "var"),
                        OKIENKO_LOG_LEVEL="warning", OKIENKO_SECRET_KEY="startup-" + "x" * 32)
        if source is None:
            self.prelude, self.statement = ["import sys; "], FLOOR_IMPORT
            self.serve = [sys.executable, "-c", FLOOR, database.replace("sqlite://", "sqlite+aiosqlite://")]
        else:
            self.prelude, self.statement = [PRELUDE, str(source)], APP_IMPORT
            self.cli = [sys.executable, "-c", CLI, str(source)]
            self.serve = [*self.cli, "serve", "--port"]
        self.figures: dict[str, list[float]] = {key: [] for key in FIGURES}
        self.packages: list[list[tuple[str, float]]] = []

    def prepare(self) -> None:
        self.folder.mkdir()
        if self.source is None:
            return
        (self.folder / "office.toml").write_text(office_toml(self.source), encoding="utf-8")
        # The tree's bytecode, as installing a package writes it (pip compiles what it installs): a
        # server starting from sources alone (an editable install under PYTHONDONTWRITEBYTECODE=1)
        # would compile every module at every start, which is not start-up but a missing install step.
        env = {name: value for name, value in self.env.items() if name != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"/(\.venv|node_modules|\.git)/",
                        str(self.source)], env=env, check=True, stdout=subprocess.DEVNULL)
        with open(self.folder / "prepare.log", "wb") as log:
            for step in (["migrate"], ["office", "load", "office.toml"], ["device", "add", "kiosk", "hall-1"]):
                subprocess.run([*self.cli, *step], env=self.env, cwd=self.folder, check=True,
                               stdout=subprocess.DEVNULL, stderr=log)

    def measure(self, poll: float, timeout: float) -> str:
        answer = first_answer(self.serve, self.env, self.folder, poll, timeout)
        imported = import_seconds(self.prelude, self.statement, self.env)
        total, top = importtime(self.prelude, self.statement, self.env)
        for key, value in zip(FIGURES, (*answer, *imported, total)):
            self.figures[key].append(value)
        self.packages.append(top)
        return f"first answer {answer[0]:.3f} s (CPU {answer[1]:.2f} s), import {imported[0]:.3f} s, importtime {total:.3f} s"

    def results(self) -> dict[str, Any]:
        timed = self.figures["importtime_s"]
        median_run = sorted(range(len(timed)), key=lambda index: timed[index])[len(timed) // 2]
        return {"label": self.label, "import": self.statement,
                **{key: {**summary(values), "all": values} for key, values in self.figures.items()},
                "importtime_top_packages_s": dict(self.packages[median_run])}


FIGURES = {"first_answer_s": "spawn to first 200 from /healthz (wall)",
           "first_answer_cpu_s": "CPU of the server until then",
           "import_s": "the import (wall)", "import_cpu_s": "the import (CPU)",
           "importtime_s": "the import under -X importtime"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="rounds: server starts and imports of each tree")
    parser.add_argument("--source", type=Path, action="append",
                        help="an Okienko source tree to start (repeatable; default: the one holding this script)")
    parser.add_argument("--floor", action="store_true", help="also measure a bare server on the same stack")
    parser.add_argument("--poll-ms", type=float, default=1.0, help="pause between two /healthz attempts")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on a start after this long")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--workdir", type=Path, help="folder for the databases and logs (default: a temporary one)")
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args(argv)

    sources = [source.resolve() for source in args.source or [ROOT]]
    for source in sources:
        if not (source / "okienko_server" / "cli.py").exists():
            parser.error(f"{source} is not an Okienko source tree")
    workdir = Path(tempfile.mkdtemp(prefix="okienko-startup-", dir=args.workdir))
    trees = [Tree(str(source), workdir / f"tree-{index}", source) for index, source in enumerate(sources)]
    if args.floor:
        trees.append(Tree("stack floor: Starlette, uvicorn, SQLAlchemy async + aiosqlite, Jinja2",
                          workdir / "floor", None))
    results: dict[str, Any] = {"runs": args.runs, "poll_ms": args.poll_ms, "machine": machine()}
    try:
        for tree in trees:
            tree.prepare()
        for run in range(args.runs):
            for tree in trees:
                line = tree.measure(args.poll_ms / 1000, args.timeout)
                print(f"run {run + 1}/{args.runs} {tree.label}: {line}", file=sys.stderr, flush=True)
    except (subprocess.CalledProcessError, RuntimeError) as error:
        print(f"startup.py: could not run: {error}; logs in {workdir}", file=sys.stderr)
        return 2
    results["machine"]["load_average_after"] = os.getloadavg()
    results["trees"] = [tree.results() for tree in trees]
    if not args.keep_workdir:
        shutil.rmtree(workdir, ignore_errors=True)

    load = results["machine"]["load_average"][0], results["machine"]["load_average_after"][0]
    print(f"\n{results['machine']['cpus']} CPUs, {args.runs} rounds, 1-minute load average {load[0]:.2f} "
          f"before, {load[1]:.2f} after")
    for tree in results["trees"]:
        print(f"\n{tree['label']} (`{tree['import']}`)\n\n| measure | median s | min s | max s |\n|---|--:|--:|--:|")
        for key, label in FIGURES.items():
            print(f"| {label} | {tree[key]['median']:.3f} | {tree[key]['min']:.3f} | {tree[key]['max']:.3f} |")
        print("\nself time by top-level package under -X importtime (median run): " + ", ".join(
            f"{name} {seconds * 1000:.0f} ms" for name, seconds in tree["importtime_top_packages_s"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

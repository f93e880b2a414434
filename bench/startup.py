#!/usr/bin/env python3
"""Benchmark: how soon a freshly started `okienko serve` answers, and how long importing the app takes.

    .venv/bin/python bench/startup.py [--runs 10] [--json results.json] [--source DIR ...]

For each source tree (--source, repeatable; default this one), prepares a fresh SQLite database in
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
IMPORT = (PRELUDE + "import time; wall, cpu = time.perf_counter(), time.process_time(); import okienko_server.app; "
          "print(time.perf_counter() - wall, time.process_time() - cpu)")
IMPORTTIME = PRELUDE + "import okienko_server.app"


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


def first_answer(cli: list[str], env: dict[str, str], folder: Path, poll: float, timeout: float) -> tuple[float, float]:
    """Seconds from spawning `okienko serve` to its first 200 on /healthz, and the server's CPU by then."""
    port = free_port()
    with open(folder / "serve.log", "ab") as log:
        started = time.perf_counter()
        process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=folder,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                status = healthz_status(port)
                if status == 200:
                    return time.perf_counter() - started, cpu_seconds(process.pid)
                if process.poll() is not None:
                    raise RuntimeError(f"okienko serve exited with {process.returncode}; see {folder / 'serve.log'}")
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"no 200 from /healthz within {timeout:.0f} s (last: {status})")
                time.sleep(poll)
        finally:
            stop(process)


def import_seconds(source: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of `import okienko_server.app` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", IMPORT, str(source)], env=env, check=True,
                          capture_output=True, text=True)
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def importtime(source: Path, env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    """`-X importtime`'s total for okienko_server.app, and the top-level packages it took longest on."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTTIME, str(source)], env=env,
                          check=True, capture_output=True, text=True)
    total = 0.0
    packages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if name == "okienko_server.app":
            total = int(cumulative) / 1e6
        top = name.split(".")[0]
        packages[top] = packages.get(top, 0.0) + int(_self) / 1e6
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


def prepare(cli: list[str], env: dict[str, str], folder: Path, source: Path) -> None:
    (folder / "office.toml").write_text(office_toml(source), encoding="utf-8")
    with open(folder / "prepare.log", "wb") as log:
        for step in (["migrate"], ["office", "load", "office.toml"], ["device", "add", "kiosk", "hall-1"]):
            subprocess.run([*cli, *step], env=env, cwd=folder, check=True, stdout=subprocess.DEVNULL, stderr=log)


class Tree:
    """One source tree under test: its database folder, its launcher and what was measured."""

    def __init__(self, source: Path, folder: Path) -> None:
        self.source, self.folder = source, folder
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith("OKIENKO_") and name not in ("DATABASE_URL", "PYTHONPATH")}
        self.env.update(DATABASE_URL=f"sqlite:///{folder / 'okienko.db'}", OKIENKO_DATA_DIR=str(folder / "var"),
                        OKIENKO_LOG_LEVEL="warning", OKIENKO_SECRET_KEY="startup-" + "x" * 32)
        self.cli = [sys.executable, "-c", CLI, str(source)]
        self.figures: dict[str, list[float]] = {key: [] for key in FIGURES}
        self.packages: list[list[tuple[str, float]]] = []

    def measure(self, poll: float, timeout: float) -> str:
        answer = first_answer(self.cli, self.env, self.folder, poll, timeout)
        imported = import_seconds(self.source, self.env)
        total, top = importtime(self.source, self.env)
        for key, value in zip(FIGURES, (*answer, *imported, total)):
            self.figures[key].append(value)
        self.packages.append(top)
        return f"first answer {answer[0]:.3f} s (CPU {answer[1]:.2f} s), import {imported[0]:.3f} s, importtime {total:.3f} s"

    def results(self) -> dict[str, Any]:
        timed = self.figures["importtime_s"]
        median_run = sorted(range(len(timed)), key=lambda index: timed[index])[len(timed) // 2]
        return {"source": str(self.source), **{key: {**summary(values), "all": values}
                                               for key, values in self.figures.items()},
                "importtime_top_packages_s": dict(self.packages[median_run])}


FIGURES = {"first_answer_s": "spawn to first 200 from /healthz (wall)",
           "first_answer_cpu_s": "CPU of the server until then",
           "import_s": "import okienko_server.app (wall)", "import_cpu_s": "import okienko_server.app (CPU)",
           "importtime_s": "the import under -X importtime"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="rounds: server starts and imports of each tree")
    parser.add_argument("--source", type=Path, action="append",
                        help="an Okienko source tree to start (repeatable; default: the one holding this script)")
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
    trees = [Tree(source, workdir / f"tree-{index}") for index, source in enumerate(sources)]
    results: dict[str, Any] = {"runs": args.runs, "poll_ms": args.poll_ms, "machine": machine()}
    try:
        for tree in trees:
            tree.folder.mkdir()
            prepare(tree.cli, tree.env, tree.folder, tree.source)
        for run in range(args.runs):
            for tree in trees:
                line = tree.measure(args.poll_ms / 1000, args.timeout)
                print(f"run {run + 1}/{args.runs} {tree.source}: {line}", file=sys.stderr, flush=True)
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
        print(f"\n{tree['source']}\n\n| measure | median s | min s | max s |\n|---|--:|--:|--:|")
        for key, label in FIGURES.items():
            print(f"| {label} | {tree[key]['median']:.3f} | {tree[key]['min']:.3f} | {tree[key]['max']:.3f} |")
        print("\nself time by top-level package under -X importtime (median run): " + ", ".join(
            f"{name} {seconds * 1000:.0f} ms" for name, seconds in tree["importtime_top_packages_s"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

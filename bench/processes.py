"""The processes a benchmark starts and measures: stopping a server, a process and its children,
PostgreSQL's processes, their memory and connections, the CPU they use in a measured window, and
waiting for the machine to be quiet before one (it is shared with other work).

A library for the scripts in bench/, not a benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from typing import Any


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM, as `okienko serve` is stopped; after `timeout` s, kill it and its children."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        # uvicorn's supervisor forwards the signal to its workers; if it hangs, end the tree.
        with contextlib.suppress(Exception):
            import psutil
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
        process.kill()
        process.wait(5)


def tree(pid: int) -> list[Any]:
    """The process `pid` and all its descendants (psutil.Process), or [] when it is gone."""
    import psutil
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    return []


def postgres_processes() -> list[Any]:
    import psutil
    return [p for p in psutil.process_iter(["name"]) if (p.info.get("name") or "").startswith("postgres")]


def rss_mb(pid: int) -> float:
    """Resident memory of the process tree of `pid`, in MB."""
    return round(sum(p.memory_info().rss for p in tree(pid)) / 2**20, 1)


def established(pid: int, port: int) -> int:
    """TCP connections of process `pid` on its port `port` that are ESTABLISHED (-1: it is gone)."""
    import psutil
    with contextlib.suppress(psutil.Error):
        return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port)
    return -1


class CpuMeter:
    """CPU seconds of groups of processes between two moments, as % of one core."""

    def __init__(self, groups: dict[str, Any]) -> None:
        import psutil
        self.psutil = psutil
        self.groups = groups        # name -> callable returning a list of psutil.Process
        self.start: dict[str, dict[int, float]] = {}
        self.per_process: dict[str, dict[str, float]] = {}
        self.t0 = 0.0
        self.machine0: Any = None
        self.names: dict[int, str] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        result: dict[str, dict[int, float]] = {}
        claimed: set[int] = set()
        for name, lister in {**self.groups, "harness": lambda: tree(os.getpid())}.items():
            seen: dict[int, float] = {}
            for proc in lister():
                if proc.pid in claimed:      # the harness's tree holds the server and clients too
                    continue
                with contextlib.suppress(self.psutil.Error):
                    times = proc.cpu_times()
                    seen[proc.pid] = times.user + times.system
            claimed |= seen.keys()
            result[name] = seen
        others: dict[int, float] = {}
        for proc in self.psutil.process_iter():
            if proc.pid not in claimed:
                with contextlib.suppress(self.psutil.Error):
                    times = proc.cpu_times()
                    others[proc.pid] = times.user + times.system
                    self.names.setdefault(proc.pid, proc.name())
        result["other"] = others
        return result

    def begin(self) -> None:
        self.t0 = time.perf_counter()
        self.machine0 = self.psutil.cpu_times()
        self.start = self._sample()

    def end(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        machine1 = self.psutil.cpu_times()
        finish = self._sample()
        out: dict[str, float] = {}
        for name, seen in finish.items():
            before = self.start.get(name, {})
            deltas = {pid: cpu - before.get(pid, 0.0) for pid, cpu in seen.items()}
            out[name] = round(100.0 * sum(deltas.values()) / wall, 1)
            self.per_process[name] = {f"{pid} {self.names.get(pid, '')}".strip(): round(100.0 * d / wall, 1)
                                      for pid, d in deltas.items() if d > 0.01}
        busy0 = sum(self.machine0) - self.machine0.idle - getattr(self.machine0, "iowait", 0.0)
        busy1 = sum(machine1) - machine1.idle - getattr(machine1, "iowait", 0.0)
        out["machine"] = round(100.0 * (busy1 - busy0) / wall, 1)   # of all cores: 200 % = 2 cores busy
        out["steal"] = round(100.0 * (getattr(machine1, "steal", 0.0) - getattr(self.machine0, "steal", 0.0)) / wall, 1)
        out["softirq"] = round(100.0 * (getattr(machine1, "softirq", 0.0) - getattr(self.machine0, "softirq", 0.0))
                               / wall, 1)
        return out


def foreign_cpu(seconds: float = 1.0) -> float:
    """CPU used by every process but this one over `seconds`, in % of one core."""
    import psutil

    def sample() -> dict[int, float]:
        out = {}
        for proc in psutil.process_iter():
            if proc.pid != os.getpid():
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    out[proc.pid] = times.user + times.system
        return out

    before = sample()
    time.sleep(seconds)
    after = sample()
    return 100.0 * sum(cpu - before.get(pid, cpu) for pid, cpu in after.items()) / seconds


async def wait_quiet(limit: float, max_wait: float) -> float:
    """Wait (at most `max_wait` s) until other processes use less than `limit` % of a core."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = await asyncio.to_thread(foreign_cpu, 1.0)
        if busy < limit or time.monotonic() >= deadline:
            return busy
        await asyncio.sleep(1.0)

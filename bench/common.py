"""What every benchmark in bench/ shares: where things are, free ports, one plain HTTP request and
the wait for a server's /healthz, the environment an `okienko` command runs with, resetting a
benchmark's PostgreSQL database, the walk-in office file, percentiles and number formats, the
machine's description, and the one-time codes the outbox writes as .eml files.

A library for the scripts next to it (they run with bench/ first on sys.path), not a benchmark.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
OFFICE_TZ = "Europe/Warsaw"
LANGUAGES = ("pl", "en", "uk", "ru")
SECRET_KEY = "bench-" + "x" * 32


# ----------------------------------------------------------------------------------------------
# Ports and plain HTTP
# ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_once(port: int, raw: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request on a fresh connection (readiness probes, the first ticket)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(head[9:12] or 0), body


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Return once the server on `port` answers GET /healthz with 200; raise if it exits first."""
    deadline = time.monotonic() + timeout
    probe = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        with contextlib.suppress(OSError, ValueError):
            if http_once(port, probe, 2.0)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


# ----------------------------------------------------------------------------------------------
# Running `okienko`
# ----------------------------------------------------------------------------------------------

def okienko_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any OKIENKO_ setting or DATABASE_URL of the shell, plus
    the benchmark's database, data folder, a fixed secret key and log level warning."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKIENKO_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=database_url, OKIENKO_DATA_DIR=str(data_dir), OKIENKO_LOG_LEVEL="warning",
               OKIENKO_SECRET_KEY=SECRET_KEY, **extra)
    return env


def launcher(command: str = "") -> list[str]:
    """`--okienko CMD` as an argument list (default: the venv's `okienko`); relative paths in it are
    relative to where the benchmark was started, not to the run folder the commands run in."""
    return [os.path.abspath(part) if "/" in part and not part.startswith("/") else part
            for part in (command or str(BIN / "okienko")).split()]


async def recreate_pg_database(url: str) -> None:
    """Drop and create the PostgreSQL database named by `url` (a benchmark's own, never the tests')."""
    import asyncpg
    base, _, name = url.rpartition("/")
    conn = await asyncpg.connect(base + "/postgres")
    try:
        name = name.split("?", 1)[0]
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def fresh_schema(url: str, stamp: bool = False) -> None:
    """An empty database at `url` with Okienko's tables made from the models (no migrations): the
    PostgreSQL database dropped and created again first (a benchmark's own, never the tests').
    `stamp`: also record the migrations' heads in `alembic_version`, as `okienko migrate` would,
    so that `okienko` commands and `okienko serve` take the database as up to date (seconds
    faster than running every migration)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from okienko.settings import async_url
    from okienko.storage.migrate import head_revisions
    from okienko.storage.models import metadata

    if url.startswith("postgresql"):
        await recreate_pg_database(url)
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        if stamp:
            await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version "
                                       "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            for head in sorted(head_revisions()):
                await conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    await engine.dispose()


def office_toml(services: list[str], windows: int, written_by: str) -> str:
    """A walk-in office open 00:00-24:00 every day, no daily limit, no cut-off, a kiosk `hall-1`
    without a printer, and `windows` windows each serving every service."""
    all_week = ", ".join(f'{day} = "00:00-24:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    parts = [
        f"# Written by {written_by}: open all week, no daily limit, no printer.",
        "[office]", 'code = "bench"', 'name = "Benchmark office"', f'timezone = "{OFFICE_TZ}"',
        "closed_on_public_holidays = false", 'priority_mode = "first"', "",
    ]
    for code in services:
        parts += [
            "[[service]]", f'code = "{code}"', f'prefix = "{code}"',
            f'names = {{ pl = "Usługa {code}", en = "Service {code}", uk = "Послуга {code}", ru = "Услуга {code}" }}',
            # Tiny, so that thousands of waiting tickets never push the estimated wait past 24:00.
            "average_service_minutes = 0.001", "last_ticket_minutes_before_close = 0", f"hours = {{ {all_week} }}", "",
        ]
    for number in range(1, windows + 1):
        parts += ["[[window]]", f'number = "{number}"', f"services = {json.dumps(services)}", ""]
    parts += ["[[kiosk]]", 'name = "hall-1"', "[kiosk.printer]", 'kind = "none"', ""]
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------
# The one-time codes the server's outbox writes as .eml files (no SMTP server configured)
# ----------------------------------------------------------------------------------------------

class MailFolder:
    """Watches the server's mail folder (.eml files written by the outbox) for one-time codes."""

    SUBJECT = re.compile(rb"^Subject: (.*)\n", re.MULTILINE)
    TO = re.compile(rb"^To: (\S+)\n", re.MULTILINE)
    CODE = re.compile(rb"confirmation code: (\d{6})")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[str] = set()
        self.codes: dict[str, tuple[str, float]] = {}     # email -> (code, when the file was found)
        self.waiting: dict[str, asyncio.Future[tuple[str, float]]] = {}
        self.files = 0

    def scan(self) -> None:
        with contextlib.suppress(FileNotFoundError), os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name in self.seen or not entry.name.endswith(".eml"):
                    continue
                data = Path(entry.path).read_bytes()
                subject, to = self.SUBJECT.search(data), self.TO.search(data)
                if not subject or not to:
                    continue        # still being written: read it again next time
                self.seen.add(entry.name)
                self.files += 1
                code = self.CODE.search(subject.group(1))
                if code:
                    email = to.group(1).decode()
                    found = (code.group(1).decode(), time.perf_counter())
                    self.codes[email] = found
                    waiter = self.waiting.pop(email, None)
                    if waiter and not waiter.done():
                        waiter.set_result(found)

    async def watch(self, every: float = 0.005) -> None:
        while True:
            self.scan()
            await asyncio.sleep(every)

    async def code_for(self, email: str, timeout: float) -> tuple[str, float]:
        if email in self.codes:
            return self.codes[email]
        future: asyncio.Future[tuple[str, float]] = asyncio.get_running_loop().create_future()
        self.waiting[email] = future
        return await asyncio.wait_for(future, timeout)


class AnyCodeMailFolder(MailFolder):
    """The one-time codes of bookings and draw entries alike (each subject ends with the code)."""

    CODE = re.compile(rb": (\d{6})\s*$")


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------

def pct(values: list[int], q: float) -> float | None:
    """The q-quantile (nearest rank) of sorted latencies in µs, in ms; None when there are none."""
    if not values:
        return None
    index = min(len(values) - 1, max(0, int(round(q * len(values))) - 1))
    return values[index] / 1000.0


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("uvicorn", "starlette", "uvloop", "httptools", "sqlalchemy", "asyncpg", "aiosqlite"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version
            versions[package] = version(package)
    return {"nproc": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "sqlite": sqlite3.sqlite_version, "packages": versions}

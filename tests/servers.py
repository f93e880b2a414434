"""Real servers that tests start, stop, kill and start again themselves: a private PostgreSQL, a
private Redis, a private Radicale (CalDAV) (each on its own port, never the shared 127.0.0.1:5432 and :6379), and `okienko
serve` processes over a database prepared with a hall (kiosk, board and clerk tokens).

PostgreSQL's `initdb` and `pg_ctl` refuse to run as root: as root they run as `nobody` (through
`runuser`), over a data directory of their own in a temporary folder. Where they cannot run at all
the test is skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import importlib.util
import concurrent.futures
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from okienko.storage.migrate import _at_head, upgrade
from okienko.office.config_file import load_office, read_office_file
from okienko.settings import Settings, async_url
from tests.conftest import DEMO_OFFICE, IN_CI, free_port

PG_BIN = Path("/usr/local/bin")
UNPRIVILEGED = "nobody"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def wait_until(condition, timeout: float, what: str, every: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition()` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} (waited {timeout} s)"
        time.sleep(every)


# ---- PostgreSQL ---------------------------------------------------------------------------------

@dataclass
class PrivatePostgres:
    """A PostgreSQL of the test's own: its own data directory and port, stopped and started at will."""

    home: Path
    port: int
    as_user: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.home / "data"), *args],
                              cwd=self.home, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"pg_ctl {args[0]}: {done.stdout}{done.stderr}{self.log()}"

    def start(self) -> None:
        # fsync off: a stopped or crashed PostgreSQL keeps what it committed (the OS has it); only a
        # power cut would lose it, and no test cuts the power.
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.home / "postgres.log"), "-o",
                     f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: disconnect everyone and shut down cleanly; `immediate`: as in a crash."""
        self._pg_ctl("stop", "-w", "-t", "30", "-m", mode)

    def log(self) -> str:
        path = self.home / "postgres.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb a new cluster in a temporary folder, start it on a free port; remove it afterwards."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        _unavailable(f"no initdb/pg_ctl in {PG_BIN}: the PostgreSQL outage tests need a private server")
    as_user: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="okienko-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
        account = pwd.getpwnam(UNPRIVILEGED)
        os.chown(home, account.pw_uid, account.pw_gid)
    try:
        made = subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(home / "data"), "-A", "trust",
                               "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"],
                              cwd=home, capture_output=True, text=True, timeout=120)
        if made.returncode != 0:
            _unavailable(f"initdb failed: {made.stderr.strip()[-500:]}")
        server = PrivatePostgres(home, free_port(), as_user)
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(AssertionError, subprocess.SubprocessError):
                server.stop("immediate")
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ---- Redis --------------------------------------------------------------------------------------

@dataclass
class PrivateRedis:
    """A redis-server of the test's own on a free port, nothing saved to disk; killed and started at will."""

    port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 15, "redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def pause(self) -> None:
        """SIGSTOP: connections are still taken (by the kernel), nothing is answered; as a hung server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def private_redis(home: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        _unavailable("no redis-server on PATH: the Redis outage test needs a private one")
    server = PrivateRedis(free_port(), home)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# ---- Radicale (CalDAV) --------------------------------------------------------------------------

RADICALE_USER = ("okienko", "hasło-Ключ-1")   # htpasswd, plain: the push logs in as a real server asks


@dataclass
class PrivateRadicale:
    """A Radicale CalDAV server of the test's own on a free loopback port, its collections in a
    temporary folder (kept across a stop and a start, as a real server's disk); one user, HTTP Basic."""

    port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def collection(self, name: str) -> str:
        return f"{self.url}/{RADICALE_USER[0]}/{name}/"

    def start(self) -> None:
        users = self.home / "users"
        users.write_text(f"{RADICALE_USER[0]}:{RADICALE_USER[1]}\n", encoding="utf-8")
        with open(self.home / "radicale.log", "ab") as log:   # the server keeps its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
                 "--storage-filesystem-folder", str(self.home / "collections"), "--auth-type", "htpasswd",
                 "--auth-htpasswd-filename", str(users), "--auth-htpasswd-encryption", "plain",
                 "--rights-type", "owner_only", "--logging-level", "error"],
                stdout=subprocess.DEVNULL, stderr=log)
        wait_until(self._answers, 30, "radicale did not start")

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/.web/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    def make_calendar(self, name: str) -> str:
        """A new calendar collection (MKCALENDAR) under the user's home; returns its address."""
        with httpx.Client(auth=RADICALE_USER, timeout=10) as client:
            client.request("MKCOL", f"{self.url}/{RADICALE_USER[0]}/")   # 201, or 405 when it is there
            made = client.request("MKCALENDAR", self.collection(name))
            assert made.status_code == 201, made.text
        return self.collection(name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextlib.contextmanager
def private_radicale(home: Path) -> Iterator[PrivateRadicale]:
    if importlib.util.find_spec("radicale") is None:
        _unavailable("radicale is not installed (pip install -e '.[test]'): the CalDAV tests need it")
    server = PrivateRadicale(free_port(), home)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- a hall in a database, and `okienko serve` over it ------------------------------------------

def hall_office_text() -> str:
    """The demo office with no daily limits, no closures and no holidays, and kiosks without
    printers; loaded open round the clock (`prepare_hall`), so that a test depends neither on the
    day and hour nor on how many tickets its load takes."""
    office = re.sub(r"^daily_limit = \d+$", "", DEMO_OFFICE.read_text(encoding="utf-8"), flags=re.M)
    office = office.replace("closed_on_public_holidays = true", "closed_on_public_holidays = false")
    office = office.replace('closures = ["2026-12-31"]', "closures = []")
    return re.sub(r'^kind = "file"\npath = .*\nprofile = .*$', 'kind = "none"', office, flags=re.M)


def prepare_hall(database_url: str, folder: Path, tokens: dict[str, str]) -> dict[str, str]:
    """Migrate an empty database and load the hall office (`hall_office_text`), open at any hour;
    then a token for each name in `tokens`: "kiosk:hall-1", "board:hall", "clerk:anna" or
    "manager:ewa" (each person is made once; each name gets a token of its own, as a clerk's token holds one window).
    Runs in a thread of its own, so that it can be called where an event loop runs (Playwright's)."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(_prepare_hall, database_url, folder, tokens).result()


def _prepare_hall(database_url: str, folder: Path, tokens: dict[str, str]) -> dict[str, str]:
    upgrade(Settings(database_url=database_url, data_dir=str(folder)))
    office_file = folder / "hall-office.toml"
    office_file.write_text(hall_office_text(), encoding="utf-8")
    spec = read_office_file(office_file)

    async def load() -> dict[str, str]:
        engine = create_async_engine(async_url(database_url))
        issued: dict[str, str] = {}
        clerks: set[str] = set()
        try:
            async with engine.begin() as conn:
                await load_office(conn, spec, always_open=True)
                for name, wanted in tokens.items():
                    kind, _, who = wanted.partition(":")
                    if kind not in ("clerk", "manager"):
                        issued[name] = await issue_device_token(conn, spec.code, kind, who)
                        continue
                    if who not in clerks:
                        await add_user(conn, who, kind, "correct horse battery")
                        clerks.add(who)
                    issued[name] = await issue_staff_token(conn, who, datetime.now(timezone.utc))
        finally:
            await engine.dispose()
        return issued

    return asyncio.run(load())


def serve_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of an `okienko serve` over `database_url`; `settings` are OKIENKO_ variables."""
    env = {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(data_dir),
           "OKIENKO_LOG_LEVEL": "warning", "OKIENKO_SECRET_KEY": "test"}
    for name in ("OKIENKO_BROKER_URL", "OKIENKO_TRUSTED_PROXIES"):
        env.pop(name, None)
    env.update({f"OKIENKO_{name.upper()}": value for name, value in settings.items()})
    return env


@dataclass
class ServerProcess:
    """`okienko serve` in a subprocess on a port of its own: started and waited for, stopped, killed
    (SIGKILL, as in a crash) and started again on the same port. Its log goes to a file."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.launch()
        self.wait(timeout)

    def launch(self) -> None:
        """Start the process, not waiting for it to answer (`wait`)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "okienko_server.cli", "serve", "--port", str(self.port)],
                                        env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        log.close()

    def wait(self, timeout: float = 30.0) -> None:
        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, f"okienko serve exited:\n{self.log()}"
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout, f"okienko serve did not answer /healthz:\n{self.log()}", every=0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def okienko_servers(env: dict[str, str], folder: Path, count: int = 1) -> Iterator[list[ServerProcess]]:
    """`count` server processes over one database, stopped afterwards. Over a database at the
    schema's head (prepare_hall) they start side by side (each start is a few seconds of imports);
    otherwise the first migrates it alone and the others start after it."""
    servers = [ServerProcess(env, folder / f"serve-{n}.log") for n in range(count)]
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as thread:   # callable where an event loop runs
            at_head = thread.submit(_at_head, env["DATABASE_URL"]).result()
        if not at_head:
            servers[0].start()
        for server in servers:
            if server.process is None:
                server.launch()
        for server in servers:
            server.wait()
        yield servers
    finally:
        for server in servers:
            server.stop()

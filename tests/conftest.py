"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from OKIENKO_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test);
a database of its own is created for the test session and dropped after. Where PostgreSQL is
not reachable its tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import filecmp
import functools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import create_async_engine

from okienko_server.app import create_app
from okienko.staff import passwords as _passwords
from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from okienko.clock import FixedClock
from okienko.storage.models import metadata
from okienko.office.config_file import load_office, read_office_file
from okienko.settings import Settings, async_url

ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICE = ROOT / "config" / "demo-office.toml"
WARSAW = ZoneInfo("Europe/Warsaw")
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("OKIENKO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


# argon2 at the app's strength (64 MiB, three passes) costs a tenth of a second or more for every
# password set or checked, and the suite sets and checks hundreds. In the test processes (not in the
# servers they start as subprocesses) the one hasher takes argon2's cheapest parameters: the same
# code and the same checks, at a thousandth of the cost. The app's own hasher, REAL_PASSWORD_HASHER,
# keeps its strength (tests/okienko/staff/test_staff.py).
REAL_PASSWORD_HASHER = _passwords._hasher


@functools.cache
def _cheapest_hasher() -> Any:
    from argon2 import PasswordHasher, profiles

    return PasswordHasher.from_parameters(profiles.CHEAPEST)


_passwords._hasher = _cheapest_hasher


def warsaw(*args: int) -> datetime:
    """A moment given in office-local (Europe/Warsaw) wall time."""
    return datetime(*args, tzinfo=WARSAW)


# Modules that listen on the shared Redis server's channels (pub/sub ignores the database number):
# run one after the other, never side by side.
SHARED_REDIS_MODULES = {"tests.okienko.test_live", "tests.okienko_server.test_processes"}


# The modules that take longest (servers in subprocesses, browsers, many cases), started first so
# that no worker is left alone with one of them at the end (`--durations` shows the current costs).
SLOW_FIRST = ("tests/test_accessibility_everywhere.py",
              "tests/okienko_server/test_cli.py", "tests/booking_api/test_openapi_fuzz.py",
              "tests/kiosk/test_kiosk_browser.py", "tests/back_office/test_back_office_browser.py",
              "tests/okienko_server/test_outages.py", "tests/booking_site/test_booking_browser.py",
              "tests/back_office/test_back_office_axe.py", "tests/kiosk/test_kiosk_checkin_browser.py",
              "tests/okienko_server/test_processes.py", "tests/deploy/test_nginx.py", "tests/booking_site/test_draw_browser.py",
              "tests/kiosk/test_kiosk_layout_matrix.py", "tests/okienko/notify/test_caldav_push.py",
              "tests/okienko/stats/test_report.py", "tests/back_office/test_back_office_stats.py",
              "tests/back_office/test_back_office_offices.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The suite runs on several workers (pytest-xdist, `--dist loadgroup`): a module's tests stay on
    one worker, so its module-wide servers start once, and the shared-Redis modules share one; the
    slowest modules go out first."""
    loadgroup = bool(getattr(config.option, "loadgroup", False)) or getattr(config.option, "dist", "") == "loadgroup"
    for item in items:
        # Schemathesis names each operation's test (`test_x[GET /healthz]`) but gives them all the
        # function's node id, by which the workers are handed their tests: one id each.
        if not item.nodeid.split("@")[0].endswith(item.name):
            _set_node_id(item, f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}")
        marker = item.get_closest_marker("xdist_group")
        if marker is None:
            module = item.module.__name__ if item.module else item.nodeid.split("::")[0]
            group = pytest.mark.xdist_group("shared-redis" if module in SHARED_REDIS_MODULES else module)
            item.add_marker(group)
            marker = group.mark
        # xdist groups by an "@group" ending of the node id, which it sets where pytest lets it
        # (before pytest 9, whose ids are structured): without it, a module's tests spread over the
        # workers and each starts the module's servers again.
        if loadgroup and "@" not in item.nodeid:
            _set_node_id(item, f"{item.nodeid}@{marker.args[0]}")
    rank = {module: place for place, module in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))   # stable: in-module order kept


def _set_node_id(item: pytest.Item, nodeid: str) -> None:
    if hasattr(item, "_id"):      # pytest 9 keeps a structured id
        from _pytest.nodeid import coerce_node_id
        item._id = coerce_node_id(nodeid)
    else:
        item._nodeid = nodeid


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _admin(statement: str) -> None:
    engine = create_async_engine(async_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def new_postgres_database(prefix: str = "okienko_test") -> str:
    """A new, empty database of its own on the shared PostgreSQL server (its URL); dropped by
    `drop_postgres_database`. Unreachable: the test fails under CI=true, else it is skipped."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, sa.exc.DBAPIError) as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_postgres_database(url: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


@contextlib.contextmanager
def own_postgres_database(prefix: str = "okienko_test") -> Iterator[str]:
    """`new_postgres_database` for the length of a `with` block."""
    url = new_postgres_database(prefix)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with own_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, empty database of each kind, with the schema in place."""
    if request.param == "sqlite":   # a copy of this worker's empty database: a file copy, not 30 CREATEs
        shutil.copyfile(_sqlite_template(), tmp_path / "okienko.db")
        yield f"sqlite:///{tmp_path / 'okienko.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    asyncio.run(fresh_schema(url))
    yield url


@functools.cache
def _sqlite_template() -> Path:
    """An SQLite file with the models' tables, empty: made once per test process, copied per test."""
    path = Path(tempfile.mkdtemp(prefix="okienko-schema-")) / "empty.db"
    asyncio.run(fresh_schema(f"sqlite:///{path}"))
    return path


async def fresh_schema(url: str) -> None:
    """The models' tables, empty. A PostgreSQL database that still holds exactly those tables (the
    last test's) is emptied in place (_emptied_in_place), much faster than dropping and making 30 tables."""
    if not url.startswith("sqlite") and await _emptied_in_place(url):
        return
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


# Every table's rows deleted (children first), every sequence back at its start: what TRUNCATE ...
# RESTART IDENTITY leaves, without its cost (a TRUNCATE makes new files for 30 tables and their
# indexes, a few tenths of a second; a test's few rows are deleted in milliseconds). One round trip.
_EMPTY_ALL = "BEGIN;\n{deletes}\nSELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)" \
             " FROM pg_sequences WHERE schemaname = current_schema();\nCOMMIT;"


async def _emptied_in_place(url: str) -> bool:
    """Empty a PostgreSQL database that holds exactly the models' tables; False if it holds others."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        present = {row[0] for row in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        if present != set(metadata.tables):
            return False
        await conn.execute(_EMPTY_ALL.format(deletes="\n".join(
            f'DELETE FROM "{table.name}";' for table in reversed(metadata.sorted_tables))))
        return True
    finally:
        await conn.close()


async def drop_everything(url: str, *, recreate: bool = False) -> None:
    """Leave the database empty (no tables, no Alembic version) for tests that migrate it,
    or with the models' tables freshly made (`recreate`)."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            if recreate:
                await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def demo_office_variant(folder: Path, office_keys: dict[str, Any] | None = None,
                        service_keys: dict[str, dict[str, Any]] | None = None) -> Path:
    """The demo office with keys set in its [office] table (e.g. {"number_digits": 4}) and in some
    services (e.g. {"I": {"prefix": "IW", "number_digits": 4}}; None removes a key), written into `folder`."""
    text = _set_keys(DEMO_OFFICE.read_text(encoding="utf-8"), "\n[office]\n", office_keys or {})
    for code, keys in (service_keys or {}).items():
        text = _set_keys(text, f'\n[[service]]\ncode = "{code}"\n', keys)
    path = folder / "demo-office-variant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _set_keys(text: str, head: str, keys: dict[str, Any]) -> str:
    """Set `keys` in the TOML table that starts with `head`, dropping the lines that set them before."""
    start = text.index(head) + len(head)
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    kept = [line for line in text[start:end].splitlines(keepends=True) if line.split("=")[0].strip() not in keys]
    added = [f"{key} = {json.dumps(value)}\n" for key, value in keys.items() if value is not None]
    return text[:start] + "".join(added + kept) + text[end:]


@dataclass
class Office:
    """A running app over a real database, loaded with the demo office, seen through HTTP."""

    app: Any
    client: httpx.AsyncClient
    clock: FixedClock
    kiosk_token: str
    settings: Settings

    @property
    def okienko(self) -> Any:
        return self.app.state.okienko

    def kiosk(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.kiosk_token}"}

    async def clerk(self, window: str = "1", username: str | None = None) -> dict[str, str]:
        """A clerk with a staff token, signed in at `window`; returns the headers to act with."""
        username = username or f"clerk-{window}-{secrets.token_hex(3)}"
        async with self.okienko.db.engine.begin() as conn:
            await add_user(conn, username, "clerk", "correct horse battery")
            token = await issue_staff_token(conn, username, self.clock.now())
        headers = {"Authorization": f"Bearer {token}"}
        response = await self.client.post(f"/api/v1/windows/{window}/sign-in", headers=headers)
        assert response.status_code == 200, response.text
        return headers

    async def press(self, headers: dict[str, str], path: str, **body: Any) -> httpx.Response:
        return await self.client.post(path, headers=headers, json=body or None)

    async def take(self, service: str = "A", language: str = "pl", priority: str | None = None,
                   key: str | None = None, token: str | None = None) -> httpx.Response:
        headers = self.kiosk(token)
        if key:
            headers["Idempotency-Key"] = key
        return await self.client.post("/api/v1/tickets", headers=headers,
                                      json={"service": service, "language": language, "priority": priority})


async def open_office(database_url: str, tmp_path: Path, moment: datetime, *, always_open: bool = False,
                      office_file: Path = DEMO_OFFICE, printer: dict[str, Any] | None = None,
                      **settings_extra: Any) -> Office:
    settings = Settings(database_url=database_url, data_dir=str(tmp_path), secret_key="test-secret",
                        print_timeout_seconds=2.0, **settings_extra)
    clock = FixedClock(moment)
    spec = read_office_file(office_file)
    if printer is not None:
        spec.devices = [(k, n, printer if n == "hall-1" else p) for k, n, p in spec.devices]
    else:
        spec.devices = [(k, n, {"kind": "none"} if k == "kiosk" else p) for k, n, p in spec.devices]
    sqlite_file = Path(database_url.removeprefix("sqlite:///")) if database_url.startswith("sqlite:///") else None
    if sqlite_file is not None and filecmp.cmp(sqlite_file, _sqlite_template(), shallow=False):
        # Untouched: a copy of this worker's database with the same office loaded (and the same kiosk token).
        loaded, token = await _loaded_sqlite_template(spec, office_file, always_open, printer)
        shutil.copyfile(loaded, sqlite_file)
        app = create_app(settings, clock=clock, check_printers=False)
    else:
        app = create_app(settings, clock=clock, check_printers=False)
        async with app.state.okienko.db.engine.begin() as conn:
            await load_office(conn, spec, always_open=always_open)
            token = await issue_device_token(conn, spec.code, "kiosk", "hall-1")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://okienko.test")
    await app.state.okienko.live.start(app.state.okienko.hall.current_seq)
    return Office(app, client, clock, token, settings)


_LOADED_TEMPLATES: dict[str, tuple[Path, str]] = {}


async def _loaded_sqlite_template(spec: Any, office_file: Path, always_open: bool,
                                  printer: dict[str, Any] | None) -> tuple[Path, str]:
    """An SQLite file with `spec` loaded and a kiosk token for hall-1, made once per test process for
    each office and options (loading an office costs a tenth of a second; a copy nothing)."""
    key = json.dumps([str(office_file), always_open, printer], sort_keys=True)
    if key not in _LOADED_TEMPLATES:
        path = Path(tempfile.mkdtemp(prefix="okienko-office-")) / "loaded.db"
        shutil.copyfile(_sqlite_template(), path)
        engine = create_async_engine(async_url(f"sqlite:///{path}"))
        try:
            async with engine.begin() as conn:
                await load_office(conn, spec, always_open=always_open)
                token = await issue_device_token(conn, spec.code, "kiosk", "hall-1")
        finally:
            await engine.dispose()
        _LOADED_TEMPLATES[key] = (path, token)
    return _LOADED_TEMPLATES[key]


async def close_office(office: "Office") -> None:
    await office.client.aclose()
    await office.okienko.heartbeats.settled()   # no heartbeat write left behind the database
    await office.okienko.live.stop()
    await office.okienko.db.dispose()


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """The app behind a real uvicorn on a free loopback port (for WebSockets); yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           ws_per_message_deflate=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def office_factory(database_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    opened: list[Office] = []

    async def make(moment: datetime, **options: Any) -> Office:
        office = await open_office(database_url, tmp_path, moment, **options)
        opened.append(office)
        return office

    yield make
    for office in opened:
        await close_office(office)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def require_chromium() -> Path:
    """Debian's Chromium; browser tests skip without it, except under CI=true."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is required under CI=true")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt install chromium); browser tests skipped")
    return CHROMIUM


@dataclass
class Demo:
    """A running `okienko demo`: its address and the sign-in links it printed."""

    url: str
    log: list[str]
    data_dir: Path

    def links(self, kind: str) -> dict[str, str]:
        """Device name -> enrolment path, e.g. {"hall-1": "/kiosk/enroll?token=…"} (the demo prints
        whole links, `http://127.0.0.1:PORT/kiosk/enroll?token=…`)."""
        found = re.findall(rf"^\s+{kind} ([\w-]+): https?://[^/\s]+(/\w+/enroll\?token=\S+)$", "".join(self.log),
                           re.MULTILINE)
        assert found, "".join(self.log)
        return dict(found)

    def token(self, kind: str, name: str | None = None) -> str:
        links = self.links(kind)
        return links[name or next(iter(links))].split("token=", 1)[1]

    def staff_token(self, username: str) -> str:
        """A bearer token for one of the demo's staff, as `okienko token create` gives one (that command
        is tested in tests/okienko_server/test_cli.py; a subprocess for each token cost seconds)."""
        async def issue() -> str:
            engine = create_async_engine(async_url(f"sqlite:///{self.data_dir}/demo.db"))
            try:
                async with engine.begin() as conn:
                    return await issue_staff_token(conn, username, datetime.now(timezone.utc))
            finally:
                await engine.dispose()

        with concurrent.futures.ThreadPoolExecutor(1) as thread:   # callable where an event loop runs
            return thread.submit(asyncio.run, issue()).result()


# `okienko demo`, with argon2's cheapest parameters as in the test processes (its four staff
# accounts cost a second or more to hash at the app's strength, and so does every sign-in), and with
# another office file in place of config/demo-office.toml if one is given (same staff, tokens, links).
_DEMO = """
import functools, sys
from pathlib import Path
import okienko.staff.passwords as passwords
import okienko_server.cli as cli

@functools.cache
def cheapest():
    from argon2 import PasswordHasher, profiles
    return PasswordHasher.from_parameters(profiles.CHEAPEST)

passwords._hasher = cheapest
if sys.argv[1:]:
    cli.DEMO_OFFICE = Path(sys.argv[1])
sys.exit(cli.main(["demo"]))
"""


@contextlib.contextmanager
def running_demo(data_dir: Path, office_file: Path | None = None, env: dict[str, str] | None = None) -> Iterator[Demo]:
    """`okienko demo` in a subprocess on a free port, waited for; stopped afterwards.

    `office_file` runs the demo with that office instead of the demo office (e.g. one that can be
    booked for today); `env` adds settings (e.g. an SMTP server)."""
    port = free_port()
    env = {**os.environ, "OKIENKO_DATA_DIR": str(data_dir), "OKIENKO_PORT": str(port), "OKIENKO_HOST": "127.0.0.1",
           **(env or {})}
    env.pop("DATABASE_URL", None)  # the demo must never load itself into a configured database
    command = [sys.executable, "-c", _DEMO, *([str(office_file)] if office_file is not None else [])]
    # Its output and its log (the access log goes to stdout, the rest to stderr) in one list.
    process = subprocess.Popen(command, cwd=data_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines: list[str] = []
    assert process.stdout is not None
    # Keep reading, or the server blocks once the pipe is full of log lines.
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "okienko demo exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "okienko demo did not answer /healthz:\n" + "".join(lines)
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield Demo(url, lines, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        process.stdout.close()


# Anything cut off: the page scrolls, an element leaves the screen, or its content does not fit.
_OVERFLOW_JS = """(selectors) => {
  const root = document.documentElement, problems = [];
  if (root.scrollWidth > innerWidth) problems.push(`page is ${root.scrollWidth}px wide`);
  if (root.scrollHeight > innerHeight) problems.push(`page is ${root.scrollHeight}px high`);
  for (const e of document.querySelectorAll(selectors)) {
    if (!e.getClientRects().length) continue;
    const box = e.getBoundingClientRect(), words = e.textContent.trim().replace(/\\s+/g, " ").slice(0, 30);
    if (box.bottom > innerHeight + 1 || box.right > innerWidth + 1) problems.push(`${e.className} is off screen`);
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1) {
      problems.push(`${e.className} "${words}" is cut off: ${e.scrollWidth}x${e.scrollHeight}`
                    + ` in ${e.clientWidth}x${e.clientHeight}`);
    }
  }
  return problems;
}"""


def overflow_problems(page: Any, selectors: str) -> list[str]:
    """What a person would see cut off on the page, for the elements matching `selectors`."""
    return page.evaluate(_OVERFLOW_JS, selectors)


@contextlib.contextmanager
def launched_chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(require_chromium()),
                                             args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()

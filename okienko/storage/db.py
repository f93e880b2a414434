"""The database connection: one async engine per process, SQLite or PostgreSQL.

Every transaction goes through `Database.transaction` (or `read`, or `Locks.write_transaction`
on top of it), the one place where a database that cannot answer (refused, unknown host,
restarting, connection lost, a lock wait past its timeout) becomes the error `Unavailable`:
`503 busy` with Retry-After on every route, and one log line per outage, never the SQL or its
parameters.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from okienko.errors import Unavailable
from okienko.settings import Settings, async_url

log = logging.getLogger("okienko.db")
# A database host that does not answer at all (not even "refused") is given up after this long,
# not asyncpg's default of 60 s, so that kiosks hear `busy` and retry.
CONNECT_TIMEOUT_SECONDS = 5.0
LOCK_TIMEOUT = "a lock wait ran past its timeout"


class Database:
    """Owns the engine. `dialect` is "sqlite" or "postgresql"."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = async_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        # A statement's parameters are a person's name, birth date, email, document hash or booking
        # code: an error (logged, or shown in a traceback) names the statement, never them.
        options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.dialect == "sqlite":
            _ensure_parent(self.url)
            options["connect_args"] = {"timeout": 30}
        else:
            # A lock wait that runs past 10 s becomes the domain error `busy` (see locking.py).
            # Connections are kept open (no overflow to open and close under load): opening one
            # costs PostgreSQL a new backend just when it is busiest.
            options.update(pool_size=40, max_overflow=0, pool_timeout=10,
                           connect_args={"server_settings": {"lock_timeout": "10000"},
                                         "timeout": CONNECT_TIMEOUT_SECONDS})
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        self.outage = OutageLog()
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(settings.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self, **execution_options: Any) -> AsyncIterator[AsyncConnection]:
        """A transaction, committed when the block ends and rolled back on an error.

        Guarantees: a database that cannot answer, wherever in the block it shows (connecting,
        a statement, the commit), raises `Unavailable` and nothing else; any other error (a
        UNIQUE violation, a domain error) comes out unchanged. A commit whose answer was lost
        may still have happened: that is why tickets carry an Idempotency-Key.
        """
        try:
            async with self.engine.connect() as conn:
                if execution_options:
                    conn = await conn.execution_options(**execution_options)
                async with conn.begin():
                    yield conn
        except Exception as error:
            reason = unavailable_reason(error)
            if reason is None:
                raise
            if reason != LOCK_TIMEOUT:
                self.outage.down(reason)
            raise Unavailable(reason) from None  # the chain would carry the SQL and its parameters
        self.outage.up()

    def read(self) -> Any:
        """A transaction for reading: `async with db.read() as conn`."""
        return self.transaction()

    async def dispose(self) -> None:
        await self.engine.dispose()


def unavailable_reason(error: BaseException) -> str | None:
    """Why `error` means that the database cannot answer now, in a few words for the log (no SQL,
    no parameters, no password), or None when it is some other failure."""
    if isinstance(error, sa.exc.TimeoutError):
        return "no free connection in the pool"
    driver: BaseException = error
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated:
            return f"connection lost ({type(error.orig).__name__})"
        driver = error.orig
    if isinstance(driver, OSError):  # refused, unknown host, timed out, reset
        return f"{type(driver).__name__} (errno {driver.errno})" if driver.errno else type(driver).__name__
    sqlstate = str(getattr(driver, "sqlstate", None) or "")
    if sqlstate == "55P03":  # lock_not_available: lock_timeout (db.py) ran out
        return LOCK_TIMEOUT
    # 08 connection exception, 53 insufficient resources, 57 operator intervention (shutting down,
    # starting up, the backend terminated).
    if sqlstate[:2] in ("08", "53", "57"):
        return f"PostgreSQL SQLSTATE {sqlstate}"
    # asyncpg is loaded by the PostgreSQL driver; where it is not, no error can come from it (and
    # an SQLite server does not import it just to ask).
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None and isinstance(driver, asyncpg.exceptions.InterfaceError) and "closed" in str(driver):
        return "connection closed"
    text = str(driver).lower()
    if "database is locked" in text:
        return LOCK_TIMEOUT
    for problem in ("disk i/o error", "database or disk is full", "unable to open database file"):
        if problem in text:
            return f"SQLite: {problem}"
    return None


class OutageLog:
    """One log line when the database stops answering and one when it answers again (how long,
    how many transactions were refused), not one per request."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.since: float | None = None
        self.refused = 0

    def down(self, reason: str) -> None:
        self.refused += 1
        if self.since is None:
            self.since = self.monotonic()
            log.error("database unavailable (%s): answering 503 busy until it is back", reason)

    def up(self) -> None:
        if self.since is None:
            return
        log.warning("database available again after %.1f s; %d transaction(s) refused meanwhile",
                    self.monotonic() - self.since, self.refused)
        self.since, self.refused = None, 0


def _ensure_parent(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; explicit BEGIN so writers can ask for BEGIN IMMEDIATE.

    synchronous=FULL: a commit reaches the disk (fsync of the WAL) before the kiosk is told its
    number, so a ticket once shown survives a power cut too, not only a crash of the process (which
    NORMAL already survives). Group commit makes that one fsync per batch of tickets, not per
    ticket: docs/benchmarks.md has the cost, measured.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("okienko_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

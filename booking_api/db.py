"""The database connection: one async engine per process, SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from booking_api.settings import Settings, async_url


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
                           connect_args={"server_settings": {"lock_timeout": "10000"}})
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(settings.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def read(self) -> Any:
        """A read-only transaction: `async with db.read() as conn`."""
        return self.engine.begin()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_parent(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; explicit BEGIN so writers can ask for BEGIN IMMEDIATE."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("okienko_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

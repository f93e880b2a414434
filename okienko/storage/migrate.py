"""Schema changes through Alembic, driven from code (`okienko migrate`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from okienko.settings import Settings
from okienko.storage.db import Database, unavailable_reason

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to `revision`. Safe to run again: it does nothing when up to date."""
    command.upgrade(alembic_config(settings.database_url), revision)


async def upgrade_async(settings: Settings, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, settings, revision)


class SchemaNotReady(Exception):
    """The database a command would use cannot be used as it is. `problem` says why, in one word
    the command line turns into a sentence: "missing" (no SQLite file there), "empty" (never
    migrated), "outdated" (another revision than this version's), "unreachable"."""

    def __init__(self, problem: str, database: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {database} {detail}".strip())
        self.problem = problem
        self.database = database
        self.detail = detail


def database_label(database_url: str) -> str:
    """The database as a person names it: the SQLite file's path, or the URL without its password."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def open_migrated(settings: Settings) -> Database:
    """The database, once it is known to be at this version's schema; SchemaNotReady otherwise.

    Guarantees: nothing is created (not the SQLite file, not its folder) when the database is
    missing or not migrated, so a mistyped DATABASE_URL leaves no empty database behind."""
    label = database_label(settings.database_url)
    if settings.is_sqlite and label != ":memory:" and not Path(label).is_file():
        raise SchemaNotReady("missing", str(Path(label).absolute()))
    db = Database.from_settings(settings)
    try:
        async with db.engine.connect() as conn:
            current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    except Exception as error:
        await db.dispose()
        reason = unavailable_reason(error)
        if reason is None and not isinstance(error, (OSError, sa.exc.DBAPIError)):
            raise
        raise SchemaNotReady("unreachable", label, reason or type(error).__name__) from None
    head = head_revision()
    if current != head:
        await db.dispose()
        raise SchemaNotReady("empty" if current is None else "outdated", label, f"{current} -> {head}")
    return db

"""Schema changes through Alembic, driven from code (`okienko migrate`, and `okienko serve` before
it starts).

A database already at the scripts' head is recognised without Alembic: the scripts' revisions are
read from their text (not imported), the database's from `alembic_version`. Alembic, which takes
about a fifth of a second to import and then runs its env.py with an engine of its own, is loaded
only when there is something to do, so that an up-to-date server starts without it.
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from okienko.settings import Settings
from okienko.storage.db import Database, unavailable_reason

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to `revision`. Safe to run again: it does nothing when up to date (and
    then does not load Alembic at all)."""
    if revision == "head" and _at_head(settings.database_url):
        return
    from alembic import command

    command.upgrade(alembic_config(settings.database_url), revision)


async def upgrade_async(settings: Settings, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, settings, revision)


def script_heads(versions: Path = MIGRATIONS / "versions") -> set[str] | None:
    """The revisions that no script builds on, as Alembic would find them, read from the scripts'
    `revision = ...` and `down_revision = ...` lines; None when a script does not state them as
    plain literals (then Alembic itself decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        stated = _stated_revisions(path)
        if stated is None:
            return None
        revision, down = stated
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    return (revisions - parents) or None


_STATED = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE)


def _stated_revisions(path: Path) -> tuple[str, Any] | None:
    # The two assignments as Alembic writes them, found line by line (parsing every script whole
    # cost a server ~45 ms of its start-up); anything but plain literals: None.
    stated: dict[str, Any] = {}
    for name, value in _STATED.findall(path.read_text(encoding="utf-8")):
        try:
            stated.setdefault(name, ast.literal_eval(value))
        except (ValueError, SyntaxError):
            return None
    revision, down = stated.get("revision"), stated.get("down_revision")
    plain_down = down is None or isinstance(down, str) or (
        isinstance(down, (tuple, list)) and all(isinstance(parent, str) for parent in down))
    if not isinstance(revision, str) or "down_revision" not in stated or not plain_down:
        return None
    return revision, down


def _at_head(database_url: str) -> bool:
    heads = script_heads()
    return heads is not None and asyncio.run(database_revisions(database_url)) == heads


async def database_revisions(database_url: str) -> set[str]:
    """The revisions the database's `alembic_version` holds (none for a database never migrated)."""
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            if not await conn.run_sync(lambda sync: sa.inspect(sync).has_table("alembic_version")):
                return set()
            return set((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await db.dispose()


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


def head_revisions() -> set[str]:
    """This version's schema revisions: read from the scripts, or asked of Alembic where they do not
    state them plainly."""
    heads = script_heads()
    if heads is None:
        from alembic.script import ScriptDirectory

        heads = set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    return heads


async def open_migrated(settings: Settings) -> Database:
    """The database, once it is known to be at this version's schema; SchemaNotReady otherwise.

    Guarantees: nothing is created (not the SQLite file, not its folder) when the database is
    missing or not migrated, so a mistyped DATABASE_URL leaves no empty database behind."""
    label = database_label(settings.database_url)
    if settings.is_sqlite and label != ":memory:" and not Path(label).is_file():
        raise SchemaNotReady("missing", str(Path(label).absolute()))
    try:
        current = await database_revisions(settings.database_url)
    except Exception as error:
        reason = unavailable_reason(error)
        if reason is None and not isinstance(error, (OSError, sa.exc.DBAPIError)):
            raise
        raise SchemaNotReady("unreachable", label, reason or type(error).__name__) from None
    heads = head_revisions()
    if current != heads:
        raise SchemaNotReady("outdated" if current else "empty", label,
                             f"{','.join(sorted(current)) or None} -> {','.join(sorted(heads))}")
    return Database.from_settings(settings)

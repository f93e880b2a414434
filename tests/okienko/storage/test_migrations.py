"""Alembic migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.command import downgrade
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from okienko.storage.migrate import alembic_config, database_revisions, script_heads, upgrade
from okienko.storage.models import metadata
from okienko.settings import Settings, async_url
from tests.conftest import drop_everything


async def _differences(url: str) -> list:
    engine = create_async_engine(async_url(url))
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    await engine.dispose()
    return diff


def test_migrations_match_the_models_and_run_twice(database_url: str) -> None:
    asyncio.run(drop_everything(database_url))
    settings = Settings(database_url=database_url)
    upgrade(settings)
    upgrade(settings)  # a second run is a no-op
    assert asyncio.run(_differences(database_url)) == []


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert script_heads() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_an_older_schema_is_brought_to_the_head(database_url: str) -> None:
    asyncio.run(drop_everything(database_url))
    settings = Settings(database_url=database_url)
    upgrade(settings, "0005")
    assert asyncio.run(database_revisions(database_url)) == {"0005"}
    upgrade(settings)
    assert asyncio.run(database_revisions(database_url)) == script_heads()
    assert asyncio.run(_differences(database_url)) == []


def test_the_board_s_ticker_becomes_its_polish_notice(database_url: str) -> None:
    """0008: `offices.ticker` moves into `notices["ticker"]["pl"]` (the kiosk's lines stay) and back down."""
    asyncio.run(drop_everything(database_url))
    settings = Settings(database_url=database_url)
    upgrade(settings, "0007")

    async def run(statement: str) -> list:
        engine = create_async_engine(async_url(database_url))
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(statement))
            rows = result.all() if result.returns_rows else []
        await engine.dispose()
        return rows

    asyncio.run(run("INSERT INTO offices (code, name, timezone, default_language, always_open, "
                    "closed_on_public_holidays, priority_mode, ticket_footer, recalls_before_no_show, "
                    "transfer_position, ticker, notices, booking_policy) VALUES ('x', 'X', 'Europe/Warsaw', 'pl', "
                    "false, true, 'first', '{}', 1, 'end', 'Dziś do 15:00', '{\"kiosk\": {\"pl\": \"Okno 3\"}}', '{}')"))
    upgrade(settings)
    (notices,) = asyncio.run(run("SELECT notices FROM offices"))[0]
    notices = json.loads(notices) if isinstance(notices, str) else notices
    assert notices == {"kiosk": {"pl": "Okno 3"}, "ticker": {"pl": "Dziś do 15:00"}}
    downgrade(alembic_config(database_url), "0007")
    assert asyncio.run(run("SELECT ticker FROM offices")) == [("Dziś do 15:00",)]


def test_an_up_to_date_database_starts_without_alembic(database_url: str) -> None:
    """`okienko serve` migrates before it starts; with nothing to do, Alembic is not even imported."""
    asyncio.run(drop_everything(database_url))
    upgrade(Settings(database_url=database_url))
    check = ("import sys\nfrom okienko.settings import Settings\nfrom okienko.storage.migrate import upgrade\n"
             f"upgrade(Settings(database_url={database_url!r}))\nprint('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("scripts", "heads"), [
    ({"a": "revision = 'a'\ndown_revision = None", "b": "revision = 'b'\ndown_revision = 'a'"}, {"b"}),
    ({"a": "revision: str = 'a'\ndown_revision: str | None = None",
      "b": "revision = 'b'\ndown_revision = 'a'", "c": "revision = 'c'\ndown_revision = 'a'"}, {"b", "c"}),
    ({"a": "revision = 'a'\ndown_revision = None", "b": "revision = 'b'\ndown_revision = 'a'",
      "c": "revision = 'c'\ndown_revision = 'a'", "m": "revision = 'm'\ndown_revision = ('b', 'c')"}, {"m"}),
    ({"a": "revision = 'a'\ndown_revision = None", "b": "revision = make_id()\ndown_revision = 'a'"}, None),
    ({"a": "revision = 'a'"}, None),
])
def test_heads_are_read_only_from_plain_scripts(tmp_path: Path, scripts: dict[str, str], heads: set[str] | None) -> None:
    for name, text in scripts.items():
        (tmp_path / f"{name}.py").write_text(f'"""A migration."""\n{text}\n', encoding="utf-8")
    assert script_heads(tmp_path) == heads


@pytest.mark.postgres
def test_processes_migrating_at_once_take_turns(postgres_url: str, tmp_path: Path) -> None:
    """Server processes started side by side on an empty (or outdated) database each migrate it
    first: one does, the others wait for it and find nothing left to do (docs/deployment.md)."""
    asyncio.run(drop_everything(postgres_url))
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": postgres_url, "OKIENKO_DATA_DIR": str(tmp_path)}
    migrations = [subprocess.Popen([sys.executable, "-m", "okienko_server.cli", "migrate"], env=env,
                                   stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [(process.wait(timeout=120), process.stderr.read()) for process in migrations]   # type: ignore[union-attr]
    for process in migrations:
        process.stderr.close()   # type: ignore[union-attr]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert asyncio.run(database_revisions(postgres_url)) == script_heads()
    assert asyncio.run(_differences(postgres_url)) == []

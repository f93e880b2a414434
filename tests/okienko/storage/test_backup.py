"""Backups and restore as docs/deployment.md tells an operator to make them: `okienko backup` (SQLite's
online backup; pg_dump's custom format on PostgreSQL), restored (the file put in place; `pg_restore`
into a new database), and the office reads the same tickets and bookings and goes on."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest

from okienko.settings import Settings
from okienko.storage.backup import backup_database
from okienko.storage.copying import CopyRefused
from okienko.storage.migrate import upgrade
from tests.conftest import _sqlite_template, close_office, drop_postgres_database, new_postgres_database
from tests.okienko.storage.office_day import a_morning, reopened, what_the_office_shows

pytestmark = pytest.mark.anyio


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """new_database(kind): an empty database of this test's own, "sqlite" or "postgresql"."""
    _sqlite_template()   # made outside the tests' event loop (open_office compares SQLite files with it)
    made: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path}/okienko_backup_{secrets.token_hex(4)}.db"
        made.append(new_postgres_database("okienko_backup"))
        return made[-1]

    yield make
    for url in made:
        drop_postgres_database(url)


def restore(kind: str, backup: Path, into: str) -> None:
    """What docs/deployment.md says to do, server stopped."""
    if kind == "sqlite":
        Path(into.removeprefix("sqlite:///")).write_bytes(backup.read_bytes())
        return
    done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", into, str(backup)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_a_backup_restored_is_the_same_office(kind: str, tmp_path: Path,
                                                    new_database: Callable[[str], str]) -> None:
    live, restored = await asyncio.to_thread(new_database, kind), await asyncio.to_thread(new_database, kind)
    await asyncio.to_thread(upgrade, Settings(database_url=live, data_dir=str(tmp_path)))
    morning = await a_morning(live, tmp_path)
    running = await reopened(live, tmp_path, morning.kiosk_token)
    try:
        seen = await what_the_office_shows(running, morning)
        backup = await asyncio.to_thread(backup_database, live, tmp_path / "okienko.backup")   # while it runs
        assert backup.stat().st_mode & 0o077 == 0   # visitors' bookings: for its owner only
        with pytest.raises(CopyRefused, match="exists already"):
            backup_database(live, backup)
    finally:
        await close_office(running)

    await asyncio.to_thread(restore, kind, backup, restored)
    office = await reopened(restored, tmp_path, morning.kiosk_token)
    try:
        assert await what_the_office_shows(office, morning) == seen
        fourth = await office.take("A")
        assert fourth.status_code == 201 and fourth.json()["number"] == "A004", fourth.text
        clerk = await office.clerk("2")   # new rows in tables that hold restored ids
        assert (await office.press(clerk, "/api/v1/windows/2/call-next")).status_code == 200
    finally:
        await close_office(office)


def test_a_backup_of_a_database_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(CopyRefused, match="there is no database at"):
        backup_database(f"sqlite:///{tmp_path}/none.db", tmp_path / "b.db")
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "b.db").exists()
    with pytest.raises(CopyRefused, match="does not exist"):
        backup_database(f"sqlite:///{tmp_path}/none.db", tmp_path / "no" / "b.db")

"""`okienko copy-database`: a demo's SQLite data moved to PostgreSQL is the same office there, and
the office goes on (the next ticket's number, new rows' ids); a copy never lands on data."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest

from okienko.settings import Settings
from okienko.storage.copying import CopyRefused, copy_database
from okienko.storage.migrate import upgrade
from okienko.storage.models import metadata
from tests.conftest import _sqlite_template, close_office, own_postgres_database
from tests.okienko.storage.office_day import a_morning, reopened, what_the_office_shows

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def new_postgres_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, created empty (as an operator makes one for the move)."""
    _sqlite_template()   # made outside the tests' event loop (open_office compares SQLite files with it)
    with own_postgres_database("okienko_copy") as url:
        yield url


def migrated_sqlite(folder: Path) -> str:
    url = f"sqlite:///{folder}/demo.db"
    upgrade(Settings(database_url=url, data_dir=str(folder)))
    return url


async def test_a_demo_moves_to_postgresql_and_goes_on_there(tmp_path: Path, new_postgres_database: str) -> None:
    source = await asyncio.to_thread(migrated_sqlite, tmp_path)
    morning = await a_morning(source, tmp_path)
    before = await reopened(source, tmp_path, morning.kiosk_token)
    try:
        seen_before = await what_the_office_shows(before, morning)
    finally:
        await close_office(before)

    report = await copy_database(source, new_postgres_database)
    assert report.rows["tickets"] == 3 and report.rows["bookings"] == 1 and report.rows["offices"] == 1
    assert list(report.rows) == [table.name for table in metadata.sorted_tables]

    after = await reopened(new_postgres_database, tmp_path, morning.kiosk_token)
    try:
        assert await what_the_office_shows(after, morning) == seen_before
        # The office goes on: the next number follows the copied ones, new rows get new ids.
        fourth = await after.take("A")
        assert fourth.status_code == 201, fourth.text
        assert fourth.json()["number"] == "A004"
        clerk = await after.clerk("2")   # a new user, session and token: rows in tables with copied ids
        assert (await after.press(clerk, "/api/v1/windows/2/call-next")).status_code == 200
    finally:
        await close_office(after)


async def test_a_copy_never_lands_on_data(tmp_path: Path, new_postgres_database: str) -> None:
    source = await asyncio.to_thread(migrated_sqlite, tmp_path)
    await a_morning(source, tmp_path)
    await copy_database(source, new_postgres_database)
    with pytest.raises(CopyRefused, match="the target database is not empty \\(table counters has rows\\)"):
        await copy_database(source, new_postgres_database)


async def test_the_source_must_be_migrated_and_not_the_target(tmp_path: Path, new_postgres_database: str) -> None:
    with pytest.raises(CopyRefused, match="is not at this version's schema \\(missing\\)"):
        await copy_database(f"sqlite:///{tmp_path}/none.db", new_postgres_database)
    assert not (tmp_path / "none.db").exists()
    source = await asyncio.to_thread(migrated_sqlite, tmp_path)
    with pytest.raises(CopyRefused, match="the same database"):
        await copy_database(source, source)

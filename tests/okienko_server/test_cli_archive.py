"""`okienko archive`: an administrator moves old days' tickets into the archive tables; counts only are
printed, a second run moves nothing, and the tickets are all still there (archived, not deleted)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from okienko.settings import Settings
from okienko.storage.db import Database
from okienko.storage.models import ArchivedTicket, ArchivedTicketEvent, Office, Service, StatsDay, Ticket, TicketEvent
import pytest

from tests.conftest import DEMO_OFFICE, drop_everything
from tests.okienko_server.test_cli import okienko

OLD_DAY = date.today() - timedelta(days=45)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(drop_everything(database_url))
    return {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(tmp_path)}


async def _in_db(url: str, work):   # type: ignore[no-untyped-def]
    db = Database.from_settings(Settings(database_url=url))
    try:
        async with db.engine.begin() as conn:
            return await work(conn)
    finally:
        await db.dispose()


async def _old_ticket(conn) -> None:   # type: ignore[no-untyped-def]
    office_id = (await conn.execute(sa.select(Office.__table__.c.id))).scalar_one()
    service_id = (await conn.execute(sa.select(Service.__table__.c.id).where(Service.__table__.c.code == "A"))).scalar_one()
    issued = datetime.combine(OLD_DAY, datetime.min.time(), timezone.utc) + timedelta(hours=9)
    await conn.execute(sa.insert(Ticket.__table__).values(
        id="old-ticket", office_id=office_id, office_day=OLD_DAY, service_id=service_id, prefix="A", seq=1,
        number="A001", language="pl", status="finished", issued_at=issued, queued_at=issued, recalls=0))
    for seq, (kind, minutes) in enumerate((("issued", 0), ("called", 12), ("started", 12), ("finished", 20)), start=1):
        await conn.execute(sa.insert(TicketEvent.__table__).values(
            office_id=office_id, seq=seq, ticket_id="old-ticket", kind=kind, at=issued + timedelta(minutes=minutes),
            service_id=service_id, detail={"number": "A001"}))


async def _counts(conn) -> tuple[int, ...]:   # type: ignore[no-untyped-def]
    tables = (Ticket, TicketEvent, ArchivedTicket, ArchivedTicketEvent, StatsDay)
    return tuple([(await conn.execute(sa.select(sa.func.count()).select_from(t.__table__))).scalar_one()
                  for t in tables])


def test_okienko_archive_moves_old_days_and_keeps_them(cli_env: dict[str, str]) -> None:
    url = cli_env["DATABASE_URL"]
    assert okienko("migrate", env=cli_env).returncode == 0
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    asyncio.run(_in_db(url, _old_ticket))
    kept = okienko("archive", "--keep-days", "60", env=cli_env)
    assert kept.returncode == 0, kept.stderr
    assert "office 'demo': 0 day(s) archived, 0 ticket(s) and 0 event(s) moved; 1 day summary(ies) made" in kept.stderr
    moved = okienko("archive", "--keep-days", "30", env=cli_env)
    assert moved.returncode == 0, moved.stderr
    assert "office 'demo': 1 day(s) archived, 1 ticket(s) and 4 event(s) moved; 0 day summary(ies) made" in moved.stderr
    assert asyncio.run(_in_db(url, _counts)) == (0, 0, 1, 4, 1)
    again = okienko("archive", "--keep-days", "30", env=cli_env)
    assert "0 day(s) archived, 0 ticket(s)" in again.stderr
    wrong = okienko("archive", "--keep-days", "0", env=cli_env)
    assert wrong.returncode == 2 and "--keep-days must be at least 1" in wrong.stderr

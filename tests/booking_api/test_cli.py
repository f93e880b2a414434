"""The `okienko` command as an administrator uses it: tokens alone on stdout, clear errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking_api.db import Database
from booking_api.models import Booking, Service
from booking_api.settings import Settings
from tests.conftest import DEMO_OFFICE, drop_everything


def okienko(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "booking_api.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(drop_everything(database_url))
    return {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(tmp_path)}


def test_an_administrator_sets_up_an_office(cli_env: dict[str, str]) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    loaded = okienko("office", "load", str(DEMO_OFFICE), env=cli_env)
    assert loaded.returncode == 0 and "5 services, 12 windows" in loaded.stderr

    kiosk = okienko("device", "add", "kiosk", "hall-1", env=cli_env)
    assert kiosk.returncode == 0
    token = kiosk.stdout.strip()
    assert len(token) >= 40 and "\n" not in token and token not in kiosk.stdout.replace(token, "", 1)

    user = okienko("user", "add", "anna", "--role", "clerk", env=cli_env, stdin="correct horse battery\n")
    assert user.returncode == 0, user.stderr
    staff = okienko("token", "create", "anna", env=cli_env)
    assert staff.returncode == 0 and len(staff.stdout.strip()) >= 40


@pytest.mark.parametrize("args, stdin, words", [
    (("office", "load", "/nonexistent.toml"), "", "cannot read /nonexistent.toml"),
    (("token", "create", "nobody"), "", "no such user: nobody"),
    (("user", "add", "bob", "--role", "clerk"), "short\n", "at least 8 characters"),
])
def test_mistakes_exit_non_zero_with_a_clear_message(cli_env, args, stdin, words) -> None:
    okienko("migrate", env=cli_env)
    result = okienko(*args, env=cli_env, stdin=stdin)
    assert result.returncode == 2
    assert words in result.stderr and result.stdout == ""


def test_bad_arguments_are_refused_by_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path)}
    result = okienko("user", "add", "x", "--role", "king", env=env)
    assert result.returncode == 2 and "invalid choice: 'king'" in result.stderr


def test_reloading_an_office_that_closes_a_booked_day_flags_the_booking(cli_env: dict[str, str],
                                                                        tmp_path: Path) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    assert okienko("office", "load", str(DEMO_OFFICE), env=cli_env).returncode == 0
    day = date.today() + timedelta(days=10)
    starts = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo("Europe/Warsaw"))

    async def add_booking() -> None:
        db = Database.from_settings(Settings(database_url=cli_env["DATABASE_URL"]))
        try:
            async with db.engine.begin() as conn:
                service = (await conn.execute(sa.select(Service.__table__).where(Service.__table__.c.code == "A"))
                           ).mappings().one()
                await conn.execute(sa.insert(Booking.__table__).values(
                    id="cli-booking", office_id=service["office_id"], service_id=service["id"], office_day=day,
                    starts_at=starts, ends_at=starts + timedelta(minutes=20), place=1, status="confirmed",
                    code="KM3QDA", secret_hash="x", person_key="p", person_name="Olena Kovalenko",
                    birth_date=date(1990, 4, 12), document_hash="d", document_masked="FE****56",
                    email="olena@example.com", phone="", language="uk", confirm_attempts=0, sequence=0,
                    created_at=starts - timedelta(days=20)))
        finally:
            await db.dispose()

    async def flag() -> str | None:
        db = Database.from_settings(Settings(database_url=cli_env["DATABASE_URL"]))
        try:
            async with db.read() as conn:
                return (await conn.execute(sa.select(Booking.__table__.c.flag))).scalar_one()
        finally:
            await db.dispose()

    asyncio.run(add_booking())
    office_file = tmp_path / "office.toml"
    office_file.write_text(DEMO_OFFICE.read_text(encoding="utf-8").replace(
        'closures = ["2026-12-31"]', f'closures = ["2026-12-31", "{day.isoformat()}"]'), encoding="utf-8")
    reloaded = okienko("office", "load", str(office_file), env=cli_env)
    assert reloaded.returncode == 0 and "1 booking(s) fall on days that are now closed" in reloaded.stderr
    assert asyncio.run(flag()) == "day_closed"


@pytest.mark.parametrize(("configured", "used"), [("memory", "postgresql"), ("redis://127.0.0.1:6379/0", None)])
def test_several_workers_share_live_events_and_slot_hints(configured: str, used: str | None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # The memory broker reaches one process only: with several workers, NOTIFY on the database.
    import uvicorn

    from booking_api.cli import _serve

    started: dict[str, object] = {}
    monkeypatch.delenv("OKIENKO_BROKER_URL", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: started.update(
        workers=options["workers"], broker=os.environ.get("OKIENKO_BROKER_URL")))
    try:
        _serve(Settings(database_url="postgresql://postgres@127.0.0.1/okienko", broker_url=configured),
               "127.0.0.1", 8000, workers=2)
        assert started == {"workers": 2, "broker": used}
    finally:
        os.environ.pop("OKIENKO_BROKER_URL", None)

"""The office set-up each process keeps: a loaded office file reaches it at once through the broker,
and the expiry still catches a load whose message was lost. (Two real server processes:
tests/okienko_server/test_processes.py.)"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

import okienko.office.directory as office_module
from okienko.office.directory import REFRESH_SECONDS, OfficeDirectory, OfficeSetup, announce_office_loaded
from okienko.office.config_file import load_office, read_office_file
from tests.conftest import DEMO_OFFICE, Office, close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
LOADED = json.dumps({"kind": "office_loaded", "office": "demo"})


async def limit_of_a(office: Office) -> int | None:
    """Service A's daily limit as a kiosk sees it."""
    services = (await office.client.get("/api/v1/services", headers=office.kiosk())).json()["services"]
    return next(service["daily_limit"] for service in services if service["code"] == "A")


async def load_limit(office: Office, limit: int) -> None:
    """What `okienko office load` writes for an edited file (service A's daily limit), and nothing more."""
    spec = read_office_file(DEMO_OFFICE)
    spec.services[0].daily_limit = limit
    async with office.okienko.locks.write_transaction() as conn:   # as the CLI: a writer from the start
        await load_office(conn, spec)


@pytest.fixture
async def office(database_url: str, tmp_path: Path) -> Any:
    opened = await open_office(database_url, tmp_path, warsaw(2026, 12, 1, 9, 0))
    yield opened
    await close_office(opened)


async def test_a_loaded_office_reaches_the_kiosk_at_once_through_the_broker(office: Office) -> None:
    assert await limit_of_a(office) == 120
    await load_limit(office, 7)
    assert await limit_of_a(office) == 120   # the process still serves its set-up from memory
    await announce_office_loaded(office.okienko.live.broker, "demo")   # as `okienko office load` does
    deadline = time.monotonic() + 5
    while await limit_of_a(office) != 7:
        assert time.monotonic() < deadline, "the announced load did not reach the process"
        await asyncio.sleep(0.01)


async def test_a_lost_announcement_is_caught_by_the_expiry(office: Office) -> None:
    now = [1000.0]
    directory = OfficeDirectory(office.okienko.db, monotonic=lambda: now[0])
    assert (await directory.get()).service("A").daily_limit == 120
    await load_limit(office, 7)
    now[0] += REFRESH_SECONDS - 1
    assert (await directory.get()).service("A").daily_limit == 120
    now[0] += 1
    assert (await directory.get()).service("A").daily_limit == 7


async def test_an_announcement_during_a_read_is_not_lost(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    # A request reads the set-up; while it does, the load commits and its message arrives. What that
    # request read may predate the load: it must not be kept for the next 30 s.
    directory = OfficeDirectory(office.okienko.db)
    before = await directory.get()
    await load_limit(office, 7)
    real_read = office_module.read_setup

    async def read_overtaken_by_the_load(conn: Any, code: str | None) -> OfficeSetup:
        monkeypatch.setattr(office_module, "read_setup", real_read)
        directory.receive(LOADED)
        return before

    monkeypatch.setattr(office_module, "read_setup", read_overtaken_by_the_load)
    directory.invalidate()
    assert (await directory.get()).service("A").daily_limit == 120   # that request's own answer
    assert (await directory.get()).service("A").daily_limit == 7


async def test_other_hints_leave_the_set_up_alone(office: Office) -> None:
    directory = OfficeDirectory(office.okienko.db)
    first = await directory.get()
    for hint in ('{"kind": "slot_freed", "service_id": 1}', "not json", "[1, 2]", '"office_loaded"'):
        directory.receive(hint)
        assert await directory.get() is first
    directory.receive(LOADED)
    assert await directory.get() is not first

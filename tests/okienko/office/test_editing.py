"""The office set-up's front door in the core: an office file loaded from the CLI is audited like a
back-office change, and what a switched-off service leaves behind (tickets, calls) is still shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from okienko.office.audit import read_changes
from okienko.office.config_file import parse_office, read_office_file
from okienko.office.editing import load_with_audit
from okienko.office.export import office_document
from tests.conftest import DEMO_OFFICE, close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


@pytest.fixture
async def office(database_url: str, tmp_path: Path) -> Any:
    opened = await open_office(database_url, tmp_path, TUESDAY)
    yield opened
    await close_office(opened)


async def test_a_load_of_the_office_file_is_in_the_audit_log(office: Any) -> None:
    spec = read_office_file(DEMO_OFFICE)
    spec.services[0].daily_limit = 7
    async with office.okienko.db.engine.begin() as conn:
        before = await office_document(conn, "demo")
        await load_with_audit(conn, spec, now=office.clock.now())
        office_id = (await office.okienko.offices.get("demo")).id
        (change,) = await read_changes(conn, office_id)
    assert (change.actor, change.action, change.target) == ("cli", "office.load", "demo")
    assert change.before == before and change.before["service"][0]["daily_limit"] == 120
    assert change.after["service"][0]["daily_limit"] == 7


async def test_the_first_load_of_an_office_has_nothing_before(office: Any) -> None:
    async with office.okienko.db.engine.begin() as conn:
        document = await office_document(conn, "demo")
        document["office"].update(code="second", name="Second office")
        document["kiosk"], document["board"] = [], []
        office_id = await load_with_audit(conn, parse_office(document), now=office.clock.now(), actor="anna")
        (change,) = await read_changes(conn, office_id, action="office")
    assert (change.actor, change.before, change.after["office"]["code"]) == ("anna", None, "second")


async def test_a_ticket_of_a_switched_off_service_is_still_shown(office: Any) -> None:
    ticket = (await office.take("K")).json()
    clerk = await office.clerk("9")
    await office.press(clerk, "/api/v1/windows/9/call-next")
    await office.okienko.editor.switch_service(await office.okienko.offices.get(), "anna", "K", False)
    setup = await office.okienko.offices.get()
    assert "K" not in [service.code for service in setup.services]
    assert setup.service_by_id(next(s.id for s in setup.switched_off if s.code == "K")).code == "K"
    tracked = await office.client.get(f"/api/v1/tickets/{ticket['id']}")
    assert (tracked.status_code, tracked.json()["status"]) == (200, "called")
    board = await office.okienko.hall.board(setup)
    assert [call["service"] for call in board["calls"]] == ["K"]

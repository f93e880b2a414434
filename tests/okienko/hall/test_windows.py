"""Who sits where: the console's window chooser (GET /api/v1/windows) names the clerk at each taken
window, and taking or leaving a window is a live event (`window_taken`, `window_left`) that carries
the window's number, never the clerk (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from okienko.hall.windows import HOLD
from okienko.storage.models import TicketEvent
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def seating(office, headers) -> dict[str, tuple[str | None, bool]]:
    answer = await office.client.get("/api/v1/windows?lang=en", headers=headers)
    assert answer.status_code == 200, answer.text
    return {window["number"]: (window["taken_by"], window["yours"]) for window in answer.json()["windows"]}


async def seating_events(office) -> list[tuple[str, int | None]]:
    events = TicketEvent.__table__
    async with office.okienko.db.read() as conn:
        rows = await conn.execute(sa.select(events.c.kind, events.c.window_id, events.c.detail)
                                  .where(events.c.kind.in_(("window_taken", "window_left"))).order_by(events.c.seq))
        found = [(kind, window_id, detail) for kind, window_id, detail in rows]
    assert all(detail in ({}, None) for _kind, _window, detail in found)   # nobody's name in the hall's stream
    return [(kind, window_id) for kind, window_id, _detail in found]


async def test_the_chooser_names_the_clerk_at_each_taken_window(office_factory) -> None:
    office = await office_factory(TUESDAY)
    anna = await office.clerk("1", username="anna")
    piotr = await office.clerk("2", username="piotr")
    seen_by_anna = await seating(office, anna)
    assert seen_by_anna["1"] == ("anna", True)
    assert seen_by_anna["2"] == ("piotr", False)
    assert {seat for number, seat in seen_by_anna.items() if number not in ("1", "2")} == {(None, False)}
    assert (await seating(office, piotr))["1"] == ("anna", False)
    listed = (await office.client.get("/api/v1/windows?lang=pl", headers=anna)).json()["windows"][0]
    assert listed["number"] == "1" and listed["services"]   # the services' names, as the chooser shows them

    # Leaving frees the window; a hold that lapsed (a closed browser) is a free window too.
    assert (await office.press(piotr, "/api/v1/windows/2/sign-out")).status_code == 204
    assert (await seating(office, anna))["2"] == (None, False)
    office.clock.advance(minutes=2 * HOLD.total_seconds() // 60)
    assert (await seating(office, piotr))["1"] == (None, False)


async def test_taking_and_leaving_a_window_are_live_events(office_factory) -> None:
    office = await office_factory(TUESDAY)
    setup = await office.okienko.offices.get()
    one, two = setup.window_id("1"), setup.window_id("2")
    clerk = await office.clerk("1")
    assert (await office.press(clerk, "/api/v1/windows/1/sign-in")).status_code == 200   # again: nothing new
    assert (await office.press(clerk, "/api/v1/windows/2/sign-in")).status_code == 200   # moving on leaves 1
    assert (await office.press(clerk, "/api/v1/windows/2/sign-out")).status_code == 204
    assert await seating_events(office) == [("window_taken", one), ("window_left", one), ("window_taken", two),
                                            ("window_left", two)]


async def test_a_chooser_is_for_staff_only(office_factory) -> None:
    office = await office_factory(TUESDAY)
    assert (await office.client.get("/api/v1/windows")).status_code == 401

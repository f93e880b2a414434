"""A ticket is never left called to a window nobody sits at: the clerk who leaves says what becomes
of it, and a console that just disappears gives it back to the queue, at its place, once its hold
lapses (on SQLite and PostgreSQL, with several server processes sweeping at once)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from okienko.hall.windows import HOLD
from okienko.i18n import Translator
from okienko.storage.models import TicketEvent
from tests.conftest import close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
BACK = "Back in the queue: you keep your place. Please wait to be called again."


async def call(office, clerk, window):
    response = await office.press(clerk, f"/api/v1/windows/{window}/call-next")
    return None if response.status_code == 204 else response.json()


async def returned_events(office) -> list[dict]:
    events = TicketEvent.__table__
    async with office.okienko.db.read() as conn:
        rows = (await conn.execute(sa.select(events.c.ticket_id, events.c.window_id, events.c.detail)
                                   .where(events.c.kind == "returned").order_by(events.c.seq))).mappings().all()
    return [dict(row) for row in rows]


async def test_leaving_with_a_ticket_in_hand_asks_what_becomes_of_it(office_factory) -> None:
    office = await office_factory(TUESDAY)
    first = (await office.take("K")).json()
    office.clock.advance(minutes=1)
    second = (await office.take("K")).json()
    clerk = await office.clerk("8")
    assert (await call(office, clerk, "8"))["number"] == first["number"]
    office.clock.advance(minutes=1)
    third = (await office.take("K")).json()

    refused = await office.client.post("/api/v1/windows/8/sign-out?lang=en", headers=clerk)
    assert refused.status_code == 409 and refused.json()["error"] == "ticket_in_hand"
    assert refused.json()["message"].startswith(f"Ticket {first['number']} is still at window 8")
    wrong = await office.press(clerk, "/api/v1/windows/8/sign-out", ticket="elsewhere")
    assert wrong.status_code == 400 and wrong.json()["error"] == "malformed_request"
    elsewhere = await office.client.post("/api/v1/windows/9/sign-in", headers=clerk)   # nor by moving on
    assert elsewhere.status_code == 409 and elsewhere.json()["error"] == "ticket_in_hand"

    left = await office.press(clerk, "/api/v1/windows/8/sign-out", ticket="return")
    assert left.status_code == 204
    back = (await office.client.get(f"/api/v1/tickets/{first['id']}?lang=en")).json()
    assert (back["status"], back["window"], back["position"], back["returned"]) == ("waiting", None, 0, True)
    assert back["status_text"] == BACK
    assert (await office.client.get(f"/api/v1/tickets/{third['id']}")).json()["position"] == 2
    assert [(e["ticket_id"], e["detail"]["reason"]) for e in await returned_events(office)] == \
        [(first["id"], "clerk")]

    # At its place: the next clerk calls it before the tickets taken after it.
    other = await office.clerk("8")
    called = await call(office, other, "8")
    assert (called["number"], called["returned"]) == (first["number"], False)
    await office.press(other, f"/api/v1/tickets/{called['id']}/recall")
    missed = await office.press(other, "/api/v1/windows/8/sign-out", ticket="no_show")
    assert missed.status_code == 204
    assert (await office.client.get(f"/api/v1/tickets/{first['id']}")).json()["status"] == "no_show"
    assert (await office.client.get(f"/api/v1/tickets/{second['id']}")).json()["position"] == 0


async def test_not_present_needs_its_recalls_when_leaving_too(office_factory) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("K")).json()
    clerk = await office.clerk("8")
    await call(office, clerk, "8")
    too_soon = await office.press(clerk, "/api/v1/windows/8/sign-out", ticket="no_show")
    assert too_soon.status_code == 409 and too_soon.json()["error"] == "recall_first"
    await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
    finished = await office.press(clerk, "/api/v1/windows/8/sign-out", ticket="finish")
    assert finished.status_code == 204
    assert (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()["status"] == "done"


async def test_a_clerk_returns_a_ticket_without_leaving(office_factory) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("K")).json()
    clerk = await office.clerk("8")
    await call(office, clerk, "8")
    await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
    back = (await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/return")).json()
    assert (back["status"], back["number"], back["returned"]) == ("waiting", ticket["number"], True)
    state = (await office.client.get("/api/v1/windows/8", headers=clerk)).json()
    assert state["ticket"] is None and [w["number"] for w in state["waiting"]] == [ticket["number"]]


async def test_a_lapsed_hold_sends_the_ticket_back_to_its_place(office_factory) -> None:
    office = await office_factory(TUESDAY)
    first = (await office.take("F")).json()
    second = (await office.take("F")).json()
    anna = await office.clerk("5")
    await call(office, anna, "5")
    hall = office.okienko.hall
    office.clock.advance(seconds=HOLD.total_seconds() / 2)
    assert await hall.sweep() == 0   # her console still beats (or did recently): nothing moves
    office.clock.advance(seconds=HOLD.total_seconds())     # her browser closed: nobody renews the hold
    assert await hall.sweep() == 1
    assert await hall.sweep() == 0   # once
    seen = (await office.client.get(f"/api/v1/tickets/{first['id']}?lang=pl")).json()
    assert (seen["status"], seen["window"], seen["position"]) == ("waiting", None, 0)
    assert seen["status_text"] == Translator().gettext("pl", BACK)
    assert (await office.client.get(f"/api/v1/tickets/{second['id']}")).json()["position"] == 1
    events = await returned_events(office)
    assert [(e["ticket_id"], e["detail"]["reason"]) for e in events] == [(first["id"], "hold_lapsed")]
    board = (await office.client.get("/api/v1/board", headers=anna)).json()
    assert {"window": "5", "number": None, "status": None} in board["windows"]
    # Her console comes back: the window is still hers, the ticket is not.
    state = (await office.client.get("/api/v1/windows/5", headers=anna)).json()
    assert state["ticket"] is None and [w["number"] for w in state["waiting"]] == [first["number"], second["number"]]


async def test_a_window_read_after_its_hold_lapsed_is_swept_first(office_factory) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("F")).json()
    anna = await office.clerk("5")
    await call(office, anna, "5")
    office.clock.advance(seconds=HOLD.total_seconds() * 2)   # no sweep has run: what she sees must not depend on it
    state = (await office.client.get("/api/v1/windows/5", headers=anna)).json()
    assert state["ticket"] is None and state["waiting"][0]["returned"] is True
    assert (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()["status"] == "waiting"
    assert len(await returned_events(office)) == 1


async def test_a_clerk_calls_a_number_from_the_list(office_factory) -> None:
    office = await office_factory(TUESDAY)
    k1 = (await office.take("K", language="uk")).json()
    office.clock.advance(minutes=1)
    i1 = (await office.take("I", language="ru")).json()
    f1 = (await office.take("F")).json()
    clerk = await office.clerk("9")   # serves K then I
    state = (await office.client.get("/api/v1/windows/9", headers=clerk)).json()
    assert [(w["number"], w["service"], w["language"]) for w in state["waiting"]] == \
        [(k1["number"], "K", "uk"), (i1["number"], "I", "ru")]
    not_here = await office.client.post("/api/v1/windows/9/call?lang=en", headers=clerk,
                                        json={"number": f1["number"]})
    assert not_here.status_code == 409 and not_here.json()["error"] == "not_waiting_here"
    assert not_here.json()["message"] == f"Ticket {f1['number']} is not waiting in a queue of window 9."
    called = await office.press(clerk, "/api/v1/windows/9/call", number=i1["number"].lower())
    assert (called.status_code, called.json()["number"], called.json()["window"]) == (200, i1["number"], "9")
    state = (await office.client.get("/api/v1/windows/9?lang=en", headers=clerk)).json()
    assert (state["ticket"]["number"], state["ticket"]["language"], state["ticket"]["language_name"]) == \
        (i1["number"], "ru", "Русский")
    again = await office.press(clerk, "/api/v1/windows/9/call", number=k1["number"])
    assert again.status_code == 409 and again.json()["error"] == "current_ticket_open"
    await office.press(clerk, f"/api/v1/tickets/{i1['id']}/start")
    twice = await office.press(clerk, "/api/v1/windows/9/call", number=i1["number"])
    assert twice.status_code == 409 and twice.json()["error"] == "not_waiting_here"
    assert (await office.press(clerk, "/api/v1/windows/9/call", number=k1["number"])).json()["number"] == k1["number"]
    assert (await office.client.get(f"/api/v1/tickets/{i1['id']}")).json()["status"] == "done"


async def test_two_processes_sweep_at_once_each_ticket_returned_once(database_url, tmp_path) -> None:
    # Two app instances over one database stand for two server processes.
    first = await open_office(database_url, tmp_path, TUESDAY)
    second = await open_office(database_url, tmp_path, TUESDAY)
    first.kiosk_token = second.kiosk_token
    try:
        tickets = [(await first.take("A")).json() for _ in range(4)]
        for window in ("1", "2", "3", "4"):
            await call(first, await first.clerk(window), window)
        for office in (first, second):
            office.clock.advance(seconds=HOLD.total_seconds() * 2)
        counts = await asyncio.gather(first.okienko.hall.sweep(), second.okienko.hall.sweep(),
                                      first.okienko.hall.sweep(), second.okienko.hall.sweep())
        assert sum(counts) == 4
        events = await returned_events(first)
        assert sorted(e["ticket_id"] for e in events) == sorted(t["id"] for t in tickets)
        setup = await first.okienko.offices.get()
        assert sorted(e["window_id"] for e in events) == sorted(setup.window_id(w) for w in ("1", "2", "3", "4"))
        for ticket in tickets:
            assert (await first.client.get(f"/api/v1/tickets/{ticket['id']}")).json()["status"] == "waiting"
    finally:
        for office in (first, second):
            await close_office(office)


async def test_the_plain_sign_out_form_returns_the_visitor_it_cannot_ask_about(office_factory) -> None:
    office = await office_factory(TUESDAY)
    from okienko.staff.auth import add_user

    ticket = (await office.take("A")).json()
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "ewa", "clerk", "correct horse battery")
    await office.client.post("/console/login", data={"username": "ewa", "password": "correct horse battery"})
    async with office.okienko.db.read() as conn:
        csrf = (await conn.execute(sa.text("SELECT csrf_token FROM staff_sessions"))).scalar()
    headers = {"X-CSRF-Token": csrf}
    assert (await office.client.post("/api/v1/windows/1/sign-in", headers=headers)).status_code == 200
    assert (await office.client.post("/api/v1/windows/1/call-next", headers=headers)).json()["id"] == ticket["id"]
    assert (await office.client.post("/console/logout", data={"csrf_token": csrf})).status_code == 303
    seen = (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert (seen["status"], seen["returned"], seen["window"]) == ("waiting", True, None)
    assert [e["detail"]["reason"] for e in await returned_events(office)] == ["clerk"]


async def test_a_clerk_who_only_acts_keeps_the_window(office_factory) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("K")).json()
    clerk = await office.clerk("8")   # a client with a token, that never reads the window
    await call(office, clerk, "8")
    for step in ("recall", "start"):
        office.clock.advance(seconds=HOLD.total_seconds() * 0.75)
        assert (await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/{step}")).status_code == 200
    office.clock.advance(seconds=HOLD.total_seconds() * 0.75)
    assert await office.okienko.hall.sweep() == 0
    assert (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()["status"] == "serving"

"""Clerks calling visitors, as the clerk and the hall see it."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from okienko.storage.models import Ticket, TicketEvent
from tests.conftest import close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def call(office, clerk, window):
    response = await office.press(clerk, f"/api/v1/windows/{window}/call-next")
    return None if response.status_code == 204 else response.json()


async def test_call_next_follows_the_documented_order(office_factory) -> None:
    office = await office_factory(TUESDAY)
    b1 = (await office.take("B")).json()
    office.clock.advance(minutes=1)
    a1 = (await office.take("A")).json()
    office.clock.advance(minutes=1)
    b_priority = (await office.take("B", priority="disability")).json()
    office.clock.advance(minutes=1)
    a2 = (await office.take("A")).json()
    async with office.okienko.locks.write_transaction() as conn:  # A002 has a booked slot starting now
        await conn.execute(sa.update(Ticket.__table__).where(Ticket.__table__.c.id == a2["id"])
                           .values(appointment_at=office.clock.now()))
    clerk = await office.clerk("3")  # window 3 serves A, then B
    order = []
    while (ticket := await call(office, clerk, "3")) is not None:
        order.append(ticket["number"])
        await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
    # the checked-in booking due now (booked_order = "first"), then priority, then the window's own
    # order (A before B), then waiting time.
    assert order == [a2["number"], b_priority["number"], a1["number"], b1["number"]]


async def test_a_called_ticket_must_be_started_or_missed_before_the_next(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("K")
    await office.take("K")
    clerk = await office.clerk("8")
    first = await call(office, clerk, "8")
    blocked = await office.client.post("/api/v1/windows/8/call-next?lang=en", headers=clerk)
    assert blocked.status_code == 409
    assert blocked.json()["message"] == (f"Ticket {first['number']} is still called to this window: start serving it "
                                         "or mark it as not present first.")
    too_soon = await office.client.post(f"/api/v1/tickets/{first['id']}/no-show?lang=pl", headers=clerk)
    assert too_soon.status_code == 409 and too_soon.json()["error"] == "recall_first"
    assert (await office.press(clerk, f"/api/v1/tickets/{first['id']}/recall")).json()["status"] == "called"
    assert (await office.press(clerk, f"/api/v1/tickets/{first['id']}/no-show")).json()["status"] == "no_show"
    second = await call(office, clerk, "8")
    await office.press(clerk, f"/api/v1/tickets/{second['id']}/start")
    assert await call(office, clerk, "8") is None  # serving one is finished by the next call; nobody left
    seen = (await office.client.get(f"/api/v1/tickets/{second['id']}")).json()
    assert seen["status"] == "done"


async def test_a_transfer_keeps_the_number_and_joins_the_other_queue(office_factory) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("I")).json()
    await office.take("K")
    clerk = await office.clerk("11")  # information only
    await call(office, clerk, "11")
    office.clock.advance(minutes=2)
    moved = await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/transfer", service="K")
    assert (moved.json()["number"], moved.json()["service"], moved.json()["status"]) == ("I001", "K", "waiting")
    view = (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert view["position"] == 1  # behind the K ticket that was already waiting ("end")
    card_clerk = await office.clerk("8")
    k001 = await call(office, card_clerk, "8")
    assert k001["number"] == "K001"
    await office.press(card_clerk, f"/api/v1/tickets/{k001['id']}/start")
    assert (await call(office, card_clerk, "8"))["number"] == "I001"


async def test_one_window_one_clerk_and_pauses(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("F")
    anna = await office.clerk("5")
    bob_headers = await office.clerk("6")
    taken = await office.client.post("/api/v1/windows/5/sign-in?lang=en", headers=bob_headers)
    assert taken.status_code == 409 and taken.json()["message"] == "Window 5 is already taken by another clerk."
    paused = await office.press(anna, "/api/v1/windows/5/pause", paused=True)
    assert paused.json()["paused"] is True
    refused = await office.client.post("/api/v1/windows/5/call-next", headers=anna)
    assert refused.status_code == 409 and refused.json()["error"] == "window_paused"
    await office.press(anna, "/api/v1/windows/5/pause", paused=False)
    assert (await call(office, anna, "5"))["number"] == "F001"
    office.clock.advance(minutes=3)  # anna's console stopped beating: the window frees itself
    assert (await office.client.post("/api/v1/windows/5/sign-in", headers=bob_headers)).status_code == 200
    lost = await office.client.post("/api/v1/windows/5/call-next", headers=anna)
    assert lost.status_code == 409 and lost.json()["error"] == "window_not_held"


async def test_console_shows_queues_and_longest_wait(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("K")
    office.clock.advance(minutes=7)
    await office.take("I")
    clerk = await office.clerk("9")  # serves K then I
    state = (await office.client.get("/api/v1/windows/9?lang=en", headers=clerk)).json()
    assert state["queues"] == [
        {"service": "K", "name": "Collecting a residence card", "waiting": 1, "longest_wait_minutes": 7},
        {"service": "I", "name": "Information", "waiting": 1, "longest_wait_minutes": 0}]
    assert state["ticket"] is None
    await call(office, clerk, "9")
    state = (await office.client.get("/api/v1/windows/9", headers=clerk)).json()
    assert (state["ticket"]["number"], state["ticket"]["status"], state["ticket"]["can_mark_no_show"]) == \
        ("K001", "called", False)


async def test_four_windows_empty_the_queue_each_ticket_called_once(database_url, tmp_path) -> None:
    # Two app instances over one database stand for two server processes.
    first = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    second = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    first.kiosk_token = second.kiosk_token
    try:
        issued = [(await first.take("K")).json()["number"] for _ in range(40)]
        clerks = [(office, await office.clerk(window)) for office, window in
                  ((first, "7"), (second, "8"), (first, "9"), (second, "12"))]
        called: list[tuple[str, str]] = []

        async def desk(office, headers, window):
            while True:
                ticket = await call(office, headers, window)
                if ticket is None:
                    return
                called.append((ticket["number"], window))
                assert (await office.press(headers, f"/api/v1/tickets/{ticket['id']}/start")).status_code == 200

        await asyncio.gather(*(desk(o, h, w) for (o, h), w in zip(clerks, ("7", "8", "9", "12"))))
        numbers = [number for number, _ in called]
        assert sorted(numbers) == issued and len(set(numbers)) == 40
        async with first.okienko.db.read() as conn:  # the order the calls were committed in
            events = TicketEvent.__table__
            in_order = (await conn.execute(sa.select(events.c.detail).where(events.c.kind == "called")
                                           .order_by(events.c.seq))).scalars().all()
        committed = [detail["number"] for detail in in_order]
        assert sorted(committed) == issued
        # Each call took the first waiting ticket; four desks at once can only swap neighbours
        # (SKIP LOCKED hands the second desk the second ticket), never skip one for long.
        assert all(issued.index(number) <= position + 3 for position, number in enumerate(committed))
        if database_url.startswith("sqlite"):
            assert committed == issued
    finally:
        for office in (first, second):
            await close_office(office)


async def test_staff_sign_in_locks_after_five_failures_and_needs_csrf(office_factory) -> None:
    office = await office_factory(TUESDAY)
    from okienko.staff.auth import add_user

    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "ewa", "clerk", "correct horse battery")
    for _ in range(4):
        wrong = await office.client.post("/console/login?lang=en", data={"username": "ewa", "password": "nope"})
        assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    locked = await office.client.post("/console/login?lang=en", data={"username": "ewa", "password": "nope"})
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    still = await office.client.post("/console/login", data={"username": "ewa", "password": "correct horse battery"})
    assert still.status_code == 429
    office.clock.advance(minutes=16)
    ok = await office.client.post("/console/login", data={"username": "ewa", "password": "correct horse battery"})
    assert ok.status_code == 303 and "okienko_session" in ok.headers["set-cookie"]
    no_csrf = await office.client.post("/api/v1/windows/1/sign-in")
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf_failed"
    page = await office.client.get("/console/")
    assert page.status_code == 200
    async with office.okienko.db.read() as conn:
        csrf = (await conn.execute(sa.text("SELECT csrf_token FROM staff_sessions"))).scalar()
    with_csrf = await office.client.post("/api/v1/windows/1/sign-in", headers={"X-CSRF-Token": csrf})
    assert with_csrf.status_code == 200 and with_csrf.json()["window"] == "1"


async def test_a_clerk_acts_only_on_tickets_at_their_own_window(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("K")
    at_seven, at_eight = await office.clerk("7"), await office.clerk("8")
    ticket = await call(office, at_seven, "7")
    other = await office.client.post(f"/api/v1/tickets/{ticket['id']}/start?lang=en", headers=at_eight)
    assert other.status_code == 409
    assert other.json() == {"error": "not_at_this_window", "message": f"Ticket {ticket['number']} was called to "
                                                                      "another window."}
    assert (await office.press(at_seven, f"/api/v1/tickets/{ticket['id']}/start")).status_code == 200


async def test_signing_out_by_plain_form_frees_the_window(office_factory) -> None:
    office = await office_factory(TUESDAY)
    from okienko.staff.auth import add_user

    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "ewa", "clerk", "correct horse battery")
    await office.client.post("/console/login", data={"username": "ewa", "password": "correct horse battery"})
    async with office.okienko.db.read() as conn:
        csrf = (await conn.execute(sa.text("SELECT csrf_token FROM staff_sessions"))).scalar()
    assert (await office.client.post("/api/v1/windows/4/sign-in", headers={"X-CSRF-Token": csrf})).status_code == 200
    forged = await office.client.post("/console/logout", data={"csrf_token": "wrong"})
    assert forged.status_code == 303 and (await office.client.get("/console/")).status_code == 200
    signed_out = await office.client.post("/console/logout", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    assert (await office.client.get("/console/")).headers["location"].startswith("/console/login")
    await office.clerk("4")  # asserts that another clerk can take the window again

"""One call order: the visitor's people ahead and wait are counted in the order call-next calls in."""

from __future__ import annotations

import itertools
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.hall.call_order import Ahead, CallOrder, place_in_queue
from okienko.hall.calling import act, call_next
from okienko.office.hours import office_day
from okienko.i18n import Translator
from okienko.hall.lifecycle import transition_row
from okienko.storage.models import Ticket
from okienko.office.directory import OfficeSetup
from okienko.hall.queueing import TicketRequest
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book
from tests.conftest import Office, warsaw

pytestmark = pytest.mark.anyio

ORDER_OFFICE = """
[office]
code = "order"
name = "Order office"
priority_mode = "{priority_mode}"
transfer_position = "{transfer_position}"
[office.booking]
call_booked_minutes_before = 5
booked_order = "{booked_order}"
[[priority]]
code = "disability"
mark = "N"
names = {{ pl = "Osoba z niepełnosprawnością", en = "Person with a disability", uk = "Особа з інвалідністю", ru = "Человек с инвалидностью" }}
[[service]]
code = "X"
prefix = "X"
names = {{ pl = "Sprawa X", en = "Matter X", uk = "Справа X", ru = "Дело X" }}
average_service_minutes = 10
hours = {{ tue = "08:00-15:00" }}
[[service]]
code = "Y"
prefix = "Y"
names = {{ pl = "Sprawa Y", en = "Matter Y", uk = "Справа Y", ru = "Дело Y" }}
average_service_minutes = 10
hours = {{ tue = "08:00-15:00" }}
[[window]]
number = "1"
services = ["X", "Y"]
[[window]]
number = "2"
services = ["Y", "X"]
[[window]]
number = "3"
services = ["Y"]
[[window]]
number = "4"
services = ["X", "Y"]
[[kiosk]]
name = "hall-1"
"""
# Every combination of the rules that change the order: priority_mode, booked_order, transfer_position.
RULES = list(itertools.product(("first", "none"), ("first", "service"), ("end", "original")))


class _Undo(Exception):
    """Rolls a window's calls back, so that every window starts from the same queue."""


async def calls(office: Office, setup: OfficeSetup, windows: list[int], now: datetime) -> list[str]:
    """The numbers call-next gives, pressed at `windows` in turn (each visit started before the next
    call), until nobody is left; nothing of it is kept."""
    called: list[str] = []
    try:
        async with office.okienko.locks.write_transaction() as conn:
            for window_id in windows:
                moved = await call_next(conn, setup, window_id, now)
                if moved is None or moved.ticket["status"] != "called":
                    break
                called.append(moved.ticket["number"])
                await act(conn, setup, moved.ticket["id"], "start", now)
            raise _Undo
    except _Undo:
        pass
    return called


async def mixed_queue(office: Office, setup: OfficeSetup, rng: random.Random) -> datetime:
    """Walk-ins, priority tickets and checked-in bookings (due or not) of two services in a random
    order, some joining at the same moment, and three moved from one service to the other.
    Returns the moment the queue is looked at."""
    start = office.clock.now()
    looked_at = start + timedelta(minutes=40)   # bookings are due from 45 minutes after the start
    kinds = ["due"] * 2 + ["later"] * 2 + ["priority"] * 3 + ["walk-in"] * 9
    rng.shuffle(kinds)
    for kind in kinds:
        office.clock.advance(minutes=rng.choice((0, 0, 1, 2)))
        service = rng.choice("XY")
        if kind in ("due", "later"):
            slot = start + timedelta(minutes=rng.randrange(0, 46, 5) if kind == "due" else rng.randrange(50, 90, 5))
            request = TicketRequest(service, "pl", appointment_at=slot)
        else:
            request = TicketRequest(service, "pl", "disability" if kind == "priority" else None)
        await office.okienko.hall.issue(setup, request)
    tickets = Ticket.__table__
    async with office.okienko.db.read() as conn:
        waiting = (await conn.execute(sa.select(tickets.c.id, tickets.c.service_id)
                                      .order_by(tickets.c.number))).all()
    for ticket_id, service_id in rng.sample(waiting, 3):
        office.clock.advance(minutes=rng.choice((0, 1)))
        window = next(w for w in setup.windows if service_id in w.service_ids)
        other = next(s for s in setup.services if s.id != service_id)
        async with office.okienko.locks.write_transaction() as conn:
            await transition_row(conn, ticket_id, "call", office.clock.now(), window_id=window.id)
            await act(conn, setup, ticket_id, "transfer", office.clock.now(), service_code=other.code)
    assert office.clock.now() < looked_at
    office.clock.set(looked_at)
    return looked_at


@pytest.mark.parametrize("seed, rules", list(enumerate(RULES)))
async def test_call_next_calls_in_the_order_people_ahead_predicts(office_factory: Any, tmp_path: Path,
                                                                  seed: int, rules: tuple[str, str, str]) -> None:
    priority_mode, booked_order, transfer_position = rules
    path = tmp_path / "order.toml"
    path.write_text(ORDER_OFFICE.format(priority_mode=priority_mode, booked_order=booked_order,
                                        transfer_position=transfer_position), encoding="utf-8")
    office = await office_factory(warsaw(2026, 12, 1, 9, 0), office_file=path)
    setup = await office.okienko.offices.get()
    now = await mixed_queue(office, setup, random.Random(seed))
    order, day = CallOrder(setup, now), office_day(setup, now)
    tickets = Ticket.__table__
    async with office.okienko.db.read() as conn:
        waiting = [dict(row) for row in (await conn.execute(
            sa.select(tickets).where(tickets.c.status == "waiting"))).mappings()]
        ahead = {t["id"]: await Ahead.read(conn, order, day, t) for t in waiting}
        shown = {t["number"]: (await place_in_queue(conn, setup, t, now, {})).people_ahead for t in waiting}
        both = frozenset({setup.window_id("1"), setup.window_id("4")})   # two windows in the same order
        shown_two = {t["number"]: (await place_in_queue(conn, setup, t, now, {}, both)).people_ahead
                     for t in waiting}
    assert len(waiting) == 16
    assert sum(order.is_due(t["appointment_at"]) for t in waiting) == 2

    alone: dict[str, list[str]] = {}
    for window in setup.windows:
        served = [t for t in waiting if t["service_id"] in window.service_ids]
        predicted = {t["number"]: ahead[t["id"]].at_window(window.service_ids, order.kind(t)) for t in served}
        assert sorted(predicted.values()) == list(range(len(served)))   # one place each, none shared
        called = await calls(office, setup, [window.id] * (len(served) + 1), now)
        assert called == sorted(predicted, key=predicted.__getitem__), f"window {window.number}"
        alone[window.number] = called

    # A visitor's people ahead: the fewest that any window serving the ticket calls before it.
    for ticket in waiting:
        windows = [w.number for w in setup.windows if ticket["service_id"] in w.service_ids]
        assert shown[ticket["number"]] == min(alone[w].index(ticket["number"]) for w in windows)

    # Clerks at windows 1 and 4 taking turns call everyone in the order their people ahead said.
    assert sorted(shown_two.values()) == list(range(16))
    taking_turns = await calls(office, setup, [setup.window_id("1"), setup.window_id("4")] * 9, now)
    assert taking_turns == sorted(shown_two, key=shown_two.__getitem__)


async def ticket_seen(office: Office, ticket: dict[str, Any]) -> dict[str, Any]:
    return (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()


async def check_in(office: Office, code: str) -> dict[str, Any]:
    answer = await office.client.post("/api/v1/check-in", headers=office.kiosk(), json={"code": code})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_walk_ins_phone_counts_the_booked_visitors_due_before_it(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    bookings = [await book(office), await book(office, person={
        **PERSON, "name": "Ivan Petrenko", "document_number": "FE 654321", "email": "ivan@example.com"})]
    office.clock.set(warsaw(2026, 12, 3, 9, 40))
    walk_in = (await office.take("A")).json()
    office.clock.advance(minutes=1)
    booked = [await check_in(office, b["code"]) for b in bookings]   # both at 10:00, due from 9:55
    assert [(b["appointment_at"], b["expected_at"]) for b in booked] == [(SLOT, SLOT), (SLOT, SLOT)]
    seen = await ticket_seen(office, walk_in)
    assert (seen["position"], seen["estimated_wait_minutes"], seen["expected_at"]) == (0, 0, None)

    office.clock.set(warsaw(2026, 12, 3, 9, 56))
    seen = await ticket_seen(office, walk_in)
    assert (seen["position"], seen["estimated_wait_minutes"]) == (2, 8)   # two booked x 20 min / 5 windows
    second = await ticket_seen(office, booked[1])
    assert (second["position"], second["estimated_wait_minutes"], second["expected_at"]) == (1, 4, SLOT)
    services = (await office.client.get("/api/v1/services")).json()["services"]
    assert next(s for s in services if s["code"] == "A")["estimated_wait_minutes"] == 12
    latecomer = (await office.take("A")).json()
    assert (latecomer["position"], latecomer["estimated_wait_minutes"]) == (3, 12)

    clerk = await office.clerk("1")   # window 1 serves A alone
    called = []
    for _ in range(4):
        ticket = (await office.press(clerk, "/api/v1/windows/1/call-next")).json()
        called.append(ticket["number"])
        await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
    assert called == [booked[0]["number"], booked[1]["number"], walk_in["number"], latecomer["number"]]


async def test_a_checked_in_booking_shows_when_it_is_called_not_a_walk_in_wait(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office)
    office.clock.set(warsaw(2026, 12, 3, 9, 35))
    for _ in range(5):   # five walk-ins before it: a walk-in in its place would wait 20 minutes
        await office.take("A")
    ticket = await check_in(office, booking["code"])
    assert (ticket["position"], ticket["expected_at"], ticket["estimated_wait_minutes"]) == (5, SLOT, 25)
    page = await office.client.get(f"/t/{ticket['id']}?lang=en")
    called_at = Translator().gettext("en", "Called at about")
    assert re.search(rf'<dt data-for="booked" >{called_at}</dt>\s*<dd data-for="booked" class="expected-at" '
                     rf'id="expected-at" >10:00</dd>', page.text), page.text
    assert re.search(r'<dd data-for="walk-in" class="position" id="position" hidden>', page.text)

    # Due, behind three bookings due before it: later than its slot, by the time they take.
    office.clock.set(warsaw(2026, 12, 3, 9, 58))
    async with office.okienko.locks.write_transaction() as conn:
        tickets = Ticket.__table__
        await conn.execute(sa.update(tickets).where(tickets.c.number.in_(("A001", "A002", "A003")))
                           .values(appointment_at=datetime.fromisoformat(SLOT) - timedelta(minutes=20)))
    seen = await ticket_seen(office, ticket)
    assert (seen["position"], seen["expected_at"]) == (3, "2026-12-03T10:10:00+01:00")
    assert seen["estimated_wait_minutes"] == 12   # three x 20 minutes / 5 windows, from 9:58

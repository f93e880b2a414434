"""Many kiosks at once, and more than one server process, never share a number."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.errors import ERRORS, DomainError, Unavailable
from okienko.i18n import Translator
from okienko.storage.db import Database
from okienko.storage.locking import Admission, KeyedGate, Locks
from okienko.storage.models import Counter, Ticket
from okienko.hall.numbering import counter_name
from tests.conftest import Office, close_office, demo_office_variant, open_office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def test_200_tickets_from_50_kiosks_get_200_distinct_numbers_in_order(database_url, tmp_path) -> None:
    # Two independent app instances over one database stand for two server processes:
    # separate connection pools, separate batching, one counter row.
    first = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    second = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    first.kiosk_token = second.kiosk_token  # loading the office again gave the kiosk a new token
    offices = [first, second]
    gate = asyncio.Semaphore(50)
    services = ["A", "F", "K", "I"]

    async def kiosk(n: int) -> dict:
        async with gate:
            office = offices[n % 2]
            response = await office.take(services[n % 4], key=f"kiosk-{n}")
            assert response.status_code == 201, response.text
            return response.json()

    try:
        tickets = await asyncio.gather(*(kiosk(n) for n in range(200)))
        by_service: dict[str, list[str]] = defaultdict(list)
        for ticket in tickets:
            by_service[ticket["service"]].append(ticket["number"])
        for service, numbers in by_service.items():
            assert sorted(numbers) == [f"{service}{n:03d}" for n in range(1, 51)]
        async with first.okienko.db.read() as conn:
            rows = (await conn.execute(sa.select(Ticket.__table__.c.number, Ticket.__table__.c.issued_at,
                                                 Ticket.__table__.c.seq))).all()
        assert len(rows) == 200 and len({r.number for r in rows}) == 200
        for service in services:   # in order: each number is its ticket's place in its service's line
            line = sorted((r for r in rows if r.number.startswith(service)), key=lambda r: r.seq)
            assert [r.seq for r in line] == list(range(1, 51))
            assert [r.number for r in line] == [f"{service}{r.seq:03d}" for r in line]
            assert [r.issued_at for r in line] == sorted(r.issued_at for r in line)
    finally:
        for office in offices:
            await close_office(office)


async def test_one_hot_service_from_64_kiosks(database_url, tmp_path) -> None:
    office = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    try:
        answers = await asyncio.gather(*(office.take("K") for _ in range(120)))
        numbers = [a.json()["number"] for a in answers]
        positions = sorted(a.json()["position"] for a in answers)
        assert sorted(numbers) == [f"K{n:03d}" for n in range(1, 121)]
        assert positions == list(range(120))  # each saw exactly the people issued before it
    finally:
        await close_office(office)


MORE_THAN_THREE_DIGITS = 1_050   # kiosks asking for one service at once, none called
NO_STALL_SECONDS = 60            # the whole test, on a loaded 2-core machine


async def _counted(office: Office, prefix: str) -> tuple[int, int]:
    """The prefix's counter today, and its tickets in the table."""
    setup = await office.okienko.offices.get()
    tickets, counters = Ticket.__table__, Counter.__table__
    async with office.okienko.db.read() as conn:
        counter = (await conn.execute(sa.select(counters.c.value).where(
            counters.c.name == counter_name(setup.id, TUESDAY.date(), prefix)))).scalar_one()
        rows = (await conn.execute(sa.select(sa.func.count()).where(tickets.c.prefix == prefix))).scalar_one()
    return counter, rows


async def test_with_three_digits_999_tickets_then_every_request_refused_at_once(database_url, tmp_path) -> None:
    started = time.monotonic()
    office = await open_office(database_url, tmp_path, TUESDAY, always_open=True)
    full = Translator().format("pl", ERRORS["numbers_exhausted"][1], service="Informacja")
    try:
        answers = await asyncio.gather(*(office.take("I") for _ in range(MORE_THAN_THREE_DIGITS)))
        issued = sorted(a.json()["number"] for a in answers if a.status_code == 201)
        refused = [a for a in answers if a.status_code != 201]
        assert issued == [f"I{n:03d}" for n in range(1, 1000)]
        assert len(refused) == MORE_THAN_THREE_DIGITS - 999
        assert {(a.status_code, a.json()["error"], a.json()["message"]) for a in refused} == {
            (409, "numbers_exhausted", full)}

        # Every further request is refused at once, and nothing is used up by asking.
        asked = time.monotonic()
        again = await asyncio.gather(*(office.take("I") for _ in range(200)))
        assert {(a.status_code, a.json()["error"]) for a in again} == {(409, "numbers_exhausted")}
        assert time.monotonic() - asked < NO_STALL_SECONDS / 3
        assert await _counted(office, "I") == (999, 999)
        services = (await office.client.get("/api/v1/services?lang=pl")).json()["services"]
        shown = next(s for s in services if s["code"] == "I")
        assert (shown["open_now"], shown["closed_reason"], shown["issued_today"]) == (
            False, {"error": "numbers_exhausted", "message": full}, 999)

        # Once a visitor leaves, their number is the next one given; other services never noticed.
        leaving = next(a.json() for a in answers if a.status_code == 201 and a.json()["number"] == "I500")
        assert (await office.client.post(f"/api/v1/tickets/{leaving['id']}/cancel")).status_code == 200
        assert (await office.take("I")).json()["number"] == "I500"
        assert (await office.take("I")).json()["error"] == "numbers_exhausted"
        assert (await office.take("K")).json()["number"] == "K001"
        assert await _counted(office, "I") == (1000, 1000)
    finally:
        await close_office(office)
    assert time.monotonic() - started < NO_STALL_SECONDS


async def test_with_four_digits_more_than_999_at_once_all_get_distinct_numbers(database_url, tmp_path) -> None:
    started = time.monotonic()
    office = await open_office(database_url, tmp_path, TUESDAY, always_open=True,
                               office_file=demo_office_variant(tmp_path, {"number_digits": 4}))
    try:
        answers = await asyncio.gather(*(office.take("I") for _ in range(MORE_THAN_THREE_DIGITS)))
        assert {a.status_code for a in answers} == {201}
        numbers = sorted(a.json()["number"] for a in answers)
        assert numbers == [f"I{n:04d}" for n in range(1, MORE_THAN_THREE_DIGITS + 1)]
        assert await _counted(office, "I") == (MORE_THAN_THREE_DIGITS, MORE_THAN_THREE_DIGITS)
    finally:
        await close_office(office)
    assert time.monotonic() - started < NO_STALL_SECONDS


async def test_a_keyed_gate_lets_one_in_per_key_and_shares_what_it_found() -> None:
    gate = KeyedGate()
    inside: list[str] = []
    order: list[str] = []

    async def visitor(name: str, key: str) -> None:
        async with gate.hold(key) as state:
            inside.append(name)
            assert len([n for n in inside if n[0] == key]) == 1   # alone with its key
            order.append(f"{name}:{state.get('full', False)}")
            await asyncio.sleep(0.01)
            state["full"] = True
            inside.remove(name)

    await asyncio.gather(*(visitor(f"{key}{i}", key) for key in "ab" for i in range(3)))
    assert [entry for entry in order if entry.startswith("a")] == ["a0:False", "a1:True", "a2:True"]
    assert gate._keys == {}   # nothing kept once nobody waits


async def test_admission_lets_a_few_in_in_order_and_turns_away_those_waiting_for_a_gone_slot() -> None:
    admission = Admission(2)
    release = asyncio.Event()
    inside: list[str] = []
    answers: dict[str, str] = {}

    async def attempt(name: str, slot: str) -> None:
        try:
            async with admission.enter(slot):
                inside.append(name)
                assert len(inside) - len([a for a in answers if answers[a] == "done"]) <= 2
                await release.wait()
                answers[name] = "done"
        except DomainError as error:
            answers[name] = error.code

    tasks = [asyncio.create_task(attempt(f"{slot}{i}", slot)) for i in range(3) for slot in "ab"]
    while len(inside) < 2:
        await asyncio.sleep(0)
    assert inside == ["a0", "b0"]                     # the first two, in arrival order
    assert admission.turn_away("a", lambda: DomainError("slot_full")) == 2   # a1, a2 stop waiting at once
    await asyncio.sleep(0)
    assert answers == {"a1": "slot_full", "a2": "slot_full"}
    release.set()
    await asyncio.gather(*tasks)
    assert inside == ["a0", "b0", "b1", "b2"]
    assert answers == {"a1": "slot_full", "a2": "slot_full", "a0": "done", "b0": "done", "b1": "done",
                       "b2": "done"}
    assert admission._free == 2 and not admission._waiting   # every place given back


async def test_admission_passes_on_the_place_of_a_waiter_that_gave_up() -> None:
    admission = Admission(1)
    first_in = asyncio.Event()
    let_go = asyncio.Event()
    done: list[str] = []

    async def attempt(name: str) -> None:
        async with admission.enter("slot"):
            first_in.set()
            await let_go.wait()
            done.append(name)

    first = asyncio.create_task(attempt("first"))
    await first_in.wait()
    impatient = asyncio.create_task(attempt("impatient"))
    patient = asyncio.create_task(attempt("patient"))
    await asyncio.sleep(0)
    impatient.cancel()                 # a client that hung up while parked
    let_go.set()
    await asyncio.gather(first, patient)
    assert impatient.cancelled() and done == ["first", "patient"] and admission._free == 1


async def test_a_writer_holding_sqlite_s_write_lock_too_long_is_logged_with_who_held_it(
        tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A `busy` answer says only that a writer waited too long: the log says which writer held the
    lock, and for how long, so that the cause can be found (no values, only function names)."""
    db = Database(f"sqlite:///{tmp_path / 'locks.db'}")
    locks = Locks(db, timeout=0.3, slow_hold=0.2)
    held = asyncio.Event()

    async def a_long_office_edit() -> None:
        async with locks.write_transaction() as conn:
            await conn.execute(sa.text("CREATE TABLE edits (id INTEGER)"))
            held.set()
            await asyncio.sleep(0.6)

    try:
        long_edit = asyncio.create_task(a_long_office_edit())
        await held.wait()
        with pytest.raises(Unavailable):
            async with locks.write_transaction():
                pass
        await long_edit
        async with locks.write_transaction():   # a quick one: not logged
            pass
    finally:
        await db.dispose()
    lines = [record.getMessage() for record in caplog.records if record.name == "okienko.locking"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("a writer waited 0.3 s for the SQLite write lock: answered busy")
    assert lines[1].startswith("the SQLite write lock was held 0.6 s") and "a_long_office_edit" in lines[1]

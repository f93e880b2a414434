"""A slot found full in one server process is refused from memory in every other one at once,
until a place of that service may have come free; the count under the slot's lock still decides.

Processes are simulated here by two apps on one database whose live hubs share one broker (what
Redis or PostgreSQL NOTIFY does between real processes: tests/okienko_server/test_processes.py).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest

from okienko.live import LiveHub
from okienko.booking.slot_hints import SlotHints
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio


class SharedBroker:
    """One broker for several processes: every message reaches every process (the sender too)."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []
        self.sent: list[tuple[str, str]] = []

    def end(self) -> "BrokerEnd":
        return BrokerEnd(self)


class BrokerEnd:
    def __init__(self, shared: SharedBroker) -> None:
        self.shared = shared

    async def start(self, handler: Any) -> None:
        self.shared.handlers.append(handler)

    async def publish(self, channel: str, message: str) -> None:
        self.shared.sent.append((channel, message))
        for handler in list(self.shared.handlers):
            asyncio.get_running_loop().call_soon(handler, channel, message)

    async def stop(self) -> None:
        pass


async def no_events(_office_id: int, _after: int) -> list[dict[str, Any]]:
    return []


async def until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def two_processes(seconds: float = 60.0) -> tuple[SlotHints, SlotHints, SharedBroker, list[LiveHub]]:
    shared = SharedBroker()
    hubs = [LiveHub(shared.end(), no_events) for _ in range(2)]
    hints = []
    for hub in hubs:
        hint = SlotHints(seconds, hub.send_hint)
        hub.on_hint(hint.receive)
        await hub.start(lambda _office_id: asyncio.sleep(0, result=0))
        hints.append(hint)
    return hints[0], hints[1], shared, hubs


async def test_full_and_freed_reach_the_other_process_and_only_once() -> None:
    first, second, shared, hubs = await two_processes()
    slot = (7, warsaw(2026, 12, 3, 10, 0))
    other_slot = (7, warsaw(2026, 12, 3, 10, 20))
    seen_full: list[tuple[int, datetime]] = []
    second.on_full = seen_full.append
    first.full(slot)
    first.full(slot)           # already known here: not told again
    await until(lambda: second.is_full(slot))
    assert first.is_full(slot) and not second.is_full(other_slot) and seen_full == [slot]
    assert len(shared.sent) == 1
    # The same start written with another UTC offset is the same slot.
    assert second.is_full((7, datetime.fromisoformat("2026-12-03T09:00:00+00:00")))
    second.full(other_slot)
    await until(lambda: first.is_full(other_slot))
    first.freed(7)
    assert not first.is_full(slot)
    await until(lambda: not second.is_full(slot) and not second.is_full(other_slot))
    for hub in hubs:
        await hub.stop()
    for hint in (first, second):
        await hint.close()


async def test_a_hint_is_forgotten_after_its_time_and_a_garbled_one_is_ignored() -> None:
    first, second, _shared, hubs = await two_processes(seconds=0.05)
    slot = (3, warsaw(2026, 12, 3, 10, 0))
    first.full(slot)
    await until(lambda: second.is_full(slot))
    await until(lambda: not second.is_full(slot) and not first.is_full(slot))
    second.receive('{"kind": "slot_full"}')
    second.receive("not json")
    assert not second.is_full(slot)
    for hub in hubs:
        await hub.stop()


async def test_an_office_loaded_hint_on_the_same_channel_is_not_a_slot_hint(caplog: pytest.LogCaptureFixture) -> None:
    hints = SlotHints(60.0)
    slot = (1, warsaw(2026, 12, 3, 10, 0))
    hints.full(slot)
    hints.receive('{"kind": "office_loaded", "office": "demo"}')   # okienko.office.directory's, not a mistake
    assert hints.is_full(slot) and "not understood" not in caplog.text


async def test_without_a_broker_a_hint_stays_in_its_process() -> None:
    alone = SlotHints(60.0)
    slot = (1, warsaw(2026, 12, 3, 10, 0))
    alone.full(slot)
    assert alone.is_full(slot)
    alone.freed(1)
    assert not alone.is_full(slot)


async def test_a_broker_that_is_away_never_fails_a_booking(caplog: pytest.LogCaptureFixture) -> None:
    async def away(_message: str) -> None:
        raise ConnectionError("broker down")

    hints = SlotHints(60.0, away)
    slot = (1, warsaw(2026, 12, 3, 10, 0))
    hints.full(slot)
    assert hints.is_full(slot)
    await until(lambda: "slot hint not sent" in caplog.text)
    await hints.close()


async def test_a_slot_filled_in_one_process_is_shown_full_and_refused_in_the_other(office_factory: Any) -> None:
    one = await office_factory(TUESDAY, slots_cache_seconds=60.0)
    other = await office_factory(TUESDAY, slots_cache_seconds=60.0)
    shared = SharedBroker()
    for office in (one, other):   # the same wiring as the app assembly, over one broker
        await office.okienko.live.stop()
        office.okienko.live.broker = shared.end()
        await office.okienko.live.start(office.okienko.hall.current_seq)
    day = SLOT[:10]

    async def free_in(office: Any) -> int:
        listing = (await office.client.get("/api/v1/slots", params={"service": "A", "from": day, "to": day})).json()
        return next(s["free"] for s in listing["days"][0]["slots"] if s["start"] == SLOT)

    assert await free_in(other) == 4   # counted once, then served from its cache for 60 s
    people = [{**PERSON, "document_number": f"FE 10000{n}", "email": f"p{n}@example.com"} for n in range(4)]
    confirmed = [await book(one, SLOT, person) for person in people]
    key = ((await other.okienko.offices.get()).service("A").id, datetime.fromisoformat(SLOT))
    # Without the hint the other process would show 4 free places for a minute more.
    await until(lambda: other.okienko.booking.hints.is_full(key))
    assert await free_in(other) == 0
    late = await other.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                             **{**PERSON, "document_number": "FE 999999",
                                                                "email": "late@example.com"}})
    assert late.status_code == 409 and late.json()["error"] == "slot_full"
    # A cancellation in the first process: no process refuses the slot from memory any more, and the
    # other one recounts its listing (what it shows then is the database's count).
    cancelled = await one.client.post(f"/api/v1/bookings/{confirmed[0]['code']}/cancel",
                                      json={"secret": confirmed[0]["secret"]})
    assert cancelled.status_code == 200, cancelled.text
    await until(lambda: not other.okienko.booking.hints.is_full(key))
    fresh = (await one.client.get("/api/v1/slots", params={"service": "A", "from": day, "to": day,
                                                           "lang": "uk"})).json()
    assert await free_in(other) == next(s["free"] for s in fresh["days"][0]["slots"] if s["start"] == SLOT)

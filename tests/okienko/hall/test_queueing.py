"""Issuing tickets as a visitor at the kiosk sees it: numbers, hours, limits, priority, retries."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from okienko.storage.models import Counter, Ticket
from okienko.hall.numbering import counter_name, format_number, free_values
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio

SMALL_OFFICE = """
[office]
code = "small"
name = "Small office"
[[service]]
code = "X"
prefix = "X"
names = { pl = "Sprawa X", en = "Matter X", uk = "Справа X", ru = "Дело X" }
average_service_minutes = 30
daily_limit = 3
last_ticket_minutes_before_close = 0
hours = { tue = "08:00-15:00", sat = "08:00-15:00" }
[[window]]
number = "1"
services = ["X"]
[[kiosk]]
name = "hall-1"
"""

TUESDAY_MORNING = warsaw(2026, 12, 1, 9, 0)


def small_office(tmp_path: Path, **replace: str) -> Path:
    text = SMALL_OFFICE
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "small.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_numbers_are_prefix_and_three_or_four_digits() -> None:
    assert format_number("A", 1) == "A001"
    assert format_number("A", 999) == "A999"
    assert format_number("AB", 24, 4) == "AB0024"
    assert format_number("K", 9999, 4) == "K9999"
    for value, digits in ((0, 3), (1000, 3), (10000, 4)):
        with pytest.raises(ValueError):
            format_number("A", value, digits)


def test_after_the_last_number_they_go_round_skipping_open_ones_and_those_just_picked() -> None:
    assert free_values(997, 4, 999, taken={1, 3}) == [998, 999, 2, 4]
    assert free_values(0, 3, 999, taken=set()) == [1, 2, 3]
    # 990 numbers open and 64 asked for at once: the 9 free ones, each once, in turn after 500.
    open_numbers = set(range(1, 1000)) - {5, 6, 7, 501, 502, 700, 998, 999, 250}
    assert free_values(500, 64, 999, open_numbers) == [501, 502, 700, 998, 999, 5, 6, 7, 250]
    assert free_values(500, 64, 999, set(range(1, 1000))) == []


async def test_first_tickets_of_the_day_count_from_001_per_service(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    numbers = [(await office.take(service)).json()["number"] for service in ("A", "A", "F", "A", "F")]
    assert numbers == ["A001", "A002", "F001", "A003", "F002"]


async def test_ticket_shows_people_ahead_and_estimated_wait(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    for _ in range(10):
        await office.take("A")
    ticket = (await office.take("A", language="uk")).json()
    # Ten people ahead, 20 minutes each, shared among the five windows that serve A.
    assert ticket["position"] == 10
    assert ticket["estimated_wait_minutes"] == 40
    assert ticket["service_name"] == "Подання заяви на перебування"
    assert ticket["track_url"].endswith(f"/t/{ticket['id']}")
    seen = (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert (seen["number"], seen["position"], seen["status"]) == (ticket["number"], 10, "waiting")


async def test_numbering_starts_again_at_local_midnight_not_utc(office_factory) -> None:
    office = await office_factory(warsaw(2026, 12, 1, 23, 50), always_open=True)
    assert (await office.take("A")).json()["number"] == "A001"
    assert (await office.take("A")).json()["number"] == "A002"
    office.clock.set(warsaw(2026, 12, 2, 0, 10))  # still 1 December in UTC
    ticket = (await office.take("A")).json()
    assert (ticket["number"], ticket["office_day"]) == ("A001", "2026-12-02")


@pytest.mark.parametrize("before, after, day", [
    # 25 October 2026: clocks go back at 03:00 CEST; 00:30 local is still 24 October in UTC.
    (warsaw(2026, 10, 24, 23, 30), warsaw(2026, 10, 25, 0, 30), "2026-10-25"),
    # 29 March 2026: clocks go forward at 02:00 CET.
    (warsaw(2026, 3, 28, 23, 30), warsaw(2026, 3, 29, 3, 5), "2026-03-29"),
])
async def test_the_night_the_clocks_change(office_factory, before, after, day) -> None:
    office = await office_factory(before, always_open=True)
    await office.take("K")
    office.clock.set(after)
    first = (await office.take("K")).json()
    assert (first["number"], first["office_day"]) == ("K001", day)
    office.clock.advance(hours=1)  # through the repeated (or skipped) hour: the same office day
    assert (await office.take("K")).json()["number"] == "K002"


async def test_before_opening_the_kiosk_says_when_it_opens(office_factory) -> None:
    office = await office_factory(warsaw(2026, 12, 1, 7, 59))
    response = await office.take("A", language="en")
    assert response.status_code == 409
    assert response.json() == {"error": "service_not_open_yet",
                               "message": "Filing a residence application opens at 08:00. Please come back then."}
    office.clock.set(warsaw(2026, 12, 1, 8, 0))
    assert (await office.take("A")).status_code == 201


async def test_cut_off_minute(office_factory) -> None:
    # Service A closes at 15:00 on Tuesdays and stops issuing an hour before.
    office = await office_factory(warsaw(2026, 12, 1, 13, 59))
    assert (await office.take("A")).status_code == 201
    office.clock.set(warsaw(2026, 12, 1, 14, 0))
    response = await office.take("A", language="uk")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "service_cutoff_passed"
    assert "14:00" in body["message"] and "Подання заяви на перебування" in body["message"]
    services = (await office.client.get("/api/v1/services?lang=en")).json()["services"]
    a = next(s for s in services if s["code"] == "A")
    assert a["open_now"] is False and a["closed_reason"]["error"] == "service_cutoff_passed"
    assert next(s for s in services if s["code"] == "K")["open_now"] is True


@pytest.mark.parametrize("day", [warsaw(2026, 12, 24, 10, 0), warsaw(2026, 11, 11, 10, 0),
                                 warsaw(2026, 12, 31, 10, 0), warsaw(2026, 12, 5, 10, 0)])
async def test_closed_on_holidays_closures_and_weekends(office_factory, day) -> None:
    office = await office_factory(day)
    response = await office.take("K", language="pl")
    assert response.status_code == 409
    assert response.json() == {"error": "service_closed_today",
                               "message": "Usługa „Odbiór karty pobytu” jest dziś niedostępna."}


async def test_daily_limit(office_factory, tmp_path) -> None:
    office = await office_factory(TUESDAY_MORNING, office_file=small_office(tmp_path, **{
        "average_service_minutes = 30": "average_service_minutes = 1"}))
    assert [(await office.take("X")).status_code for _ in range(3)] == [201, 201, 201]
    refused = await office.take("X", language="en")
    assert refused.status_code == 409
    assert refused.json()["error"] == "daily_limit_reached"
    assert "Matter X" in refused.json()["message"]
    listed = (await office.client.get("/api/v1/services")).json()["services"][0]
    assert (listed["open_now"], listed["issued_today"]) == (False, 3)


async def test_no_ticket_when_the_wait_would_run_past_closing(office_factory, tmp_path) -> None:
    # One window, 30 minutes a visit, closing at 15:00; at 13:30 the fourth visitor would be
    # called at 15:00 (still fine), the fifth only at 15:30.
    office = await office_factory(warsaw(2026, 12, 1, 13, 30), office_file=small_office(
        tmp_path, **{"daily_limit = 3": "daily_limit = 50"}))
    waits = [(await office.take("X")).json()["estimated_wait_minutes"] for _ in range(4)]
    assert waits == [0, 30, 60, 90]
    refused = await office.take("X", language="ru")
    assert refused.status_code == 409
    assert refused.json()["error"] == "service_wait_past_closing"
    assert "15:00" in refused.json()["message"]


async def test_priority_tickets_go_ahead_of_regular_ones(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    for _ in range(3):
        await office.take("F")
    priority = (await office.take("F", language="en", priority="pregnancy")).json()
    assert priority["number"] == "F004"
    assert priority["position"] == 0
    assert priority["priority"] == {"code": "pregnancy", "mark": "P", "name": "Pregnant woman"}
    regular = (await office.take("F")).json()
    assert regular["position"] == 4  # three regular and the priority ticket ahead
    unknown = await office.take("F", language="en", priority="vip")
    assert unknown.status_code == 400 and unknown.json()["error"] == "unknown_priority"


async def test_a_retry_with_the_same_key_gets_the_same_ticket(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    first = await office.take("A", key="tap-1")
    again = await office.take("A", key="tap-1")
    other = await office.take("A", key="tap-2")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    assert other.json()["number"] == "A002"
    conflict = await office.take("K", key="tap-1")
    assert conflict.status_code == 409 and conflict.json()["error"] == "idempotency_conflict"


async def test_concurrent_retries_with_one_key_make_one_ticket(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    answers = await asyncio.gather(*(office.take("A", key="same") for _ in range(10)))
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]


async def test_estimate_learns_from_real_service_times(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    app = office.okienko
    clerk = await office.clerk("1")  # window 1 serves A only
    for _ in range(6):  # six visits of 2 minutes each, not the configured 20
        ticket = (await office.take("A")).json()
        assert (await office.press(clerk, "/api/v1/windows/1/call-next")).json()["number"] == ticket["number"]
        await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
        office.clock.advance(minutes=2)
        await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/finish")
    for window in ("2", "3", "4", "10"):  # the other windows serving A are staffed too
        await office.clerk(window)
    await office.client.get("/api/v1/windows/1", headers=clerk)  # the console's heartbeat keeps window 1
    app.estimator.forget()
    for _ in range(10):
        await office.take("A")
    ticket = (await office.take("A")).json()
    assert (ticket["position"], ticket["estimated_wait_minutes"]) == (10, 4)  # 10 x 2 min / 5 windows


async def test_after_999_the_number_skips_one_still_open(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING, always_open=True)
    app = office.okienko
    first = (await office.take("I")).json()  # I001, still waiting
    setup = await app.offices.get()
    async with app.locks.write_transaction() as conn:
        await conn.execute(sa.update(Counter.__table__)
                           .where(Counter.__table__.c.name == counter_name(setup.id, TUESDAY_MORNING.date(), "I"))
                           .values(value=998))
    numbers = [(await office.take("I")).json()["number"] for _ in range(3)]
    assert first["number"] == "I001"
    assert numbers == ["I999", "I002", "I003"]


async def test_a_nearly_full_service_gives_each_free_number_once_and_refuses_the_rest(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING, always_open=True)
    kiosks = asyncio.Semaphore(100)   # a hundred kiosks at once: a busy machine still answers each in time

    async def take() -> httpx.Response:
        async with kiosks:
            return await office.take("I")

    tickets = [a.json() for a in await asyncio.gather(*(take() for _ in range(999)))]
    by_number = {t["number"]: t for t in tickets}
    freed = ["I005", "I006", "I007", "I250", "I501", "I502", "I700", "I998"]
    for number in freed:   # eight visitors leave; the other 991 numbers stay open
        await office.client.post(f"/api/v1/tickets/{by_number[number]['id']}/cancel")
    answers = await asyncio.gather(*(office.take("I") for _ in range(64)))   # 64 kiosks at once
    issued = [a.json()["number"] for a in answers if a.status_code == 201]
    assert sorted(issued) == freed   # each free number once, none twice within the batch
    assert [a.json()["error"] for a in answers if a.status_code != 201] == ["numbers_exhausted"] * 56
    setup = await office.okienko.offices.get()
    async with office.okienko.db.read() as conn:
        counted = (await conn.execute(sa.select(Counter.__table__.c.value).where(
            Counter.__table__.c.name == counter_name(setup.id, TUESDAY_MORNING.date(), "I")))).scalar_one()
    assert counted == 999 + len(freed)   # only what was issued is counted


async def test_cancelled_ticket_cannot_be_cancelled_twice(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    ticket = (await office.take("K")).json()
    cancelled = await office.client.post(f"/api/v1/tickets/{ticket['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await office.client.post(f"/api/v1/tickets/{ticket['id']}/cancel?lang=en")
    assert again.status_code == 409
    assert again.json() == {"error": "invalid_transition",
                            "message": "Ticket K001 is cancelled and cannot be cancelled now."}


async def test_tickets_are_kept_with_every_transition_timestamped(office_factory) -> None:
    office = await office_factory(TUESDAY_MORNING)
    ticket = (await office.take("K")).json()
    app = office.okienko
    clerk = await office.clerk("8")
    for path in ("/api/v1/windows/8/call-next", f"/api/v1/tickets/{ticket['id']}/recall",
                 f"/api/v1/tickets/{ticket['id']}/start", f"/api/v1/tickets/{ticket['id']}/finish"):
        office.clock.advance(minutes=1)
        assert (await office.press(clerk, path)).status_code == 200
    async with app.db.read() as conn:
        row = (await conn.execute(sa.select(Ticket.__table__).where(Ticket.__table__.c.id == ticket["id"])))\
            .mappings().one()
        kinds = (await conn.execute(sa.text("SELECT kind FROM ticket_events WHERE ticket_id = :t ORDER BY id"),
                                    {"t": ticket["id"]})).scalars().all()
    assert row["status"] == "done" and row["recalls"] == 1
    assert (row["finished_at"] - row["issued_at"]).total_seconds() == 240
    assert kinds == ["issued", "called", "recalled", "started", "finished"]

"""Draws through the API and the core, on SQLite and PostgreSQL: entering, the code, the draw
itself in its published order, once only, and what winners and losers are told."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.booking import bookings
from okienko.booking import draw_run
from okienko_server.cli import demo_draw_now
from okienko.booking.draws import ticket_of
from okienko.errors import DomainError
from okienko.storage.locking import Locks
from okienko.storage.models import Booking, CalendarPush, Draw, DrawEntry, OutboxMessage, WaitlistEntry
from okienko.office.config_file import read_office_file
from okienko.people import ERASED_PERSON, Person
from tests.conftest import DEMO_OFFICE, Office, warsaw

pytestmark = pytest.mark.anyio

DRAW_OFFICE = """
[office]
code = "drawn"
name = "Draw office"
timezone = "Europe/Warsaw"
[office.booking]
hold_minutes = 10
code_attempts = 3
waitlist = true
per_address_per_hour = 1000
per_contact_per_day = 1000
[[service]]
code = "D"
prefix = "D"
names = { pl = "Losowanie", en = "Drawn visit", uk = "Жеребкування", ru = "Жеребьёвка" }
average_service_minutes = 10
hours = { tue = "08:00-15:00" }
[service.booking]
slot_minutes = 30
places = 2
days = { tue = "08:00-10:00" }
horizon_days = 7
first_day = 1
release_time = "06:00"
release_mode = "draw"
draw_minutes = 60
[[service]]
code = "A"
prefix = "A"
names = { pl = "Wizyta", en = "Visit", uk = "Візит", ru = "Визит" }
average_service_minutes = 10
hours = { tue = "08:00-15:00" }
[service.booking]
slot_minutes = 30
places = 2
days = { tue = "08:00-10:00" }
horizon_days = 7
release_time = "06:00"
[[window]]
number = "1"
services = ["D", "A"]
[[kiosk]]
name = "hall-1"
"""

DAY = "2026-12-08"                       # a Tuesday; its window: 2026-12-01 06:00 to 07:00
BEFORE = warsaw(2026, 12, 1, 5, 30)
DURING = warsaw(2026, 12, 1, 6, 30)
AFTER = warsaw(2026, 12, 1, 7, 1)
STARTS = ["08:00", "08:30", "09:00", "09:30"]   # 2 places each: 8 places


def person(n: int) -> dict[str, Any]:
    return {"name": f"Anna Nowak {chr(65 + n % 26)}{chr(65 + n // 26)}", "birth_date": "1990-04-12",
            "document_number": f"EP{100000 + n}", "email": f"p{n}@example.com", "phone": "", "language": "en"}


@pytest.fixture
async def office(office_factory: Any, tmp_path: Path) -> Office:
    path = tmp_path / "drawn.toml"
    path.write_text(DRAW_OFFICE, encoding="utf-8")
    return await office_factory(BEFORE, office_file=path)


async def the_draw(office: Office) -> dict[str, Any]:
    listed = (await office.client.get("/api/v1/draws", params={"service": "D"})).json()
    return next(draw for draw in listed["draws"] if draw["day"] == DAY)


async def messages_to(office: Office, address: str) -> list[dict[str, Any]]:
    table = OutboxMessage.__table__
    async with office.okienko.db.read() as conn:
        rows = (await conn.execute(sa.select(table).where(table.c.recipient == address)
                                   .order_by(table.c.created_at))).mappings().all()
    return [dict(row) for row in rows]


async def code_for(office: Office, address: str) -> str:
    bodies = [m["body"] for m in await messages_to(office, address) if "draw" in m["subject"]]
    match = re.search(r"\b(\d{6})\b", bodies[-1])
    assert match, bodies
    return match.group(1)


async def enter(office: Office, draw_id: Any, who: dict[str, Any], preferences: Any = None) -> Any:
    body = {**who, "preferences": preferences if preferences is not None else []}
    return await office.client.post(f"/api/v1/draws/{draw_id}/entries", json=body)


async def enter_and_confirm(office: Office, draw_id: int, who: dict[str, Any],
                            preferences: Any = None) -> dict[str, Any]:
    entered = await enter(office, draw_id, who, preferences)
    assert entered.status_code == 202, entered.text
    code = await code_for(office, who["email"])
    confirmed = await office.client.post(f"/api/v1/draw-entries/{entered.json()['id']}/confirm", json={"code": code})
    assert confirmed.status_code == 201, confirmed.text
    return confirmed.json()


def slot(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00+01:00"


async def test_entry_is_confirmed_by_its_code_and_shows_where_it_stands(office: Office) -> None:
    draw = await the_draw(office)
    assert draw["status"] == "upcoming" and draw["seed"] is None and len(draw["commitment"]) == 64
    assert draw["opens_at"] == "2026-12-01T06:00:00+01:00" and draw["closes_at"] == "2026-12-01T07:00:00+01:00"
    too_early = await enter(office, draw["id"], person(1))
    assert too_early.status_code == 409 and too_early.json()["error"] == "draw_not_open"

    office.clock.set(DURING)
    entered = await enter(office, draw["id"], person(1), [{"from": "08:00", "to": "09:00"}])
    assert entered.status_code == 202, entered.text
    body = entered.json()
    assert body["status"] == "pending" and body["sent_to"] == {"email": "p***@example.com"}
    assert body["confirm_url"] == f"/api/v1/draw-entries/{body['id']}/confirm"
    mail = (await messages_to(office, "p1@example.com"))[-1]
    assert mail["subject"].startswith("Your code for the draw") and "Drawn visit" in mail["body"]
    code = await code_for(office, "p1@example.com")

    wrong = await office.client.post(body["confirm_url"], json={"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and wrong.json()["error"] == "wrong_code"
    confirmed = await office.client.post(body["confirm_url"], json={"code": code})
    assert confirmed.status_code == 201, confirmed.text
    out = confirmed.json()
    assert out["status"] == "entered" and out["ticket"] == ticket_of(out["receipt"], draw["id"])
    assert out["status_url"] == f"/book/draw/{body['id']}?receipt={out['receipt']}"
    assert out["draw"]["status"] == "open"

    status = await office.client.get(f"/api/v1/draw-entries/{body['id']}", params={"receipt": out["receipt"]})
    assert status.status_code == 200
    seen = status.json()
    assert (seen["status"], seen["service"], seen["day"], seen["rank"], seen["booking"]) == (
        "entered", "D", DAY, None, None)
    assert seen["person"] == {"name": "Anna Nowak BA", "document": "EP****01"}
    wrong_receipt = await office.client.get(f"/api/v1/draw-entries/{body['id']}", params={"receipt": "nope"})
    assert wrong_receipt.status_code == 404 and wrong_receipt.json()["error"] == "entry_not_found"

    again = await enter(office, draw["id"], {**person(1), "name": "ANNA NOWAK BA"})
    assert again.status_code == 409 and again.json()["error"] == "already_entered"
    assert again.json()["message"] == "This person has already entered the draw for Drawn visit on 8 December 2026."


async def test_first_come_is_refused_until_the_draw_has_run(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    refused = await office.client.post("/api/v1/bookings", json={"service": "D", "start": slot("08:00"), **person(2)})
    assert refused.status_code == 409 and refused.json()["error"] == "draw_pending"
    assert "given out by a draw" in refused.json()["message"]
    listing = (await office.client.get("/api/v1/slots", params={"service": "D", "from": DAY, "to": DAY})).json()
    assert listing["release_mode"] == "draw" and listing["next_draw"]["id"] == draw["id"]
    assert listing["next_draw"]["commitment"] == draw["commitment"]
    day = listing["days"][0]
    assert day["draw"]["status"] == "open" and day["draw"]["id"] == draw["id"] and day["slots"] == []
    other = (await office.client.get("/api/v1/slots", params={"service": "A", "from": DAY, "to": DAY})).json()
    assert other["release_mode"] == "first_come" and other["next_draw"] is None and other["days"][0]["draw"] is None

    # The window has closed, the draw has not run yet: a hold inside the core is still refused.
    office.clock.set(AFTER)
    setup = await office.okienko.offices.get("drawn")
    service = setup.service("D")
    who = Person(name="Jan Kowalski", birth_date=warsaw(1980, 1, 1).date(), document_number="AB12345",
                 email="jan@example.com", phone="")
    with pytest.raises(DomainError) as refusal:
        async with office.okienko.locks.write_transaction() as conn:
            await bookings.hold(conn, setup, service, warsaw(2026, 12, 8, 8, 0), who, language="en",
                                secret_key="test-secret", now=office.clock.now(), notifier=office.okienko.booking.notifier)
    assert refusal.value.code == "draw_pending"

    # Once it has run (no entries), the places are everyone's, first come.
    assert (await office.okienko.booking.sweep())["draws_run"] == 1
    held = await office.client.post("/api/v1/bookings", json={"service": "D", "start": slot("08:00"), **person(2)})
    assert held.status_code == 202, held.text


def expected_outcome(seed: str, entries: list[tuple[str, list[tuple[int, int]]]]) -> list[tuple[str, str | None]]:
    """The draw as the published rules say, written again here: order by sha256(seed:ticket), then
    the earliest free start within each range in turn."""
    free = {start: 2 for start in STARTS}
    minute = {start: int(start[:2]) * 60 + int(start[3:]) for start in STARTS}
    out = []
    for ticket, ranges in sorted(entries, key=lambda e: hashlib.sha256(f"{seed}:{e[0]}".encode()).hexdigest()):
        chosen = None
        for low, high in ranges or [(0, 1440)]:
            chosen = next((s for s in STARTS if low <= minute[s] < high and free[s]), None)
            if chosen:
                free[chosen] -= 1
                break
        out.append((ticket, chosen))
    return out


PREFERENCES = [
    [{"from": "08:00", "to": "08:30"}],
    [{"from": "08:00", "to": "08:30"}, {"from": "09:30", "to": "10:00"}],
    [],
    [{"from": "09:00", "to": "10:00"}],
    [{"from": "08:00", "to": "08:30"}],
    [{"from": "08:00", "to": "08:30"}, {"from": "09:00", "to": "09:30"}, {"from": "08:30", "to": "09:00"}],
    [{"from": "09:30", "to": "10:00"}],
    [],
    [{"from": "08:00", "to": "08:30"}],
    [{"from": "09:30", "to": "10:00"}],
    [{"from": "08:00", "to": "09:00"}],
]


async def test_the_draw_allocates_by_preferences_in_the_published_order(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    confirmed = [await enter_and_confirm(office, draw["id"], person(n), prefs) for n, prefs in enumerate(PREFERENCES)]
    office.clock.set(AFTER)
    result = await office.client.get(f"/api/v1/draws/{draw['id']}")   # looking at it runs the draw when due
    assert result.status_code == 200
    done = result.json()
    assert done["status"] == "done" and done["entries"] == len(PREFERENCES) and done["places"] == 8
    assert hashlib.sha256(done["seed"].encode()).hexdigest() == done["commitment"] == draw["commitment"]
    assert "sha256" in done["verify"]

    def ranges(prefs: list[dict[str, str]]) -> list[tuple[int, int]]:
        return [(int(p["from"][:2]) * 60 + int(p["from"][3:]), int(p["to"][:2]) * 60 + int(p["to"][3:]))
                for p in prefs]
    tickets = {entry["ticket"]: PREFERENCES[n] for n, entry in enumerate(confirmed)}
    expected = expected_outcome(done["seed"], [(t, ranges(p)) for t, p in tickets.items()])
    published = [(row["ticket"], row["start"][11:16] if row["start"] else None) for row in done["result"]]
    assert published == expected
    assert [row["rank"] for row in done["result"]] == list(range(1, len(PREFERENCES) + 1))
    assert [row["outcome"] for row in done["result"]] == ["won" if s else "not_drawn" for _, s in expected]
    assert [row["preferences"] for row in done["result"]] == [tickets[t] for t, _ in expected]
    assert sum(1 for _, s in expected if s) <= 8 and any(s is None for _, s in expected)

    # Winners: a confirmed booking each, an email with the calendar entry; losers: "not drawn" and the
    # waiting list in the drawn order.
    losers = []
    for n, entry in enumerate(confirmed):
        status = (await office.client.get(f"/api/v1/draw-entries/{entry['id']}",
                                          params={"receipt": entry["receipt"]})).json()
        rank = next(row["rank"] for row in done["result"] if row["ticket"] == entry["ticket"])
        assert status["rank"] == rank
        last = (await messages_to(office, f"p{n}@example.com"))[-1]
        if status["status"] == "won":
            assert status["booking"]["start"] == done["result"][rank - 1]["start"]
            assert status["booking"]["manage_url"] is None and status["waitlist_position"] is None
            assert last["subject"].startswith(f"Booking {status['booking']['code']} confirmed")
            assert last["calendar_method"] == "REQUEST" and b"BEGIN:VEVENT" in last["calendar"]
        else:
            assert status["status"] == "not_drawn" and status["booking"] is None
            assert last["subject"].startswith("Not drawn this time") and "waiting list" in last["body"]
            losers.append((rank, status["waitlist_position"]))
    losers.sort()
    assert [position for _, position in losers] == list(range(1, len(losers) + 1))
    table = Booking.__table__
    async with office.okienko.db.read() as conn:
        booked = (await conn.execute(sa.select(sa.func.count()).where(table.c.status == "confirmed"))).scalar_one()
    assert booked == sum(1 for _, s in expected if s)


async def test_two_processes_racing_run_the_draw_once(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    for n in range(12):
        await enter_and_confirm(office, draw["id"], person(n))
    office.clock.set(AFTER)
    app = office.okienko
    setup = await app.offices.get("drawn")
    other = Locks(app.db)   # another process's lock state over the same database

    async def run(locks: Locks) -> list[Any]:
        return await draw_run.run_due_draws(locks.write_transaction, setup, now=office.clock.now(),
                                            secret_key="test-secret", notifier=app.booking.notifier)
    first, second = await asyncio.gather(run(app.locks), run(other))
    assert sorted([len(first), len(second)]) == [0, 1]
    async with app.db.read() as conn:
        booked = (await conn.execute(sa.select(sa.func.count()).select_from(Booking.__table__))).scalar_one()
        waiting = (await conn.execute(sa.select(sa.func.count()).select_from(WaitlistEntry.__table__))).scalar_one()
        status = (await conn.execute(sa.select(Draw.__table__.c.status))).scalars().all()
        for_calendars = (await conn.execute(sa.select(sa.func.count()).select_from(CalendarPush.__table__))).scalar_one()
    assert (booked, waiting, status) == (8, 4, ["done"])
    assert for_calendars == 8   # each drawn booking is recorded for the staff's CalDAV calendars, once
    assert await draw_run.run_due_draws(app.locks.write_transaction, setup, now=office.clock.now(),
                                        secret_key="test-secret", notifier=app.booking.notifier) == []


async def test_leftover_places_are_bookable_first_come_after_the_draw(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    await enter_and_confirm(office, draw["id"], person(1), [{"from": "08:00", "to": "08:30"}])
    office.clock.set(AFTER)
    await office.okienko.booking.sweep()
    listing = (await office.client.get("/api/v1/slots", params={"service": "D", "from": DAY, "to": DAY})).json()
    day = listing["days"][0]
    assert day["draw"] is None
    assert [(s["start"][11:16], s["free"]) for s in day["slots"]] == [(start, 1 if start == "08:00" else 2)
                                                                     for start in STARTS]
    assert listing["next_draw"] is None or listing["next_draw"]["day"] != DAY
    held = await office.client.post("/api/v1/bookings", json={"service": "D", "start": slot("08:00"), **person(5)})
    assert held.status_code == 202, held.text
    full = await office.client.post("/api/v1/bookings", json={"service": "D", "start": slot("08:00"), **person(6)})
    assert full.json()["error"] == "slot_full"
    # the winner already holds a booking of the service
    again = await office.client.post("/api/v1/bookings", json={"service": "D", "start": slot("09:00"), **person(1)})
    assert again.json()["error"] == "already_booked"


async def test_every_draw_route_and_its_errors(office: Office) -> None:
    client = office.client
    first_come = (await client.get("/api/v1/draws", params={"service": "A"})).json()
    assert first_come == {"service": "A", "release_mode": "first_come", "draws": []}
    missing_service = await client.get("/api/v1/draws")
    assert missing_service.status_code == 400
    for bad in ("999999", "abc", "99999999999999999999", "-1"):
        got = await client.get(f"/api/v1/draws/{bad}")
        assert (got.status_code, got.json()["error"]) == (404, "draw_not_found")
        posted = await enter(office, bad, person(1))
        assert (posted.status_code, posted.json()["error"]) == (404, "draw_not_found")
    draw = await the_draw(office)
    detail = (await client.get(f"/api/v1/draws/{draw['id']}")).json()
    assert detail["result"] == [] and detail["seed"] is None and detail["status"] == "upcoming"

    office.clock.set(DURING)
    for prefs in ([{"from": "10:00", "to": "09:00"}], [{"from": "8", "to": "9"}],
                  [{"from": "08:00", "to": "09:00"}] * 4):
        bad = await enter(office, draw["id"], person(1), prefs)
        assert (bad.status_code, bad.json()["error"]) == (422, "bad_preferences"), prefs
    not_a_list = await enter(office, draw["id"], person(1), "any")
    assert (not_a_list.status_code, not_a_list.json()["error"]) == (400, "wrong_type")
    invalid = await enter(office, draw["id"], {**person(1), "email": "nope"})
    assert (invalid.status_code, invalid.json()["error"]) == (422, "invalid_details")
    assert "email" in invalid.json()["fields"]

    # already_booked: a booking of the service made first come on another day (A is first come, D here).
    unknown = await client.post("/api/v1/draw-entries/nope/confirm", json={"code": "123456"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "entry_not_found")
    unknown_status = await client.get("/api/v1/draw-entries/nope")
    assert (unknown_status.status_code, unknown_status.json()["error"]) == (404, "entry_not_found")

    entered = (await enter(office, draw["id"], person(1))).json()
    for attempt in range(2):
        wrong = await client.post(entered["confirm_url"], json={"code": "99999x", "language": "en"})
        assert wrong.json() == {"error": "wrong_code", "message": f"Wrong code. Attempts left: {2 - attempt}."}
    used = await client.post(entered["confirm_url"], json={"code": "99999x"})
    assert used.status_code == 410 and used.json()["error"] in ("code_attempts_used", "code_expired")
    # the dropped entry does not count: the person may enter again
    entry = await enter_and_confirm(office, draw["id"], person(1))
    withdrawn = await client.post(f"/api/v1/draw-entries/{entry['id']}/withdraw", json={"receipt": entry["receipt"]})
    assert withdrawn.json() == {"status": "withdrawn"}
    status = (await client.get(f"/api/v1/draw-entries/{entry['id']}", params={"receipt": entry["receipt"]})).json()
    assert status["status"] == "withdrawn"
    late_pending = (await enter(office, draw["id"], person(1))).json()
    office.clock.advance(minutes=11)
    expired = await client.post(late_pending["confirm_url"], json={"code": await code_for(office, "p1@example.com")})
    assert (expired.status_code, expired.json()["error"]) == (410, "code_expired")

    pending = (await enter(office, draw["id"], person(3))).json()
    entry3 = await enter_and_confirm(office, draw["id"], person(4))
    office.clock.set(AFTER)
    closed_confirm = await client.post(pending["confirm_url"], json={"code": await code_for(office, "p3@example.com")})
    assert (closed_confirm.status_code, closed_confirm.json()["error"]) == (409, "draw_not_open")
    late_withdraw = await client.post(f"/api/v1/draw-entries/{entry3['id']}/withdraw",
                                      json={"receipt": entry3["receipt"]})
    assert (late_withdraw.status_code, late_withdraw.json()["error"]) == (409, "draw_not_open")
    closed_enter = await enter(office, draw["id"], person(7))
    assert (closed_enter.status_code, closed_enter.json()["error"]) == (409, "draw_not_open")

    # The next week's draw: a person holding a booking of D cannot enter it.
    won = (await client.get(f"/api/v1/draw-entries/{entry3['id']}", params={"receipt": entry3["receipt"]})).json()
    assert won["status"] == "won"
    office.clock.set(warsaw(2026, 12, 8, 6, 30))
    following = next(d for d in (await client.get("/api/v1/draws", params={"service": "D"})).json()["draws"]
                     if d["day"] == "2026-12-15")
    assert following["status"] == "open"
    booked = await enter(office, following["id"], person(4))
    assert (booked.status_code, booked.json()["error"]) == (409, "already_booked")


async def test_entries_count_against_the_rate_limit(office_factory: Any, tmp_path: Path) -> None:
    path = tmp_path / "drawn.toml"
    path.write_text(DRAW_OFFICE.replace("per_address_per_hour = 1000", "per_address_per_hour = 2"), encoding="utf-8")
    office = await office_factory(DURING, office_file=path)
    draw = await the_draw(office)
    answers = [(await enter(office, draw["id"], person(n))).status_code for n in range(3)]
    assert answers == [202, 202, 429]
    limited = await enter(office, draw["id"], person(9))
    assert limited.json()["error"] == "rate_limited"


async def test_the_sweeper_makes_the_draws_of_the_next_24_hours_once(office: Office) -> None:
    totals = await office.okienko.booking.sweep()
    assert totals["draws_made"] == 1 and totals["draws_run"] == 0
    assert (await office.okienko.booking.sweep())["draws_made"] == 0
    async with office.okienko.db.read() as conn:
        rows = (await conn.execute(sa.select(Draw.__table__))).mappings().all()
    assert [(row["office_day"].isoformat(), row["status"]) for row in rows] == [(DAY, "open")]
    assert rows[0]["commitment"] == hashlib.sha256(rows[0]["seed"].encode()).hexdigest()
    office.clock.set(warsaw(2026, 12, 8, 6, 30))   # a week on: last week's draw ran, this week's is open
    totals = await office.okienko.booking.sweep()
    assert (totals["draws_made"], totals["draws_run"]) == (1, 1)


async def test_entries_are_erased_after_the_retention_time(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    entry = await enter_and_confirm(office, draw["id"], person(1))
    office.clock.set(AFTER)
    await office.okienko.booking.sweep()
    office.clock.advance(days=89)
    assert (await office.okienko.booking.sweep())["entries_erased"] == 0
    office.clock.advance(days=2)
    assert (await office.okienko.booking.sweep())["entries_erased"] == 1
    seen = (await office.client.get(f"/api/v1/draw-entries/{entry['id']}", params={"receipt": entry["receipt"]})).json()
    assert seen["person"] == {"name": "", "document": ""} and seen["status"] == "won" and seen["ticket"]
    async with office.okienko.db.read() as conn:   # erased as a booking is: the country and the case too
        row = (await conn.execute(sa.select(DrawEntry.__table__).where(DrawEntry.__table__.c.id == entry["id"])
                                  )).mappings().one()
    assert {name: row[name] for name in ERASED_PERSON} == ERASED_PERSON


def test_the_demo_opens_a_draw_window_for_fingerprints_when_it_starts() -> None:
    spec = read_office_file(DEMO_OFFICE)
    [(code, day, opens)] = demo_draw_now(spec, warsaw(2026, 12, 2, 6, 20, 31))
    fingerprints = next(service for service in spec.services if service.code == "F").booking
    # 30 days ahead is New Year's Day, then a weekend: the first day with visits is Monday 4 January.
    assert (code, day, opens) == ("F", date(2027, 1, 4), warsaw(2026, 12, 2, 6, 20))
    assert (fingerprints["release_minute"], fingerprints["horizon_days"]) == (6 * 60 + 20, 33)
    assert (fingerprints["release_mode"], fingerprints["draw_minutes"]) == ("draw", 3)


async def test_two_entries_of_one_person_at_once_give_one_entry(office: Office) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    answers = await asyncio.gather(*(enter(office, draw["id"], person(1)) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [202, 409, 409, 409]
    assert {answer.json()["error"] for answer in answers if answer.status_code == 409} == {"already_entered"}


async def test_a_draw_that_fails_half_way_leaves_nothing_and_runs_again(office: Office,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    draw = await the_draw(office)
    office.clock.set(DURING)
    for n in range(3):
        await enter_and_confirm(office, draw["id"], person(n))
    office.clock.set(AFTER)
    app = office.okienko
    setup = await app.offices.get("drawn")
    real = draw_run.enqueue_many

    async def crash(*args: Any, **kwargs: Any) -> int:   # the process dies after the bookings were written
        raise RuntimeError("power cut")
    monkeypatch.setattr(draw_run, "enqueue_many", crash)
    with pytest.raises(RuntimeError):
        await draw_run.run_due_draws(app.locks.write_transaction, setup, now=office.clock.now(),
                                     secret_key="test-secret", notifier=app.booking.notifier)
    async with app.db.read() as conn:
        booked = (await conn.execute(sa.select(sa.func.count()).select_from(Booking.__table__))).scalar_one()
        status = (await conn.execute(sa.select(Draw.__table__.c.status))).scalar_one()
    assert (booked, status) == (0, "open")
    monkeypatch.setattr(draw_run, "enqueue_many", real)
    assert (await app.booking.sweep())["draws_run"] == 1
    done = (await office.client.get(f"/api/v1/draws/{draw['id']}")).json()
    assert done["status"] == "done" and [row["outcome"] for row in done["result"]] == ["won"] * 3


async def test_draw_results_go_by_sms_too_where_the_office_sends_sms(office_factory: Any, tmp_path: Path) -> None:
    path = tmp_path / "drawn.toml"
    path.write_text(DRAW_OFFICE.replace("waitlist = true", "waitlist = true\nsms = true"), encoding="utf-8")
    office = await office_factory(DURING, office_file=path, sms_gateway_url="http://127.0.0.1:9/send")
    draw = await the_draw(office)
    people = [{**person(n), "phone": f"+4860070{n:04d}"} for n in range(9)]   # 9 people for 8 places
    for who in people:
        await enter_and_confirm(office, draw["id"], who)
    office.clock.set(AFTER)
    await office.okienko.booking.sweep()
    texts = {}
    for who in people:
        [sms] = [m for m in await messages_to(office, who["phone"]) if m["channel"] == "sms"
                 and "drawn" in m["body"]]
        texts[who["phone"]] = sms["body"]
    won = [text for text in texts.values() if "you were drawn" in text]
    lost = [text for text in texts.values() if "not drawn this time" in text]
    assert (len(won), len(lost)) == (8, 1), texts
    async with office.okienko.db.read() as conn:
        codes = set((await conn.execute(sa.select(Booking.__table__.c.code))).scalars())
    assert all(re.search(r"Booking code ([A-Z0-9]{6})\.$", text).group(1) in codes for text in won)  # type: ignore[union-attr]
    assert all(who["document_number"] not in text for who in people for text in texts.values())

"""What a published information Saturday does to the office: on its day the kiosk offers its services
only, in its hours; its services are offered on no other day; their slots open at the event's own
moment, however far ahead. A draft changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.storage.models import Event, Service, Window, WindowService
from tests.conftest import Office, warsaw
from tests.okienko.booking.test_bookings import PERSON, book

pytestmark = pytest.mark.anyio

SATURDAY = "2027-01-16"
CONSULTATION = {"slot_minutes": 30, "places": 2, "days": {}, "horizon_days": 30, "first_day": 1,
                "release_minute": 360, "what_to_bring": {"en": "Your passport"}}


async def add_event(office: Office, *, status: str = "published", opens_at: datetime | None = None,
                    day: str = SATURDAY, hours: tuple[int, int] = (8 * 60, 15 * 60),
                    schedule: dict[str, Any] = CONSULTATION) -> int:
    """An event-only consultation service S at window 8 and an event on `day` offering it."""
    async with office.okienko.db.engine.begin() as conn:
        office_id = (await conn.execute(sa.text("SELECT id FROM offices"))).scalar_one()
        service_id = (await conn.execute(sa.insert(Service.__table__).values(
            office_id=office_id, code="S", prefix="S", names={"pl": "Konsultacje", "en": "Consultations"},
            average_service_minutes=15.0, daily_limit=None, last_ticket_minutes_before_close=15, walk_in=True,
            number_digits=3, sort_order=90, active=True, booking=schedule, event_only=True)
            .returning(Service.__table__.c.id))).scalar_one()
        window_id = (await conn.execute(sa.select(Window.__table__.c.id).where(
            Window.__table__.c.number == "8"))).scalar_one()
        await conn.execute(sa.insert(WindowService.__table__).values(window_id=window_id, service_id=service_id,
                                                                     position=0))
        event_id = (await conn.execute(sa.insert(Event.__table__).values(
            office_id=office_id, day=datetime.fromisoformat(day).date(), opens_minute=hours[0],
            closes_minute=hours[1], titles={"pl": "Sobota informacyjna", "en": "Information Saturday"},
            descriptions={"en": "Consultations on legalisation"}, services=["S", "I"],
            booking_opens_at=opens_at, status=status, sequence=0, created_at=office.clock.now(),
            updated_at=office.clock.now()).returning(Event.__table__.c.id))).scalar_one()
    office.okienko.offices.invalidate()
    return event_id


async def kiosk_services(office: Office) -> dict[str, Any]:
    answer = await office.client.get("/api/v1/services", headers=office.kiosk())
    assert answer.status_code == 200, answer.text
    return {service["code"]: service for service in answer.json()["services"]}


async def slots(office: Office, service: str, first: str, last: str) -> Any:
    office.okienko.booking._listings.clear()
    return await office.client.get("/api/v1/slots", params={"service": service, "from": first, "to": last})


async def test_on_the_event_s_day_the_kiosk_offers_its_services_only(office_factory: Any) -> None:
    office = await office_factory(warsaw(2027, 1, 16, 9, 0))
    await add_event(office)
    offered = await kiosk_services(office)
    assert sorted(offered) == ["I", "S"]
    assert offered["S"]["open_now"] is True
    issued = await office.client.post("/api/v1/tickets", headers=office.kiosk(),
                                      json={"service": "S", "language": "en"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["number"] == "S001"
    refused = await office.client.post("/api/v1/tickets", headers=office.kiosk(),
                                       json={"service": "A", "language": "en"})
    assert refused.status_code == 409 and refused.json()["error"] == "service_closed_today"


async def test_after_the_event_s_hours_its_service_takes_no_more_tickets(office_factory: Any) -> None:
    office = await office_factory(warsaw(2027, 1, 16, 14, 50))
    await add_event(office)
    refused = await office.client.post("/api/v1/tickets", headers=office.kiosk(),
                                       json={"service": "S", "language": "pl"})
    assert refused.status_code == 409 and refused.json()["error"] == "service_cutoff_passed"


async def test_on_a_weekday_the_event_s_services_are_not_offered(office_factory: Any) -> None:
    office = await office_factory(warsaw(2027, 1, 14, 9, 0))
    await add_event(office)
    offered = await kiosk_services(office)
    assert "S" not in offered and "A" in offered and "I" in offered
    refused = await office.client.post("/api/v1/tickets", headers=office.kiosk(),
                                       json={"service": "S", "language": "pl"})
    assert refused.status_code == 409 and refused.json()["error"] == "service_closed_today"


async def test_a_draft_changes_nothing(office_factory: Any) -> None:
    office = await office_factory(warsaw(2027, 1, 16, 9, 0))
    await add_event(office, status="draft", opens_at=warsaw(2027, 1, 2, 10, 0))
    assert "S" not in await kiosk_services(office)
    listing = await slots(office, "S", "2027-01-10", SATURDAY)
    assert listing.status_code == 200 and listing.json()["days"] == []


async def test_the_event_s_slots_open_at_its_own_moment_however_far_ahead(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 59))
    await add_event(office, opens_at=warsaw(2026, 12, 2, 10, 0))
    before = await slots(office, "S", "2027-01-10", SATURDAY)
    assert before.status_code == 200 and before.json()["days"] == []
    assert before.json()["next_release_at"] == "2026-12-02T10:00:00+01:00"
    office.clock.advance(minutes=1)
    after = (await slots(office, "S", "2027-01-10", SATURDAY)).json()
    [day] = after["days"]
    assert day["date"] == SATURDAY
    starts = [slot["start"][11:16] for slot in day["slots"]]
    assert starts[0] == "08:00" and starts[-1] == "14:30" and len(starts) == 14
    assert {slot["free"] for slot in day["slots"]} == {2}
    # Without dates asked for, the listing reaches the event (45 days ahead, past the 30-day horizon).
    office.okienko.booking._listings.clear()
    default = (await office.client.get("/api/v1/slots", params={"service": "S"})).json()
    assert [d["date"] for d in default["days"]] == [SATURDAY]


async def test_a_weekday_service_has_no_slots_on_the_event_s_day(office_factory: Any) -> None:
    office = await office_factory(warsaw(2027, 1, 4, 9, 0))
    await add_event(office, day="2027-01-13", opens_at=warsaw(2027, 1, 4, 8, 0))   # a Wednesday event
    listing = (await slots(office, "A", "2027-01-12", "2027-01-14")).json()
    days = {d["date"]: d for d in listing["days"]}
    assert days["2027-01-13"]["slots"] == [] and days["2027-01-12"]["slots"]


async def test_a_visitor_books_a_consultation_once_booking_has_opened(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 59))
    await add_event(office, opens_at=warsaw(2026, 12, 2, 10, 0))
    early = await office.client.post("/api/v1/bookings", json={"service": "S", "start": f"{SATURDAY}T08:30:00+01:00",
                                                               "language": "en", **PERSON})
    assert early.status_code == 409 and early.json()["error"] == "outside_horizon"
    office.clock.advance(minutes=1)
    booked = await book(office, start=f"{SATURDAY}T08:30:00+01:00", service="S")
    assert booked["start"] == f"{SATURDAY}T08:30:00+01:00" and booked["status"] == "confirmed"


async def test_an_event_released_by_draw_opens_its_entry_window_at_its_own_moment(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 0))
    await add_event(office, opens_at=warsaw(2026, 12, 2, 10, 0),
                    schedule={**CONSULTATION, "release_mode": "draw", "draw_minutes": 60})
    listing = (await slots(office, "S", "2027-01-10", SATURDAY)).json()
    assert listing["release_mode"] == "draw"
    draws = (await office.client.get("/api/v1/draws", params={"service": "S"})).json()["draws"]
    [draw] = [d for d in draws if d["day"] == SATURDAY]
    assert draw["opens_at"] == "2026-12-02T10:00:00+01:00" and draw["closes_at"] == "2026-12-02T11:00:00+01:00"

"""The clerk's desk shows who booked the visit in hand, to check against the document: SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from okienko.staff.auth import add_user, issue_staff_token
from okienko.storage.models import BookingEvent
from okienko.i18n import Translator

from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio


async def test_the_desk_shows_the_booked_person_of_the_ticket_in_hand(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office)
    office.clock.set(warsaw(2026, 12, 3, 9, 40))
    walk_in = (await office.take("A")).json()
    checked_in = await office.client.post("/api/v1/check-in", headers=office.kiosk(),
                                          json={"code": booking["code"], "language": "uk"})
    assert checked_in.status_code == 201, checked_in.text
    booked_number = checked_in.json()["number"]

    office.clock.set(warsaw(2026, 12, 3, 9, 56))
    clerk = await office.clerk("1")
    called = await office.press(clerk, "/api/v1/windows/1/call-next")
    assert called.json()["number"] == booked_number
    desk = await office.client.get("/api/v1/windows/1", headers=clerk)
    assert desk.status_code == 200
    ticket = desk.json()["ticket"]
    assert ticket["number"] == booked_number
    assert ticket["booking"] == {"name": PERSON["name"], "birth_date": PERSON["birth_date"],
                                 "document": "FE****56", "document_country": "", "starts_at": SLOT}
    assert "123456" not in desk.text  # the clerk checks the document in hand; the number is never sent

    # Still there while serving; the next visitor, a walk-in, has no booking.
    started = await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
    assert started.status_code == 200
    paused = await office.press(clerk, "/api/v1/windows/1/pause", paused=False)
    assert paused.json()["ticket"]["booking"]["name"] == PERSON["name"]
    called = await office.press(clerk, "/api/v1/windows/1/call-next")
    assert called.json()["number"] == walk_in["number"]
    desk = await office.client.get("/api/v1/windows/1", headers=clerk)
    assert desk.json()["ticket"]["number"] == walk_in["number"]
    assert desk.json()["ticket"]["booking"] is None



async def test_the_clerk_checks_the_document_in_hand_against_the_booking(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office, person={**PERSON, "document_country": "UA"})
    office.clock.set(warsaw(2026, 12, 3, 9, 40))
    walk_in = (await office.take("A")).json()
    checked_in = await office.client.post("/api/v1/check-in", headers=office.kiosk(),
                                          json={"code": booking["code"], "language": "uk"})
    ticket_id = checked_in.json()["id"]
    office.clock.set(warsaw(2026, 12, 3, 9, 56))
    clerk = await office.clerk("1")
    await office.press(clerk, "/api/v1/windows/1/call-next")
    check = f"/api/v1/tickets/{ticket_id}/document-check"

    # Scanned or typed any way: the same number matches.
    matches = await office.press(clerk, check, document_number=" fe-123 456 ")
    assert matches.status_code == 200
    assert matches.json() == {"matched": True,
                              "message": Translator().gettext("pl", "The document matches the booking.")}
    other = await office.press(clerk, check, document_number="FE123457")
    assert other.status_code == 200 and other.json()["matched"] is False
    assert other.json()["message"] == Translator().gettext("pl", "The document does NOT match the booking. Do not "
                                                                 "serve: ask for the document used when booking.")
    wrong_country = await office.press(clerk, check, document_number="FE123456", document_country="BY")
    assert wrong_country.json()["matched"] is False

    # Recorded, with who checked, never the number.
    async with office.okienko.db.read() as conn:
        table = BookingEvent.__table__
        events = (await conn.execute(sa.select(table.c.detail).where(table.c.kind == "document_checked")
                                     .order_by(table.c.id))).scalars().all()
    assert [event["matched"] for event in events] == [True, False, False]
    assert len({event["by"] for event in events}) == 1 and events[0]["by"].startswith("clerk-1-")
    assert "123456" not in str(events) and "123457" not in str(events)

    # A walk-in has no booking; a clerk at another window cannot check this ticket (nor learn
    # whether it has a booking); a stranger not at all.
    other_clerk = await office.clerk("2")
    not_called = await office.press(other_clerk, f"/api/v1/tickets/{walk_in['id']}/document-check",
                                    document_number="X1")
    assert not_called.status_code == 409 and not_called.json()["error"] == "not_at_this_window"
    assert (await office.press(other_clerk, "/api/v1/windows/2/call-next")).json()["number"] == walk_in["number"]
    no_booking = await office.press(other_clerk, f"/api/v1/tickets/{walk_in['id']}/document-check",
                                    document_number="X1")
    assert no_booking.status_code == 409 and no_booking.json()["error"] == "no_booking"
    assert walk_in["number"] in no_booking.json()["message"]
    elsewhere = await office.press(other_clerk, check, document_number="FE123456")
    assert elsewhere.status_code == 409 and elsewhere.json()["error"] == "not_at_this_window"
    missing = await office.press(clerk, "/api/v1/tickets/nope/document-check", document_number="FE123456")
    assert missing.status_code == 404 and missing.json()["error"] == "ticket_not_found"
    empty = await office.press(clerk, check, document_number="  ")
    assert empty.status_code == 400
    anonymous = await office.client.post(check, json={"document_number": "FE123456"})
    assert anonymous.status_code == 401

    # A manager may check at any window.
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "kierowniczka", "manager", "correct horse battery")
        token = await issue_staff_token(conn, "kierowniczka", office.clock.now())
    manager = await office.press({"Authorization": f"Bearer {token}"}, check, document_number="FE123456")
    assert manager.status_code == 200 and manager.json()["matched"] is True
    async with office.okienko.db.read() as conn:
        table = BookingEvent.__table__
        last = (await conn.execute(sa.select(table.c.detail).where(table.c.kind == "document_checked")
                                   .order_by(table.c.id.desc()).limit(1))).scalar_one()
    assert last == {"matched": True, "by": "kierowniczka"}

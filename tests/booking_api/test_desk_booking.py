"""The clerk's desk shows who booked the visit in hand, to check against the document: SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.booking_api.test_bookings import PERSON, SLOT, TUESDAY, book
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


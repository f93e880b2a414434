"""A morning's worth of an office's data (tickets issued, called and served; a booking confirmed) and
what the office's screens read of it: to show that a copied or restored database is the same office."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from okienko.clock import FixedClock
from okienko.settings import Settings
from okienko_server.app import create_app
from tests.conftest import Office, close_office, open_office, warsaw
from tests.okienko.booking.test_bookings import SLOT, book

TUESDAY = warsaw(2026, 12, 1, 9, 0)


@dataclass
class Morning:
    """What a visitor and a clerk hold after the morning: ticket ids, the booking's code and secret."""

    tickets: list[str]
    booking_code: str
    booking_secret: str
    kiosk_token: str


async def a_morning(database_url: str, folder: Path) -> Morning:
    """Three tickets (one served, one called), one confirmed booking, in the database at `database_url`
    (migrated, without an office yet)."""
    office = await open_office(database_url, folder, TUESDAY)
    try:
        tickets = [(await office.take("A")).json()["id"] for _ in range(3)]
        clerk = await office.clerk("1")
        called = await office.press(clerk, "/api/v1/windows/1/call-next")
        assert called.status_code == 200, called.text
        for step in ("start", "finish"):
            done = await office.press(clerk, f"/api/v1/tickets/{called.json()['id']}/{step}")
            assert done.status_code == 200, done.text
        assert (await office.press(clerk, "/api/v1/windows/1/call-next")).status_code == 200
        booking = await book(office, SLOT)
        return Morning(tickets, booking["code"], booking["secret"], office.kiosk_token)
    finally:
        await close_office(office)


async def reopened(database_url: str, folder: Path, kiosk_token: str) -> Office:
    """The app over a database that already holds the office (copied or restored), as a server
    would start on it: same secret key, same clock."""
    settings = Settings(database_url=database_url, data_dir=str(folder), secret_key="test-secret",
                        print_timeout_seconds=2.0)
    app = create_app(settings, clock=FixedClock(TUESDAY), check_printers=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://okienko.test")
    await app.state.okienko.live.start(app.state.okienko.hall.current_seq)
    return Office(app, client, app.state.okienko.clock, kiosk_token, settings)


async def what_the_office_shows(office: Office, morning: Morning) -> dict[str, Any]:
    """The tickets as a visitor's phone shows them, the booking as its link shows it, the board."""
    tickets = []
    for ticket_id in morning.tickets:
        answer = await office.client.get(f"/api/v1/tickets/{ticket_id}", params={"lang": "en"})
        assert answer.status_code == 200, answer.text
        tickets.append(answer.json())
    booking = await office.client.get(f"/api/v1/bookings/{morning.booking_code}",
                                      params={"secret": morning.booking_secret, "lang": "en"})
    assert booking.status_code == 200, booking.text
    return {"tickets": tickets, "booking": booking.json()}

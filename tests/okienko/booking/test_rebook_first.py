"""A booking whose day the office closed moves first, before the public can: into days not yet
released to anyone else (the office's rebook_ahead_days past the public's horizon), past the change
deadline, and never into a full slot. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Office, warsaw
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, last_mail_to, text_of
from tests.okienko.office.test_days import manager, set_day

pytestmark = pytest.mark.anyio

CLOSED = "2026-12-03"
EARLY = "2027-01-05T10:00:00+01:00"   # past the public's last day (2027-01-01 on 2 December), within 14 more


def person(n: int) -> dict[str, str]:
    return {**PERSON, "document_number": f"FE 10000{n}", "email": f"visitor{n}@example.com",
            "phone": f"+48 600 700 80{n}"}


async def new_secret(office: Office, booking: dict[str, Any]) -> str:
    """The secret of the link in the "your day was closed" email."""
    link = re.search(rf"/book/manage/{booking['code']}\?secret=([\w-]+)",
                     text_of(await last_mail_to(office, booking["email_address"])))
    assert link
    return link.group(1)


async def listed_days(office: Office, **params: str) -> set[str]:
    office.okienko.booking._listings.clear()
    answer = await office.client.get("/api/v1/slots", params={"service": "A", "from": "2027-01-04",
                                                              "to": "2027-01-08", **params})
    assert answer.status_code == 200, answer.text
    return {day["date"] for day in answer.json()["days"] if day["slots"]}


async def test_a_flagged_booking_moves_into_a_day_the_public_cannot_book_yet(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    booked = []
    for n in range(5):   # A's slots take 4 people: four at 10:00, one at 10:20
        start = f"{CLOSED}T10:00:00+01:00" if n < 4 else f"{CLOSED}T10:20:00+01:00"
        booked.append({**await book(office, start=start, person=person(n)), "email_address": person(n)["email"]})
    unflagged = await book(office, start="2026-12-04T10:00:00+01:00", person=person(9))

    office.clock.set(warsaw(2026, 12, 2, 12, 0))   # past the visitor's change deadline (24 h before)
    saved = await set_day(office, headers, CLOSED, hours=[], reason="Power cut")
    assert saved["told"] == 5
    secrets_ = [await new_secret(office, b) for b in booked]

    public = await office.client.post("/api/v1/bookings", json={"service": "A", "start": EARLY, "language": "en",
                                                                 **person(7)})
    assert public.status_code == 409 and public.json()["error"] == "outside_horizon"
    assert "2027-01-05" not in await listed_days(office)
    assert "2027-01-05" in await listed_days(office, booking=booked[0]["code"], secret=secrets_[0])
    not_flagged = await office.client.post(f"/api/v1/bookings/{unflagged['code']}/reschedule",
                                           json={"secret": unflagged["secret"], "start": EARLY})
    assert not_flagged.status_code == 409 and not_flagged.json()["error"] == "outside_horizon"

    for b, secret in zip(booked[:4], secrets_[:4]):
        moved = await office.client.post(f"/api/v1/bookings/{b['code']}/reschedule",
                                         json={"secret": secret, "start": EARLY})
        assert moved.status_code == 200, moved.text
        assert moved.json()["start"] == EARLY and moved.json()["flag"] is None
    full = await office.client.post(f"/api/v1/bookings/{booked[4]['code']}/reschedule",
                                    json={"secret": secrets_[4], "start": EARLY})
    assert full.status_code == 409 and full.json()["error"] == "slot_full"   # no over-booking
    elsewhere = await office.client.post(f"/api/v1/bookings/{booked[4]['code']}/reschedule",
                                         json={"secret": secrets_[4], "start": "2027-01-05T10:20:00+01:00"})
    assert elsewhere.status_code == 200, elsewhere.text

    # Once moved, the booking is an ordinary one again: no more days ahead of the public.
    again = await office.client.post(f"/api/v1/bookings/{booked[0]['code']}/reschedule",
                                     json={"secret": secrets_[0], "start": "2027-01-07T10:00:00+01:00"})
    assert again.status_code == 409 and again.json()["error"] == "outside_horizon"


async def test_the_sweeper_flags_a_booking_cut_off_by_shorter_hours(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booked = await book(office, start=f"{CLOSED}T13:00:00+01:00")
    kept = await book(office, start=f"{CLOSED}T09:00:00+01:00", person=person(1))
    headers = await manager(office)
    await set_day(office, headers, CLOSED, hours=["08:00-12:00"], services=["A"], walk_in=False)
    assert (await office.okienko.booking.sweep())["flagged"] == 0   # saving flagged it already
    mine = await office.client.get(f"/api/v1/bookings/{kept['code']}", params={"secret": kept["secret"]})
    assert mine.json()["flag"] is None
    listed = await office.client.get("/api/v1/admin/bookings", headers=headers, params={"flag": "day_closed"})
    assert [b["code"] for b in listed.json()["bookings"]] == [booked["code"]]

"""A freed place never comes free at a moment its holder can know: it goes to the waiting list,
or it is withheld until a random moment (or the next release). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.storage.models import Booking, Office as OfficeRow, WithheldPlace
from okienko.i18n import Translator
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, free_places, last_mail_to, one_time_code, text_of
from tests.conftest import Office, warsaw

pytestmark = pytest.mark.anyio

START = "2026-12-03T08:00:00+01:00"   # service F: 3 places per slot


def someone(index: int) -> dict[str, Any]:
    return {**PERSON, "name": f"Person {chr(65 + index)}", "document_number": f"FP{index:06d}",
            "email": f"f{index}@example.com", "phone": f"+48 500 000 00{index}"}


async def set_policy(office: Office, **values: Any) -> None:
    async with office.okienko.db.engine.begin() as conn:
        table = OfficeRow.__table__
        policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
        await conn.execute(sa.update(table).values(booking_policy={**policy, **values}))
    office.okienko.offices.invalidate()


async def withheld(office: Office) -> list[dict[str, Any]]:
    async with office.okienko.db.read() as conn:
        return [dict(row) for row in (await conn.execute(sa.select(WithheldPlace.__table__))).mappings()]


async def hold(office: Office, person: dict[str, Any], start: str = START) -> Any:
    return await office.client.post("/api/v1/bookings", json={"service": "F", "start": start, "language": "en",
                                                               **person})


async def full_slot(office: Office) -> list[dict[str, Any]]:
    return [await book(office, start=START, person=someone(i), service="F") for i in range(3)]


async def test_a_cancelled_place_is_withheld_until_a_random_moment_within_the_hour(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booked = await full_slot(office)
    cancelled_at = office.clock.now()
    cancel = await office.client.post(f"/api/v1/bookings/{booked[0]['code']}/cancel",
                                      json={"secret": booked[0]["secret"]})
    assert cancel.status_code == 200
    buyer = await hold(office, someone(3))   # the buyer, told the moment of the cancel, is too late
    assert buyer.status_code == 409 and buyer.json()["error"] == "slot_full"
    assert await free_places(office, START, "F") == 0
    [row] = await withheld(office)
    assert cancelled_at < row["release_at"] <= cancelled_at + timedelta(hours=1)
    assert row["release_at"] <= datetime.fromisoformat(START)
    office.clock.set(row["release_at"] - timedelta(seconds=1))
    assert (await hold(office, someone(3))).json()["error"] == "slot_full"
    office.clock.set(row["release_at"] + timedelta(seconds=1))
    assert await free_places(office, START, "F") == 1
    office.okienko.booking.hints._full.clear()   # this process's memory of the full slot lasts a second
    again = await hold(office, someone(3))
    assert again.status_code == 202, again.text
    assert await withheld(office) == []   # forgotten under the slot's lock


async def test_release_moments_differ(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False)
    booked = [await book(office, start=START, person=someone(i), service="F") for i in range(2)]
    for booking in booked:
        await office.client.post(f"/api/v1/bookings/{booking['code']}/cancel", json={"secret": booking["secret"]})
    moments = sorted(row["release_at"] for row in await withheld(office))
    assert len(moments) == 2 and moments[0] != moments[1]   # random: two draws never meet


async def test_a_place_cancelled_just_before_its_visit_comes_back_before_it_starts(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False)
    booked = await book(office, start=START, person=someone(0), service="F")
    office.clock.set(warsaw(2026, 12, 3, 7, 50))
    cancel = await office.client.post(f"/api/v1/bookings/{booked['code']}/cancel", json={"secret": booked["secret"]})
    assert cancel.status_code == 200
    [row] = await withheld(office)
    assert office.clock.now() < row["release_at"] <= datetime.fromisoformat(START)


async def test_with_a_waiting_list_the_first_person_waiting_gets_the_freed_place(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booked = await full_slot(office)
    joined = await office.client.post("/api/v1/waiting-list", json={"service": "F", "language": "en",
                                                                     **someone(5)})
    assert joined.status_code == 201
    await office.client.post(f"/api/v1/bookings/{booked[1]['code']}/cancel", json={"secret": booked[1]["secret"]})
    offer = await last_mail_to(office, someone(5)["email"])
    assert await withheld(office) == []
    assert (await hold(office, someone(3))).json()["error"] == "slot_full"
    booking_id = re.search(r"/book/confirm/([\w-]+)", text_of(offer)).group(1)
    code = re.search(r"\b(\d{6})\b", text_of(offer)).group(1)
    taken = await office.client.post(f"/api/v1/bookings/{booking_id}/confirm", json={"code": code})
    assert taken.status_code == 201 and taken.json()["start"] == START


async def test_an_expired_hold_goes_to_the_waiting_list(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    held = await hold(office, someone(0))
    assert held.status_code == 202
    joined = await office.client.post("/api/v1/waiting-list", json={"service": "F", "language": "en",
                                                                     **someone(5)})
    assert joined.status_code == 201
    office.clock.advance(minutes=11)
    assert (await office.okienko.booking.sweep())["expired"] == 1
    offer = await last_mail_to(office, someone(5)["email"])
    assert "place" in offer["Subject"].lower()
    booking_id = re.search(r"/book/confirm/([\w-]+)", text_of(offer)).group(1)
    code = re.search(r"\b(\d{6})\b", text_of(offer)).group(1)
    taken = await office.client.post(f"/api/v1/bookings/{booking_id}/confirm", json={"code": code})
    assert taken.status_code == 201 and taken.json()["start"] == START


async def test_an_expired_hold_is_never_handed_to_the_next_booker_of_its_slot(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False)
    await book(office, start=START, person=someone(0), service="F")
    await book(office, start=START, person=someone(1), service="F")
    assert (await hold(office, someone(2))).status_code == 202   # the script's hold, left to expire
    office.clock.advance(minutes=10)   # the very moment it expires (known to whoever held it)
    buyer = await hold(office, someone(3))
    assert buyer.status_code == 409 and buyer.json()["error"] == "slot_full"
    assert (await office.okienko.booking.sweep())["expired"] == 1
    [row] = await withheld(office)
    assert row["release_at"] > office.clock.now()
    office.okienko.booking.hints._full.clear()
    assert (await hold(office, someone(3))).json()["error"] == "slot_full"
    office.clock.set(row["release_at"])
    office.okienko.booking.hints._full.clear()
    assert (await hold(office, someone(3))).status_code == 202


async def test_a_booker_finding_an_expired_hold_in_the_slot_gets_another_place_and_it_is_withheld(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False)
    await book(office, start=START, person=someone(0), service="F")
    assert (await hold(office, someone(1))).status_code == 202   # left to expire
    office.clock.advance(minutes=10)
    assert (await hold(office, someone(2))).status_code == 202   # the slot's third place
    [row] = await withheld(office)   # the expired hold's place, passed on under the slot's lock
    assert row["release_at"] > office.clock.now()
    assert await free_places(office, START, "F") == 0
    office.okienko.booking.hints._full.clear()
    assert (await hold(office, someone(3))).json()["error"] == "slot_full"


async def test_next_release_mode_brings_the_place_back_with_the_next_release(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False, freed_places="next_release")
    booked = await book(office, start="2026-12-10T08:00:00+01:00", person=someone(0), service="F")
    await office.client.post(f"/api/v1/bookings/{booked['code']}/cancel", json={"secret": booked["secret"]})
    [row] = await withheld(office)
    assert row["release_at"] == warsaw(2026, 12, 2, 6, 0)   # tomorrow's release at 06:00
    office.clock.set(warsaw(2026, 12, 2, 5, 59))
    assert await free_places(office, "2026-12-10T08:00:00+01:00", "F") == 2
    office.clock.set(warsaw(2026, 12, 2, 6, 0))
    assert await free_places(office, "2026-12-10T08:00:00+01:00", "F") == 3
    assert (await office.okienko.booking.sweep())["released"] == 1
    assert await withheld(office) == []


async def test_the_last_wrong_code_says_the_attempts_ran_out_and_withholds_the_place(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, waitlist=False)
    held = (await hold(office, someone(0))).json()
    code = await one_time_code(office, someone(0)["email"])
    wrong = "000000" if code != "000000" else "111111"
    answers = [await office.client.post(f"/api/v1/bookings/{held['id']}/confirm", json={"code": wrong})
               for _ in range(5)]
    assert [a.json()["error"] for a in answers] == ["wrong_code"] * 4 + ["code_attempts_used"]
    assert answers[-1].status_code == 410
    assert answers[-1].json()["message"] == Translator().gettext("pl", "Too many wrong codes: the place was released. Please book again.")
    right = await office.client.post(f"/api/v1/bookings/{held['id']}/confirm", json={"code": code})
    assert right.json()["error"] == "code_attempts_used"
    assert len(await withheld(office)) == 1


async def test_concurrent_wrong_codes_never_exceed_the_limit(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    held = (await hold(office, someone(0))).json()
    code = await one_time_code(office, someone(0)["email"])
    wrong = "000000" if code != "000000" else "111111"
    answers = await asyncio.gather(*(office.client.post(f"/api/v1/bookings/{held['id']}/confirm",
                                                        json={"code": wrong}) for _ in range(30)))
    errors = [a.json()["error"] for a in answers]
    assert errors.count("wrong_code") == 4 and errors.count("code_attempts_used") == 26
    right = await office.client.post(f"/api/v1/bookings/{held['id']}/confirm", json={"code": code})
    assert right.status_code == 410 and right.json()["error"] == "code_attempts_used"
    async with office.okienko.db.read() as conn:
        row = (await conn.execute(sa.select(Booking.__table__).where(Booking.__table__.c.id == held["id"])
                                  )).mappings().one()
    assert row["status"] == "expired" and row["confirm_attempts"] == 5

"""The kiosk's check-in cannot be used to guess booking codes: unknown codes are limited per kiosk
and minute, counted before they are looked at, so many sent at once cannot slip past."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest

from okienko.staff.auth import issue_device_token
from okienko.booking.bookings import CODE_ALPHABET
from okienko.i18n import Translator
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio
LIMIT = 3
TOO_MANY = "Too many wrong booking codes at this kiosk. Please wait {seconds} s and try again, or ask at the " \
           "information desk."


def unknown_code(index: int) -> str:
    return "".join(CODE_ALPHABET[(index // len(CODE_ALPHABET) ** place) % len(CODE_ALPHABET)] for place in range(6))


async def check_in(office: Any, code: str, token: str | None = None) -> Any:
    return await office.client.post("/api/v1/check-in", headers=office.kiosk(token), json={"code": code})


async def test_past_the_limit_a_kiosk_waits_out_the_minute_whatever_the_code(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, check_in_wrong_codes_per_minute=LIMIT)
    booking = await book(office)
    office.clock.set(warsaw(2026, 12, 3, 9, 45, 20))
    wrong = [await check_in(office, unknown_code(index)) for index in range(LIMIT)]
    assert [answer.json()["error"] for answer in wrong] == ["booking_not_found"] * LIMIT
    refused = await check_in(office, unknown_code(99))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "41"
    assert refused.json() == {"error": "too_many_wrong_codes",
                              "message": Translator().gettext("pl", TOO_MANY).format(seconds=41)}
    right = await check_in(office, booking["code"])   # the right code too: a guesser learns nothing more
    assert right.status_code == 429
    office.clock.advance(seconds=41)
    right = await check_in(office, booking["code"])
    assert right.status_code == 201, right.text


async def test_codes_that_name_a_booking_are_not_counted(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, check_in_wrong_codes_per_minute=LIMIT)
    booking = await book(office)
    too_early = [await check_in(office, booking["code"]) for _ in range(LIMIT * 3)]   # a visitor trying again
    assert {answer.json()["error"] for answer in too_early} == {"check_in_wrong_day"}
    office.clock.set(warsaw(2026, 12, 3, 9, 45))
    assert (await check_in(office, booking["code"])).status_code == 201
    again = [await check_in(office, booking["code"]) for _ in range(LIMIT * 2)]
    assert {answer.json()["error"] for answer in again} == {"already_checked_in"}
    wrong = [await check_in(office, unknown_code(index)) for index in range(LIMIT + 1)]
    assert [answer.status_code for answer in wrong] == [404] * LIMIT + [429]


async def test_the_limit_holds_for_codes_sent_at_once_and_is_per_kiosk(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, check_in_wrong_codes_per_minute=LIMIT)
    async with office.okienko.db.engine.begin() as conn:
        other_kiosk = await issue_device_token(conn, "demo", "kiosk", "hall-2")
    answers = await asyncio.gather(*(check_in(office, unknown_code(index)) for index in range(40)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [404] * LIMIT + [429] * (40 - LIMIT)
    elsewhere = await check_in(office, unknown_code(41), other_kiosk)
    assert elsewhere.json()["error"] == "booking_not_found"


async def test_a_zero_limit_switches_the_count_off(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, check_in_wrong_codes_per_minute=0)
    answers = [await check_in(office, unknown_code(index)) for index in range(15)]
    assert {answer.status_code for answer in answers} == {404}



async def test_a_kiosk_asking_again_with_its_key_gets_the_same_ticket_and_nobody_else_does(
        office_factory: Any) -> None:
    """A check-in whose answer was lost (the database restarting) is asked again by the kiosk with
    the same Idempotency-Key: it gets its ticket again, never a second one and never "already checked
    in"; without the key, with another key or from another kiosk, the code is taken."""
    office = await office_factory(TUESDAY)
    booking = await book(office)
    office.clock.set(warsaw(2026, 12, 3, 9, 45))

    async def check_in_keyed(key: str, token: str | None = None) -> Any:
        return await office.client.post("/api/v1/check-in", headers={**office.kiosk(token), "Idempotency-Key": key},
                                        json={"code": booking["code"]})

    first = await check_in_keyed("k-1")
    assert first.status_code == 201 and first.json()["replayed"] is False
    office.clock.advance(seconds=30)
    again = await check_in_keyed("k-1")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["number"] == first.json()["number"] and again.json()["id"] == first.json()["id"]
    async with office.okienko.db.engine.begin() as conn:
        other_kiosk = await issue_device_token(conn, "demo", "kiosk", "hall-2")
    for taken in (await check_in(office, booking["code"]), await check_in_keyed("k-2"),
                  await check_in_keyed("k-1", other_kiosk)):
        assert taken.status_code == 409 and taken.json()["error"] == "already_checked_in"
        assert first.json()["number"] in taken.json()["message"]


async def test_the_check_in_window_shown_on_the_booking_page_is_the_one_the_kiosk_and_the_sweeper_keep(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    kept = await book(office)
    missed = await book(office, person={**PERSON, "name": "Ivan Petrenko", "document_number": "FE 654321",
                                        "email": "ivan@example.com"})
    page = await office.client.get(kept["manage_url"].removeprefix(office.okienko.links.base))
    shown = re.search(r'id="check-in-window">([^<]*)<', page.text)
    assert shown, page.text
    opens, closes = re.findall(r"\d\d:\d\d", shown.group(1))
    assert (opens, closes) == ("09:30", "10:15")   # the demo office: 30 min before a 10:00 visit, 15 after
    assert (kept["check_in_from"], kept["check_in_until"]) == (f"2026-12-03T{opens}:00+01:00",
                                                               f"2026-12-03T{closes}:00+01:00")
    hour, minute = map(int, opens.split(":"))
    office.clock.set(warsaw(2026, 12, 3, hour, minute) - timedelta(seconds=1))
    assert (await check_in(office, kept["code"])).json()["error"] == "check_in_too_early"
    hour, minute = map(int, closes.split(":"))
    office.clock.set(warsaw(2026, 12, 3, hour, minute))   # the last moment shown: still in time
    assert (await office.okienko.booking.sweep())["no_show"] == 0
    assert (await check_in(office, kept["code"])).status_code == 201
    office.clock.advance(seconds=1)
    late = await check_in(office, missed["code"])
    assert late.status_code == 409 and late.json()["error"] == "check_in_too_late"
    assert (await office.okienko.booking.sweep())["no_show"] == 1

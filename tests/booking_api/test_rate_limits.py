"""Limits that count what scripts do: every booking attempt counts, refused ones too; listings
are limited per address; behind a proxy, only trusted proxies may name the client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.booking_api.test_bookings import PERSON, TUESDAY, book
from tests.booking_api.test_freed_places import set_policy, someone

pytestmark = pytest.mark.anyio


async def test_refused_attempts_count_against_the_address_limit(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, per_address_per_hour=4, per_contact_per_day=0)
    refused = {
        "outside_horizon": "2027-02-02T08:00:00+01:00",   # not released yet: a script polling for the release
        "no_such_slot": "2026-12-02T08:10:00+01:00",
        "closed_day": "2026-12-24T08:00:00+01:00",
    }
    for error, start in refused.items():
        answer = await office.client.post("/api/v1/bookings", json={"service": "A", "start": start, **PERSON})
        assert answer.json()["error"] == error
    bad = await office.client.post("/api/v1/bookings", json={"service": "A", "start": "2026-12-03T10:00:00+01:00",
                                                              **PERSON, "email": "not-an-email"})
    assert bad.json()["error"] == "invalid_details"
    fifth = await office.client.post("/api/v1/bookings", json={"service": "A", "start": "2026-12-03T10:00:00+01:00",
                                                                **PERSON})
    assert fifth.status_code == 429 and fifth.json()["error"] == "rate_limited"
    assert 0 < int(fifth.headers["retry-after"]) <= 3601


async def test_attempts_at_a_full_slot_count_against_the_contact_limit(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, per_address_per_hour=0, per_contact_per_day=3)
    start = "2026-12-03T08:00:00+01:00"   # service F: 3 places
    for index in range(3):
        await book(office, start=start, person=someone(index), service="F")
    script = {**PERSON, "document_number": "SC000001", "email": "script@example.com", "phone": ""}
    answers = [await office.client.post("/api/v1/bookings", json={"service": "F", "start": start, **script})
               for _ in range(4)]   # refused from memory ("seen full") and from the count alike
    assert [a.json()["error"] for a in answers] == ["slot_full"] * 3 + ["rate_limited"]
    elsewhere = await office.client.post("/api/v1/bookings", json={"service": "F", "start": "2026-12-03T08:10:00+01:00",
                                                                    **script})
    assert elsewhere.status_code == 429   # the contact is spent for the day, whatever the slot


async def test_slot_listings_are_limited_per_address_and_minute(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, listings_per_address_per_minute=3)
    office.clock.set(office.clock.now().replace(second=0) + timedelta(seconds=50))
    params = {"service": "A", "from": "2026-12-03", "to": "2026-12-03"}
    answers = [await office.client.get("/api/v1/slots", params=params) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"] == "rate_limited" and answers[3].headers["retry-after"] == "10"
    office.clock.advance(seconds=10)
    assert (await office.client.get("/api/v1/slots", params=params)).status_code == 200
    await set_policy(office, listings_per_address_per_minute=0)   # 0: off
    answers = [await office.client.get("/api/v1/slots", params=params) for _ in range(10)]
    assert {a.status_code for a in answers} == {200}

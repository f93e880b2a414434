"""The public side of information Saturdays: `GET /api/v1/events` and the feed `/calendar/events.ics`,
read back with icalendar and vobject. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from okienko.storage.models import Event
from tests.conftest import warsaw
from tests.okienko.office.test_event_days import SATURDAY, add_event

pytestmark = pytest.mark.anyio


async def test_the_public_sees_a_published_event_with_its_services_and_when_booking_opens(
        office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 0))
    event_id = await add_event(office, opens_at=warsaw(2026, 12, 2, 10, 0))
    answer = await office.client.get("/api/v1/events", params={"lang": "en"})
    assert answer.status_code == 200, answer.text
    [event] = answer.json()["events"]
    assert event["id"] == event_id and event["date"] == SATURDAY and event["title"] == "Information Saturday"
    assert event["starts_at"] == f"{SATURDAY}T08:00:00+01:00" and event["ends_at"] == f"{SATURDAY}T15:00:00+01:00"
    assert event["booking_opens_at"] == "2026-12-02T10:00:00+01:00" and event["booking_open"] is False
    assert [(s["code"], s["name"], s["bookable"]) for s in event["services"]] == [
        ("S", "Consultations", True), ("I", "Information", False)]
    assert event["services"][0]["book_url"] == "/book?service=S&lang=en"
    assert answer.json()["feed_url"].endswith("/calendar/events.ics")
    ukrainian = (await office.client.get("/api/v1/events", params={"lang": "uk"})).json()["events"][0]
    assert ukrainian["title"] == "Information Saturday"   # no Ukrainian title given: English, as every office text


async def test_a_draft_is_not_public(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 0))
    await add_event(office, status="draft")
    assert (await office.client.get("/api/v1/events")).json()["events"] == []
    feed = await office.client.get("/calendar/events.ics")
    assert icalendar.Calendar.from_ical(feed.content).walk("VEVENT") == []


async def test_the_feed_updates_an_event_in_place_and_keeps_a_cancelled_one(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 9, 0))
    event_id = await add_event(office, opens_at=warsaw(2026, 12, 2, 10, 0))
    feed = await office.client.get("/calendar/events.ics", params={"lang": "en"})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    [first] = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(first["UID"]) == f"event-{event_id}-demo@okienko" and int(first["SEQUENCE"]) == 0
    assert str(first["SUMMARY"]) == "Information Saturday"
    assert "Consultations" in str(first["DESCRIPTION"]) and "/book?lang=en" in str(first["DESCRIPTION"])
    # The manager moves it an hour later, then cancels it (okienko/office/events.py raises the SEQUENCE).
    async with office.okienko.db.engine.begin() as conn:
        await conn.execute(sa.update(Event.__table__).where(Event.__table__.c.id == event_id).values(
            opens_minute=9 * 60, closes_minute=16 * 60, sequence=1, updated_at=datetime(2026, 12, 2, 9, tzinfo=UTC)))
    moved = vobject.readOne((await office.client.get("/calendar/events.ics")).text).vevent
    assert moved.uid.value == f"event-{event_id}-demo@okienko" and moved.sequence.value == "1"
    assert moved.dtstart.value.astimezone(UTC) == datetime(2027, 1, 16, 8, 0, tzinfo=UTC)
    assert moved.summary.value == "Sobota informacyjna"      # the office's language by default
    async with office.okienko.db.engine.begin() as conn:
        await conn.execute(sa.update(Event.__table__).where(Event.__table__.c.id == event_id).values(
            status="cancelled", sequence=2))
    office.okienko.offices.invalidate()
    cancelled = vobject.readOne((await office.client.get("/calendar/events.ics")).text).vevent
    assert cancelled.status.value == "CANCELLED" and cancelled.sequence.value == "2"
    assert (await office.client.get("/api/v1/events")).json()["events"] == []

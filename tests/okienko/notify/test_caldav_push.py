"""Booked visits written to a real CalDAV server (Radicale on loopback, HTTP Basic): they appear,
move and disappear; with the server stopped, changes wait, and once it is back the calendar holds
exactly the right events, each booking once. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import secrets
from typing import Any, Iterator
from urllib.parse import unquote

import httpx
import icalendar
import pytest
import sqlalchemy as sa

from okienko.notify.caldav_push import MAX_PAUSE
from okienko.storage.models import CalendarPush
from tests.conftest import WARSAW
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book
from tests.okienko.office.test_days import manager
from tests.servers import RADICALE_USER, PrivateRadicale, private_radicale

pytestmark = pytest.mark.anyio

LUKASZ = {"name": "Łukasz Żółtowski", "birth_date": "1979-11-02", "document_number": "AB 445566",
          "document_country": "PL", "phone": "+48 601 222 333", "email": "lukasz@example.com"}
IRYNA = {"name": "Ірина Шевченко", "birth_date": "1988-02-14", "document_number": "FK 998877",
         "document_country": "UA", "phone": "+48 601 222 444", "email": "iryna@example.com"}


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRadicale]:
    with private_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def events_in(collection: str) -> dict[str, icalendar.Event]:
    """The collection as a CalDAV client lists it (PROPFIND depth 1, then each resource): UID -> event."""
    with httpx.Client(auth=RADICALE_USER, timeout=10) as client:
        listing = client.request("PROPFIND", collection, headers={"Depth": "1"})
        assert listing.status_code == 207
        hrefs = [href for href in _hrefs(listing.text) if href.endswith(".ics")]
        found = {}
        for href in hrefs:
            body = client.get(httpx.URL(collection).join(href)).content
            assert b"\r\n" in body and b"METHOD" not in body
            events = icalendar.Calendar.from_ical(body).walk("VEVENT")
            assert len(events) == 1
            uid = str(events[0]["UID"])
            assert unquote(href).endswith(f"/{uid}.ics")   # one resource per booking, named by its UID
            found[uid] = events[0]
    return found


def _hrefs(xml: str) -> list[str]:
    import xml.etree.ElementTree as ElementTree
    return [node.text or "" for node in ElementTree.fromstring(xml).iter("{DAV:}href")]


async def open_with_calendars(office_factory: Any, radicale: PrivateRadicale, **extra: Any) -> tuple[Any, str, str]:
    service_a = radicale.make_calendar(f"a-{secrets.token_hex(4)}")
    window_5 = radicale.make_calendar(f"w5-{secrets.token_hex(4)}")   # window 5 serves F only
    office = await office_factory(TUESDAY, caldav_calendars=f"service:A={service_a}\nwindow:5={window_5}",
                                  caldav_username=RADICALE_USER[0], caldav_password=RADICALE_USER[1], **extra)
    return office, service_a, window_5


async def pending(office: Any) -> int:
    return (await office.okienko.caldav.backlog())["pending"]


async def test_bookings_appear_move_and_disappear(office_factory: Any, radicale: PrivateRadicale) -> None:
    office, service_a, window_5 = await open_with_calendars(office_factory, radicale)
    olena = await book(office, start="2026-12-03T10:00:00+01:00")
    lukasz = await book(office, start="2026-12-03T10:20:00+01:00", person=LUKASZ, language="pl")
    iryna = await book(office, start="2026-12-03T10:40:00+01:00", person=IRYNA, language="uk")
    assert await pending(office) == 3
    assert await office.okienko.caldav.push_due() == 3
    assert await pending(office) == 0
    shown = events_in(service_a)
    assert len(shown) == 3 and events_in(window_5) == {}
    by_code = {str(event["DESCRIPTION"]).split(": ")[-1]: event for event in shown.values()}
    assert set(by_code) == {olena["code"], lukasz["code"], iryna["code"]}
    event = by_code[lukasz["code"]]
    assert str(event["SUMMARY"]).startswith(f"{lukasz['code']} — ")
    assert event["DTSTART"].dt == TUESDAY.replace(day=3, hour=10, minute=20).astimezone(WARSAW)
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Warsaw" and int(event["SEQUENCE"]) == 0
    assert "Łukasz" not in str(event) and "Olena" not in str(shown)   # codes only: no personal data

    boss = await manager(office)
    moved = await office.client.post(f"/api/v1/admin/bookings/{lukasz['code']}/move", headers=boss,
                                     json={"starts_at": "2026-12-04T09:00:00+01:00"})
    assert moved.status_code == 200, moved.text
    cancelled = await office.client.post(f"/api/v1/admin/bookings/{olena['code']}/cancel", headers=boss, json={})
    assert cancelled.status_code == 200, cancelled.text
    assert await office.okienko.caldav.push_due() == 2
    shown = {str(event["DESCRIPTION"]).split(": ")[-1]: event for event in events_in(service_a).values()}
    assert set(shown) == {lukasz["code"], iryna["code"]}
    assert shown[lukasz["code"]]["DTSTART"].dt.isoformat() == "2026-12-04T09:00:00+01:00"
    assert int(shown[lukasz["code"]]["SEQUENCE"]) == 1
    assert await office.okienko.caldav.push_due() == 0   # nothing left, nothing written again


async def test_a_server_down_for_an_hour_catches_up_with_exactly_the_right_events(
        office_factory: Any, radicale: PrivateRadicale, caplog: pytest.LogCaptureFixture) -> None:
    office, service_a, _window = await open_with_calendars(office_factory, radicale, caldav_names="names")
    pusher = office.okienko.caldav
    olena = await book(office, start="2026-12-03T10:00:00+01:00")
    lukasz = await book(office, start="2026-12-03T10:20:00+01:00", person=LUKASZ, language="pl")
    assert await pusher.push_due() == 2
    boss = await manager(office)

    radicale.stop()
    try:
        caplog.set_level(logging.WARNING, logger="okienko.caldav")
        iryna = await book(office, start="2026-12-03T10:40:00+01:00", person=IRYNA, language="uk")
        for code, start in ((lukasz["code"], "2026-12-04T09:00:00+01:00"), (iryna["code"], "2026-12-04T09:20:00+01:00"),
                            (lukasz["code"], "2026-12-04T09:40:00+01:00")):   # Łukasz moved twice: one write
            answer = await office.client.post(f"/api/v1/admin/bookings/{code}/move", headers=boss,
                                              json={"starts_at": start})
            assert answer.status_code == 200, answer.text
        answer = await office.client.post(f"/api/v1/admin/bookings/{olena['code']}/cancel", headers=boss, json={})
        assert answer.status_code == 200, answer.text
        for _minute in range(0, 60, 5):   # an hour of rounds, each failing
            assert await pusher.push_due() == 0
            office.clock.advance(seconds=MAX_PAUSE.total_seconds())
        assert await pusher.push_due() == 0
        backlog = await pusher.backlog()
        assert backlog["pending"] == 3 and "ConnectError" in backlog["last_error"]
        assert (await office.client.get("/healthz")).json()["calendar_backlog"] == 3
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "ConnectError" in logged and RADICALE_USER[1] not in logged and "Łukasz" not in logged
    finally:
        radicale.start()

    assert await pusher.push_due() == 0            # not due yet: the pause after the last failure
    office.clock.advance(seconds=MAX_PAUSE.total_seconds())
    assert await pusher.push_due() == 3
    assert (await office.client.get("/healthz")).json()["calendar_backlog"] == 0
    shown = events_in(service_a)
    by_name = {str(event["SUMMARY"]).split(" — ")[0]: event for event in shown.values()}
    assert sorted(by_name) == sorted(["Łukasz Żółtowski", "Ірина Шевченко"])   # names: `caldav_names = names`
    assert by_name["Łukasz Żółtowski"]["DTSTART"].dt.isoformat() == "2026-12-04T09:40:00+01:00"
    assert int(by_name["Łukasz Żółtowski"]["SEQUENCE"]) == 2
    assert by_name["Ірина Шевченко"]["DTSTART"].dt.isoformat() == "2026-12-04T09:20:00+01:00"
    async with office.okienko.db.read() as conn:
        rows = (await conn.execute(sa.select(CalendarPush.__table__))).mappings().all()
    assert all(row["pushed_version"] == row["version"] and row["last_error"] is None for row in rows)
    assert {len(row["copies"]) for row in rows} == {0, 1}   # Olena's copy gone, the others' ETags kept
    assert PERSON["name"] not in str(shown)

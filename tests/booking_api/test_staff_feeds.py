"""The staff calendar feeds: a manager makes a link for a service or a window, a calendar app
reads it (icalendar and vobject), names only in a link made with them, cancelled visits as
STATUS:CANCELLED, times right in Europe/Warsaw across both 2027 clock changes; a revoked link
answers `feed_not_found` at once; the token is never kept nor logged. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import icalendar
import pytest
import sqlalchemy as sa
import vobject

from okienko.storage.models import AuditEntry, CalendarFeed
from okienko_server.server_log import redact_target
from tests.conftest import WARSAW, warsaw
from tests.okienko.booking.test_bookings import TUESDAY, book
from tests.okienko.notify.test_caldav_push import IRYNA, LUKASZ
from tests.okienko.office.test_days import manager

pytestmark = pytest.mark.anyio


async def make_feed(office: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = await office.client.post("/api/v1/admin/calendar-feeds", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()["feed"]


def path_of(url: str) -> str:
    return httpx.URL(url).raw_path.decode()


async def fetch(office: Any, url: str) -> bytes:
    answer = await office.client.get(path_of(url))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return answer.content


async def test_a_manager_makes_links_a_calendar_reads_them_and_a_revoked_one_stops(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    lukasz = await book(office, start="2026-12-03T10:00:00+01:00", person=LUKASZ, language="pl")
    iryna = await book(office, start="2026-12-03T10:20:00+01:00", person=IRYNA, language="uk")
    codes_only = await make_feed(office, boss, scope="service", target="A", label="Sala A")
    named = await make_feed(office, boss, scope="window", target="1", with_names=True, label="Okno 1, Anna")
    assert path_of(codes_only["url"]).startswith("/calendar/staff/") and codes_only["with_names"] is False
    assert named["webcal_url"] == "webcal://" + named["url"].removeprefix("http://")
    cancelled = await office.client.post(f"/api/v1/admin/bookings/{iryna['code']}/cancel", headers=boss, json={})
    assert cancelled.status_code == 200

    feed = icalendar.Calendar.from_ical(await fetch(office, codes_only["url"]))
    assert str(feed["X-WR-CALNAME"]).endswith(" — Złożenie wniosku o pobyt") and str(feed["METHOD"]) == "PUBLISH"
    events = {str(event["SUMMARY"]).split(" — ")[0]: event for event in feed.walk("VEVENT")}
    assert set(events) == {lukasz["code"], iryna["code"]}
    assert str(events[iryna["code"]]["STATUS"]) == "CANCELLED" and int(events[iryna["code"]]["SEQUENCE"]) == 1
    assert str(events[lukasz["code"]]["STATUS"]) == "CONFIRMED"
    assert events[lukasz["code"]].decoded("DTSTART") == warsaw(2026, 12, 3, 10, 0)
    raw = await fetch(office, codes_only["url"])
    assert b"\xc5\x81ukasz" not in raw and "Ірина".encode() not in raw   # no names in this link

    calendar = vobject.readOne((await fetch(office, named["url"])).decode("utf-8"))
    titles = sorted(event.summary.value for event in calendar.vevent_list)
    assert titles[0].startswith("Łukasz Żółtowski — ") and titles[1].startswith("Ірина Шевченко — ")
    uids = {event.uid.value for event in calendar.vevent_list}
    assert uids == {str(event["UID"]) for event in events.values()}   # the same UIDs in every calendar

    listed = (await office.client.get("/api/v1/admin/calendar-feeds", headers=boss)).json()["feeds"]
    assert [feed["label"] for feed in listed] == ["Okno 1, Anna", "Sala A"] and "url" not in listed[0]
    revoked = await office.client.post(f"/api/v1/admin/calendar-feeds/{named['id']}/revoke", headers=boss)
    assert revoked.status_code == 200 and revoked.json()["feed"]["revoked_at"]
    gone = await office.client.get(path_of(named["url"]), params={"lang": "pl"})
    assert gone.status_code == 404 and gone.json()["error"] == "feed_not_found"
    assert (await office.client.get(path_of(codes_only["url"]))).status_code == 200

    token = named["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert redact_target(f"/calendar/staff/{token}.ics") == "/calendar/staff/….ics"
    async with office.okienko.db.read() as conn:
        audit = (await conn.execute(sa.select(AuditEntry.__table__))).mappings().all()
        stored = (await conn.execute(sa.select(CalendarFeed.__table__))).mappings().all()
    assert [entry["action"] for entry in audit if entry["action"].startswith("calendar_feed")] == [
        "calendar_feed.add", "calendar_feed.add", "calendar_feed.revoke"]
    assert token not in str([dict(row) for row in audit]) + str([dict(row) for row in stored])


async def test_what_a_link_cannot_be_for(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    for body, status, error in (({"scope": "service", "target": "ZZ"}, 404, "unknown_service"),
                                ({"scope": "window", "target": "99"}, 404, "unknown_window"),
                                ({"scope": "desk", "target": "1"}, 422, "invalid_feed")):
        answer = await office.client.post("/api/v1/admin/calendar-feeds", headers=boss, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text
    unknown = await office.client.post("/api/v1/admin/calendar-feeds/12345/revoke", headers=boss)
    assert unknown.status_code == 404 and unknown.json()["error"] == "feed_not_found"


@pytest.mark.parametrize("today, before, after", [
    (warsaw(2027, 3, 24, 9, 0), "2027-03-26T10:00:00+01:00", "2027-03-30T10:00:00+02:00"),   # forward 28 March (Easter)
    (warsaw(2027, 10, 27, 9, 0), "2027-10-29T10:00:00+02:00", "2027-11-02T10:00:00+01:00"),  # and back 31 October
])
async def test_visits_either_side_of_a_clock_change_keep_their_wall_time(
        office_factory: Any, today: datetime, before: str, after: str) -> None:
    office = await office_factory(today)
    boss = await manager(office)
    await book(office, start=before)
    await book(office, start=after, person=LUKASZ, language="pl")
    feed = await make_feed(office, boss, scope="service", target="A")
    raw = await fetch(office, feed["url"])
    for starts in ([e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")],
                   [e.dtstart.value for e in vobject.readOne(raw.decode("utf-8")).vevent_list]):
        assert [start.astimezone(WARSAW).strftime("%H:%M") for start in starts] == ["10:00", "10:00"]
        assert [start.astimezone(UTC) for start in starts] == [datetime.fromisoformat(before).astimezone(UTC),
                                                               datetime.fromisoformat(after).astimezone(UTC)]

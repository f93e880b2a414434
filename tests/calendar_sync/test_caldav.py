"""CalDAV against a real Radicale on loopback: the collection client (create, replace and delete
with ETag preconditions, Okienko's copy winning when the server holds another version: an answer
lost after a PUT, an entry edited in someone's calendar), and a closure calendar read from a CalDAV
collection with a calendar-query REPORT."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from typing import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendar_sync.caldav import CalDAVCollection, CalDAVError
from calendar_sync.closure_calendar import CalendarDay, read_closure_calendar
from calendar_sync.closure_fetch import fetch_calendar
from calendar_sync.staff_calendar import Visit, caldav_resource
from tests.servers import RADICALE_USER, PrivateRadicale, private_radicale

pytestmark = pytest.mark.anyio
WARSAW = ZoneInfo("Europe/Warsaw")
STAMP = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRadicale]:
    with private_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def body(summary: str, sequence: int = 0) -> bytes:
    start = datetime(2027, 3, 29, 10, 0, tzinfo=WARSAW)
    return caldav_resource(Visit(uid="b1@okienko", sequence=sequence, start=start, end=start + timedelta(minutes=20),
                                 summary=summary, description="", location="Urząd", modified=STAMP), WARSAW, STAMP)


async def test_create_replace_and_delete_with_etags_and_our_copy_wins(radicale: PrivateRadicale) -> None:
    url = radicale.make_calendar("client")
    async with httpx.AsyncClient(auth=RADICALE_USER, timeout=10) as client:
        collection = CalDAVCollection(url, client)
        first = await collection.put("b1@okienko", body("Ж — first"), None)
        assert first.etag and await collection.listing() == {"b1@okienko.ics": first.etag}
        # The answer to that PUT was lost: a second create finds the resource and writes over it.
        again = await collection.put("b1@okienko", body("Ж — again", 1), None)
        assert again.etag != first.etag and len(await collection.listing()) == 1
        # Someone edits the entry in their calendar: our stale ETag is refused, and our copy wins.
        edited = await client.put(collection.href("b1@okienko"), content=body("edited by hand", 1),
                                  headers={"Content-Type": "text/calendar"})
        assert edited.status_code in (201, 204)
        ours = await collection.put("b1@okienko", body("Ж — ours", 2), again.etag)
        assert "Ж — ours" in (await collection.get("b1@okienko") or b"").decode()
        await collection.delete("b1@okienko", first.etag)   # a stale ETag: deleted all the same
        assert await collection.listing() == {} and ours.etag
        await collection.delete("b1@okienko", None)        # gone already: done


async def test_a_wrong_password_is_an_error_that_names_no_secret(radicale: PrivateRadicale) -> None:
    url = radicale.make_calendar("refused")
    async with httpx.AsyncClient(auth=(RADICALE_USER[0], "wrong-секрет"), timeout=10) as client:
        with pytest.raises(CalDAVError) as refused:
            await CalDAVCollection(url, client).put("b1@okienko", body("x"), None)
    assert str(refused.value) == "PUT: HTTP 401" and "секрет" not in repr(refused.value)


def test_a_uid_with_spaces_has_no_address() -> None:
    collection = CalDAVCollection("http://127.0.0.1:1/c", None)  # type: ignore[arg-type]   # no request made
    assert collection.href("x@okienko") == "http://127.0.0.1:1/c/x@okienko.ics"
    with pytest.raises(ValueError):
        collection.href("a b")


def closure(uid: str, *lines: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud//PL\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n" + "".join(f"{line}\r\n" for line in lines)
            + "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


async def test_a_closure_calendar_kept_in_a_caldav_collection_is_read_with_a_report(radicale: PrivateRadicale) -> None:
    url = radicale.make_calendar("zamkniecia")
    with httpx.Client(auth=RADICALE_USER, timeout=10) as client:
        for uid, body in {
            "wigilia": closure("wigilia", "DTSTART;VALUE=DATE:20271224", "DTEND;VALUE=DATE:20271225",
                               "SUMMARY:Wigilia – urząd zamknięty"),
            "sanitarny": closure("sanitarny", "DTSTART;VALUE=DATE:20270301", "RRULE:FREQ=MONTHLY;COUNT=3",
                                 "EXDATE;VALUE=DATE:20270401", "SUMMARY:Санітарний день"),
            "krotko": closure("krotko", "DTSTART;TZID=Europe/Warsaw:20271029T080000",
                              "DTEND;TZID=Europe/Warsaw:20271029T120000", "SUMMARY:Szkolenie"),
            "dawno": closure("dawno", "DTSTART;VALUE=DATE:20250101", "SUMMARY:Outside the range"),
        }.items():
            put = client.put(f"{url}{uid}.ics", content=body, headers={"Content-Type": "text/calendar"})
            assert put.status_code == 201, put.text
    user, password = (quote(part, safe="") for part in RADICALE_USER)
    address = url.replace("http://", f"http://{user}:{password}@")
    first, last = date(2026, 12, 1), date(2027, 12, 31)
    fetched = await fetch_calendar(address, "caldav", first=first, last=last)
    assert fetched.files is not None and len(fetched.files) == 3   # the 2025 closure is not asked for
    days = read_closure_calendar(fetched.files, first, last)
    assert days == {
        date(2027, 3, 1): CalendarDay(date(2027, 3, 1), (), "Санітарний день"),
        date(2027, 5, 1): CalendarDay(date(2027, 5, 1), (), "Санітарний день"),
        date(2027, 10, 29): CalendarDay(date(2027, 10, 29), ((8 * 60, 12 * 60),), "Szkolenie"),
        date(2027, 12, 24): CalendarDay(date(2027, 12, 24), (), "Wigilia – urząd zamknięty")}

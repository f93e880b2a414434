"""The CalDAV collection client against a real Radicale on loopback: create, replace and delete
with ETag preconditions, and Okienko's copy winning when the server holds another version (an
answer lost after a PUT, an entry edited in someone's calendar)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendar_sync.caldav import CalDAVCollection, CalDAVError
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

"""Two offices in one installation, end to end (docs/office-config.md, "Several offices"): the
visitor's host picks the office; numbers, queues, boards, live events, bookings and links stay each
in its own office; what happens in Łódź never shows on the demo office's board, kiosk or console,
nor the other way round."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from typing import Any, AsyncIterator

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from okienko.office.config_file import OfficeFileError, load_office, read_office_file
from okienko.settings import Settings
from okienko_server.cli import server_options
from tests.booking_api.test_live_ws import ws
from tests.conftest import serving
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, last_mail_to, text_of
from tests.two_offices import LODZ_OFFICE, LODZ_URL, add_lodz, board_headers

pytestmark = pytest.mark.anyio


async def heard_until(socket: Any, kind: str, number: str) -> list[dict[str, Any]]:
    """Every live message up to the `kind` one about `number` (which must come)."""
    heard = []
    while not heard or (heard[-1].get("kind"), heard[-1].get("number")) != (kind, number):
        heard.append(json.loads(await socket.recv()))
    return heard


async def test_the_host_the_visitor_reached_picks_the_office(office_factory: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        demo, lodz = two.demo.client, two.lodz.client

        async def office_of(client: Any, path: str = "/api/v1/services", **options: Any) -> str:
            answer = await client.get(path, **options)
            assert answer.status_code == 200, answer.text
            return answer.json()["office"]["code"]

        assert await office_of(demo) == "demo"
        assert await office_of(lodz) == "lodz"
        assert await office_of(demo, params={"office": "lodz"}) == "lodz"       # one address, ?office=
        assert await office_of(lodz, params={"office": "demo"}) == "lodz"       # an office's host is its own
        assert await office_of(demo, headers={"Host": "KOLEJKA.lodz.example:443"}) == "lodz"
        assert await office_of(demo, headers={"Host": "unknown.example"}) == "demo"   # no office's: the default
        # From the trusted proxy (loopback by default), its X-Forwarded-Host.
        assert await office_of(demo, headers={"X-Forwarded-Host": "cudzoziemcy.lodz.example"}) == "lodz"
        assert await office_of(lodz, "/api/v1/events") == "lodz"
        services = (await lodz.get("/api/v1/services", params={"lang": "ru"})).json()["services"]
        assert [(s["code"], s["name"]) for s in services] == [("L", "Карта побыту"), ("M", "Получение карты")]
        unknown = await demo.get("/book", params={"office": "nowhere"}, headers={"Accept": "text/html"})
        assert unknown.status_code == 404
        site = (await lodz.get("/book", params={"lang": "pl"})).text
        assert "Łódzki Urząd Wojewódzki" in site and "Karta pobytu" in site
        assert "Złożenie wniosku o pobyt" not in site
        assert "Łódzki" not in (await demo.get("/book", params={"lang": "pl"})).text
        assert "Łódzki Urząd Wojewódzki" in (await lodz.get("/", params={"lang": "pl"})).text   # the start page
        assert "Łódzki Urząd Wojewódzki" in (await lodz.get("/queue", params={"lang": "pl"})).text
    finally:
        await two.close()


async def test_numbers_queues_boards_and_live_events_stay_in_their_office(office_factory: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        demo_clerk = await two.staff("demo", window="1")
        lodz_clerk = await two.staff("lodz", window="1")
        async with serving(two.demo.app) as url:
            async with connect(ws(url, "/ws/board"), additional_headers=board_headers(two, "demo")) as demo_board, \
                    connect(ws(url, "/ws/board"), additional_headers=board_headers(two, "lodz")) as lodz_board:
                assert json.loads(await demo_board.recv())["type"] == "snapshot"
                assert json.loads(await lodz_board.recv())["type"] == "snapshot"
                # Both offices number from their own first ticket, in their own prefixes and digits.
                lodz_first = (await two.lodz.take("L")).json()
                demo_first = (await two.demo.take("A")).json()
                lodz_second = (await two.lodz.take("M")).json()
                assert (lodz_first["number"], lodz_second["number"], demo_first["number"]) == \
                    ("L0001", "MO0001", "A001")
                assert lodz_first["track_url"].startswith(f"{LODZ_URL}/t/")
                assert demo_first["track_url"].startswith("http://")   # the installation's address
                # Each kiosk shows its own office's queues (whatever host it opened).
                for token, expected in ((two.demo.kiosk_token, {"A": 1}), (two.lodz.kiosk_token, {"L": 1, "M": 1})):
                    for client in (two.demo.client, two.lodz.client):
                        kiosk = (await client.get("/api/v1/services", headers=two.demo.kiosk(token))).json()
                        assert {s["code"]: s["waiting"] for s in kiosk["services"] if s["waiting"]} == expected
                        assert {s["code"]: s["issued_today"] for s in kiosk["services"] if s["issued_today"]} == expected
                # A demo kiosk cannot issue Łódź's service: its office has none of that code.
                assert (await two.demo.take("L")).json()["error"] == "unknown_service"
                called = await two.lodz.press(lodz_clerk, "/api/v1/windows/1/call-next")
                assert called.json()["number"] == "L0001"
                await two.demo.press(demo_clerk, "/api/v1/windows/1/call-next")
                lodz_next = (await two.lodz.take("L")).json()
                assert lodz_next["number"] == "L0002"
                # Each board heard its own office alone: everything up to its last event, in order.
                heard = {"demo": await heard_until(demo_board, "called", "A001"),
                         "lodz": await heard_until(lodz_board, "issued", "L0002")}
                assert [m["kind"] for m in heard["demo"]] == ["issued", "called"]
                assert [m["kind"] for m in heard["lodz"]] == ["issued", "issued", "called", "issued"]
                assert "L0001" not in json.dumps(heard["demo"]) and "MO" not in json.dumps(heard["demo"])
                assert "A001" not in json.dumps(heard["lodz"])
                assert heard["lodz"][-1]["waiting"] == {"L": 1}   # L0001 called, L0002 waits
        for office, board, shown, hidden in ((two.demo, "demo", "A001", "L0001"), (two.lodz, "lodz", "L0001", "A001")):
            snapshot = (await office.client.get("/api/v1/board", headers=board_headers(two, board))).json()
            numbers = json.dumps(snapshot)
            assert shown in numbers and hidden not in numbers
        # The consoles: each clerk's windows and queues are their own office's.
        windows = (await two.lodz.client.get("/api/v1/windows", headers=lodz_clerk)).json()
        assert "A001" not in json.dumps(windows) and len(windows["windows"]) == 3
        started = await two.demo.press(demo_clerk, f"/api/v1/tickets/{lodz_first['id']}/start")
        assert started.json()["error"] == "ticket_not_found"
    finally:
        await two.close()


async def test_a_booking_is_its_offices_and_its_links_use_the_offices_own_address(office_factory: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        person = {**PERSON, "email": "lodz.visitor@example.com"}
        booked = await book(two.lodz, "2026-12-03T10:00:00+01:00", person, service="L", language="pl")
        assert booked["manage_url"].startswith(f"{LODZ_URL}/book/manage/{booked['code']}?")
        assert "office=" not in booked["manage_url"]
        mail = await last_mail_to(two.lodz, person["email"])
        links = [word for word in text_of(mail).split() if word.startswith("http")]
        assert links and all(link.startswith(f"{LODZ_URL}/") and "office=" not in link for link in links)
        secret = {"secret": booked["secret"]}
        # Its code is Łódź's: the demo office does not know it, at its address or with ?office=demo.
        assert (await two.lodz.client.get(f"/api/v1/bookings/{booked['code']}", params=secret)).status_code == 200
        missing = await two.demo.client.get(f"/api/v1/bookings/{booked['code']}", params=secret)
        assert missing.json()["error"] == "booking_not_found"
        demo_day = (await two.demo.client.get("/api/v1/slots", params={
            "service": "A", "from": "2026-12-03", "to": "2026-12-03"})).json()
        assert demo_day["days"][0]["slots"], "the demo office's places are untouched by Łódź's booking"
    finally:
        await two.close()


async def test_a_host_reaches_one_office_only(office_factory: Any, tmp_path: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        copy = read_office_file(LODZ_OFFICE)
        copy.code, copy.public_url, copy.hosts = "lodz-2", "", ("kolejka.lodz.example",)
        with pytest.raises(OfficeFileError) as refused:
            async with two.demo.okienko.db.engine.begin() as conn:
                await load_office(conn, copy)
        assert refused.value.field == "office.hosts[0]" and "lodz" in str(refused.value)
        copy.hosts = ()
        async with two.demo.okienko.db.engine.begin() as conn:   # without it, a third office loads
            await load_office(conn, copy)
        two.demo.okienko.offices.invalidate()
        listed = await two.demo.client.get("/api/v1/services", params={"office": "lodz-2"})
        assert listed.json()["office"]["code"] == "lodz-2"
    finally:
        await two.close()


async def test_an_administrator_of_no_office_works_in_the_office_they_reach(office_factory: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        admin = await two.staff("", "admin")
        for client, params, windows in ((two.demo.client, {}, 12), (two.lodz.client, {}, 3),
                                        (two.demo.client, {"office": "lodz"}, 3)):
            listed = await client.get("/api/v1/windows", params=params, headers=admin)
            assert listed.status_code == 200 and len(listed.json()["windows"]) == windows
        manager = await two.staff("demo", "manager")   # bound to an office: that one, whatever host
        listed = await two.lodz.client.get("/api/v1/windows", headers=manager)
        assert len(listed.json()["windows"]) == 12
    finally:
        await two.close()


@contextlib.asynccontextmanager
async def served_as_okienko_serve(app: Any, settings: Settings) -> AsyncIterator[str]:
    """The app behind uvicorn with what `okienko serve` tells it (server_options: the trusted proxies)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off",
                                           **{**server_options(settings), "log_config": None}))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize(("trusted", "believed"), [("127.0.0.1", True), ("10.9.9.9", False)])
async def test_forwarded_host_is_believed_from_a_trusted_proxy_only(office_factory: Any, trusted: str,
                                                                    believed: bool) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    settings = dataclasses.replace(two.demo.settings, trusted_proxies=trusted)
    two.demo.okienko.settings = settings
    try:
        async with served_as_okienko_serve(two.demo.app, settings) as url, httpx.AsyncClient(base_url=url) as proxy:
            # What nginx sends: the visitor's address and the host they typed.
            answer = await proxy.get("/api/v1/services", headers={
                "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "cudzoziemcy.lodz.example"})
            assert answer.json()["office"]["code"] == ("lodz" if believed else "demo")
            # The Host header itself always counts (nginx: proxy_set_header Host $host).
            direct = await proxy.get("/api/v1/services", headers={"Host": "kolejka.lodz.example"})
            assert direct.json()["office"]["code"] == "lodz"
    finally:
        await two.close()


async def test_a_draw_is_its_offices_alone(office_factory: Any, tmp_path: Any) -> None:
    from tests.okienko.booking.test_draws import DAY, DRAW_OFFICE, DURING, person

    drawn = tmp_path / "drawn.toml"
    drawn.write_text(DRAW_OFFICE, encoding="utf-8")
    two = await add_lodz(await office_factory(DURING, office_file=drawn), boards=False)
    try:
        listed = (await two.demo.client.get("/api/v1/draws", params={"service": "D"})).json()
        draw = next(found for found in listed["draws"] if found["day"] == DAY)
        assert draw["status"] == "open"
        # At Łódź's address neither the service nor its draw exists, and no one can enter it there.
        assert (await two.lodz.client.get("/api/v1/draws", params={"service": "D"})).json()["error"] == \
            "unknown_service"
        assert (await two.lodz.client.get(f"/api/v1/draws/{draw['id']}")).json()["error"] == "draw_not_found"
        entered = await two.lodz.client.post(f"/api/v1/draws/{draw['id']}/entries", json=person(1))
        assert entered.json()["error"] == "draw_not_found"
        assert (await two.demo.client.post(f"/api/v1/draws/{draw['id']}/entries", json=person(1))).status_code == 202
    finally:
        await two.close()

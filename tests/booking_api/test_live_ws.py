"""Boards and phones over real WebSockets: a snapshot first, then every call, and a clean catch-up."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from booking_api.live_ws import EVENT_KINDS, MESSAGE_TYPES
from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from tests.conftest import serving, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
ROOT = Path(__file__).resolve().parents[2]


async def board_token(office) -> str:
    async with office.okienko.db.engine.begin() as conn:
        return await issue_device_token(conn, "demo", "board", "hall")


async def receive(socket, kind: str | None = None, number: str | None = None) -> dict:
    while True:
        message = json.loads(await socket.recv())
        if (kind is None or message.get("kind", message["type"]) == kind) and \
                (number is None or message.get("number") == number or
                 message.get("ticket", {}).get("number") == number):
            return message


def ws(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


async def test_the_board_sees_calls_live_and_catches_up_after_a_drop(office_factory) -> None:
    office = await office_factory(TUESDAY)
    token = await board_token(office)
    clerk = await office.clerk("7")
    headers = {"Authorization": f"Bearer {token}"}
    async with serving(office.app) as url:
        async with connect(ws(url, "/ws/board"), additional_headers=headers) as board:
            snapshot = json.loads(await board.recv())
            assert (snapshot["type"], snapshot["calls"]) == ("snapshot", [])
            ticket = (await office.take("F")).json()
            issued = await receive(board, "issued")
            assert issued["waiting"] == {"F": 1} and "ticket_id" not in issued and issued["seq"] > snapshot["seq"]
            await office.press(clerk, "/api/v1/windows/7/call-next")
            called = await receive(board, "called")
            assert (called["number"], called["window"], called["waiting"]) == (ticket["number"], "7", {"F": 0})
            assert ticket["id"] not in json.dumps(called)
        # The board is away while the next visitor is called.
        await office.press(clerk, f"/api/v1/tickets/{ticket['id']}/start")
        second = (await office.take("F")).json()
        await office.press(clerk, "/api/v1/windows/7/call-next")
        async with connect(ws(url, "/ws/board"), additional_headers=headers) as board:
            snapshot = json.loads(await board.recv())
            assert [(c["number"], c["window"]) for c in snapshot["calls"]] == [(second["number"], "7"),
                                                                                (ticket["number"], "7")]
            assert {"window": "7", "number": second["number"], "status": "called"} in snapshot["windows"]
            await office.press(clerk, f"/api/v1/tickets/{second['id']}/recall")
            recalled = await receive(board, "recalled")
            assert recalled["number"] == second["number"] and recalled["seq"] == snapshot["seq"] + 1


async def test_a_board_without_a_token_is_turned_away(office_factory) -> None:
    office = await office_factory(TUESDAY)
    async with serving(office.app) as url:
        with pytest.raises(Exception, match="HTTP 403"):
            async with connect(ws(url, "/ws/board")) as board:
                await board.recv()


async def test_the_phone_follows_its_ticket(office_factory) -> None:
    office = await office_factory(TUESDAY)
    clerk = await office.clerk("11")
    first = (await office.take("I")).json()
    mine = (await office.take("I", language="uk")).json()
    async with serving(office.app) as url:
        async with connect(ws(url, f"/ws/ticket/{mine['id']}")) as phone:
            now = json.loads(await phone.recv())
            assert (now["type"], now["ticket"]["position"], now["ticket"]["status"]) == ("ticket", 1, "waiting")
            called_first = await office.press(clerk, "/api/v1/windows/11/call-next")
            assert called_first.json()["number"] == first["number"]
            moved_up = await receive(phone, "ticket")
            while moved_up["ticket"]["position"] != 0:
                moved_up = await receive(phone, "ticket")
            await office.press(clerk, f"/api/v1/tickets/{first['id']}/start")
            await office.press(clerk, "/api/v1/windows/11/call-next")
            update = await receive(phone, "ticket")
            while update["ticket"]["status"] != "called":
                update = await receive(phone, "ticket")
            assert update["ticket"]["window"] == "11"
            assert re.search("[а-яії]", update["ticket"]["status_text"])


async def test_a_manager_sets_the_ticker(office_factory) -> None:
    office = await office_factory(TUESDAY)
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "kierownik", "manager", "correct horse battery")
        manager = {"Authorization": f"Bearer {await issue_staff_token(conn, 'kierownik', office.clock.now())}"}
    clerk = await office.clerk("1")
    refused = await office.client.put("/api/v1/board/ticker", headers=clerk, json={"text": "x"})
    assert refused.status_code == 403
    headers = {"Authorization": f"Bearer {await board_token(office)}"}
    async with serving(office.app) as url:
        async with connect(ws(url, "/ws/board"), additional_headers=headers) as board:
            await board.recv()
            answer = await office.client.put("/api/v1/board/ticker", headers=manager,
                                             json={"text": "Dziś do 15:00 / Today until 15:00"})
            assert answer.status_code == 200
            ticker = await receive(board, "ticker")
            assert ticker["text"] == "Dziś do 15:00 / Today until 15:00"
    snapshot = (await office.client.get("/api/v1/board", headers=headers)).json()
    assert snapshot["ticker"] == "Dziś do 15:00 / Today until 15:00"


async def test_the_spoken_call_is_a_wav_for_boards(office_factory) -> None:
    office = await office_factory(TUESDAY)
    headers = {"Authorization": f"Bearer {await board_token(office)}"}
    audio = await office.client.get("/board/announcement.wav?number=A023&window=7", headers=headers)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF" and len(audio.content) > 100_000
    four = await office.client.get("/board/announcement.wav?number=KW1234&window=12", headers=headers)
    assert four.status_code == 200 and len(four.content) > len(audio.content)   # four digits are said too
    bad = await office.client.get("/board/announcement.wav?number=../x&window=7", headers=headers)
    assert bad.status_code == 400
    assert (await office.client.get("/board/announcement.wav?number=A023&window=7")).status_code == 401


def test_every_live_message_type_and_event_kind_is_documented() -> None:
    doc = (ROOT / "docs" / "live.md").read_text(encoding="utf-8")
    for types in MESSAGE_TYPES.values():
        for message_type in types:
            assert f"### `{message_type}`" in doc, message_type
    for kind in EVENT_KINDS:
        assert f"| `{kind}` |" in doc, kind


async def test_a_phone_hears_its_own_news_at_once_and_queue_moves_at_a_measured_pace(monkeypatch) -> None:
    """At a busy hall's peak every phone's queue moves several times a second: the phone gets one
    view per QUEUE_MOVE_GAP_SECONDS for those, but its own call never waits behind that gap."""
    import asyncio

    from booking_api import live_ws

    monkeypatch.setattr(live_ws, "QUEUE_MOVE_GAP_SECONDS", 0.4)
    loop = asyncio.get_running_loop()
    pace = live_ws.PhonePace()

    async def waited(**news: bool) -> float:
        pace.note(**news)
        start = loop.time()
        await pace.due()
        return loop.time() - start

    assert await waited(own=True) < 0.1          # the first view
    assert await waited(own=False) < 0.1         # the first move after a quiet spell: at once
    assert await waited(own=False) >= 0.35       # the next move: after the gap
    # A move waits out its gap, and the ticket's own call, coming meanwhile, is sent at once.
    pace.note(own=False)
    start = loop.time()
    due = asyncio.ensure_future(pace.due())
    await asyncio.sleep(0.05)
    assert not due.done()
    pace.note(own=True)
    await due
    assert loop.time() - start < 0.2

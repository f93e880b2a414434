"""The back office's "today, live": the figures after tickets are issued, called and served, a ticket
left at a window handed to another (the board and the visitor's phone follow), and the devices'
heartbeat (written at most once per BEAT_EVERY, a device silent for a minute flagged)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.staff.auth import add_user, issue_staff_token
from okienko.staff.devices import BEAT_EVERY
from okienko.storage.models import AuditEntry, Device
from tests.conftest import Office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def manager(office: Office, name: str = "kierownik", home: str = "demo") -> dict[str, str]:
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, name, "manager", "correct horse battery", home)
        token = await issue_staff_token(conn, name, office.clock.now())
    return {"Authorization": f"Bearer {token}"}


async def today(office: Office, boss: dict[str, str]) -> dict[str, Any]:
    answer = await office.client.get("/api/v1/admin/today?lang=en", headers=boss)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_today_counts_what_was_issued_called_and_served(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    taken = [(await office.take("A")).json() for _ in range(3)]
    office.clock.advance(minutes=7)
    clerk = await office.clerk("1", username="anna")
    first = (await office.press(clerk, "/api/v1/windows/1/call-next")).json()
    await office.press(clerk, f"/api/v1/tickets/{first['id']}/start")
    await office.press(clerk, f"/api/v1/tickets/{first['id']}/finish")
    second = (await office.press(clerk, "/api/v1/windows/1/call-next")).json()
    await office.press(clerk, "/api/v1/windows/1/pause", paused=True)   # a called ticket stays in hand

    now = await today(office, boss)
    kiosk = {s["code"]: s for s in (await office.client.get("/api/v1/services", headers=office.kiosk())).json()["services"]}
    service = {s["code"]: s for s in now["services"]}["A"]
    assert (service["waiting"], service["issued"], service["served"]) == (1, 3, 1)
    assert service["longest_wait_minutes"] == 7
    assert service["estimated_wait_minutes"] == kiosk["A"]["estimated_wait_minutes"]
    windows = {w["number"]: w for w in now["windows"]}
    assert windows["1"] == {"number": "1", "name": windows["1"]["name"], "state": "paused", "clerk": "anna",
                            "ticket": {"id": second["id"], "number": taken[1]["number"]}}
    assert (windows["2"]["state"], windows["2"]["clerk"], windows["2"]["ticket"]) == ("closed", None, None)
    await office.press(clerk, "/api/v1/windows/1/pause", paused=False)
    assert {w["number"]: w for w in (await today(office, boss))["windows"]}["1"]["state"] == "open"
    assert (await today(office, boss))["stranded"] == []


async def test_a_ticket_left_at_a_window_is_handed_to_window_2_and_its_visitor_is_told(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    ticket = (await office.take("A")).json()
    gone = await office.clerk("1")
    called = (await office.press(gone, "/api/v1/windows/1/call-next")).json()
    other = await office.clerk("2", username="beata")
    premature = await office.client.post(f"/api/v1/admin/tickets/{ticket['id']}/hand?lang=en", headers=boss,
                                         json={"window": "2"})
    assert (premature.status_code, premature.json()["error"]) == (409, "not_stranded")

    office.clock.advance(seconds=61)   # the first console is silent: its ticket is stranded
    assert (await office.client.get("/api/v1/windows/2", headers=other)).status_code == 200   # window 2 beats
    stranded = (await today(office, boss))["stranded"]
    assert [(s["ticket_id"], s["number"], s["window"]) for s in stranded] == [(called["id"], called["number"], "1")]
    nobody = await office.client.post(f"/api/v1/admin/tickets/{ticket['id']}/hand?lang=en", headers=boss,
                                      json={"window": "3"})
    assert (nobody.status_code, nobody.json()["error"]) == (409, "window_not_free")
    assert "Window 3" in nobody.json()["message"]

    handed = await office.client.post(f"/api/v1/admin/tickets/{ticket['id']}/hand", headers=boss, json={"window": "2"})
    assert handed.status_code == 200, handed.text
    assert (handed.json()["status"], handed.json()["window"]) == ("called", "2")
    phone = (await office.client.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert (phone["status"], phone["window"]) == ("called", "2")
    desk = (await office.client.get("/api/v1/windows/2", headers=other)).json()
    assert desk["ticket"]["id"] == ticket["id"]
    board = (await office.client.get("/api/v1/board", headers=boss)).json()
    assert (board["calls"][0]["number"], board["calls"][0]["window"]) == (ticket["number"], "2")
    at_windows = {w["window"]: w["number"] for w in board["windows"]}
    assert (at_windows["1"], at_windows["2"]) == (None, ticket["number"])
    assert (await today(office, boss))["stranded"] == []
    again = await office.client.post(f"/api/v1/admin/tickets/{ticket['id']}/hand", headers=boss, json={"window": "2"})
    assert (again.status_code, again.json()["error"]) == (409, "not_stranded")

    audit = AuditEntry.__table__
    async with office.okienko.db.read() as conn:
        entries = (await conn.execute(sa.select(audit.c.actor, audit.c.action, audit.c.target, audit.c.before,
                                                audit.c.after))).all()
    assert [tuple(e) for e in entries] == [("kierownik", "ticket.hand", ticket["number"], {"window": "1"},
                                            {"window": "2"})]


async def test_another_office_manager_cannot_hand_our_tickets(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("A")).json()
    await add_far_office(office)
    stranger = await manager(office, "obcy", "far")
    refused = await office.client.post(f"/api/v1/admin/tickets/{ticket['id']}/hand", headers=stranger,
                                       json={"window": "2"})
    assert refused.status_code in (403, 404)
    mine = await office.client.get("/api/v1/admin/today", params={"office": "demo"}, headers=stranger)
    assert mine.status_code == 403


async def last_seen(office: Office, name: str) -> Any:
    devices = Device.__table__
    async with office.okienko.db.read() as conn:
        return (await conn.execute(sa.select(devices.c.last_seen_at).where(devices.c.name == name))).scalar()


async def test_a_heartbeat_is_written_at_most_every_15_seconds_and_silence_is_flagged(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    beats = office.okienko.heartbeats
    assert (await office.client.post("/api/v1/devices/heartbeat", headers=office.kiosk())).status_code == 204
    await beats.settled()
    first = await last_seen(office, "hall-1")
    assert first == office.clock.now()

    office.clock.advance(seconds=10)
    await office.take("A")                                   # any authenticated request beats too
    assert (await office.client.post("/api/v1/devices/heartbeat", headers=office.kiosk())).status_code == 204
    await beats.settled()
    assert await last_seen(office, "hall-1") == first        # within BEAT_EVERY: not written again

    office.clock.advance(seconds=BEAT_EVERY.total_seconds() - 10 + 1)
    await office.client.post("/api/v1/devices/heartbeat", headers=office.kiosk())
    await beats.settled()
    assert await last_seen(office, "hall-1") == office.clock.now()

    devices = {(d["kind"], d["name"]): d for d in (await today(office, boss))["devices"]}
    assert devices[("kiosk", "hall-1")]["silent"] is False
    office.clock.advance(seconds=61)
    devices = {(d["kind"], d["name"]): d for d in (await today(office, boss))["devices"]}
    assert devices[("kiosk", "hall-1")]["silent"] is True
    listed = {d["name"]: d for d in (await office.client.get("/api/v1/admin/devices", headers=boss)).json()["devices"]}
    written = (TUESDAY + BEAT_EVERY + timedelta(seconds=1)).isoformat()
    assert listed["hall-1"]["silent"] is True and listed["hall-1"]["last_seen_at"] == written   # 09:00:16

    staff = await office.client.post("/api/v1/devices/heartbeat", headers=boss)
    assert staff.status_code == 403
    assert (await office.client.post("/api/v1/devices/heartbeat")).status_code == 401


async def add_far_office(office: Office) -> None:
    async with office.okienko.db.engine.begin() as conn:
        await conn.execute(sa.text("INSERT INTO offices (code, name, timezone, default_language, always_open, "
                                   "closed_on_public_holidays, priority_mode, ticket_footer, recalls_before_no_show, "
                                   "transfer_position, notices, booking_policy, board_languages) VALUES ('far', 'Far', "
                                   "'Europe/Warsaw', 'pl', false, true, 'first', '{}', 1, 'end', '{}', '{}', '[\"pl\", \"en\"]')"))

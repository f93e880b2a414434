"""The back office's devices and staff: a new kiosk's link enrols it and a revoke signs it out; a new
account and a reset password make the console ask for a new password first; unlock; who may act on
whom (a manager: their own office, never an administrator; nobody disables themselves); every
change in the audit log, never a token or a password."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.staff.accounts import MAX_FAILURES
from okienko.storage.models import AuditEntry
from tests.booking_api.test_admin_today import add_far_office, manager
from tests.conftest import Office, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def audit(office: Office) -> list[tuple[str, str, str]]:
    table = AuditEntry.__table__
    async with office.okienko.db.read() as conn:
        rows = (await conn.execute(sa.select(table).order_by(table.c.id))).mappings().all()
    return [(row["actor"], row["action"], row["target"], json.dumps([row["before"], row["after"]])) for row in rows]


async def test_a_new_kiosk_enrols_from_its_link_and_a_revoke_signs_it_out(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    added = await office.client.post("/api/v1/admin/devices", headers=boss, json={"kind": "kiosk", "name": "hall-9"})
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    device, link = added.json()["device"], added.json()["enrol_url"]
    assert (device["kind"], device["name"], device["active"], device["silent"]) == ("kiosk", "hall-9", True, True)
    assert link.startswith("http://") and "/kiosk/enroll?token=" in link
    assert added.json()["qr_svg"].lstrip().startswith("<?xml") and "<svg" in added.json()["qr_svg"]
    token = link.split("token=", 1)[1]
    assert added.json()["token"] == token
    twice = await office.client.post("/api/v1/admin/devices?lang=en", headers=boss,
                                     json={"kind": "kiosk", "name": "hall-9"})
    assert (twice.status_code, twice.json()["error"]) == (409, "device_exists")

    enrolled = await office.client.get(link.split("okienko.test", 1)[-1] if "okienko.test" in link
                                       else "/kiosk/enroll?token=" + token)
    assert (enrolled.status_code, enrolled.headers["location"]) == (303, "/kiosk/")
    assert (await office.client.get("/kiosk/")).status_code == 200      # the cookie signs it in
    assert (await office.client.post("/api/v1/devices/heartbeat")).status_code == 204
    await office.okienko.heartbeats.settled()
    listed = {d["name"]: d for d in (await office.client.get("/api/v1/admin/devices", headers=boss)).json()["devices"]}
    assert listed["hall-9"]["silent"] is False and listed["hall-9"]["id"] == device["id"]

    renamed = await office.client.put(f"/api/v1/admin/devices/{device['id']}", headers=boss, json={"name": "hall-10"})
    assert renamed.json()["device"]["name"] == "hall-10"
    revoked = await office.client.post(f"/api/v1/admin/devices/{device['id']}/revoke", headers=boss)
    assert revoked.status_code == 200 and revoked.json()["device"]["active"] is False
    assert (await office.client.get("/kiosk/")).status_code == 401       # signed out at once
    assert (await office.client.post("/api/v1/devices/heartbeat")).status_code == 401
    office.client.cookies.clear()

    fresh = await office.client.post(f"/api/v1/admin/devices/{device['id']}/enrol", headers=boss)
    new_token = fresh.json()["enrol_url"].split("token=", 1)[1]
    assert fresh.json()["device"]["active"] is True and new_token != token
    assert (await office.client.post("/api/v1/devices/heartbeat",
                                     headers={"Authorization": f"Bearer {new_token}"})).status_code == 204
    assert (await office.client.post("/api/v1/devices/heartbeat",
                                     headers={"Authorization": f"Bearer {token}"})).status_code == 401
    missing = await office.client.post("/api/v1/admin/devices/99999/revoke?lang=en", headers=boss)
    assert (missing.status_code, missing.json()["error"]) == (404, "device_not_found")

    entries = await audit(office)
    assert [(a, b, c) for a, b, c, _ in entries] == [
        ("kierownik", "device.add", "kiosk hall-9"), ("kierownik", "device.rename", "kiosk hall-9"),
        ("kierownik", "device.revoke", "kiosk hall-10"), ("kierownik", "device.enrol", "kiosk hall-10")]
    assert not any(secret in str(entries) for secret in (token, new_token))


async def test_a_manager_of_another_office_cannot_touch_our_devices(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await add_far_office(office)
    stranger = await manager(office, "obcy", "far")
    boss = await manager(office)
    ours = (await office.client.get("/api/v1/admin/devices", headers=boss)).json()["devices"]
    assert {d["name"] for d in ours} >= {"hall-1", "hall"}
    theirs = (await office.client.get("/api/v1/admin/devices", headers=stranger)).json()["devices"]
    assert theirs == []
    refused = await office.client.post(f"/api/v1/admin/devices/{ours[0]['id']}/revoke", headers=stranger)
    assert refused.status_code == 403
    assert (await office.client.get("/api/v1/admin/devices?office=demo", headers=stranger)).status_code == 403



async def sign_in(office: Office, username: str, password: str) -> Any:
    office.client.cookies.clear()
    return await office.client.post("/console/login?lang=en", data={"username": username, "password": password})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def test_a_new_account_chooses_its_password_at_the_first_sign_in(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    added = await office.client.post("/api/v1/admin/users", headers=boss, json={"username": "nowa", "role": "clerk"})
    assert added.status_code == 201, added.text
    temporary = added.json()["temporary_password"]
    assert added.json()["user"] == {"username": "nowa", "role": "clerk", "office": "demo", "disabled": False,
                                    "locked": False, "must_change_password": True}

    signed = await sign_in(office, "nowa", temporary)
    assert (signed.status_code, signed.headers["location"]) == (303, "/console/password?lang=en")
    console = await office.client.get("/console/?lang=en")
    assert (console.status_code, console.headers["location"]) == (303, "/console/password?lang=en")
    api = await office.client.get("/api/v1/windows/1?lang=en")
    assert (api.status_code, api.json()["error"]) == (403, "password_change_required")
    form = await office.client.get("/console/password?lang=en")
    assert form.status_code == 200 and "Choose a new password" in form.text
    csrf = csrf_of(form.text)

    differ = await office.client.post("/console/password?lang=en", data={
        "csrf_token": csrf, "new_password": "first choice 1", "repeat_password": "first choice 2"})
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    short = await office.client.post("/console/password?lang=pl", data={
        "csrf_token": csrf, "new_password": "short", "repeat_password": "short"})
    assert short.status_code == 422 and "8" in short.text and "the password must have" not in short.text
    forged = await office.client.post("/console/password?lang=en", data={
        "csrf_token": "forged", "new_password": "my own password", "repeat_password": "my own password"})
    assert forged.headers["location"].startswith("/console/login")
    chosen = await office.client.post("/console/password?lang=en", data={
        "csrf_token": csrf, "new_password": "my own password", "repeat_password": "my own password"})
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/console/?lang=en")
    assert (await office.client.get("/console/?lang=en")).status_code == 200

    assert (await sign_in(office, "nowa", temporary)).status_code == 401
    again = await sign_in(office, "nowa", "my own password")
    assert again.headers["location"] == "/console/?lang=en"

    reset = await office.client.post("/api/v1/admin/users/nowa/reset-password", headers=boss)
    assert reset.json()["user"]["must_change_password"] is True
    assert (await office.client.get("/console/?lang=en")).headers["location"].startswith("/console/login")  # ended
    after_reset = await sign_in(office, "nowa", reset.json()["temporary_password"])
    assert after_reset.headers["location"] == "/console/password?lang=en"

    entries = await audit(office)
    assert [(a, b, c) for a, b, c, _ in entries] == [("kierownik", "user.add", "nowa"),
                                                     ("kierownik", "user.reset_password", "nowa")]
    assert temporary not in str(entries) and reset.json()["temporary_password"] not in str(entries)


async def test_unlock_disable_and_roles_follow_who_may_act_on_whom(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    await add_far_office(office)
    stranger = await manager(office, "obcy", "far")
    temporary = (await office.client.post("/api/v1/admin/users", headers=boss,
                                          json={"username": "jan", "role": "clerk"})).json()["temporary_password"]
    for _ in range(MAX_FAILURES):
        await sign_in(office, "jan", "wrong password")
    assert (await sign_in(office, "jan", temporary)).status_code == 429
    users = {u["username"]: u for u in (await office.client.get("/api/v1/admin/users", headers=boss)).json()["users"]}
    assert users["jan"]["locked"] is True and set(users) == {"kierownik", "jan"}
    unlocked = await office.client.post("/api/v1/admin/users/jan/unlock", headers=boss)
    assert unlocked.json()["user"]["locked"] is False
    assert (await sign_in(office, "jan", temporary)).status_code == 303

    admin = await office.client.post("/api/v1/admin/users?lang=en", headers=boss,
                                     json={"username": "szef", "role": "admin"})
    assert (admin.status_code, admin.json()["error"]) == (403, "admin_only")
    promote = await office.client.put("/api/v1/admin/users/jan", headers=boss, json={"role": "admin"})
    assert (promote.status_code, promote.json()["error"]) == (403, "admin_only")
    role = await office.client.put("/api/v1/admin/users/jan", headers=boss, json={"role": "operator"})
    assert role.json()["user"]["role"] == "operator"
    wrong = await office.client.put("/api/v1/admin/users/jan?lang=en", headers=boss, json={"role": "boss"})
    assert (wrong.status_code, wrong.json()["error"]) == (422, "unknown_role")
    myself = await office.client.post("/api/v1/admin/users/kierownik/disable?lang=en", headers=boss)
    assert (myself.status_code, myself.json()["error"]) == (409, "own_account")
    bad_name = await office.client.post("/api/v1/admin/users", headers=boss, json={"username": "a b", "role": "clerk"})
    assert bad_name.json()["error"] == "invalid_username"
    taken = await office.client.post("/api/v1/admin/users", headers=boss, json={"username": "obcy", "role": "clerk"})
    assert taken.json()["error"] == "user_exists"

    for path in ("/api/v1/admin/users/jan/disable", "/api/v1/admin/users/jan/reset-password",
                 "/api/v1/admin/users/jan/unlock"):
        assert (await office.client.post(path, headers=stranger)).status_code == 403, path
    assert (await office.client.put("/api/v1/admin/users/jan", headers=stranger, json={"role": "clerk"})).status_code == 403
    assert [u["username"] for u in (await office.client.get("/api/v1/admin/users", headers=stranger)).json()["users"]] \
        == ["obcy"]
    clerk_token = await office.clerk("3", username="kasia")
    assert (await office.client.get("/api/v1/admin/users", headers=clerk_token)).status_code == 403

    disabled = await office.client.post("/api/v1/admin/users/jan/disable", headers=boss)
    assert disabled.json()["user"]["disabled"] is True
    assert (await office.client.get("/console/")).headers["location"].startswith("/console/login")   # session ended
    assert (await sign_in(office, "jan", temporary)).status_code == 401
    enabled = await office.client.post("/api/v1/admin/users/jan/enable", headers=boss)
    assert enabled.json()["user"]["disabled"] is False
    assert [b for _, b, _, _ in await audit(office)] == ["user.add", "user.unlock", "user.role", "user.disable",
                                                         "user.enable"]


async def test_a_board_beats_while_its_socket_is_open_and_a_revoke_closes_it(office_factory: Any,
                                                                            monkeypatch: Any) -> None:
    import asyncio
    from datetime import timedelta

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from booking_api import live_ws
    from tests.conftest import serving

    monkeypatch.setattr(live_ws, "BEAT_EVERY", timedelta(seconds=0.1))   # the board is asked again at once
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    added = (await office.client.post("/api/v1/admin/devices", headers=boss,
                                      json={"kind": "board", "name": "upstairs"})).json()
    token = added["enrol_url"].split("token=", 1)[1]
    async with serving(office.app) as url:
        async with connect(url.replace("http://", "ws://") + "/ws/board",
                           additional_headers={"Authorization": f"Bearer {token}"}) as socket:
            assert json.loads(await socket.recv())["type"] == "snapshot"
            await office.okienko.heartbeats.settled()
            listed = {d["name"]: d for d in
                      (await office.client.get("/api/v1/admin/devices", headers=boss)).json()["devices"]}
            assert listed["upstairs"]["silent"] is False
            revoked = await office.client.post(f"/api/v1/admin/devices/{added['device']['id']}/revoke", headers=boss)
            assert revoked.status_code == 200
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_reset_password_stops_the_user_s_api_token_too(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    other = await manager(office, "jan")   # a token for scripts, as `okienko token create jan` gives
    set_up, desk = "/api/v1/admin/office?lang=en", "/api/v1/staff/bookings?day=2026-12-01&lang=en"
    assert (await office.client.get(set_up, headers=other)).status_code == 200
    assert (await office.client.get(desk, headers=other)).status_code == 200

    reset = await office.client.post("/api/v1/admin/users/jan/reset-password", headers=boss)
    assert reset.status_code == 200, reset.text
    for path in (set_up, desk):
        refused = await office.client.get(path, headers=other)
        assert refused.status_code == 403 and refused.json() == {
            "error": "password_change_required", "message": "Choose your own password first: open the clerk console."}

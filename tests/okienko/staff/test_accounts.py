"""What an administrator does to accounts and devices (`okienko user ...`, `okienko device ...`), as
the people concerned see it: sign-in, sessions and tokens that work or stop working."""

from __future__ import annotations

import json
from typing import Any

import pytest

from okienko.errors import DomainError
from okienko.staff import accounts
from okienko.staff.auth import (CREDENTIALS_CHANGED, StaffRefusal, issue_device_token, issue_staff_token,
                                list_devices, revoke_device)
from tests.okienko.staff.test_staff import MORNING, PASSWORD, from_address, sign_in, staff

pytestmark = pytest.mark.anyio
CHANGED = json.dumps({"kind": CREDENTIALS_CHANGED})   # what `okienko user disable` sends through the broker


async def summary(office: Any, username: str) -> accounts.AccountSummary:
    async with office.okienko.db.engine.begin() as conn:
        found = await accounts.list_accounts(conn, office.okienko.settings.secret_key, office.clock.now())
    return next(account for account in found if account.username == username)


async def test_unlock_ends_the_lock_out_from_every_address(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa", "jan")
    async with from_address(office, "203.0.113.7") as one, from_address(office, "198.51.100.9") as other:
        for client in (one, other):
            for n in range(5):
                await sign_in(client, "ewa", f"guess {n}")
            assert (await sign_in(client, "ewa", PASSWORD)).status_code == 429
        assert (await summary(office, "ewa")).locked and not (await summary(office, "jan")).locked
        async with office.okienko.db.engine.begin() as conn:
            await accounts.unlock(conn, office.okienko.settings.secret_key, "ewa")
        assert not (await summary(office, "ewa")).locked
        assert (await sign_in(one, "ewa", PASSWORD)).status_code == 303
        assert (await sign_in(other, "ewa", PASSWORD)).status_code == 303
    async with office.okienko.db.engine.begin() as conn:
        with pytest.raises(StaffRefusal, match="no such user: nobody"):
            await accounts.unlock(conn, office.okienko.settings.secret_key, "nobody")


async def test_a_disabled_user_is_signed_out_and_refused_until_enabled(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    db, auth = office.okienko.db, office.okienko.auth
    async with from_address(office, "10.0.0.21") as desk:
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 303
        cookie = desk.cookies["okienko_session"]
        async with db.engine.begin() as conn:
            token = await issue_staff_token(conn, "ewa", office.clock.now())
        assert (await auth.identify(token)).username == "ewa"
        async with db.engine.begin() as conn:
            assert await accounts.set_disabled(conn, "ewa", True) == 1
        auth.receive(CHANGED)
        async with db.engine.begin() as conn:
            assert await accounts.session_for(conn, cookie, office.clock.now()) is None
        with pytest.raises(DomainError, match="invalid_token"):
            await auth.identify(token)
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 401
        assert (await summary(office, "ewa")).disabled
        async with db.engine.begin() as conn:
            await accounts.set_disabled(conn, "ewa", False)
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 303
        assert (await auth.identify(token)).username == "ewa"


async def test_a_new_password_ends_the_sessions(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    db = office.okienko.db
    async with from_address(office, "10.0.0.21") as desk:
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 303
        cookie = desk.cookies["okienko_session"]
        async with db.engine.begin() as conn:
            with pytest.raises(StaffRefusal, match="at least 8 characters"):
                await accounts.set_password(conn, "ewa", "short")
            assert await accounts.set_password(conn, "ewa", "a new long password") == 1
            assert await accounts.session_for(conn, cookie, office.clock.now()) is None
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 401
        assert (await sign_in(desk, "ewa", "a new long password")).status_code == 303


async def test_a_revoked_device_token_is_refused_at_once(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    db, auth = office.okienko.db, office.okienko.auth
    async with db.engine.begin() as conn:
        token = await issue_device_token(conn, None, "kiosk", "hall-1")
    assert (await auth.identify(token)).name == "hall-1"   # and now cached
    await office.okienko.heartbeats.settled()   # its heartbeat written: no write of ours races it
    async with db.engine.begin() as conn:
        await revoke_device(conn, "kiosk", "hall-1")
        with pytest.raises(StaffRefusal, match="no such device: board nowhere"):
            await revoke_device(conn, "board", "nowhere")
        listed = {(device.kind, device.name): device for device in await list_devices(conn)}
    assert not listed["kiosk", "hall-1"].has_token
    auth.receive(CHANGED)
    with pytest.raises(DomainError, match="invalid_token"):
        await auth.identify(token)
    async with db.engine.begin() as conn:   # `device add` gives it a new one
        again = await issue_device_token(conn, None, "kiosk", "hall-1")
    assert (await auth.identify(again)).name == "hall-1"

"""Kiosks and boards as the back office keeps them: their heartbeat, who is silent, and adding,
renaming, revoking and enrolling them anew.

The heartbeat: whenever a device talks to the server (an authenticated request, its WebSocket
open, its print agent's messages, the kiosk's periodic `POST /api/v1/devices/heartbeat`),
`Heartbeats.beat` notes it. It writes `devices.last_seen_at` at most once per BEAT_EVERY per device
and process (remembered here), with an UPDATE that is itself conditional on the last write being
that old, so several server processes together write little more. The write runs after the request
that caused it, never holding it up. A kiosk, board or printer not heard for SILENT_AFTER is
flagged `silent`.

Taking a device's token away (revoke, a new enrolment) tells every server process at once through
the broker (auth.CREDENTIALS_CHANGED), so the old token is refused from the next request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.audit import record_change
from okienko.staff.auth import DEVICE_KINDS, StaffRefusal, issue_device_token, revoke_device
from okienko.staff.roles import Actor
from okienko.storage.locking import Locks
from okienko.storage.models import Device, Office

# Below the kiosk screen's 20 s heartbeat, so that each of its beats is written: a working device is never
# more than about 20 s old in the back office and in `/metrics`, well inside SILENT_AFTER (docs/monitoring.md).
BEAT_EVERY = timedelta(seconds=15)
SILENT_AFTER = timedelta(minutes=1)
MAX_NAME_LENGTH = 100
KIND_REQUIRED = _("the field “kind” must be “kiosk” or “board”")
log = logging.getLogger("okienko.devices")

# Tells every server process (this one at once) that a token was taken away (container.py).
Announce = Callable[[], Awaitable[None]]


def is_silent(last_seen: datetime | None, now: datetime) -> bool:
    """Not heard for over SILENT_AFTER (or never)."""
    return last_seen is None or now - last_seen > SILENT_AFTER


class Heartbeats:
    """Notes that a device is alive, writing `last_seen_at` at most every BEAT_EVERY (per process)."""

    def __init__(self, locks: Locks, clock: Clock, every: timedelta = BEAT_EVERY) -> None:
        self.locks, self.clock, self.every = locks, clock, every
        self._written: dict[int, datetime] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def beat(self, device_id: int) -> None:
        """The device talked to us now. Returns at once; the write (if one is due) follows."""
        now = self.clock.now()
        last = self._written.get(device_id)
        if last is not None and timedelta(0) <= now - last < self.every:
            return
        self._written[device_id] = now
        task = asyncio.get_running_loop().create_task(self._write(device_id, now))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, device_id: int, now: datetime) -> None:
        devices = Device.__table__
        try:
            async with self.locks.write_transaction() as conn:
                await conn.execute(sa.update(devices).where(
                    devices.c.id == device_id,
                    sa.or_(devices.c.last_seen_at.is_(None), devices.c.last_seen_at <= now - self.every))
                    .values(last_seen_at=now))
        except Exception as error:   # a heartbeat is never worth an error: the next one will do
            log.debug("heartbeat of device %s not written: %s", device_id, type(error).__name__)
            self._written.pop(device_id, None)

    async def settled(self) -> None:
        """Wait for the writes under way (tests; the server's shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def keep_beating(self, device_id: int) -> None:
        """Beat every BEAT_EVERY for as long as the caller's connection stays open (a board's or a
        print agent's WebSocket: the server's pings close a connection whose other end is gone)."""
        while True:
            self.beat(device_id)
            await asyncio.sleep(self.every.total_seconds())


@dataclass(frozen=True)
class DeviceState:
    """A kiosk or board as the back office shows it; never its token."""

    id: int
    kind: str
    name: str
    active: bool                    # has a working token (not revoked, still in the office)
    last_seen_at: datetime | None
    silent: bool
    has_printer: bool
    printer_status: str
    printer_checked_at: datetime | None
    printer_silent: bool


def _state(row: Any, now: datetime) -> DeviceState:
    active = bool(row["active"]) and row["token_hash"] is not None
    printer = row["printer"] or {}
    has_printer = row["kind"] == "kiosk" and bool(printer) and printer.get("kind", "none") != "none"
    return DeviceState(row["id"], row["kind"], row["name"], active, row["last_seen_at"],
                       active and is_silent(row["last_seen_at"], now), has_printer, row["printer_status"],
                       row["printer_checked_at"], active and has_printer and is_silent(row["printer_checked_at"], now))


async def device_states(conn: AsyncConnection, office_id: int, now: datetime) -> list[DeviceState]:
    """The office's kiosks and boards, kiosks first, by name."""
    devices = Device.__table__
    rows = (await conn.execute(sa.select(devices).where(devices.c.office_id == office_id)
                               .order_by(devices.c.kind.desc(), devices.c.name))).mappings().all()
    return [_state(row, now) for row in rows]


def check_device_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or any(not (c.isalnum() or c in "-_. ") for c in name):
        raise DomainError("invalid_device_name")
    return name


class DeviceAdmin:
    """The back office's front door for kiosks and boards: each change in one transaction with its
    audit entry; a token taken away is announced to every process after commit."""

    def __init__(self, locks: Locks, clock: Clock, credentials_changed: Announce) -> None:
        self.locks, self.clock, self.credentials_changed = locks, clock, credentials_changed

    async def list(self, office_id: int) -> list[DeviceState]:
        async with self.locks.db.read() as conn:
            return await device_states(conn, office_id, self.clock.now())

    async def add(self, actor: Actor, office_id: int, kind: str, name: str) -> tuple[DeviceState, str]:
        """A new kiosk or board and its token (shown once); `device_exists` for a name in use."""
        if kind not in DEVICE_KINDS:
            raise DomainError("malformed_request", detail=KIND_REQUIRED)
        name = check_device_name(name)
        devices = Device.__table__
        async with self.locks.write_transaction() as conn:
            if (await conn.execute(sa.select(devices.c.id).where(
                    devices.c.office_id == office_id, devices.c.kind == kind, devices.c.name == name))).scalar():
                raise DomainError("device_exists", kind=kind, name=name)
            token = await issue_device_token(conn, await _office_code(conn, office_id), kind, name)
            row = await self._row(conn, office_id, None, kind=kind, name=name)
            await self._audit(conn, actor, office_id, "device.add", row, None, {"kind": kind, "name": name})
        return _state(row, self.clock.now()), token

    async def rename(self, actor: Actor, office_id: int, device_id: int, name: str) -> DeviceState:
        name = check_device_name(name)
        devices = Device.__table__
        async with self.locks.write_transaction() as conn:
            row = await self._row(conn, office_id, device_id)
            taken = (await conn.execute(sa.select(devices.c.id).where(
                devices.c.office_id == office_id, devices.c.kind == row["kind"], devices.c.name == name,
                devices.c.id != device_id))).scalar()
            if taken:
                raise DomainError("device_exists", kind=row["kind"], name=name)
            await conn.execute(sa.update(devices).where(devices.c.id == device_id).values(name=name))
            await self._audit(conn, actor, office_id, "device.rename", row, {"name": row["name"]}, {"name": name})
            row = await self._row(conn, office_id, device_id)
        return _state(row, self.clock.now())

    async def revoke(self, actor: Actor, office_id: int, device_id: int) -> DeviceState:
        """Take the device's token away: it is signed out from its next request on."""
        async with self.locks.write_transaction() as conn:
            row = await self._row(conn, office_id, device_id)
            try:
                await revoke_device(conn, row["kind"], row["name"], await _office_code(conn, office_id))
            except StaffRefusal:   # renamed or removed in between
                raise DomainError("device_not_found") from None
            await self._audit(conn, actor, office_id, "device.revoke", row, {"active": row["token_hash"] is not None},
                              {"active": False})
            row = await self._row(conn, office_id, device_id)
        await self.credentials_changed()
        return _state(row, self.clock.now())

    async def enrol(self, actor: Actor, office_id: int, device_id: int) -> tuple[DeviceState, str]:
        """A new token for the device (shown once); the one it had is refused from now on."""
        async with self.locks.write_transaction() as conn:
            row = await self._row(conn, office_id, device_id)
            token = await issue_device_token(conn, await _office_code(conn, office_id), row["kind"], row["name"])
            await self._audit(conn, actor, office_id, "device.enrol", row, None, None)
            row = await self._row(conn, office_id, device_id)
        await self.credentials_changed()
        return _state(row, self.clock.now()), token

    @staticmethod
    async def _row(conn: AsyncConnection, office_id: int, device_id: int | None, **where: str) -> Any:
        """The office's device; `forbidden` for another office's, `device_not_found` for none."""
        devices = Device.__table__
        query = sa.select(devices)
        query = query.where(devices.c.id == device_id) if device_id is not None else query.where(
            devices.c.office_id == office_id, *(devices.c[key] == value for key, value in where.items()))
        row = (await conn.execute(query)).mappings().first()
        if row is None:
            raise DomainError("device_not_found")
        if row["office_id"] != office_id:
            raise DomainError("forbidden")
        return row

    async def _audit(self, conn: AsyncConnection, actor: Actor, office_id: int, action: str, row: Any,
                     before: Any, after: Any) -> None:
        await record_change(conn, office_id=office_id, actor=actor.username, action=action,
                            target=f"{row['kind']} {row['name']}", before=before, after=after, now=self.clock.now())


async def _office_code(conn: AsyncConnection, office_id: int) -> str:
    offices = Office.__table__
    return str((await conn.execute(sa.select(offices.c.code).where(offices.c.id == office_id))).scalar_one())

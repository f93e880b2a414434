"""Who is asking: kiosks and boards by device token, staff by personal token.

Tokens are random (256 bits) and only their SHA-256 is stored, so a database leak does not
hand out working tokens. Lookups are cached briefly: the kiosk hot path does not hit the
database to authenticate. Whoever takes a token away (a device revoked, a user disabled) tells
every server process through the broker (`announce_credentials_changed`), and each drops its
cache at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.i18n import _
from okienko.live import HINTS_CHANNEL, Broker
from okienko.storage.db import Database
from okienko.errors import DomainError
from okienko.storage.models import Device, Office, StaffToken, User
from okienko.staff.passwords import hash_password
from okienko.staff.roles import ROLES

DEVICE_KINDS = ("kiosk", "board")
MAX_CACHED_TOKENS = 10_000
CREDENTIALS_CHANGED = "credentials_changed"   # the hint that a token or an account was taken away
MIN_PASSWORD_LENGTH = 8


class StaffRefusal(ValueError):
    """An administrator's request that cannot be done (no such user, a short password): an English
    msgid with its parameters, translated where it is shown (the command line)."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class DeviceIdentity:
    id: int
    office_id: int
    kind: str
    name: str


@dataclass(frozen=True)
class StaffIdentity:
    user_id: int
    username: str
    role: str
    office_id: int | None
    must_change_password: bool = False   # a temporary password: refused until the user chooses one


Identity = DeviceIdentity | StaffIdentity


class Authenticator:
    def __init__(self, db: Database, cache_seconds: float = 30.0,
                 on_device: Callable[[int], None] | None = None) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.on_device = on_device   # a device was heard from (devices.Heartbeats.beat)
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._changed = asyncio.Event()   # set (and replaced) whenever credentials change

    async def identify(self, token: str) -> Identity:
        """The device or staff member holding `token`; `invalid_token` otherwise. A device that
        identifies itself is alive: its heartbeat is noted (`on_device`)."""
        identity = await self._identify(token)
        if isinstance(identity, DeviceIdentity) and self.on_device is not None:
            self.on_device(identity.id)
        return identity

    async def _identify(self, token: str) -> Identity:
        digest = token_hash(token)
        cached = self._cache.get(digest)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        identity = await self._lookup(digest)
        if identity is None:  # misses are not cached: random tokens must not grow memory
            raise DomainError("invalid_token")
        if len(self._cache) >= MAX_CACHED_TOKENS:
            self._cache.clear()
        self._cache[digest] = (time.monotonic(), identity)
        return identity

    async def _lookup(self, digest: str) -> Identity | None:
        devices, tokens, users = Device.__table__, StaffToken.__table__, User.__table__
        async with self.db.read() as conn:
            device = (await conn.execute(sa.select(devices).where(devices.c.token_hash == digest,
                                                                  devices.c.active))).mappings().first()
            if device:
                return DeviceIdentity(device["id"], device["office_id"], device["kind"], device["name"])
            user = (await conn.execute(
                sa.select(users).join(tokens, tokens.c.user_id == users.c.id)
                .where(tokens.c.token_hash == digest, sa.not_(users.c.disabled)))).mappings().first()
        if user:
            return StaffIdentity(user["id"], user["username"], user["role"], user["office_id"],
                                 bool(user["must_change_password"]))
        return None

    def forget(self) -> None:
        self._cache.clear()
        self._changed.set()   # the open sockets of devices check their tokens again, now
        self._changed = asyncio.Event()

    async def next_change(self, at_most: float) -> None:
        """Return when a token or an account is taken away (here or, through the broker, in another
        process), or after `at_most` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), at_most)

    def receive(self, hint: str) -> None:
        """A hint from the broker (okienko.live): a token or an account was taken away in another
        process, so nothing cached may answer for it any longer; other hints are not ours."""
        try:
            message = json.loads(hint)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("kind") == CREDENTIALS_CHANGED:
            self.forget()


def credentials_changed_hint() -> str:
    """The hint that makes every server process drop its cached tokens (`Authenticator.receive`)."""
    return json.dumps({"kind": CREDENTIALS_CHANGED})


async def announce_credentials_changed(broker: Broker) -> None:
    """Tell every server process listening on `broker` to drop its cached tokens
    (`Authenticator.receive`). Send it after the change has committed."""
    await broker.publish(HINTS_CHANNEL, credentials_changed_hint())


def check_new_password(password: str) -> None:
    """The one rule a new password must meet (`user add`, `user password`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffRefusal(_("the password must have at least {count} characters"), count=str(MIN_PASSWORD_LENGTH))


async def office_id_of(conn: AsyncConnection, office_code: str | None) -> int:
    """The office named `office_code`, or the first one when none is named."""
    offices = Office.__table__
    query = sa.select(offices.c.id).order_by(offices.c.id).limit(1)
    if office_code:
        query = sa.select(offices.c.id).where(offices.c.code == office_code)
    office_id = (await conn.execute(query)).scalar()
    if office_id is None:
        if office_code:
            raise StaffRefusal(_("no such office: {office}"), office=office_code)
        raise StaffRefusal(_("no office loaded yet: load one first with `okienko office load FILE`"))
    return int(office_id)


async def issue_device_token(conn: AsyncConnection, office_code: str | None, kind: str, name: str) -> str:
    """Give a kiosk or board a (new) token; creates the device when the office file did not name it."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"device kind must be one of {', '.join(DEVICE_KINDS)}")
    devices = Device.__table__
    office_id = await office_id_of(conn, office_code)
    token = new_token()
    existing = (await conn.execute(sa.select(devices.c.id).where(
        devices.c.office_id == office_id, devices.c.kind == kind, devices.c.name == name))).scalar()
    if existing is None:
        await conn.execute(sa.insert(devices).values(office_id=office_id, kind=kind, name=name,
                                                     token_hash=token_hash(token), printer={}, active=True,
                                                     printer_status="unknown"))
    else:
        await conn.execute(sa.update(devices).where(devices.c.id == existing).values(token_hash=token_hash(token),
                                                                                       active=True))
    return token


async def add_user(conn: AsyncConnection, username: str, role: str, password: str,
                   office_code: str | None = None, *, password_hash: str | None = None,
                   must_change_password: bool = False) -> int:
    """A new account (`password_hash`: the password's hash made beforehand, off the event loop and
    outside the transaction; `must_change_password`: a temporary password)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_new_password(password)
    users = User.__table__
    if (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar() is not None:
        raise StaffRefusal(_("user “{user}” exists already"), user=username)
    office_id = await office_id_of(conn, office_code) if office_code else None
    result = await conn.execute(sa.insert(users).values(username=username, role=role, office_id=office_id,
                                                        password_hash=password_hash or hash_password(password),
                                                        disabled=False, must_change_password=must_change_password)
                                .returning(users.c.id))
    return int(result.scalar_one())


async def issue_staff_token(conn: AsyncConnection, username: str, now: datetime) -> str:
    users = User.__table__
    user_id = (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar()
    if user_id is None:
        raise StaffRefusal(_("no such user: {user}"), user=username)
    token = new_token()
    await conn.execute(sa.insert(StaffToken.__table__).values(user_id=user_id, token_hash=token_hash(token),
                                                              created_at=now))
    return token


@dataclass(frozen=True)
class DeviceSummary:
    """A kiosk or board as an administrator sees it; never its token."""

    kind: str
    name: str
    office: str
    in_office_file: bool      # switched off when the office file no longer names it
    has_token: bool           # False once revoked (or never given one)
    printer_status: str
    printer_checked_at: datetime | None


async def list_devices(conn: AsyncConnection) -> list[DeviceSummary]:
    devices, offices = Device.__table__, Office.__table__
    rows = (await conn.execute(
        sa.select(devices, offices.c.code.label("office_code")).join(offices, offices.c.id == devices.c.office_id)
        .order_by(offices.c.code, devices.c.kind, devices.c.name))).mappings().all()
    return [DeviceSummary(row["kind"], row["name"], row["office_code"], bool(row["active"]),
                          row["token_hash"] is not None, row["printer_status"], row["printer_checked_at"])
            for row in rows]


async def revoke_device(conn: AsyncConnection, kind: str, name: str, office_code: str | None = None) -> None:
    """Take the device's token away: it is refused from the next request on (once the server processes
    drop their caches: `announce_credentials_changed`). `device add` gives it a new one."""
    devices, offices = Device.__table__, Office.__table__
    query = (sa.select(devices.c.id).join(offices, offices.c.id == devices.c.office_id)
             .where(devices.c.kind == kind, devices.c.name == name))
    if office_code:
        query = query.where(offices.c.code == office_code)
    found = (await conn.execute(query)).scalars().all()
    if not found:
        raise StaffRefusal(_("no such device: {kind} {name}"), kind=kind, name=name)
    if len(found) > 1:
        raise StaffRefusal(_("{kind} {name} is in several offices: name one with --office"), kind=kind, name=name)
    await conn.execute(sa.update(devices).where(devices.c.id == found[0]).values(token_hash=None))

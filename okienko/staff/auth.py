"""Who is asking: kiosks and boards by device token, staff by personal token.

Tokens are random (256 bits) and only their SHA-256 is stored, so a database leak does not
hand out working tokens. Lookups are cached briefly: the kiosk hot path does not hit the
database to authenticate.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.db import Database
from okienko.errors import DomainError
from okienko.storage.models import Device, Office, StaffToken, User
from okienko.staff.passwords import hash_password
from okienko.staff.roles import ROLES

DEVICE_KINDS = ("kiosk", "board")
MAX_CACHED_TOKENS = 10_000


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


Identity = DeviceIdentity | StaffIdentity


class Authenticator:
    def __init__(self, db: Database, cache_seconds: float = 30.0) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Identity]] = {}

    async def identify(self, token: str) -> Identity:
        """The device or staff member holding `token`; `invalid_token` otherwise."""
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
            return StaffIdentity(user["id"], user["username"], user["role"], user["office_id"])
        return None

    def forget(self) -> None:
        self._cache.clear()


async def issue_device_token(conn: AsyncConnection, office_code: str | None, kind: str, name: str) -> str:
    """Give a kiosk or board a (new) token; creates the device when the office file did not name it."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"device kind must be one of {', '.join(DEVICE_KINDS)}")
    offices, devices = Office.__table__, Device.__table__
    query = sa.select(offices.c.id).order_by(offices.c.id).limit(1)
    if office_code:
        query = sa.select(offices.c.id).where(offices.c.code == office_code)
    office_id = (await conn.execute(query)).scalar()
    if office_id is None:
        raise ValueError("no such office: load one first with `okienko office load FILE`")
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
                   office_code: str | None = None) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    users, offices = User.__table__, Office.__table__
    if (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar() is not None:
        raise ValueError(f"user {username!r} exists already")
    office_id = None
    if office_code:
        office_id = (await conn.execute(sa.select(offices.c.id).where(offices.c.code == office_code))).scalar()
        if office_id is None:
            raise ValueError(f"no such office: {office_code}")
    result = await conn.execute(sa.insert(users).values(username=username, role=role, office_id=office_id,
                                                        password_hash=hash_password(password), disabled=False)
                                .returning(users.c.id))
    return int(result.scalar_one())


async def issue_staff_token(conn: AsyncConnection, username: str, now: datetime) -> str:
    users = User.__table__
    user_id = (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar()
    if user_id is None:
        raise ValueError(f"no such user: {username}")
    token = new_token()
    await conn.execute(sa.insert(StaffToken.__table__).values(user_id=user_id, token_hash=token_hash(token),
                                                              created_at=now))
    return token

"""Staff sign-in: argon2 passwords, server-side sessions with a CSRF token, lockout.

A session is a random cookie (only its SHA-256 is stored) that lasts a working day. Requests
that change something with the cookie must carry the session's CSRF token in the
`X-CSRF-Token` header. After MAX_FAILURES wrong passwords in a row an account is locked for
LOCKOUT; the message does not reveal whether the user exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.auth import token_hash
from booking_api.errors import DomainError
from booking_api.models import StaffSession, User

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LENGTH = timedelta(hours=12)
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class StaffSessionInfo:
    session_id: str
    user_id: int
    username: str
    role: str
    office_id: int | None
    csrf_token: str


async def sign_in(conn: AsyncConnection, username: str, password: str,
                  now: datetime) -> tuple[str, StaffSessionInfo] | DomainError:
    """Check the password; returns the cookie value and the session, or the error to show
    (`login_failed`, `account_locked`). The error is returned, not raised, so that the caller
    commits the failure count before answering."""
    users = User.__table__
    user = (await conn.execute(sa.select(users).where(users.c.username == username))).mappings().first()
    if user is None or user["disabled"]:
        _verify(_DUMMY_HASH, password)
        return DomainError("login_failed")
    if user["locked_until"] is not None and user["locked_until"] > now:
        return DomainError("account_locked", minutes=max(1, int((user["locked_until"] - now).total_seconds() // 60)))
    if not _verify(user["password_hash"], password):
        failures = user["failed_logins"] + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        await conn.execute(sa.update(users).where(users.c.id == user["id"])
                           .values(failed_logins=0 if locked else failures, locked_until=locked))
        return DomainError("account_locked", minutes=int(LOCKOUT.total_seconds() // 60)) if locked \
            else DomainError("login_failed")
    await conn.execute(sa.update(users).where(users.c.id == user["id"]).values(failed_logins=0, locked_until=None))
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    await conn.execute(sa.insert(StaffSession.__table__).values(
        id=token_hash(cookie), user_id=user["id"], csrf_token=csrf, created_at=now, expires_at=now + SESSION_LENGTH))
    return cookie, StaffSessionInfo(token_hash(cookie), user["id"], user["username"], user["role"],
                                    user["office_id"], csrf)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def session_for(conn: AsyncConnection, cookie: str, now: datetime) -> StaffSessionInfo | None:
    sessions, users = StaffSession.__table__, User.__table__
    row = (await conn.execute(
        sa.select(sessions.c.id, sessions.c.csrf_token, users.c.id.label("user_id"), users.c.username,
                  users.c.role, users.c.office_id)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == token_hash(cookie), sessions.c.expires_at > now, sa.not_(users.c.disabled))
    )).mappings().first()
    if row is None:
        return None
    return StaffSessionInfo(row["id"], row["user_id"], row["username"], row["role"], row["office_id"],
                            row["csrf_token"])


async def sign_out(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(sa.delete(StaffSession.__table__).where(StaffSession.__table__.c.id == session_id))

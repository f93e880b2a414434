"""Staff sign-in: argon2 passwords, server-side sessions with a CSRF token, lock-out.

A session is a random cookie (only its SHA-256 is stored) that lasts a working day. Requests
that change something with the cookie must carry the session's CSRF token in the
`X-CSRF-Token` header.

Lock-out is per account name AND client address: after MAX_FAILURES wrong passwords for one name
from one address within a quarter of an hour (fixed windows, :00, :15, :30, :45), that address
is refused for that name until the quarter is over. Someone guessing elsewhere cannot lock a
clerk out of the morning. Every attempt is counted before its password is checked (one UPSERT,
rate_limits.py), so many sent at once cannot all be checked; the right password starts the count
afresh. An unknown or disabled name gets exactly the same answers (status, message, a password
hash checked, the same count and lock-out), so the answers never tell whether a user exists.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.staff.auth import token_hash
from okienko.errors import DomainError
from okienko.storage.locking import Locks
from okienko.storage.models import StaffSession, User
from okienko.staff.passwords import password_matches
from okienko.people import keyed_hash
from okienko.rate_limits import forget_key, hit, refused, seconds_left, window_start

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LENGTH = timedelta(hours=12)


@dataclass(frozen=True)
class StaffSessionInfo:
    session_id: str
    user_id: int
    username: str
    role: str
    office_id: int | None
    csrf_token: str


def sign_in_key(secret_key: str, username: str, client: str) -> str:
    """The lock-out count's key for this account name from this address (neither stored as such)."""
    return "signin:" + keyed_hash(secret_key, "sign-in", username.casefold(), client)[:40]


async def sign_in(locks: Locks, username: str, password: str, *, client: str, now: datetime,
                  secret_key: str) -> tuple[str, StaffSessionInfo]:
    """Check the password; returns the cookie value and the session. Refuses with `login_failed`,
    or `account_locked` (with `retry_after`) from the MAX_FAILURES-th wrong password of this name
    from this `client` address in the current window; the same for a name that does not exist."""
    key = sign_in_key(secret_key, username, client)
    users = User.__table__
    async with locks.write_transaction() as conn:   # its own transaction: a refused attempt counts
        attempt = await hit(conn, key, MAX_FAILURES, LOCKOUT, now, refusal="account_locked")
        user = (await conn.execute(sa.select(users).where(users.c.username == username))).mappings().first()
    known = user is not None and not user["disabled"]
    # argon2 takes tens of milliseconds: off the event loop, so kiosks and boards are not kept waiting.
    # An unknown name is checked against a stand-in hash: it takes the same time (passwords.py).
    right = await asyncio.to_thread(password_matches, user["password_hash"] if known else None, password)
    if not (known and right):
        if attempt >= MAX_FAILURES:
            raise refused("account_locked", seconds_left(window_start(now, LOCKOUT), LOCKOUT, now))
        raise DomainError("login_failed")
    assert user is not None
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    async with locks.write_transaction() as conn:
        await forget_key(conn, key)
        await conn.execute(sa.insert(StaffSession.__table__).values(
            id=token_hash(cookie), user_id=user["id"], csrf_token=csrf, created_at=now,
            expires_at=now + SESSION_LENGTH))
    return cookie, StaffSessionInfo(token_hash(cookie), user["id"], user["username"], user["role"],
                                    user["office_id"], csrf)


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

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

An administrator lists the accounts, disables one (its sessions end, its tokens are refused), sets
a new password (its sessions end) and clears a lock-out (`okienko user ...`): each count's key
starts with a keyed hash of the name alone, so the counts of every address are found by the name.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.i18n import _
from okienko.staff.auth import StaffRefusal, check_new_password, token_hash
from okienko.errors import DomainError
from okienko.storage.locking import Locks
from okienko.storage.models import Office, RateLimitHit, StaffSession, User
from okienko.staff.passwords import hash_password, password_matches
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
    must_change_password: bool = False   # a temporary password: nothing else until a new one is chosen


def sign_in_key(secret_key: str, username: str, client: str) -> str:
    """The lock-out count's key for this account name from this address (neither stored as such)."""
    return sign_in_prefix(secret_key, username) + keyed_hash(secret_key, "sign-in", username.casefold(), client)[:40]


def sign_in_prefix(secret_key: str, username: str) -> str:
    """What the lock-out keys of this account name start with, from whatever address."""
    return "signin:" + keyed_hash(secret_key, "sign-in-name", username.casefold())[:24] + ":"


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
    async with locks.write_transaction() as conn:
        await forget_key(conn, key)
        cookie, csrf = await start_session(conn, user["id"], now)
    return cookie, StaffSessionInfo(token_hash(cookie), user["id"], user["username"], user["role"],
                                    user["office_id"], csrf, bool(user["must_change_password"]))


async def start_session(conn: AsyncConnection, user_id: int, now: datetime) -> tuple[str, str]:
    """A new signed-in browser for the user: its cookie value and CSRF token (only the cookie's
    hash is stored)."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    await conn.execute(sa.insert(StaffSession.__table__).values(
        id=token_hash(cookie), user_id=user_id, csrf_token=csrf, created_at=now, expires_at=now + SESSION_LENGTH))
    return cookie, csrf


async def session_for(conn: AsyncConnection, cookie: str, now: datetime) -> StaffSessionInfo | None:
    sessions, users = StaffSession.__table__, User.__table__
    row = (await conn.execute(
        sa.select(sessions.c.id, sessions.c.csrf_token, users.c.id.label("user_id"), users.c.username,
                  users.c.role, users.c.office_id, users.c.must_change_password)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == token_hash(cookie), sessions.c.expires_at > now, sa.not_(users.c.disabled))
    )).mappings().first()
    if row is None:
        return None
    return StaffSessionInfo(row["id"], row["user_id"], row["username"], row["role"], row["office_id"],
                            row["csrf_token"], bool(row["must_change_password"]))


async def change_own_password(locks: Locks, session: StaffSessionInfo, password: str, now: datetime) -> str:
    """The signed-in user chooses a new password (at the first sign-in after a reset): the temporary
    one stops working, every session of theirs ends, and a new one starts; returns its cookie."""
    check_new_password(password)
    password_hash = await asyncio.to_thread(hash_password, password)
    users = User.__table__
    async with locks.write_transaction() as conn:
        await conn.execute(sa.update(users).where(users.c.id == session.user_id)
                           .values(password_hash=password_hash, must_change_password=False))
        await end_sessions(conn, session.user_id)
        cookie, _csrf = await start_session(conn, session.user_id, now)
    return cookie


async def sign_out(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(sa.delete(StaffSession.__table__).where(StaffSession.__table__.c.id == session_id))


@dataclass(frozen=True)
class AccountSummary:
    """A staff account as an administrator sees it; never its password hash."""

    username: str
    role: str
    office: str | None     # None: every office
    disabled: bool
    locked: bool           # refused for now from some address after MAX_FAILURES wrong passwords
    must_change_password: bool = False
    office_id: int | None = None


async def list_accounts(conn: AsyncConnection, secret_key: str, now: datetime,
                        username: str | None = None) -> list[AccountSummary]:
    """Every account (or the one named `username`), by name."""
    users, offices, hits = User.__table__, Office.__table__, RateLimitHit.__table__
    query = (sa.select(users.c.username, users.c.role, users.c.disabled, offices.c.code, users.c.must_change_password,
                       users.c.office_id)
             .outerjoin(offices, offices.c.id == users.c.office_id).order_by(users.c.username))
    if username is not None:
        query = query.where(users.c.username == username)
    rows = (await conn.execute(query)).all()
    locked_keys = (await conn.execute(sa.select(hits.c.key).where(
        hits.c.key.startswith("signin:"), hits.c.window_start == window_start(now, LOCKOUT),
        hits.c.hits >= MAX_FAILURES))).scalars().all()
    return [AccountSummary(name, role, code, bool(disabled),
                           any(key.startswith(sign_in_prefix(secret_key, name)) for key in locked_keys),
                           bool(must_change), office_id)
            for name, role, disabled, code, must_change, office_id in rows]


async def _user_id(conn: AsyncConnection, username: str) -> int:
    users = User.__table__
    user_id = (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar()
    if user_id is None:
        raise StaffRefusal(_("no such user: {user}"), user=username)
    return int(user_id)


async def end_sessions(conn: AsyncConnection, user_id: int) -> int:
    """Sign the user out of every browser; returns how many sessions ended."""
    sessions = StaffSession.__table__
    return (await conn.execute(sa.delete(sessions).where(sessions.c.user_id == user_id))).rowcount or 0


async def set_disabled(conn: AsyncConnection, username: str, disabled: bool) -> int:
    """Disable an account (it cannot sign in, its sessions end, its tokens are refused while it stays
    disabled) or enable it again. Returns how many sessions ended."""
    user_id = await _user_id(conn, username)
    users = User.__table__
    await conn.execute(sa.update(users).where(users.c.id == user_id).values(disabled=disabled))
    return await end_sessions(conn, user_id) if disabled else 0


async def set_password(conn: AsyncConnection, username: str, password: str, *, must_change: bool = False,
                       password_hash: str | None = None) -> int:
    """Give the account a new password; every session it had ends. Returns how many. `must_change`:
    a temporary password, which the user replaces at the next sign-in (console/pages.py);
    `password_hash`: its hash made beforehand (off the event loop, outside the transaction)."""
    check_new_password(password)
    user_id = await _user_id(conn, username)
    users = User.__table__
    await conn.execute(sa.update(users).where(users.c.id == user_id).values(
        password_hash=password_hash or hash_password(password), must_change_password=must_change))
    return await end_sessions(conn, user_id)


async def unlock(conn: AsyncConnection, secret_key: str, username: str) -> None:
    """Clear the failed sign-ins counted for the name from every address: the lock-out ends now."""
    await _user_id(conn, username)
    hits = RateLimitHit.__table__
    await conn.execute(sa.delete(hits).where(hits.c.key.startswith(sign_in_prefix(secret_key, username))))

"""Staff accounts as the back office manages them: list, add, change a role, disable and enable,
reset a password, clear a lock-out. The account rules themselves (a password's length, ending
sessions, the lock-out's keys) live in accounts.py and auth.py, which the command line uses too.

Who may do what (docs/security.md, "Who may do what"):
- a manager acts on the accounts of their own office, and never on an administrator's, nor gives
  anyone the administrator role;
- an administrator acts on any account of the office they act on, and on the administrators
  who belong to no office;
- nobody disables their own account or changes their own role (the last administrator cannot
  lock everyone out).

A new account and a reset password get a random temporary password, shown once to whoever made
it; the user must choose their own at the next sign-in (`must_change_password`). Every change is
written to the audit log in its own transaction, never with a password; a change that takes
access away tells every server process at once (auth.CREDENTIALS_CHANGED).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.office.audit import record_change
from okienko.staff import accounts
from okienko.staff.auth import add_user
from okienko.staff.devices import Announce
from okienko.staff.passwords import hash_password
from okienko.staff.roles import ROLES, Actor
from okienko.storage.locking import Locks
from okienko.storage.models import Office, User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def temporary_password() -> str:
    """A random password (16 characters) to be replaced at the first sign-in."""
    return secrets.token_urlsafe(12)


def check_role(actor: Actor, role: str) -> None:
    """`unknown_role`, or `admin_only` when a manager would make someone an administrator."""
    if role not in ROLES:
        raise DomainError("unknown_role", role=role[:40], roles=", ".join(ROLES))
    if role == "admin" and not actor.is_admin:
        raise DomainError("admin_only")


class StaffAdmin:
    """The back office's front door for staff accounts."""

    def __init__(self, locks: Locks, clock: Clock, secret_key: str, credentials_changed: Announce) -> None:
        self.locks, self.clock, self.secret_key = locks, clock, secret_key
        self.credentials_changed = credentials_changed

    async def list(self, actor: Actor, office_id: int) -> list[accounts.AccountSummary]:
        """The office's accounts (for an administrator, also those of no office)."""
        async with self.locks.db.read() as conn:
            found = await accounts.list_accounts(conn, self.secret_key, self.clock.now())
        return [a for a in found if a.office_id == office_id or (actor.is_admin and a.office_id is None)]

    async def add(self, actor: Actor, office_id: int, username: str,
                  role: str) -> tuple[accounts.AccountSummary, str]:
        """A new account in the office (an administrator's: of no office) with a temporary password."""
        username = username.strip()
        if not USERNAME.match(username):
            raise DomainError("invalid_username")
        check_role(actor, role)
        password = temporary_password()
        hashed = await asyncio.to_thread(hash_password, password)   # argon2: not while holding the writer
        now = self.clock.now()
        users = User.__table__
        async with self.locks.write_transaction() as conn:
            if (await conn.execute(sa.select(users.c.id).where(users.c.username == username))).scalar():
                raise DomainError("user_exists", user=username)
            home = None if role == "admin" else await _office_code(conn, office_id)
            await add_user(conn, username, role, password, home, password_hash=hashed, must_change_password=True)
            await record_change(conn, office_id=office_id, actor=actor.username, action="user.add", target=username,
                                before=None, after={"role": role, "office": home}, now=now)
            summary = await self._summary(conn, username)
        return summary, password

    async def set_role(self, actor: Actor, office_id: int, username: str, role: str) -> accounts.AccountSummary:
        check_role(actor, role)
        return await self._change(actor, office_id, username, "user.role", {"role": role}, lambda conn, row:
                                  conn.execute(sa.update(User.__table__).where(User.__table__.c.id == row["id"])
                                               .values(role=role)), tell=True)

    async def set_disabled(self, actor: Actor, office_id: int, username: str,
                           disabled: bool) -> accounts.AccountSummary:
        """Disable (sessions end at once, tokens are refused) or enable an account."""
        return await self._change(actor, office_id, username, "user.disable" if disabled else "user.enable",
                                  {"disabled": disabled},
                                  lambda conn, row: accounts.set_disabled(conn, username, disabled), tell=disabled)

    async def reset_password(self, actor: Actor, office_id: int,
                             username: str) -> tuple[accounts.AccountSummary, str]:
        """A temporary password (shown once); the user's sessions end, their API tokens are refused
        (`password_change_required`) and the next sign-in asks for a new password."""
        password = temporary_password()
        hashed = await asyncio.to_thread(hash_password, password)
        summary = await self._change(actor, office_id, username, "user.reset_password", {"must_change_password": True},
                                     lambda conn, row: accounts.set_password(conn, username, password,
                                                                             must_change=True, password_hash=hashed),
                                     tell=True)   # its API tokens, too, wait for the new password
        return summary, password

    async def unlock(self, actor: Actor, office_id: int, username: str) -> accounts.AccountSummary:
        """Clear the failed sign-ins counted for the account from every address."""
        return await self._change(actor, office_id, username, "user.unlock", {"locked": False},
                                  lambda conn, row: accounts.unlock(conn, self.secret_key, username))

    # --- inside --------------------------------------------------------------------------------

    async def _change(self, actor: Actor, office_id: int, username: str, action: str, after: dict[str, Any],
                      change: Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]], *,
                      tell: bool = False) -> accounts.AccountSummary:
        async with self.locks.write_transaction() as conn:
            row = await self._target(conn, actor, office_id, username, action)
            before = {key: row[key] for key in after if key in row}
            await change(conn, row)
            await record_change(conn, office_id=office_id, actor=actor.username, action=action, target=username,
                                before=before or None, after=after, now=self.clock.now())
            summary = await self._summary(conn, username)
        if tell:   # a role, an account or a password taken away: no cached token may answer for it any longer
            await self.credentials_changed()
        return summary

    @staticmethod
    async def _target(conn: AsyncConnection, actor: Actor, office_id: int, username: str, action: str) -> dict[str, Any]:
        """The account `actor` may change; `unknown_user`, `forbidden` (another office's, or an
        administrator's for a manager) or `own_account` otherwise."""
        users = User.__table__
        row = (await conn.execute(sa.select(users.c.id, users.c.username, users.c.role, users.c.office_id,
                                            users.c.disabled, users.c.must_change_password)
                                  .where(users.c.username == username))).mappings().first()
        if row is None:
            raise DomainError("unknown_user", user=username[:100])
        ours = row["office_id"] == office_id or (actor.is_admin and row["office_id"] is None)
        if not ours or (row["role"] == "admin" and not actor.is_admin):
            raise DomainError("forbidden")
        if username == actor.username and action in ("user.disable", "user.role"):
            raise DomainError("own_account")
        return dict(row)

    async def _summary(self, conn: AsyncConnection, username: str) -> accounts.AccountSummary:
        return (await accounts.list_accounts(conn, self.secret_key, self.clock.now(), username))[0]


async def _office_code(conn: AsyncConnection, office_id: int) -> str:
    offices = Office.__table__
    return str((await conn.execute(sa.select(offices.c.code).where(offices.c.id == office_id))).scalar_one())

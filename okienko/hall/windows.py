"""Windows and the clerks who sit at them: one signed-in clerk holds one window at a time.

A hold lasts HOLD while the console keeps beating (it renews every 30 s), so a window left by
a closed browser frees itself. Taking a window is one conditional UPDATE: of two clerks
choosing the same free window at once, exactly one gets it. Taking and leaving are live events
(`window_taken`, `window_left`: the window's number, never the clerk), so every console's chooser
shows who sits where, and a console whose window was left in another tab hears it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.hall.events import record
from okienko.storage.models import StaffSession, StaffToken, User, Window
from okienko.office.directory import OfficeSetup

HOLD = timedelta(minutes=2)


async def take_window(conn: AsyncConnection, setup: OfficeSetup, number: str, session_id: str,
                      now: datetime) -> dict[str, Any]:
    """Sit this session at window `number` (leaving any other window it held)."""
    windows = Window.__table__
    window_id = setup.window_id(number)
    await conn.execute(sa.update(windows).where(windows.c.clerk_session_id == session_id,
                                                windows.c.id != window_id)
                       .values(clerk_session_id=None, held_until=None))
    free = sa.or_(windows.c.clerk_session_id.is_(None), windows.c.clerk_session_id == session_id,
                  windows.c.held_until < now)
    row = (await conn.execute(sa.update(windows).where(windows.c.id == window_id, free)
                              .values(clerk_session_id=session_id, held_until=now + HOLD, paused=False)
                              .returning(*windows.c))).mappings().first()
    if row is None:
        raise DomainError("window_taken", window=number)
    return dict(row)


async def window_of(conn: AsyncConnection, setup: OfficeSetup, number: str, session_id: str,
                    now: datetime) -> dict[str, Any]:
    """The window this session holds (renewing the hold); `window_not_held` otherwise."""
    windows = Window.__table__
    row = (await conn.execute(
        sa.update(windows).where(windows.c.id == setup.window_id(number), windows.c.clerk_session_id == session_id)
        .values(held_until=now + HOLD).returning(*windows.c))).mappings().first()
    if row is None:
        raise DomainError("window_not_held", window=number)
    return dict(row)


async def set_paused(conn: AsyncConnection, setup: OfficeSetup, number: str, session_id: str, paused: bool,
                     now: datetime) -> dict[str, Any]:
    await window_of(conn, setup, number, session_id, now)
    windows = Window.__table__
    row = (await conn.execute(sa.update(windows).where(windows.c.id == setup.window_id(number))
                              .values(paused=paused).returning(*windows.c))).mappings().one()
    return dict(row)


async def held_window(conn: AsyncConnection, session_id: str) -> int:
    """The id of the window this session sits at; `window_not_held` when none."""
    windows = Window.__table__
    window_id = (await conn.execute(sa.select(windows.c.id).where(windows.c.clerk_session_id == session_id)))\
        .scalar()
    if window_id is None:
        raise DomainError("window_not_held", window="—")
    return int(window_id)


async def window_held_by(conn: AsyncConnection, session_id: str) -> int | None:
    """The id of the window this session sits at, or None."""
    windows = Window.__table__
    window_id = (await conn.execute(sa.select(windows.c.id).where(windows.c.clerk_session_id == session_id))).scalar()
    return None if window_id is None else int(window_id)


async def renew_hold(conn: AsyncConnection, session_id: str, now: datetime) -> None:
    """Renew the hold of the window this session sits at (if any)."""
    windows = Window.__table__
    await conn.execute(sa.update(windows).where(windows.c.clerk_session_id == session_id)
                       .values(held_until=now + HOLD))


async def leave_window(conn: AsyncConnection, session_id: str) -> None:
    windows = Window.__table__
    await conn.execute(sa.update(windows).where(windows.c.clerk_session_id == session_id)
                       .values(clerk_session_id=None, held_until=None, paused=False))


async def staffed_windows(conn: AsyncConnection, office_id: int, now: datetime) -> set[int]:
    """Windows with a clerk now and not paused: what the wait estimate counts."""
    windows = Window.__table__
    rows = await conn.execute(sa.select(windows.c.id).where(
        windows.c.office_id == office_id, windows.c.active, windows.c.held_until > now, sa.not_(windows.c.paused)))
    return set(rows.scalars())


WINDOW_TAKEN, WINDOW_LEFT = "window_taken", "window_left"


async def seating_changed(conn: AsyncConnection, setup: OfficeSetup, now: datetime, *,
                          left: int | None = None, taken: int | None = None) -> list[dict[str, Any]]:
    """Record the live events of a clerk leaving window id `left` and taking window id `taken`, in
    the change's transaction; publish what it returns after the commit."""
    rows = [{"ticket_id": None, "kind": kind, "service_id": None, "window_id": window_id}
            for kind, window_id in ((WINDOW_LEFT, left), (WINDOW_TAKEN, taken)) if window_id is not None]
    return await record(conn, setup, rows, now)


async def seated_clerks(conn: AsyncConnection, office_id: int, now: datetime) -> dict[int, tuple[str, str]]:
    """Window id -> (the clerk's user name, the session holding it) for every window held now
    (a hold that lapsed is a free window: whoever takes it next gets it)."""
    windows, sessions, tokens, users = (Window.__table__, StaffSession.__table__, StaffToken.__table__,
                                        User.__table__)
    joined = (windows.outerjoin(sessions, sessions.c.id == windows.c.clerk_session_id)
              .outerjoin(tokens, tokens.c.token_hash == windows.c.clerk_session_id)
              .outerjoin(users, users.c.id == sa.func.coalesce(sessions.c.user_id, tokens.c.user_id)))
    rows = await conn.execute(sa.select(windows.c.id, users.c.username, windows.c.clerk_session_id)
                              .select_from(joined)
                              .where(windows.c.office_id == office_id, windows.c.clerk_session_id.is_not(None),
                                     windows.c.held_until > now))
    return {int(window_id): (username or "", session) for window_id, username, session in rows}

"""Windows and the clerks who sit at them: one signed-in clerk holds one window at a time.

A hold lasts HOLD while the console keeps beating (it renews every 30 s), so a window left by
a closed browser frees itself. Taking a window is one conditional UPDATE: of two clerks
choosing the same free window at once, exactly one gets it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.storage.models import Window
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

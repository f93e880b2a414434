"""Tickets stranded at a window nobody holds go back to their place in the queue.

A clerk who leaves a window says what becomes of the ticket in hand (front_door.py). A console
that just disappears (browser closed, PC off) stops renewing its hold (windows.py, HOLD); once
the hold has lapsed, the ticket called to or served at that window returns to waiting at its
place, recorded as a `returned` event, so boards clear the window and the visitor's phone stops
saying "go to window 1". The server's periodic worker sweeps every office, and a window read or
taken after its hold lapsed is swept first, so what a clerk sees never depends on when the worker
last ran.

Safe with several server processes: the return is one conditional UPDATE, only of tickets still
called or served at a window whose hold has lapsed; of two sweeps at once, the second finds
nothing left to move (PostgreSQL re-checks the condition on the row the first one changed; on
SQLite writers take turns), so each ticket is returned, and recorded, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.hall.events import record
from okienko.hall.lifecycle import EVENT_KINDS, may_move, moved_values
from okienko.hall.windows import HOLD
from okienko.office.directory import OfficeSetup
from okienko.storage.models import Ticket, Window

HOLD_LAPSED = "hold_lapsed"   # the `reason` of a `returned` event the sweep records (a clerk's: "clerk")
# A console renews its window's hold every 30 s: one not heard for a minute has been left (closed,
# switched off) even while its hold still runs; the manager sees its ticket as stranded from then on.
CONSOLE_SILENT = timedelta(minutes=1)


def unheld(now: datetime) -> Any:
    """SQL over `windows`: nobody holds the window now (never taken, left, or the hold lapsed)."""
    windows = Window.__table__
    return sa.or_(windows.c.clerk_session_id.is_(None), windows.c.held_until.is_(None), windows.c.held_until < now)


def left_behind(now: datetime) -> Any:
    """SQL over `windows`: nobody holds the window, or its console has not been heard for
    CONSOLE_SILENT (a ticket there is stranded: the back office may return it or hand it on)."""
    windows = Window.__table__
    return sa.or_(unheld(now), windows.c.held_until < now + HOLD - CONSOLE_SILENT)


async def hand_over(conn: AsyncConnection, setup: OfficeSetup, ticket_id: str, window_number: str,
                    now: datetime) -> list[dict[str, Any]]:
    """Call a stranded ticket (`left_behind`) to another window, where a clerk sits now with no visitor
    in hand and is not paused; the `called` event to publish after commit (boards show the new
    window, the visitor's phone too). `not_stranded` for a ticket that is not (any more),
    `window_not_free` for a window that cannot take it.

    Guarantees: the move is one UPDATE conditional on the ticket still being at the window it was
    left at, so of a hand-over and a sweep (or two hand-overs) at once only one moves it."""
    tickets, windows = Ticket.__table__, Window.__table__
    target_id = setup.window_id(window_number)
    ticket = (await conn.execute(
        sa.select(tickets.c.number, tickets.c.window_id, windows.c.number.label("window"))
        .join(windows, windows.c.id == tickets.c.window_id)
        .where(tickets.c.id == ticket_id, tickets.c.office_id == setup.id))).mappings().first()
    if ticket is None:
        found = (await conn.execute(sa.select(tickets.c.number).where(
            tickets.c.id == ticket_id, tickets.c.office_id == setup.id))).scalar()
        if found is None:
            raise DomainError("ticket_not_found")
        raise DomainError("not_stranded", number=found)
    left = sa.select(windows.c.id).where(windows.c.office_id == setup.id, left_behind(now))
    if ticket["window_id"] not in set((await conn.execute(left)).scalars()):
        raise DomainError("not_stranded", number=ticket["number"])
    free = (await conn.execute(sa.select(windows.c.id).where(
        windows.c.id == target_id, windows.c.active, sa.not_(windows.c.paused),
        windows.c.clerk_session_id.is_not(None), sa.not_(left_behind(now)),
        ~sa.exists().where(tickets.c.window_id == windows.c.id, tickets.c.status.in_(("called", "serving"))))
    )).scalar()
    if free is None or target_id == ticket["window_id"]:
        raise DomainError("window_not_free", window=window_number)
    row = (await conn.execute(
        sa.update(tickets)
        .where(tickets.c.id == ticket_id, tickets.c.status.in_(("called", "serving")),
               tickets.c.window_id == ticket["window_id"])
        .values(status="called", window_id=target_id, called_at=now, started_at=None, recalls=0)
        .returning(tickets.c.id, tickets.c.number, tickets.c.service_id))).mappings().first()
    if row is None:
        raise DomainError("not_stranded", number=ticket["number"])
    event = {"ticket_id": row["id"], "kind": EVENT_KINDS["call"], "service_id": row["service_id"],
             "window_id": target_id, "detail": {"number": row["number"], "handed_from": ticket["window"]}}
    return await record(conn, setup, [event], now)


async def return_stranded(conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                          window_id: int | None = None) -> list[dict[str, Any]]:
    """Return every ticket called to or served at a window of this office that nobody holds (only
    `window_id`, if given) to its place in its queue; the `returned` events to publish after commit.

    Guarantees: a ticket at a window whose clerk still holds it is never touched, and a stranded
    ticket is returned exactly once however many processes sweep at the same moment."""
    tickets, windows = Ticket.__table__, Window.__table__
    stranded_windows = sa.select(windows.c.id).where(windows.c.office_id == setup.id, unheld(now))
    if window_id is not None:
        stranded_windows = stranded_windows.where(windows.c.id == window_id)
    candidates = (await conn.execute(
        sa.select(tickets.c.id, tickets.c.window_id)
        .where(tickets.c.office_id == setup.id, may_move("return"), tickets.c.window_id.in_(stranded_windows))
        .order_by(tickets.c.called_at, tickets.c.id))).all()
    returned = []
    for ticket_id, at_window in candidates:
        # Conditional on everything the read found: another process may have moved it since.
        row = (await conn.execute(
            sa.update(tickets)
            .where(tickets.c.id == ticket_id, may_move("return"), tickets.c.window_id == at_window,
                   tickets.c.window_id.in_(stranded_windows))
            .values(**moved_values("return", now))
            .returning(tickets.c.id, tickets.c.number, tickets.c.service_id))).mappings().first()
        if row is not None:
            returned.append(returned_event(row, at_window, HOLD_LAPSED))
    return await record(conn, setup, returned, now)


def returned_event(ticket: dict[str, Any], window_id: int | None, reason: str) -> dict[str, Any]:
    """The `returned` event of a ticket sent back from `window_id` (`reason`: "clerk" or HOLD_LAPSED)."""
    return {"ticket_id": ticket["id"], "kind": EVENT_KINDS["return"], "service_id": ticket["service_id"],
            "window_id": window_id, "detail": {"number": ticket["number"], "reason": reason}}

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

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.events import record
from okienko.hall.lifecycle import EVENT_KINDS, may_move, moved_values
from okienko.office.directory import OfficeSetup
from okienko.storage.models import Ticket, Window

HOLD_LAPSED = "hold_lapsed"   # the `reason` of a `returned` event the sweep records (a clerk's: "clerk")


def unheld(now: datetime) -> Any:
    """SQL over `windows`: nobody holds the window now (never taken, left, or the hold lapsed)."""
    windows = Window.__table__
    return sa.or_(windows.c.clerk_session_id.is_(None), windows.c.held_until.is_(None), windows.c.held_until < now)


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

"""The ticket lifecycle: waiting → called (→ recalled) → serving → done | no_show | cancelled.

A transfer ends the visit at one window and puts the ticket, with its number, back to
waiting in another service's queue (recorded as a `transferred` event). A return sends a called
(or served) ticket back to waiting in its own queue at its place: its `queued_at` is kept, so the
call order puts it where it stood; it keeps its `called_at`, which is how a waiting ticket is known
to have been returned (`was_returned`). It happens when the clerk leaves the window and chooses
so, or when the window's hold lapses (stranded.py). Each transition is one
conditional UPDATE (it only happens from the states it may happen from), recorded as an event
with its moment by the caller (events.record). Anything else is `invalid_transition` (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.storage.models import Ticket

# action -> (states it may start from, state it leads to, timestamp column it sets)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "call": (frozenset({"waiting"}), "called", "called_at"),
    "recall": (frozenset({"called"}), "called", "called_at"),
    "start": (frozenset({"called"}), "serving", "started_at"),
    "finish": (frozenset({"serving"}), "done", "finished_at"),
    "no_show": (frozenset({"called"}), "no_show", "finished_at"),
    "transfer": (frozenset({"called", "serving"}), "waiting", None),  # joins the new service's queue
    "cancel": (frozenset({"waiting", "called"}), "cancelled", "finished_at"),
    "return": (frozenset({"called", "serving"}), "waiting", None),  # back at its place in its own queue
}
EVENT_KINDS = {"call": "called", "recall": "recalled", "start": "started", "finish": "finished",
               "no_show": "no_show", "transfer": "transferred", "cancel": "cancelled",
               "return": "returned"}
# What a return clears: the visitor waits again, to be called anew (by any window serving the queue).
RETURNED = {"window_id": None, "started_at": None, "recalls": 0}


def was_returned(ticket: dict[str, Any]) -> bool:
    """A waiting ticket that had been called and was sent back to its place (a transfer clears
    `called_at`; a return keeps it)."""
    return ticket["status"] == "waiting" and ticket.get("called_at") is not None


async def transition_row(conn: AsyncConnection, ticket_id: str, action: str, now: datetime, *,
                         window_id: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move a ticket by `action`; returns the updated row (the caller records the event).

    Guarantees: a ticket moves only along the lifecycle, and two concurrent moves of one ticket
    cannot both succeed (the UPDATE is conditional on the state it starts from).
    """
    tickets = Ticket.__table__
    result = await conn.execute(
        sa.update(tickets).where(tickets.c.id == ticket_id, may_move(action))
        .values(**moved_values(action, now, window_id=window_id, extra=extra)).returning(*tickets.c))
    row = result.mappings().first()
    if row is None:
        current = (await conn.execute(sa.select(tickets.c.number, tickets.c.status)
                                      .where(tickets.c.id == ticket_id))).first()
        if current is None:
            raise DomainError("ticket_not_found")
        raise DomainError("invalid_transition", number=current.number, status=current.status, action=action)
    return dict(row)


def may_move(action: str) -> Any:
    """SQL: the ticket is in a state `action` may start from (the condition of every move's UPDATE)."""
    return Ticket.__table__.c.status.in_(sorted(TRANSITIONS[action][0]))


def moved_values(action: str, now: datetime, *, window_id: int | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The columns a move by `action` sets."""
    _allowed, target, stamp = TRANSITIONS[action]
    values: dict[str, Any] = {"status": target}
    if stamp:
        values[stamp] = now
    if window_id is not None:
        values["window_id"] = window_id
    if action == "recall":
        values["recalls"] = Ticket.__table__.c.recalls + 1
    if action == "return":
        values.update(RETURNED)
    values.update(extra or {})
    return values

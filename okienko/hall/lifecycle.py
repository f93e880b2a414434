"""The ticket lifecycle: waiting → called (→ recalled) → serving → done | no_show | cancelled.

A transfer ends the visit at one window and puts the ticket, with its number, back to
waiting in another service's queue (recorded as a `transferred` event). Each transition is one
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
}
EVENT_KINDS = {"call": "called", "recall": "recalled", "start": "started", "finish": "finished",
               "no_show": "no_show", "transfer": "transferred", "cancel": "cancelled"}


async def transition_row(conn: AsyncConnection, ticket_id: str, action: str, now: datetime, *,
                         window_id: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move a ticket by `action`; returns the updated row (the caller records the event).

    Guarantees: a ticket moves only along the lifecycle, and two concurrent moves of one ticket
    cannot both succeed (the UPDATE is conditional on the state it starts from).
    """
    allowed, target, stamp = TRANSITIONS[action]
    tickets = Ticket.__table__
    values: dict[str, Any] = {"status": target}
    if stamp:
        values[stamp] = now
    if window_id is not None:
        values["window_id"] = window_id
    if action == "recall":
        values["recalls"] = tickets.c.recalls + 1
    values.update(extra or {})
    result = await conn.execute(
        sa.update(tickets).where(tickets.c.id == ticket_id, tickets.c.status.in_(sorted(allowed)))
        .values(**values).returning(*tickets.c))
    row = result.mappings().first()
    if row is None:
        current = (await conn.execute(sa.select(tickets.c.number, tickets.c.status)
                                      .where(tickets.c.id == ticket_id))).first()
        if current is None:
            raise DomainError("ticket_not_found")
        raise DomainError("invalid_transition", number=current.number, status=current.status, action=action)
    return dict(row)

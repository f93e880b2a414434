"""The ticket lifecycle: waiting → called (→ recalled) → serving → done | no_show | transferred | cancelled.

Each transition is one conditional UPDATE (it only happens from the states it may happen
from), recorded as an event with its moment. Anything else is `invalid_transition` (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.errors import DomainError
from booking_api.models import Ticket, TicketEvent

# action -> (states it may start from, state it leads to, timestamp column it sets)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "call": (frozenset({"waiting"}), "called", "called_at"),
    "recall": (frozenset({"called"}), "called", "called_at"),
    "start": (frozenset({"called"}), "serving", "started_at"),
    "finish": (frozenset({"serving"}), "done", "finished_at"),
    "no_show": (frozenset({"called"}), "no_show", "finished_at"),
    "transfer": (frozenset({"called", "serving"}), "transferred", "finished_at"),
    "cancel": (frozenset({"waiting", "called"}), "cancelled", "finished_at"),
}
EVENT_KINDS = {"call": "called", "recall": "recalled", "start": "started", "finish": "finished",
               "no_show": "no_show", "transfer": "transferred", "cancel": "cancelled"}


async def transition(conn: AsyncConnection, ticket_id: str, action: str, now: datetime, *,
                     window_id: int | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move a ticket by `action`; returns the updated row.

    Guarantees: a ticket moves only along the lifecycle, and two concurrent moves of one ticket
    cannot both succeed (the UPDATE is conditional on the state read by neither).
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
    await conn.execute(sa.insert(TicketEvent.__table__).values(
        office_id=row["office_id"], ticket_id=ticket_id, kind=EVENT_KINDS[action], at=now,
        service_id=row["service_id"], window_id=row["window_id"], detail=detail or {}))
    return dict(row)

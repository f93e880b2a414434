"""Recording events: the append-only facts boards and phones are built from.

Each event gets the office's next sequence number in the same transaction as the change it
records, so the order of sequence numbers is the order of commits. `record` returns the
events as they are published after commit (see live.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.office.hours import office_day
from okienko.storage.locking import read_counter, take_numbers
from okienko.storage.models import StaffSession, StaffToken, Ticket, TicketEvent, Window
from okienko.office.directory import OfficeSetup


def events_counter(office_id: int) -> str:
    return f"events/{office_id}"


async def record(conn: AsyncConnection, setup: OfficeSetup, rows: list[dict[str, Any]],
                 now: datetime) -> list[dict[str, Any]]:
    """Insert `rows` (ticket_id, kind, service_id, window_id, detail) with office-wide sequence
    numbers; returns the publishable events, each carrying the waiting counts it leaves behind."""
    if not rows:
        return []
    seqs = (await take_numbers(conn, {events_counter(setup.id): len(rows)}))[events_counter(setup.id)]
    stored = [{"office_id": setup.id, "at": now, "seq": seq, "window_id": None, "detail": {}, **row}
              for seq, row in zip(seqs, rows)]
    seated = await clerks_at_windows(conn, {row["window_id"] for row in stored if row["window_id"] is not None})
    for row in stored:
        row.setdefault("clerk_id", seated.get(row["window_id"]))
    await conn.execute(sa.insert(TicketEvent.__table__), stored)
    waiting = await waiting_counts(conn, setup, {row["service_id"] for row in stored if row.get("service_id")},
                                   office_day(setup, now))
    return [publishable(setup, row, waiting) for row in stored]


async def clerks_at_windows(conn: AsyncConnection, window_ids: set[int]) -> dict[int, int]:
    """Window id -> the user id of the staff account holding it (a console's session or a staff
    token), for the statistics per clerk; a window nobody holds is left out."""
    if not window_ids:
        return {}
    windows, sessions, tokens = Window.__table__, StaffSession.__table__, StaffToken.__table__
    joined = (windows.outerjoin(sessions, sessions.c.id == windows.c.clerk_session_id)
              .outerjoin(tokens, tokens.c.token_hash == windows.c.clerk_session_id))
    rows = await conn.execute(sa.select(windows.c.id, sa.func.coalesce(sessions.c.user_id, tokens.c.user_id))
                              .select_from(joined).where(windows.c.id.in_(sorted(window_ids)),
                                                         windows.c.clerk_session_id.is_not(None)))
    return {int(window_id): int(user_id) for window_id, user_id in rows if user_id is not None}


async def waiting_counts(conn: AsyncConnection, setup: OfficeSetup, service_ids: Iterable[int],
                         day: date) -> dict[str, int]:
    """Service code -> people waiting today, for the given services."""
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    tickets = Ticket.__table__
    counts = dict((await conn.execute(
        sa.select(tickets.c.service_id, sa.func.count())
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == day, tickets.c.status == "waiting",
               tickets.c.service_id.in_(ids))
        .group_by(tickets.c.service_id))).all())
    return {setup.service_by_id(i).code: int(counts.get(i, 0)) for i in ids}


def publishable(setup: OfficeSetup, row: dict[str, Any], waiting: dict[str, int]) -> dict[str, Any]:
    """The event as it travels between processes (the ticket id never reaches a board)."""
    window = setup.window_number(row.get("window_id"))
    service = setup.service_by_id(row["service_id"]).code if row.get("service_id") else None
    detail = dict(row.get("detail") or {})
    return {
        "office_id": setup.id, "seq": row["seq"], "kind": row["kind"], "at": row["at"].isoformat(),
        "ticket_id": row["ticket_id"], "number": detail.get("number"), "service": service, "window": window,
        "waiting": waiting, "detail": detail,
    }


async def current_seq(conn: AsyncConnection, office_id: int) -> int:
    return await read_counter(conn, events_counter(office_id))


async def events_after(conn: AsyncConnection, setup: OfficeSetup, seq: int, now: datetime,
                       limit: int = 500) -> list[dict[str, Any]]:
    """Events with a sequence number above `seq`, in order (to fill a gap in the live stream)."""
    events = TicketEvent.__table__
    rows = (await conn.execute(sa.select(events).where(events.c.office_id == setup.id, events.c.seq > seq)
                               .order_by(events.c.seq).limit(limit))).mappings().all()
    waiting = await waiting_counts(conn, setup, {row["service_id"] for row in rows if row["service_id"]},
                                   office_day(setup, now))
    return [publishable(setup, dict(row), waiting) for row in rows]

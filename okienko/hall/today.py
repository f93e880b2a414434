"""The office today, as a manager watches it: each queue (waiting, the longest wait, the wait a new
ticket would have, tickets issued and served), each window (open, paused or closed, its clerk and
the ticket in hand), the tickets left at a window whose clerk went away, and the devices that have
fallen silent.

Read only. The estimated wait is the kiosk's (status.service_statuses, from call-next's order), so
the back office and the kiosk never disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.status import ServiceStatus
from okienko.hall.stranded import left_behind
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.office.hours import office_day
from okienko.staff.devices import DeviceState, device_states
from okienko.storage.models import StaffSession, StaffToken, Ticket, User, Window


@dataclass(frozen=True)
class QueueToday:
    service: ServiceSetup
    waiting: int
    longest_wait_minutes: int
    estimated_wait_minutes: int
    issued: int
    served: int


@dataclass(frozen=True)
class WindowToday:
    number: str
    name: str
    state: str                      # "open" | "paused" | "closed" (nobody holds it)
    clerk: str | None               # the username of whoever holds it
    ticket_id: str | None           # the ticket called to or served there
    ticket_number: str | None


@dataclass(frozen=True)
class StrandedTicket:
    """A ticket called to (or served at) a window its clerk has left."""

    ticket_id: str
    number: str
    window: str
    called_at: datetime | None


@dataclass(frozen=True)
class Today:
    queues: list[QueueToday]
    windows: list[WindowToday]
    stranded: list[StrandedTicket]
    devices: list[DeviceState]


async def today(conn: AsyncConnection, setup: OfficeSetup, statuses: list[ServiceStatus], now: datetime) -> Today:
    """The office now; `statuses` are the hall's (front_door.Hall.statuses), for the wait estimate."""
    tickets = Ticket.__table__
    day = office_day(setup, now)
    oldest = dict((await conn.execute(
        sa.select(tickets.c.service_id, sa.func.min(tickets.c.queued_at))
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == day, tickets.c.status == "waiting")
        .group_by(tickets.c.service_id))).all())
    served = dict((await conn.execute(
        sa.select(tickets.c.service_id, sa.func.count())
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == day, tickets.c.status == "done")
        .group_by(tickets.c.service_id))).all())
    queues = []
    for status in statuses:
        first = oldest.get(status.service.id)
        longest = max(0, int((now - first).total_seconds() // 60)) if first else 0
        queues.append(QueueToday(status.service, status.waiting, longest, status.estimated_wait_minutes,
                                 status.issued_today, int(served.get(status.service.id, 0))))
    return Today(queues, await _windows(conn, setup, now), await _stranded(conn, setup, now),
                 await device_states(conn, setup.id, now))


async def _windows(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> list[WindowToday]:
    windows, tickets = Window.__table__, Ticket.__table__
    sessions, tokens, users = StaffSession.__table__, StaffToken.__table__, User.__table__
    # A window is held by a console's session or by a staff token's hash (front_door.Seat).
    by_session = sa.select(users.c.username).join(sessions, sessions.c.user_id == users.c.id)\
        .where(sessions.c.id == windows.c.clerk_session_id).scalar_subquery()
    by_token = sa.select(users.c.username).join(tokens, tokens.c.user_id == users.c.id)\
        .where(tokens.c.token_hash == windows.c.clerk_session_id).scalar_subquery()
    rows = (await conn.execute(
        sa.select(windows.c.id, windows.c.number, windows.c.name, windows.c.paused, windows.c.held_until,
                  windows.c.clerk_session_id, sa.func.coalesce(by_session, by_token).label("clerk"))
        .where(windows.c.office_id == setup.id, windows.c.active))).mappings().all()
    in_hand = {row["window_id"]: row for row in (await conn.execute(
        sa.select(tickets.c.id, tickets.c.number, tickets.c.window_id)
        .where(tickets.c.office_id == setup.id, tickets.c.status.in_(("called", "serving")))
        .order_by(tickets.c.called_at))).mappings().all()}
    order = {window.id: position for position, window in enumerate(setup.windows)}
    shown = []
    for row in sorted(rows, key=lambda r: order.get(r["id"], len(order))):
        held = row["clerk_session_id"] is not None and row["held_until"] is not None and row["held_until"] > now
        state = "closed" if not held else "paused" if row["paused"] else "open"
        ticket = in_hand.get(row["id"])
        shown.append(WindowToday(row["number"], row["name"] or "", state, row["clerk"] if held else None,
                                 ticket["id"] if ticket else None, ticket["number"] if ticket else None))
    return shown


async def _stranded(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> list[StrandedTicket]:
    tickets, windows = Ticket.__table__, Window.__table__
    rows = (await conn.execute(
        sa.select(tickets.c.id, tickets.c.number, windows.c.number.label("window"), tickets.c.called_at)
        .join(windows, windows.c.id == tickets.c.window_id)
        .where(tickets.c.office_id == setup.id, tickets.c.status.in_(("called", "serving")), left_behind(now))
        .order_by(tickets.c.called_at, tickets.c.id))).mappings().all()
    return [StrandedTicket(row["id"], row["number"], row["window"], row["called_at"]) for row in rows]

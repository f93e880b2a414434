"""What a clerk does at a window: call the next visitor, call again, serve, finish, transfer.

Call next takes the head of the window's call order (call_order.py: the same order the
visitor's "people ahead" and estimated wait are counted in): due booked visits, priority, the
window's own service order, then who joined the queue first.

Two clerks pressing at the same moment never receive the same ticket: on PostgreSQL the
candidate row is locked with FOR UPDATE SKIP LOCKED, on SQLite writers are serialised, and in
both the move is a conditional UPDATE that only succeeds from "waiting".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.call_order import CallOrder
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.hall.events import record
from okienko.office.hours import office_day
from okienko.hall.lifecycle import TRANSITIONS, transition_row
from okienko.hall.stranded import returned_event
from okienko.storage.models import Booking, Ticket, Window
from okienko.office.directory import OfficeSetup

@dataclass(frozen=True)
class Moved:
    """A ticket after a clerk's action, and the events to publish once committed."""

    ticket: dict[str, Any]
    events: list[dict[str, Any]]


def next_ticket_query(setup: OfficeSetup, window_id: int, now: datetime) -> Any:
    """The head of the window's call order (call_order.py), as one query (the row = the next visitor)."""
    window = next((w for w in setup.windows if w.id == window_id), None)
    services = window.service_ids if window else ()
    return CallOrder(setup, now).next_query(services, office_day(setup, now)).limit(1)


async def open_ticket_at(conn: AsyncConnection, window_id: int) -> dict[str, Any] | None:
    """The ticket called to or being served at this window, if any."""
    tickets = Ticket.__table__
    row = (await conn.execute(sa.select(tickets).where(tickets.c.window_id == window_id,
                                                       tickets.c.status.in_(("called", "serving")))
                              .order_by(tickets.c.called_at.desc()).limit(1))).mappings().first()
    return dict(row) if row else None


def can_mark_no_show(setup: OfficeSetup, ticket: dict[str, Any]) -> bool:
    """A called ticket may be marked as not present once it was called again often enough."""
    return ticket["status"] == "called" and ticket["recalls"] >= setup.recalls_before_no_show


@dataclass(frozen=True)
class QueueAtWindow:
    service_id: int
    waiting: int
    longest_wait_minutes: int


@dataclass(frozen=True)
class Desk:
    """What a clerk sees at a window: paused or not, the ticket in hand, the queues it serves, the
    booking the ticket in hand was checked in from (its person, to check against the document), and
    the waiting tickets in the order this window would call them (the first: call-next's)."""

    paused: bool
    current: dict[str, Any] | None
    queues: list[QueueAtWindow]
    booking: dict[str, Any] | None = None
    waiting: list[dict[str, Any]] = field(default_factory=list)


WAITING_SHOWN = 60   # the console lists this many waiting numbers at most (the counts say how many in all)
LEAVE_CHOICES = ("return", "no_show", "finish")


async def booking_of_ticket(conn: AsyncConnection, setup: OfficeSetup, ticket: dict[str, Any]) -> dict[str, Any] | None:
    """The booking a ticket was checked in from, or None for a walk-in ticket."""
    if ticket.get("appointment_at") is None:
        return None
    bookings = Booking.__table__
    # The booking's day is its slot's local day, the ticket's appointment: the (office, day) index finds it.
    row = (await conn.execute(sa.select(bookings).where(
        bookings.c.office_id == setup.id,
        bookings.c.office_day == office_day(setup, ticket["appointment_at"]),
        bookings.c.ticket_id == ticket["id"]))).mappings().first()
    return dict(row) if row else None


async def desk(conn: AsyncConnection, setup: OfficeSetup, window_id: int, now: datetime) -> Desk:
    tickets, windows = Ticket.__table__, Window.__table__
    window = next(w for w in setup.windows if w.id == window_id)
    rows = (await conn.execute(
        sa.select(tickets.c.service_id, sa.func.count(), sa.func.min(tickets.c.queued_at))
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == office_day(setup, now),
               tickets.c.status == "waiting", tickets.c.service_id.in_(window.service_ids))
        .group_by(tickets.c.service_id))).all()
    waiting = {service_id: (count, oldest) for service_id, count, oldest in rows}
    queues = []
    for service_id in window.service_ids:
        count, oldest = waiting.get(service_id, (0, None))
        minutes = int((now - oldest).total_seconds() // 60) if oldest else 0
        queues.append(QueueAtWindow(service_id, int(count), minutes))
    paused = (await conn.execute(sa.select(windows.c.paused).where(windows.c.id == window_id))).scalar()
    current = await open_ticket_at(conn, window_id)
    booking = await booking_of_ticket(conn, setup, current) if current else None
    return Desk(bool(paused), current, queues, booking, await waiting_in_order(conn, setup, window_id, now))


async def waiting_in_order(conn: AsyncConnection, setup: OfficeSetup, window_id: int, now: datetime,
                           limit: int = WAITING_SHOWN) -> list[dict[str, Any]]:
    """The tickets waiting for this window's services, in the order it calls them (call_order.py)."""
    tickets = Ticket.__table__
    query = next_ticket_query(setup, window_id, now).limit(limit).with_only_columns(
        tickets.c.number, tickets.c.service_id, tickets.c.priority, tickets.c.language, tickets.c.queued_at,
        tickets.c.appointment_at, tickets.c.called_at)
    return [dict(row) for row in (await conn.execute(query)).mappings().all()]


async def call_next(conn: AsyncConnection, setup: OfficeSetup, window_id: int, now: datetime) -> Moved | None:
    """Call the next visitor to `window_id`; None when nobody waits for its services.

    A ticket being served at the window is finished first; a ticket only called (not yet
    started) must be started or marked as not present before the next call.
    """
    current, events = await _hands_free(conn, setup, window_id, now)
    query = next_ticket_query(setup, window_id, now)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=Ticket.__table__, skip_locked=True)
    for _attempt in range(3):
        ticket_id = (await conn.execute(query)).scalar()
        if ticket_id is None:
            return Moved(current, events) if current and events else None
        try:
            called = await transition_row(conn, ticket_id, "call", now, window_id=window_id)
        except DomainError:
            continue  # taken between our read and our update; look again
        for finished in events:  # the call replaces it on every board: one message to boards, not two
            finished["for_boards"] = False
        events += await record(conn, setup, [_event(called, "call")], now)
        return Moved(called, events)
    raise DomainError("busy")


async def call_number(conn: AsyncConnection, setup: OfficeSetup, window_id: int, number: str,
                      now: datetime) -> Moved:
    """Call the waiting ticket `number` to `window_id` out of turn (the clerk picked it from the list);
    `not_waiting_here` unless it waits today in a queue this window serves. The ticket in hand is
    dealt with as by `call_next`."""
    tickets = Ticket.__table__
    window = next(w for w in setup.windows if w.id == window_id)
    ticket_id = (await conn.execute(sa.select(tickets.c.id).where(
        tickets.c.office_id == setup.id, tickets.c.office_day == office_day(setup, now),
        tickets.c.number == number.strip().upper(), tickets.c.status == "waiting",
        tickets.c.service_id.in_(window.service_ids)))).scalar()
    if ticket_id is None:
        raise DomainError("not_waiting_here", number=number, window=window.number)
    _current, events = await _hands_free(conn, setup, window_id, now)
    try:
        called = await transition_row(conn, ticket_id, "call", now, window_id=window_id)
    except DomainError:   # called by another window in the meantime
        raise DomainError("not_waiting_here", number=number, window=window.number) from None
    for finished in events:
        finished["for_boards"] = False
    events += await record(conn, setup, [_event(called, "call")], now)
    return Moved(called, events)


async def _hands_free(conn: AsyncConnection, setup: OfficeSetup, window_id: int,
                      now: datetime) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Before a call: a ticket being served at the window is finished (its events returned); one only
    called must be started or marked as not present first (`current_ticket_open`)."""
    current = await open_ticket_at(conn, window_id)
    if current and current["status"] == "called":
        raise DomainError("current_ticket_open", number=current["number"])
    if not current:
        return None, []
    finished = await transition_row(conn, current["id"], "finish", now)
    return current, await record(conn, setup, [_event(finished, "finish")], now)


async def settle_in_hand(conn: AsyncConnection, setup: OfficeSetup, window_id: int, choice: str | None,
                         now: datetime) -> list[dict[str, Any]]:
    """The ticket in hand at a window its clerk leaves: returned to its place, marked not present, or
    finished, as the clerk chose (`choice`); the events to publish. `ticket_in_hand` when there is one
    and no choice: a ticket is never left called to a window nobody sits at."""
    current = await open_ticket_at(conn, window_id)
    if current is None:
        return []
    if choice is None:
        raise DomainError("ticket_in_hand", number=current["number"], window=setup.window_number(window_id))
    if choice not in LEAVE_CHOICES:
        raise DomainError("malformed_request", detail=_("the field “ticket” must be “return”, “no_show” or “finish”"))
    return (await act(conn, setup, current["id"], choice, now, window_id=window_id)).events


async def act(conn: AsyncConnection, setup: OfficeSetup, ticket_id: str, action: str, now: datetime, *,
              window_id: int | None = None, service_code: str | None = None) -> Moved:
    """recall, start, finish, no_show, transfer or return one ticket (the clerk's buttons)."""
    if action not in TRANSITIONS or action == "call":
        raise DomainError("malformed_request", detail=action)
    current = await office_ticket(conn, setup, ticket_id)
    if window_id is not None and current["window_id"] != window_id and current["status"] != "waiting":
        raise DomainError("not_at_this_window", number=current["number"])
    if action == "no_show" and current["status"] == "called" and not can_mark_no_show(setup, current):
        raise DomainError("recall_first", number=current["number"], count=setup.recalls_before_no_show)
    extra: dict[str, Any] = {}
    if action == "transfer":
        if not service_code:
            raise DomainError("malformed_request", detail=_("the field “service” is required for a transfer"))
        target = setup.service(service_code)
        extra = {"service_id": target.id, "status": "waiting", "window_id": None, "called_at": None,
                 "started_at": None, "finished_at": None, "recalls": 0,
                 "queued_at": now if setup.transfer_position == "end" else current["issued_at"]}
        detail = {"from": setup.service_by_id(current["service_id"]).code, "to": target.code}
    else:
        detail = {}
    moved = await transition_row(conn, ticket_id, action, now, extra=extra)
    if action == "return":   # at its place in its own queue, to be called anew
        event = returned_event(moved, current["window_id"], "clerk")
    else:
        event = _event(moved, action, detail, window_id=current["window_id"])
    events = await record(conn, setup, [event], now)
    return Moved(moved, events)


async def office_ticket(conn: AsyncConnection, setup: OfficeSetup, ticket_id: str) -> dict[str, Any]:
    """The office's ticket with this id; `ticket_not_found` otherwise."""
    tickets = Ticket.__table__
    row = (await conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id,
                                                       tickets.c.office_id == setup.id))).mappings().first()
    if row is None:
        raise DomainError("ticket_not_found")
    return dict(row)


def _event(ticket: dict[str, Any], action: str, detail: dict[str, Any] | None = None, *,
           window_id: int | None = None) -> dict[str, Any]:
    from okienko.hall.lifecycle import EVENT_KINDS

    return {"ticket_id": ticket["id"], "kind": EVENT_KINDS[action], "service_id": ticket["service_id"],
            "window_id": window_id if window_id is not None else ticket["window_id"],
            "detail": {"number": ticket["number"], **(detail or {})}}

"""What the back office's edits read of the hall (okienko/office/editing.py): people waiting, who
sits at which window and with which ticket, and the office's notices; and the lock that makes edits of
one office take turns."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.events import record
from okienko.hall.lifecycle import transition_row
from okienko.office.audit import read_changes
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.office.notices import clean_notices, ticker_text
from okienko.storage.models import Office, Service, StaffSession, StaffToken, Ticket, User, Window

AT_WINDOW = ("called", "serving")


async def lock_office(conn: AsyncConnection, office_id: int) -> None:
    """One edit of an office at a time (PostgreSQL: the office's row; SQLite has one writer anyway):
    each reads the set-up the previous one left."""
    offices = Office.__table__
    await conn.execute(sa.select(offices.c.id).where(offices.c.id == office_id).with_for_update())


async def stored_notices(conn: AsyncConnection, office_id: int) -> dict[str, dict[str, str]]:
    offices = Office.__table__
    raw = (await conn.execute(sa.select(offices.c.notices).where(offices.c.id == office_id))).scalar()
    if isinstance(raw, str):
        raw = json.loads(raw or "{}")
    return clean_notices(raw or {})


async def waiting_per_service(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> dict[str, int]:
    """People waiting today per service code (switched-off services too)."""
    tickets, services = Ticket.__table__, Service.__table__
    rows = await conn.execute(
        sa.select(services.c.code, sa.func.count()).join(tickets, tickets.c.service_id == services.c.id)
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == office_day(setup, now),
               tickets.c.status == "waiting").group_by(services.c.code))
    return {code: int(count) for code, count in rows.all()}


async def cancel_waiting(conn: AsyncConnection, setup: OfficeSetup, code: str,
                          now: datetime) -> list[dict[str, Any]]:
    """Cancel today's waiting tickets of a service being switched off; their events to publish."""
    tickets, services = Ticket.__table__, Service.__table__
    service_id = (await conn.execute(sa.select(services.c.id).where(services.c.office_id == setup.id,
                                                                    services.c.code == code))).scalar_one()
    waiting = (await conn.execute(sa.select(tickets.c.id).where(
        tickets.c.office_id == setup.id, tickets.c.office_day == office_day(setup, now),
        tickets.c.service_id == service_id, tickets.c.status == "waiting"))).scalars().all()
    rows = []
    for ticket_id in waiting:
        moved = await transition_row(conn, ticket_id, "cancel", now)
        rows.append({"ticket_id": ticket_id, "kind": "cancelled", "service_id": service_id,
                     "detail": {"number": moved["number"], "reason": "service_switched_off"}})
    return await record(conn, setup, rows, now)


async def at_windows(conn: AsyncConnection, office_id: int, now: datetime,
                      tickets_only: bool = False) -> dict[str, dict[str, Any]]:
    """Window number -> the clerk holding it now (user name) and the ticket called or served there."""
    windows, tickets = Window.__table__, Ticket.__table__
    found: dict[str, dict[str, Any]] = {}
    rows = await conn.execute(
        sa.select(windows.c.number, tickets.c.id, tickets.c.number.label("ticket"), tickets.c.status)
        .join(tickets, tickets.c.window_id == windows.c.id)
        .where(windows.c.office_id == office_id, tickets.c.status.in_(AT_WINDOW)))
    for number, ticket_id, ticket, status in rows.all():
        found.setdefault(number, {})["ticket"] = {"id": ticket_id, "number": ticket, "status": status}
    if tickets_only:
        return found
    users, sessions, tokens = User.__table__, StaffSession.__table__, StaffToken.__table__
    for link in (sessions.c.id, tokens.c.token_hash):
        holders = await conn.execute(
            sa.select(windows.c.number, users.c.username)
            .join(link.table, link == windows.c.clerk_session_id)
            .join(users, users.c.id == link.table.c.user_id)
            .where(windows.c.office_id == office_id, windows.c.held_until > now))
        for number, username in holders.all():
            found.setdefault(number, {})["clerk"] = username
    return found


async def windows_when_switched_off(conn: AsyncConnection, office_id: int, code: str) -> list[str]:
    changes = await read_changes(conn, office_id, action="service.switch_off", limit=50)
    for change in changes:
        if change.target == code and isinstance(change.before, dict):
            return [str(number) for number in change.before.get("windows", [])]
    return []


async def record_set_up_changed(conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                                kind: str = "setup") -> list[dict[str, Any]]:
    """Record the live event that the office's set-up (`setup`) or the board's line (`ticker`) changed,
    in the change's transaction; publish what it returns after the commit. Kiosks (/ws/kiosk), boards
    and consoles (/ws/board) read the set-up again when it arrives. Carries the notices as they are now."""
    notices = await stored_notices(conn, setup.id)
    return await record(conn, setup, [{"ticket_id": None, "kind": kind, "service_id": None, "detail": {
        "text": ticker_text(notices, setup.default_language, setup.default_language),
        "tickers": notices.get("ticker", {}), "kiosk": notices.get("kiosk", {})}}], now)

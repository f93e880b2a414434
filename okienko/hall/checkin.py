"""On the day: a booking's code, typed or scanned at the kiosk, becomes a ticket called at its slot.

The ticket belongs to the booking's service, carries the slot's start as `appointment_at`, and
call-next serves it from `call_booked_minutes_before` the slot (see call_order.py). A booking is
checked in once: the conditional UPDATE from "confirmed" and the ticket are one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from babel.dates import format_time
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.bookings import normalise_code, record
from okienko.errors import DomainError
from okienko.office.hours import office_day
from okienko.storage.models import Booking, IdempotencyKey, Ticket
from okienko.office.directory import OfficeSetup
from okienko.hall.call_order import place_in_queue
from okienko.hall.queueing import IssuedTicket, TicketRequest, issue_batch


async def check_in(conn: AsyncConnection, setup: OfficeSetup, code: str, *, now: datetime, language: str,
                   device_id: int | None, minutes_per_visit: dict[int, float],
                   staffed: frozenset[int], idempotency_key: str | None = None,
                   ) -> tuple[IssuedTicket, list[dict[str, Any]], dict[str, Any]]:
    """Turn the booking with `code` into a ticket; returns the ticket, its events and the booking.

    The kiosk asking again with the same `idempotency_key` (its first answer was lost) gets the same
    ticket, `replayed`; refuses with `booking_not_found`, `booking_not_active` (cancelled, expired, missed),
    `already_checked_in`, `check_in_wrong_day`, `check_in_too_early` or `check_in_too_late`.
    """
    table = Booking.__table__
    booking = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id,
                                                         table.c.code == normalise_code(code)))).mappings().first()
    if booking is None:
        raise DomainError("booking_not_found")
    if booking["status"] == "checked_in":
        ticket = (await conn.execute(sa.select(Ticket.__table__)
                                     .where(Ticket.__table__.c.id == booking["ticket_id"]))).mappings().first()
        if ticket is not None and await _retried(conn, ticket["id"], device_id, idempotency_key):
            service = setup.service_by_id(ticket["service_id"])
            spot = await place_in_queue(conn, setup, ticket, now, minutes_per_visit, staffed)
            return IssuedTicket(dict(ticket), service, spot.people_ahead, spot.estimated_wait_minutes, replayed=True,
                                expected_at=spot.expected_at), [], dict(booking)
        raise DomainError("already_checked_in", number=ticket["number"] if ticket else "")
    if booking["status"] != "confirmed":
        raise DomainError("booking_not_active")
    local = booking["starts_at"].astimezone(setup.timezone)
    opens, closes = setup.booking_policy.check_in_window(booking["starts_at"])
    if office_day(setup, booking["starts_at"]) != office_day(setup, now) and now < opens:
        raise DomainError("check_in_wrong_day", day=local.date(),
                          time=format_time(local, "HH:mm", locale=language))
    if now < opens:
        raise DomainError("check_in_too_early", time=format_time(local, "HH:mm", locale=language),
                          opens=format_time(opens.astimezone(setup.timezone), "HH:mm", locale=language))
    if now > closes:
        raise DomainError("check_in_too_late", time=format_time(local, "HH:mm", locale=language))
    service = setup.service_by_id(booking["service_id"])
    request = TicketRequest(service_code=service.code, language=language, device_id=device_id,
                            idempotency_key=idempotency_key, appointment_at=booking["starts_at"])
    outcomes, events = await issue_batch(conn, setup, [request], now, minutes_per_visit, staffed)
    issued = outcomes[0]
    if isinstance(issued, DomainError):
        raise issued
    done = await conn.execute(sa.update(table).where(table.c.id == booking["id"], table.c.status == "confirmed")
                              .values(status="checked_in", ticket_id=issued.ticket["id"], ended_at=now))
    if done.rowcount != 1:
        raise DomainError("booking_not_active")
    await record(conn, dict(booking), "checked_in", now, ticket=issued.ticket["number"])
    return issued, events, dict(booking)



async def _retried(conn: AsyncConnection, ticket_id: str, device_id: int | None, key: str | None) -> bool:
    """The same kiosk asking again with the key it checked the booking in with: its answer was lost."""
    if key is None or device_id is None:
        return False
    keys = IdempotencyKey.__table__
    found = await conn.execute(sa.select(keys.c.ticket_id).where(keys.c.device_id == device_id, keys.c.key == key))
    return found.scalar() == ticket_id

"""A walk-in's mobile number for an SMS when its turn is near and when it is called (the texts and
when they go: okienko/notify/ticket_sms.py).

Guarantees:
- a ticket has at most one number (UNIQUE on `ticket_id`); it may be given only while the ticket
  waits, and at most MAX_TIMES_SET times, so a ticket's secret cannot be used to send the office's
  SMS to number after number;
- each SMS goes at most once per ticket: its flag (`near_sent_at`, `called_sent_at`) is set by a
  conditional UPDATE in the same transaction that writes the message to the outbox, so of two
  writers only one writes it, and a rolled-back change leaves neither flag nor message;
- removing the number blanks it and keeps the row, so adding one again sends nothing twice;
- the number is personal data: it is never logged, and `erase_ended_days` deletes it (with the
  recipient of its messages in the outbox) once the ticket's office day is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.storage.locking import upsert_insert
from okienko.storage.models import OutboxMessage, Ticket, TicketPhone

MAX_TIMES_SET = 3   # numbers a ticket may be given (a typo corrected, a second phone): no more
SENT_FLAGS = {"near": ("near_sent_at", "near_message_id"), "called": ("called_sent_at", "called_message_id")}


@dataclass(frozen=True)
class PhoneState:
    """What the visitor is shown of their number: the number ('' when none) and what was sent."""

    phone: str
    near_sent: bool
    called_sent: bool


async def phone_state(conn: AsyncConnection, ticket_id: str) -> PhoneState:
    """The ticket's number and which SMS went (no number: '', nothing sent)."""
    phones = TicketPhone.__table__
    row = (await conn.execute(sa.select(phones.c.phone, phones.c.near_sent_at, phones.c.called_sent_at)
                              .where(phones.c.ticket_id == ticket_id))).first()
    if row is None:
        return PhoneState("", False, False)
    return PhoneState(row.phone, row.near_sent_at is not None, row.called_sent_at is not None)


async def set_phone(conn: AsyncConnection, setup: OfficeSetup, ticket: dict[str, Any], phone: str,
                    now: datetime) -> None:
    """Give the waiting ticket this (checked) number, replacing one given before: `ticket_not_waiting`
    once it was called or ended, `too_many_phone_changes` past MAX_TIMES_SET numbers."""
    tickets, phones = Ticket.__table__, TicketPhone.__table__
    status = (await conn.execute(sa.select(tickets.c.status).where(tickets.c.id == ticket["id"]))).scalar()
    if status != "waiting":
        raise DomainError("ticket_not_waiting", number=ticket["number"])
    inserted = (await conn.execute(upsert_insert(conn)(phones).values(
        ticket_id=ticket["id"], office_id=setup.id, office_day=ticket["office_day"], phone=phone, times_set=1,
        added_at=now).on_conflict_do_nothing().returning(phones.c.id))).scalar()
    if inserted is not None:
        return
    changed = await conn.execute(sa.update(phones).where(phones.c.ticket_id == ticket["id"],
                                                         phones.c.times_set < MAX_TIMES_SET)
                                 .values(phone=phone, times_set=phones.c.times_set + 1, added_at=now))
    if changed.rowcount != 1:
        raise DomainError("too_many_phone_changes", count=MAX_TIMES_SET)


async def remove_phone(conn: AsyncConnection, ticket_id: str) -> bool:
    """Forget the ticket's number (its row stays: see the module); False when it had none."""
    phones = TicketPhone.__table__
    changed = await conn.execute(sa.update(phones).where(phones.c.ticket_id == ticket_id, phones.c.phone != "")
                                 .values(phone=""))
    return changed.rowcount == 1


async def awaiting_sms(conn: AsyncConnection, setup: OfficeSetup, day: date) -> list[dict[str, Any]]:
    """The day's tickets with a number and an SMS still to come (waiting or called), each the ticket's
    row plus `phone`, `near_sent_at` and `called_sent_at`."""
    tickets, phones = Ticket.__table__, TicketPhone.__table__
    rows = await conn.execute(
        sa.select(tickets, phones.c.phone, phones.c.near_sent_at, phones.c.called_sent_at)
        .join(tickets, tickets.c.id == phones.c.ticket_id)
        .where(phones.c.office_id == setup.id, phones.c.office_day == day, phones.c.phone != "",
               sa.or_(phones.c.near_sent_at.is_(None), phones.c.called_sent_at.is_(None)),
               tickets.c.status.in_(("waiting", "called"))))
    return [dict(row) for row in rows.mappings().all()]


async def claim(conn: AsyncConnection, ticket_id: str, which: str, now: datetime) -> str | None:
    """Take the right to write the ticket's `which` SMS ("near" or "called"): its number, or None when
    it went already (or the number was removed meanwhile)."""
    phones = TicketPhone.__table__
    flag, _message = SENT_FLAGS[which]
    phone = (await conn.execute(sa.update(phones).where(phones.c.ticket_id == ticket_id, phones.c[flag].is_(None),
                                                        phones.c.phone != "")
                                .values({flag: now}).returning(phones.c.phone))).scalar()
    return phone


async def note_message(conn: AsyncConnection, ticket_id: str, which: str, message_id: str) -> None:
    """Keep the outbox message of the ticket's `which` SMS (so erasing the number reaches it too)."""
    phones = TicketPhone.__table__
    await conn.execute(sa.update(phones).where(phones.c.ticket_id == ticket_id)
                       .values({SENT_FLAGS[which][1]: message_id}))


async def erase_ended_days(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> int:
    """Delete the numbers of tickets whose office day is over (GDPR: they were given for that day's
    SMS only), with the recipient of their SMS in the outbox: one not sent yet is dropped (it would
    come a day late), one sent keeps its text and delivery report but not the number. Returns how
    many numbers were erased."""
    phones, outbox = TicketPhone.__table__, OutboxMessage.__table__
    ended = sa.and_(phones.c.office_id == setup.id, phones.c.office_day < office_day(setup, now))
    rows = (await conn.execute(sa.select(phones.c.id, phones.c.near_message_id, phones.c.called_message_id)
                               .where(ended))).all()
    if not rows:
        return 0
    messages = [message for row in rows for message in (row.near_message_id, row.called_message_id) if message]
    if messages:
        await conn.execute(sa.delete(outbox).where(outbox.c.id.in_(messages), outbox.c.sent_at.is_(None)))
        await conn.execute(sa.update(outbox).where(outbox.c.id.in_(messages)).values(recipient=""))
    await conn.execute(sa.delete(phones).where(phones.c.id.in_([row.id for row in rows])))
    return len(rows)

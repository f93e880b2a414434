"""Old tickets archived, never deleted: a day's tickets and their events move from the hot tables
(`tickets`, `ticket_events`, which every call and every board reads) into `archived_tickets` and
`archived_ticket_events` once the day is `archive_after_days` old. Statistics read both
(figures.day_events), and a day's summary is made before its tickets move, so a report of an
archived month is the same as before.

What goes with them: the link from a booking to the ticket it was checked in as is kept in the
archived ticket (`booking_id`; `bookings.ticket_id` is cleared, as nothing may point into the hot
table at a row no longer there); the print jobs of those tickets (the slip's bytes, printed long
ago) and the kiosks' idempotency keys (a retry window of seconds) are dropped; a visitor's phone
number was erased when the day ended (ticket_phones.erase_ended_days, which runs here first too).

`okienko archive` runs it for every office; each day moves in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.ticket_phones import erase_ended_days
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.stats.day_summary import days_without_summary, keep_summary, make_summary
from okienko.storage.locking import Locks
from okienko.storage.models import (ArchivedTicket, ArchivedTicketEvent, Booking, IdempotencyKey, PrintJob, Ticket,
                                    TicketEvent)


@dataclass(frozen=True)
class Archived:
    days: int
    tickets: int
    events: int
    summaries_made: int


def archive_before(setup: OfficeSetup, now: datetime, keep_days: int) -> date:
    """The first office day that stays in the hot tables."""
    return office_day(setup, now) - timedelta(days=max(1, keep_days))


async def days_to_archive(conn: AsyncConnection, office_id: int, before: date) -> list[date]:
    tickets = Ticket.__table__
    return sorted((await conn.execute(sa.select(tickets.c.office_day).where(
        tickets.c.office_id == office_id, tickets.c.office_day < before).distinct())).scalars())


async def archive_day(conn: AsyncConnection, office_id: int, day: date) -> tuple[int, int]:
    """Move the office's tickets of `day` and their events into the archive tables (copied, then
    taken out of the hot ones, in the caller's transaction); (tickets, events) moved."""
    tickets, events, bookings = Ticket.__table__, TicketEvent.__table__, Booking.__table__
    old_tickets, old_events = ArchivedTicket.__table__, ArchivedTicketEvent.__table__
    of_day = sa.select(tickets.c.id).where(tickets.c.office_id == office_id, tickets.c.office_day == day)
    booking_of = (sa.select(bookings.c.id).where(bookings.c.ticket_id == tickets.c.id)
                  .limit(1).scalar_subquery())
    ticket_columns = [column.name for column in tickets.columns]
    moved = await conn.execute(sa.insert(old_tickets).from_select(
        [*ticket_columns, "booking_id"],
        sa.select(*(tickets.c[name] for name in ticket_columns), booking_of)
        .where(tickets.c.office_id == office_id, tickets.c.office_day == day)))
    event_columns = [column.name for column in events.columns]
    moved_events = await conn.execute(sa.insert(old_events).from_select(
        event_columns, sa.select(*(events.c[name] for name in event_columns)).where(events.c.ticket_id.in_(of_day))))
    await conn.execute(sa.update(bookings).where(bookings.c.ticket_id.in_(of_day)).values(ticket_id=None))
    for table in (PrintJob.__table__, IdempotencyKey.__table__):
        await conn.execute(sa.delete(table).where(table.c.ticket_id.in_(of_day)))
    await conn.execute(sa.delete(events).where(events.c.ticket_id.in_(of_day)))
    await conn.execute(sa.delete(tickets).where(tickets.c.office_id == office_id, tickets.c.office_day == day))
    return moved.rowcount or 0, moved_events.rowcount or 0


async def archive_office(locks: Locks, setup: OfficeSetup, now: datetime, keep_days: int) -> Archived:
    """Archive the office's tickets of the days older than `keep_days`: their personal data erased
    and the summary of every day that is over made first, then each day moved in a transaction of its own (a crash
    leaves whole days moved or not)."""
    before = archive_before(setup, now, keep_days)
    async with locks.write_transaction() as conn:
        await erase_ended_days(conn, setup, now)
    # Every day that is over, not only those moved: run nightly, this makes yesterday's summary, so
    # that nobody waits for a month's replay in the back office. Each day replayed in a read, kept in a
    # short write of its own: a first run over years of history never holds the hall's writers up.
    async with locks.db.read() as conn:
        missing = await days_without_summary(conn, setup.id, office_day(setup, now))
    for day in missing:
        async with locks.db.read() as conn:
            summary = await make_summary(conn, setup.id, setup.timezone, day)
        async with locks.write_transaction() as conn:
            await keep_summary(conn, setup.id, summary, now)
    async with locks.db.read() as conn:
        days = await days_to_archive(conn, setup.id, before)
    tickets = events = 0
    for day in days:
        async with locks.write_transaction() as conn:
            moved, moved_events = await archive_day(conn, setup.id, day)
        tickets, events = tickets + moved, events + moved_events
    return Archived(len(days), tickets, events, len(missing))

"""Reminders before a visit: written to the outbox once per booking and reminder, never in quiet hours.

Guarantees:
- each reminder of the office's `reminders` (hours before the visit) is written at most once per
  booking and visit time, however many server processes sweep: the row in `booking_reminders` is
  inserted with ON CONFLICT DO NOTHING under a UNIQUE constraint, and only the process whose insert
  took writes the message;
- a reminder that falls in the office's quiet hours goes when they end; one that would then come
  less than an hour before the visit (or after its start) is skipped;
- only confirmed bookings are reminded, for their current time: a cancelled booking gets none, a
  moved one gets reminders for its new time (its rows are per visit time), and none whose moment
  passed before the booking was made or moved (the person has just been told);
- after a pause (a server stopped) only the latest due reminder of a visit goes, not a burst.

A reminder carries a working manage link although secrets are stored hashed: it gets a new secret
whose hash replaces the booking's (as a day closed by the office does, okienko/office/cut_off.py). The
newest message's link is then the one that works; earlier links stop working, so fewer live
secrets sit in old mailboxes. The email says so.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.bookings import digest
from okienko.booking.rules import BookingPolicy, quiet_span
from okienko.clock import Clock
from okienko.logs import loggable
from okienko.notify.booking_mail import Notifier
from okienko.office.directory import OfficeDirectory, OfficeSetup
from okienko.storage.db import Database
from okienko.storage.locking import Locks, upsert_insert
from okienko.storage.models import Booking, BookingEvent, BookingReminder, Office

log = logging.getLogger("okienko.reminders")
# A reminder arriving later than this before the visit is no longer worth sending.
LATEST_BEFORE_VISIT = timedelta(hours=1)


def in_quiet_hours(policy: BookingPolicy, moment: datetime, tz: ZoneInfo) -> bool:
    """Whether `moment` falls in the office's quiet hours (office-local wall time)."""
    span = quiet_span(policy.quiet_hours)
    if span is None:
        return False
    local = moment.astimezone(tz)
    minute = local.hour * 60 + local.minute
    start, end = span
    return start <= minute < end if start < end else minute >= start or minute < end


def after_quiet_hours(policy: BookingPolicy, moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(policy, moment, tz):
        return moment
    span = quiet_span(policy.quiet_hours)
    assert span is not None
    local = moment.astimezone(tz)
    day = local.date()
    if local.hour * 60 + local.minute >= span[1]:   # evening side of quiet hours that pass midnight
        day += timedelta(days=1)
    end = datetime.combine(day, time(span[1] // 60, span[1] % 60), tzinfo=tz)
    return end.astimezone(moment.tzinfo)


def reminder_moment(policy: BookingPolicy, starts_at: datetime, hours: int, tz: ZoneInfo) -> datetime | None:
    """When the reminder `hours` before a visit at `starts_at` goes: out of quiet hours, and never
    later than an hour before the visit (None: that reminder is skipped)."""
    moment = after_quiet_hours(policy, starts_at - timedelta(hours=hours), tz)
    return moment if moment <= starts_at - LATEST_BEFORE_VISIT else None


async def write_due_reminders(conn: AsyncConnection, setup: OfficeSetup, notifier: Notifier,
                              now: datetime) -> int:
    """Write the office's reminders due at `now` to the outbox (in the caller's transaction);
    returns how many were written. Safe to run in several processes at once (see the module)."""
    policy = setup.booking_policy
    if not policy.reminders or in_quiet_hours(policy, now, setup.timezone):
        return 0
    table = Booking.__table__
    bookings = (await conn.execute(sa.select(table).where(
        table.c.office_id == setup.id, table.c.status == "confirmed",
        table.c.starts_at >= now + LATEST_BEFORE_VISIT,
        table.c.starts_at <= now + timedelta(hours=max(policy.reminders))))).mappings().all()
    if not bookings:
        return 0
    ids = [booking["id"] for booking in bookings]
    reminders = BookingReminder.__table__
    written = {(row.booking_id, row.starts_at, row.hours) for row in (await conn.execute(
        sa.select(reminders.c.booking_id, reminders.c.starts_at, reminders.c.hours)
        .where(reminders.c.booking_id.in_(ids)))).all()}
    events = BookingEvent.__table__
    moved = dict((await conn.execute(
        sa.select(events.c.booking_id, sa.func.max(events.c.at)).where(
            events.c.booking_id.in_(ids), events.c.kind == "moved").group_by(events.c.booking_id))).all())
    count = 0
    for booking in bookings:
        told_at = max(filter(None, (booking["confirmed_at"], moved.get(booking["id"]))), default=now)
        due = [hours for hours in policy.reminders
               if (moment := reminder_moment(policy, booking["starts_at"], hours, setup.timezone)) is not None
               and told_at < moment <= now and (booking["id"], booking["starts_at"], hours) not in written]
        if due and await _remind(conn, setup, notifier, dict(booking), sorted(due), now):
            count += 1
    return count


async def _remind(conn: AsyncConnection, setup: OfficeSetup, notifier: Notifier, booking: dict[str, Any],
                  due: list[int], now: datetime) -> bool:
    """Claim the due reminders' rows; the process that claims the nearest one writes its message."""
    reminders = BookingReminder.__table__
    insert = upsert_insert(conn)
    claimed = []
    for hours in due:   # the earlier ones are recorded as passed over: only the latest goes
        row = (await conn.execute(insert(reminders).values(
            booking_id=booking["id"], starts_at=booking["starts_at"], hours=hours, written_at=now)
            .on_conflict_do_nothing().returning(reminders.c.id))).scalar()
        if row is not None:
            claimed.append((hours, row))
    if not claimed or claimed[0][0] != due[0]:
        return False
    secret = secrets.token_urlsafe(24)
    table = Booking.__table__
    # Only while the booking is still confirmed for this time: a cancel or move that committed since
    # it was read gets no stale reminder.
    changed = await conn.execute(sa.update(table).where(
        table.c.id == booking["id"], table.c.status == "confirmed", table.c.starts_at == booking["starts_at"])
        .values(secret_hash=digest(secret)))
    if changed.rowcount != 1:
        return False
    service = setup.service_by_id(booking["service_id"])
    message_id = await notifier.reminder(conn, setup, service, booking, secret, now)
    await conn.execute(sa.update(reminders).where(reminders.c.id == claimed[0][1]).values(message_id=message_id))
    return True


class ReminderSweeper:
    """Runs `write_due_reminders` for every office, in every server process."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, notifier: Notifier,
                 written: Callable[[], None] | None = None) -> None:
        self.db, self.locks, self.clock, self.offices, self.notifier = db, locks, clock, offices, notifier
        self.written = written or (lambda: None)

    async def sweep(self) -> int:
        """Write every office's due reminders; returns how many (the outbox is woken when any)."""
        async with self.db.read() as conn:
            codes = (await conn.execute(sa.select(Office.__table__.c.code))).scalars().all()
        total = 0
        for code in codes:
            setup = await self.offices.get(code)
            async with self.locks.write_transaction() as conn:
                total += await write_due_reminders(conn, setup, self.notifier, self.clock.now())
        if total:
            self.written()
        return total

    async def run(self, every_seconds: float = 60.0) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as error:  # keep sweeping after a database hiccup
                log.warning("reminder sweep failed: %s", loggable(error))
            await asyncio.sleep(every_seconds)

"""The transactional outbox: notifications are rows written with the change they report.

A booking's code, confirmation, move or cancellation is written to `outbox_messages` in the
same transaction as the booking itself, so a message exists exactly when the change does (none
lost on a crash, none for a change rolled back). The sender, running in every server process,
claims a due message with a conditional UPDATE (so two processes never take the same one), sends
it, and marks it sent; a failure is retried with growing pauses. The message id is the email's
Message-ID, so in the rare crash between sending and marking, a mail client sees a repeat as one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.clock import Clock
from booking_api.db import Database
from booking_api.locking import Locks
from booking_api.models import OutboxMessage

log = logging.getLogger("okienko.outbox")
CLAIM_SECONDS = 120
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Message:
    id: str
    channel: str
    recipient: str
    subject: str
    body: str
    calendar: bytes | None = None
    calendar_method: str | None = None


class Transport(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver or raise; raising leaves the message for a later attempt."""


async def enqueue(conn: AsyncConnection, *, office_id: int, channel: str, recipient: str, body: str, now: datetime,
                  subject: str = "", calendar: bytes | None = None, calendar_method: str | None = None) -> str:
    """Write a message inside the caller's transaction; it is sent once that transaction commits."""
    message_id = secrets.token_hex(16)
    await conn.execute(sa.insert(OutboxMessage.__table__).values(
        id=message_id, office_id=office_id, channel=channel, recipient=recipient, subject=subject[:300], body=body,
        calendar=calendar, calendar_method=calendar_method, created_at=now, next_attempt_at=now, attempts=0))
    return message_id


class OutboxSender:
    """Sends due messages through the transports, one claim at a time."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, transports: dict[str, Transport],
                 poll_seconds: float = 5.0) -> None:
        self.db = db
        self.locks = locks
        self.clock = clock
        self.transports = transports
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now (called after a commit that wrote a message)."""
        self._wake.set()

    async def deliver_due(self, limit: int = 50) -> int:
        """Send what is due; returns how many messages went out."""
        sent = 0
        for _ in range(limit):
            message = await self._claim()
            if message is None:
                break
            sent += await self._send(message)
        return sent

    async def _claim(self) -> Message | None:
        table = OutboxMessage.__table__
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            row = (await conn.execute(
                sa.select(table).where(table.c.sent_at.is_(None), table.c.next_attempt_at <= now,
                                       table.c.attempts < MAX_ATTEMPTS,
                                       sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
                .order_by(table.c.next_attempt_at).limit(1))).mappings().first()
            if row is None:
                return None
            claimed = await conn.execute(
                sa.update(table).where(table.c.id == row["id"], table.c.sent_at.is_(None),
                                       sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
                .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=table.c.attempts + 1))
            if claimed.rowcount != 1:
                return None
        return _message(row)

    async def _send(self, message: Message) -> int:
        table = OutboxMessage.__table__
        transport = self.transports.get(message.channel)
        error: str | None = None
        if transport is None:
            error = f"no {message.channel} transport configured"
        else:
            try:
                await transport.send(message)
            except Exception as failure:  # any failure is retried later, never lost
                error = f"{type(failure).__name__}: {failure}"[:300]
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            if error is None:
                await conn.execute(sa.update(table).where(table.c.id == message.id)
                                   .values(sent_at=now, claimed_until=None, last_error=None))
                return 1
            attempts = (await conn.execute(sa.select(table.c.attempts).where(table.c.id == message.id))).scalar_one()
            pause = timedelta(seconds=min(3600, 15 * 2 ** min(attempts, 8)))
            await conn.execute(sa.update(table).where(table.c.id == message.id)
                               .values(claimed_until=None, last_error=error, next_attempt_at=now + pause))
        log.warning("outbox message %s not sent (attempt %s): %s", message.id, attempts, error)
        return 0

    async def run(self) -> None:
        """Deliver forever: at once when woken, else every `poll_seconds`."""
        while True:
            try:
                await self.deliver_due()
            except Exception as error:  # the database may be away for a moment; keep going
                log.warning("outbox round failed: %s", error)
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()


def _message(row: Any) -> Message:
    return Message(id=row["id"], channel=row["channel"], recipient=row["recipient"], subject=row["subject"],
                   body=row["body"], calendar=row["calendar"], calendar_method=row["calendar_method"])

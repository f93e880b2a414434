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

from okienko.clock import Clock
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.logs import loggable
from okienko.storage.models import OutboxMessage

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
    created_at: datetime | None = None   # the email's Date: when the change it reports happened


class Transport(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver or raise; raising leaves the message for a later attempt."""


async def enqueue(conn: AsyncConnection, *, office_id: int, channel: str, recipient: str, body: str, now: datetime,
                  subject: str = "", calendar: bytes | None = None, calendar_method: str | None = None) -> str:
    """Write a message inside the caller's transaction; it is sent once that transaction commits."""
    if not recipient:   # a caller booked by phone without an email address: nothing goes by email
        return ""
    message_id = secrets.token_hex(16)
    await conn.execute(sa.insert(OutboxMessage.__table__).values(
        id=message_id, office_id=office_id, channel=channel, recipient=recipient, subject=subject[:300], body=body,
        calendar=calendar, calendar_method=calendar_method, created_at=now, next_attempt_at=now, attempts=0))
    return message_id


async def enqueue_many(conn: AsyncConnection, office_id: int, messages: list[dict[str, Any]], now: datetime) -> int:
    """Write many messages (each the keyword arguments of `enqueue` but office and time) in one
    statement inside the caller's transaction, e.g. a draw's results; returns how many (a message
    to nobody, such as the email of a caller booked by phone without one, is left out)."""
    messages = [message for message in messages if message["recipient"]]
    if not messages:
        return 0
    rows = [{"id": secrets.token_hex(16), "office_id": office_id, "channel": m["channel"],
             "recipient": m["recipient"], "subject": m.get("subject", "")[:300], "body": m["body"],
             "calendar": m.get("calendar"), "calendar_method": m.get("calendar_method"), "created_at": now,
             "next_attempt_at": now, "attempts": 0} for m in messages]
    await conn.execute(sa.insert(OutboxMessage.__table__), rows)
    return len(rows)


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

    async def deliver_due(self, limit: int = 200, batch: int = 25) -> int:
        """Send what is due; returns how many messages went out.

        Messages are claimed and marked in batches: two short transactions per batch, not per
        message, so a rush of bookings does not queue its codes behind the pool.
        """
        sent = 0
        while sent < limit:
            messages = await self._claim(batch)
            if not messages:
                break
            outcomes = [(message, await self._try(message)) for message in messages]
            await self._record(outcomes)
            sent += sum(1 for _, error in outcomes if error is None)
            if len(messages) < batch:
                break
        return sent

    async def _claim(self, batch: int) -> list[Message]:
        table = OutboxMessage.__table__
        now = self.clock.now()
        unclaimed = sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        async with self.locks.write_transaction() as conn:
            ids = (await conn.execute(
                sa.select(table.c.id).where(table.c.sent_at.is_(None), table.c.next_attempt_at <= now,
                                            table.c.attempts < MAX_ATTEMPTS, unclaimed)
                .order_by(table.c.next_attempt_at).limit(batch))).scalars().all()
            if not ids:
                return []
            # The WHERE is checked again on each row as it is locked: a row another process claimed
            # meanwhile is skipped, so no message is taken twice.
            rows = (await conn.execute(
                sa.update(table).where(table.c.id.in_(ids), table.c.sent_at.is_(None), unclaimed)
                .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=table.c.attempts + 1)
                .returning(*table.c))).mappings().all()
        return [_message(row) for row in rows]

    async def _try(self, message: Message) -> str | None:
        transport = self.transports.get(message.channel)
        if transport is None:
            return f"no {message.channel} transport configured"
        try:
            await transport.send(message)
        except Exception as failure:  # any failure is retried later, never lost
            return loggable(failure)[:300]
        return None

    async def _record(self, outcomes: list[tuple[Message, str | None]]) -> None:
        table = OutboxMessage.__table__
        now = self.clock.now()
        sent = [message.id for message, error in outcomes if error is None]
        async with self.locks.write_transaction() as conn:
            if sent:
                await conn.execute(sa.update(table).where(table.c.id.in_(sent))
                                   .values(sent_at=now, claimed_until=None, last_error=None))
            for message, error in outcomes:
                if error is None:
                    continue
                attempts = (await conn.execute(sa.select(table.c.attempts).where(table.c.id == message.id))
                            ).scalar_one()
                pause = timedelta(seconds=min(3600, 15 * 2 ** min(attempts, 8)))
                await conn.execute(sa.update(table).where(table.c.id == message.id)
                                   .values(claimed_until=None, last_error=error, next_attempt_at=now + pause))
                log.warning("outbox message %s not sent (attempt %s): %s", message.id, attempts, error)

    async def run(self) -> None:
        """Deliver forever: at once when woken, else every `poll_seconds`."""
        while True:
            try:
                await self.deliver_due()
            except Exception as error:  # the database may be away for a moment; keep going
                log.warning("outbox round failed: %s", loggable(error))
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()


def _message(row: Any) -> Message:
    return Message(id=row["id"], channel=row["channel"], recipient=row["recipient"], subject=row["subject"],
                   body=row["body"], calendar=row["calendar"], calendar_method=row["calendar_method"],
                   created_at=row["created_at"])

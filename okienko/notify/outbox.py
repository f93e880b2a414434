"""The transactional outbox: notifications are rows written with the change they report.

A booking's code, confirmation, move or cancellation is written to `outbox_messages` in the
same transaction as the booking itself, so a message exists exactly when the change does (none
lost on a crash, none for a change rolled back). The sender, running in every server process,
claims a due message with a conditional UPDATE (so two processes never take the same one), sends
it, and marks it sent; a failure is retried with growing pauses. The message id is the email's
Message-ID, so in the rare crash between sending and marking, a mail client sees a repeat as one.
A message that fails MAX_ATTEMPTS times is marked failed (`failed_at`, with its last error): the
health check counts it, the back office lists it, and a manager may send it again (`resend`). So
is an SMS the gateway took and later reported undelivered (`delivery`, from its delivery report):
sent again, it goes as a new message, never twice under one id.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.office.audit import record_change
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
        self._also_wake: list[Callable[[], None]] = []

    def wake(self) -> None:
        """Look at the outbox now (called after a commit that wrote a message)."""
        self._wake.set()
        for wake in self._also_wake:
            wake()

    def also_wake(self, wake: Callable[[], None]) -> None:
        """Wake another worker with this one: a commit that told a person of a booking change has a
        change for the staff's calendars too (caldav_push.py)."""
        self._also_wake.append(wake)

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
                given_up = attempts >= MAX_ATTEMPTS
                await conn.execute(sa.update(table).where(table.c.id == message.id)
                                   .values(claimed_until=None, last_error=error, next_attempt_at=now + pause,
                                           failed_at=now if given_up else None))
                if given_up:
                    log.error("outbox message %s failed %s times and is marked failed: %s", message.id, attempts,
                              error)
                else:
                    log.warning("outbox message %s not sent (attempt %s): %s", message.id, attempts, error)

    async def failed(self, office_id: int) -> list[dict[str, Any]]:
        """The office's messages marked failed, newest first."""
        async with self.db.read() as conn:
            return await failed_messages(conn, office_id)

    async def sent(self, office_id: int, channel: str | None = None) -> list[dict[str, Any]]:
        """The office's latest sent messages, with the SMS gateway's delivery reports."""
        async with self.db.read() as conn:
            return await sent_messages(conn, office_id, channel)

    async def resend(self, office_id: int, message_id: str, actor: str) -> dict[str, Any]:
        """Send a failed message of the office again, from now (`resend`); recorded in the audit log."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            row = await resend(conn, office_id, message_id, now)
            failed_at = row["failed_at"] or row["delivery_at"]
            await record_change(conn, office_id=office_id, actor=actor, action="message.resend", target=message_id,
                                before={"failed_at": failed_at.isoformat(), "delivery": row["delivery"]},
                                after={"sent_as": row["resent_as"]}, now=now)
        self.wake()
        return row

    async def delivery_report(self, message_id: str, delivered: bool) -> bool:
        """Record the SMS gateway's report on a message it took; False for no such SMS."""
        async with self.locks.write_transaction() as conn:
            return await record_delivery(conn, message_id, delivered, self.clock.now())

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


def _undelivered(table: sa.Table) -> Any:
    """An SMS the gateway took and then reported undelivered, not sent again since: failed too."""
    return sa.and_(table.c.channel == "sms", table.c.sent_at.is_not(None), table.c.delivery == "failed",
                   table.c.resent_as.is_(None))


def _failed(table: sa.Table) -> Any:
    """Failed, as the back office lists and the health check counts: given up after MAX_ATTEMPTS
    (never sent), or an SMS the gateway reported undelivered (and not sent again)."""
    return sa.or_(sa.and_(table.c.failed_at.is_not(None), table.c.sent_at.is_(None)), _undelivered(table))


async def failed_messages(conn: AsyncConnection, office_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """An office's failed messages (given up after MAX_ATTEMPTS, or SMS reported undelivered),
    newest failure first."""
    table = OutboxMessage.__table__
    rows = (await conn.execute(sa.select(table).where(table.c.office_id == office_id, _failed(table))
        .order_by(sa.func.coalesce(table.c.failed_at, table.c.delivery_at).desc()).limit(limit))).mappings().all()
    return [dict(row) for row in rows]


async def sent_messages(conn: AsyncConnection, office_id: int, channel: str | None = None,
                        limit: int = 200) -> list[dict[str, Any]]:
    """An office's messages taken by the mail server or the SMS gateway, the latest first, each
    with what the gateway reported of it (`delivery`, `delivery_at`: none yet is "pending")."""
    table = OutboxMessage.__table__
    query = sa.select(table).where(table.c.office_id == office_id, table.c.sent_at.is_not(None))
    if channel:
        query = query.where(table.c.channel == channel)
    rows = (await conn.execute(query.order_by(table.c.sent_at.desc()).limit(limit))).mappings().all()
    return [dict(row) for row in rows]


async def count_failed(conn: AsyncConnection) -> int:
    """How many messages, of every office, are failed as `failed_messages` lists them (the health check's count)."""
    table = OutboxMessage.__table__
    return int((await conn.execute(sa.select(sa.func.count()).where(_failed(table)))).scalar_one())


@dataclass(frozen=True)
class Backlog:
    """The outbox as monitoring sees it (docs/monitoring.md), all offices together."""

    pending: int              # not sent yet and not given up (due now or waiting for a retry)
    retrying: int             # of those, the ones that failed at least once
    oldest_due_seconds: float  # how long the longest-due pending message has been due (0: none due)


async def backlog(conn: AsyncConnection, now: datetime) -> Backlog:
    """How far the senders are behind. A message waiting for its retry (`next_attempt_at` ahead) is not
    due, so a mail server that is down does not look like a stuck outbox; one due for long does: no
    process is sending (readiness, okienko/monitoring/readiness.py). Reads the unsent messages only
    (an index), never the years of sent ones: a load balancer asks often."""
    table = OutboxMessage.__table__
    unsent = sa.and_(table.c.sent_at.is_(None), table.c.failed_at.is_(None))
    row = (await conn.execute(sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((table.c.attempts > 0, 1), else_=0)), 0),
        sa.func.min(table.c.next_attempt_at)).where(unsent))).one()
    oldest = row[2]
    due = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(int(row[0]), int(row[1]), due)


async def resend(conn: AsyncConnection, office_id: int, message_id: str, now: datetime) -> dict[str, Any]:
    """Send a failed message again (in the caller's transaction); returns it as it was, with
    `resent_as`: the id that goes out now. Only a failed message of this office:
    `message_not_found`, `message_not_failed` otherwise (one delivered, or sent with no report
    against it, or still being tried, is never sent again).

    A message the outbox gave up on was never taken: it is made due again with a fresh count of
    attempts, under its own id. An SMS the gateway took and reported undelivered is sent as a new
    message (a new id, so the gateway's reports on the two never mix); the old one points to it, and
    the conditional UPDATE on `resent_as IS NULL` lets only one of two managers' clicks through."""
    table = OutboxMessage.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == message_id, table.c.office_id == office_id))
           ).mappings().first()
    if row is None:
        raise DomainError("message_not_found")
    if row["sent_at"] is not None:
        return await _resend_undelivered(conn, dict(row), now)
    if row["failed_at"] is None:
        raise DomainError("message_not_failed")
    changed = await conn.execute(sa.update(table).where(table.c.id == message_id, table.c.failed_at.is_not(None),
                                                        table.c.sent_at.is_(None))
                                 .values(failed_at=None, attempts=0, claimed_until=None, next_attempt_at=now))
    if changed.rowcount != 1:   # resent by someone else meanwhile
        raise DomainError("message_not_failed")
    return {**row, "resent_as": message_id}


async def _resend_undelivered(conn: AsyncConnection, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    table = OutboxMessage.__table__
    if row["channel"] != "sms" or row["delivery"] != "failed" or row["resent_as"] is not None:
        raise DomainError("message_not_failed")
    new_id = secrets.token_hex(16)
    changed = await conn.execute(sa.update(table).where(table.c.id == row["id"], _undelivered(table))
                                 .values(resent_as=new_id))
    if changed.rowcount != 1:   # resent by someone else meanwhile, or reported delivered after all
        raise DomainError("message_not_failed")
    await conn.execute(sa.insert(table).values(
        id=new_id, office_id=row["office_id"], channel=row["channel"], recipient=row["recipient"],
        subject=row["subject"], body=row["body"], calendar=row["calendar"], calendar_method=row["calendar_method"],
        created_at=now, next_attempt_at=now, attempts=0))
    return {**row, "resent_as": new_id}


async def record_delivery(conn: AsyncConnection, message_id: str, delivered: bool, now: datetime) -> bool:
    """Record what the SMS gateway reported of one of our SMS (its `{id}`): delivered or failed. A
    later report replaces an earlier one (gateways report "failed" after retrying for a while). An
    SMS reported failed counts as failed (`failed_messages`) until it is sent again (`resend`)."""
    table = OutboxMessage.__table__
    changed = await conn.execute(sa.update(table).where(table.c.id == message_id, table.c.channel == "sms")
                                 .values(delivery="delivered" if delivered else "failed", delivery_at=now))
    return changed.rowcount == 1

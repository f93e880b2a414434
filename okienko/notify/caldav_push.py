"""Booked visits written to the office's CalDAV calendars (RFC 4791), incrementally and resumably.

- A booking's change that the calendars must show (confirmed, moved, cancelled) is recorded in
  the booking's own transaction (`booking_changed`, called by bookings.record): one
  `calendar_pushes` row per booking whose `version` goes up, so a change exists exactly when the
  booking's does, and several changes before the next push coalesce into one (only the latest
  state of a booking matters).
- The pusher, in every server process, claims due rows with a conditional UPDATE (two processes
  never push the same booking at once, so a booking's writes stay in order), reads the booking as
  it is now and makes each calendar agree: a visit is PUT to `<collection>/<uid>.ics` in every
  calendar configured for its service or for a window serving it (If-None-Match / If-Match with
  the ETag kept in `copies`), and DELETEd from every calendar it is in but should not be (cancelled,
  or a calendar no longer configured). A row is done when the version it claimed is pushed; a
  change that came meanwhile keeps it due.
- A failure (the server down, refusing, timing out) keeps the row due with growing pauses (at most
  MAX_PAUSE apart) and never gives up: a server that is back after an hour gets every change it
  missed within MAX_PAUSE, each booking once, as it is now. A collection found unreachable is not
  tried again in the same round. Errors name the method and status, never the credentials.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from calendar_sync.staff_calendar import caldav_resource
from okienko.booking.staff_calendars import VISIBLE_STATUSES, visit_of
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.i18n import Translator
from okienko.logs import loggable
from okienko.notify.booking_mail import calendar_uid
from okienko.office.directory import OfficeDirectory, OfficeSetup, ServiceSetup
from okienko.settings import CalDAVCalendar, Settings, caldav_calendars
from okienko.storage.db import Database
from okienko.storage.locking import Locks, upsert_insert
from okienko.storage.models import Booking, CalendarPush

if TYPE_CHECKING:   # httpx is loaded with the first push, not with the app (tests/okienko_server/test_startup.py)
    import httpx

log = logging.getLogger("okienko.caldav")
# The booking facts (bookings.record's kinds) that change what the calendars show.
CALENDAR_KINDS = frozenset({"confirmed", "moved", "cancelled"})
CLAIM_SECONDS = 120
MAX_PAUSE = timedelta(minutes=5)
PARALLEL = 4     # requests in flight to the CalDAV servers, per process
PAST_DAYS = 30   # a visit longer ago than this is not written any more (a calendar set up later)


async def booking_changed(conn: AsyncConnection, booking: dict[str, Any], now: datetime) -> None:
    """Record, inside the booking's transaction, that its calendar copies must follow it."""
    table = CalendarPush.__table__
    await conn.execute(upsert_insert(conn)(table).values(
        booking_id=booking["id"], office_id=booking["office_id"], version=1, pushed_version=0, copies={},
        changed_at=now, next_attempt_at=now, attempts=0)
        .on_conflict_do_update(index_elements=[table.c.booking_id], set_={
            "version": table.c.version + 1, "changed_at": now, "next_attempt_at": now, "attempts": 0}))


async def bookings_changed(conn: AsyncConnection, bookings: list[dict[str, Any]], now: datetime) -> None:
    """`booking_changed` for many new bookings at once (a draw's), in one statement."""
    if bookings:
        await conn.execute(sa.insert(CalendarPush.__table__), [
            {"booking_id": booking["id"], "office_id": booking["office_id"], "version": 1, "pushed_version": 0,
             "copies": {}, "changed_at": now, "next_attempt_at": now, "attempts": 0} for booking in bookings])


def _client_without_login() -> "httpx.AsyncClient":
    import httpx
    return httpx.AsyncClient(timeout=10.0, verify=_tls())


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's CA certificates, read once per process (it takes a while), for every round's client."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class Claimed:
    booking_id: str
    version: int
    copies: dict[str, str]
    changed_at: datetime
    attempts: int


class CalendarPusher:
    """Pushes due booking changes to the configured CalDAV calendars (see the module's docstring)."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, translator: Translator,
                 calendars: tuple[CalDAVCalendar, ...], *, with_names: bool = False,
                 client: Callable[[], "httpx.AsyncClient"] | None = None, poll_seconds: float = 10.0) -> None:
        self.db = db
        self.locks = locks
        self.clock = clock
        self.offices = offices
        self.translator = translator
        self.calendars = calendars
        self.with_names = with_names
        self.poll_seconds = poll_seconds
        self._client = client or _client_without_login
        self._wake = asyncio.Event()

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory,
                      translator: Translator) -> "CalendarPusher":
        auth = (settings.caldav_username, settings.caldav_password) if settings.caldav_username else None

        def client() -> "httpx.AsyncClient":
            import httpx
            return httpx.AsyncClient(auth=auth, timeout=settings.caldav_timeout_seconds, follow_redirects=False,
                                     verify=_tls())

        return cls(db, locks, clock, offices, translator, caldav_calendars(settings.caldav_calendars),
                   with_names=settings.caldav_names == "names", client=client, poll_seconds=settings.caldav_poll_seconds)

    @property
    def configured(self) -> bool:
        return bool(self.calendars)

    def wake(self) -> None:
        self._wake.set()

    def collections_of(self, setup: OfficeSetup, service: ServiceSetup) -> list[str]:
        """The collections a visit of `service` belongs in: its service's and its windows'."""
        numbers = {window.number for window in setup.windows if service.id in window.service_ids}
        urls = []
        for calendar in self.calendars:
            if calendar.office not in (None, setup.code):
                continue
            if (calendar.scope == "service" and calendar.target == service.code) or \
                    (calendar.scope == "window" and calendar.target in numbers):
                if calendar.url not in urls:
                    urls.append(calendar.url)
        return urls

    async def push_due(self, limit: int = 1000, batch: int = 50) -> int:
        """Push what is due; returns how many bookings the calendars now show as they are.

        A batch is claimed, read and recorded in three short transactions, its bookings pushed
        side by side in between (PARALLEL at a time; a booking is claimed once per round, so one
        booking's writes are never concurrent and stay in order)."""
        done = 0
        async with self._client() as client:
            down: dict[str, str] = {}   # collection -> why it did not answer, this round
            lanes = asyncio.Semaphore(PARALLEL)
            while done < limit:
                claimed = await self._claim(batch)
                if not claimed:
                    break
                async with self.db.read() as conn:
                    table = Booking.__table__
                    bookings = {row["id"]: dict(row) for row in (await conn.execute(sa.select(table).where(
                        table.c.id.in_([row.booking_id for row in claimed])))).mappings()}

                async def push(row: Claimed) -> tuple[Claimed, dict[str, str], str | None]:
                    async with lanes:
                        return await self._push(client, row, bookings[row.booking_id], down)

                outcomes = await asyncio.gather(*(push(row) for row in claimed))
                await self._record(outcomes)
                done += sum(1 for _row, _copies, error in outcomes if error is None)
                if len(claimed) < batch:
                    break
        return done

    async def _claim(self, batch: int) -> list[Claimed]:
        table = CalendarPush.__table__
        now = self.clock.now()
        unclaimed = sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        due = sa.and_(table.c.version > table.c.pushed_version, table.c.next_attempt_at <= now, unclaimed)
        async with self.locks.write_transaction() as conn:
            ids = (await conn.execute(sa.select(table.c.booking_id).where(due)
                                      .order_by(table.c.next_attempt_at, table.c.changed_at).limit(batch))).scalars().all()
            if not ids:
                return []
            # Checked again on each row as it is locked: one another process claimed meanwhile is skipped.
            rows = (await conn.execute(sa.update(table).where(table.c.booking_id.in_(ids), due)
                                       .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                                       .returning(*table.c))).mappings().all()
        return sorted((Claimed(row["booking_id"], row["version"], dict(row["copies"] or {}), row["changed_at"],
                               row["attempts"]) for row in rows), key=lambda row: row.changed_at)

    async def _push(self, client: "httpx.AsyncClient", row: Claimed, booking: dict[str, Any],
                    down: dict[str, str]) -> tuple[Claimed, dict[str, str], str | None]:
        """Make every calendar agree with the booking as it is now; returns the copies left and the error."""
        from calendar_sync.caldav import CalDAVCollection, CalDAVError
        now = self.clock.now()
        wanted: list[str] = []
        setup = service = None
        try:
            setup = await self.offices.by_id(booking["office_id"])
            service = setup.service_by_id(booking["service_id"])
        except DomainError:   # the office or service is gone: its visits leave the calendars
            pass
        if setup is not None and service is not None and booking["status"] in VISIBLE_STATUSES \
                and booking["ends_at"] > now - timedelta(days=PAST_DAYS):
            wanted = self.collections_of(setup, service)
        copies = dict(row.copies)
        uid = calendar_uid(booking)
        error = None
        try:
            for url in wanted:
                if url in down:
                    raise CalDAVError(down[url])
                visit = visit_of(self.translator, setup, service, booking, with_names=self.with_names,  # type: ignore[arg-type]
                                 modified=row.changed_at)
                body = caldav_resource(visit, setup.timezone, now)  # type: ignore[union-attr]
                stored = await self._guarded(CalDAVCollection(url, client).put(uid, body, copies.get(url) or None),
                                             url, down)
                copies[url] = stored.etag or ""
            for url in [url for url in copies if url not in wanted]:
                if url in down:
                    raise CalDAVError(down[url])
                await self._guarded(CalDAVCollection(url, client).delete(uid, copies[url] or None), url, down)
                del copies[url]
        except CalDAVError as failure:
            error = loggable(failure)[:300]
        return row, copies, error

    async def _guarded(self, call: Any, url: str, down: dict[str, str]) -> Any:
        """A request to a collection; one that cannot be reached is not tried again this round."""
        from calendar_sync.caldav import CalDAVError
        try:
            return await call
        except CalDAVError as failure:
            if failure.retry:
                down[url] = str(failure)
            raise

    async def _record(self, outcomes: list[tuple[Claimed, dict[str, str], str | None]]) -> None:
        """Each booking's copies as they now are; done where it succeeded (the version it claimed:
        a change since keeps it due), else due again after a pause that grows to MAX_PAUSE."""
        table = CalendarPush.__table__
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            highest = sa.func.max if conn.dialect.name == "sqlite" else sa.func.greatest
            for row, copies, error in outcomes:
                mine = table.c.booking_id == row.booking_id
                if error is None:
                    await conn.execute(sa.update(table).where(mine).values(
                        copies=copies, claimed_until=None, attempts=0, last_error=None,
                        pushed_version=highest(table.c.pushed_version, row.version)))
                    continue
                pause = min(MAX_PAUSE, timedelta(seconds=5 * 2 ** min(row.attempts + 1, 10)))
                await conn.execute(sa.update(table).where(mine).values(
                    copies=copies, claimed_until=None, attempts=row.attempts + 1, last_error=error,
                    next_attempt_at=sa.case((table.c.version > row.version, now), else_=now + pause)))
        for row, _copies, error in outcomes:
            if error is not None:
                log.warning("calendar copy of a booking not written (attempt %s): %s", row.attempts + 1, error)

    async def backlog(self) -> dict[str, Any]:
        """How many bookings wait to be written, the oldest change among them, the last error."""
        table = CalendarPush.__table__
        async with self.db.read() as conn:
            pending = table.c.version > table.c.pushed_version
            count, oldest = (await conn.execute(sa.select(sa.func.count(), sa.func.min(table.c.changed_at))
                                                .where(pending))).one()
            error = (await conn.execute(sa.select(table.c.last_error).where(pending, table.c.last_error.is_not(None))
                                        .order_by(table.c.next_attempt_at.desc()).limit(1))).scalar()
        return {"pending": count, "oldest_change": oldest, "last_error": error}

    async def run(self) -> None:
        """Push forever: at once when woken, else every `poll_seconds`."""
        while True:
            try:
                await self.push_due()
            except Exception as error:  # the database may be away for a moment; keep going
                log.warning("calendar push round failed: %s", loggable(error))
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

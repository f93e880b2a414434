"""Closure days and other hours from external calendars (an .ics address or a CalDAV collection), polled:
the back office's "Closures from a calendar".

Guarantees:
- a calendar's dates are kept with their calendar (`source_days`), apart from the managers' own
  (`day_hours`, the office file's closures): those win on their dates, and a date a calendar drops
  reopens only if that calendar had set it (okienko/office/directory.py, `read_source_rules`);
- a change that cuts bookings off goes through the front door of a manager's change
  (`OfficeDays.apply_source`): the bookings are flagged `day_closed`, each person is told in their
  language with a link to choose another time first, and the audit log records it; never dropped;
- a calendar that cannot be fetched or read changes nothing: its error is kept for the back office,
  and logged with the address's host only (an address may carry a token);
- an unchanged calendar (304 to If-None-Match / If-Modified-Since) is not read again;
- several processes polling at once fetch a calendar once per interval (`_claim`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from calendar_sync.closure_calendar import CalendarDay, CalendarError, read_closure_calendar
from calendar_sync.closure_fetch import KINDS, FetchError, Fetched, check_url, fetch_calendar, host_of
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.logs import loggable
from okienko.office.audit import record_change
from okienko.office.cut_off import Affected
from okienko.office.days import OfficeDays
from okienko.office.directory import OfficeDirectory, OfficeSetup
from okienko.office.hours import office_day
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import ClosureSource, Office, SourceDay

log = logging.getLogger("okienko.closures")
MAX_NAME = 100
ACTOR_PREFIX = "calendar:"   # the audit log's actor of a calendar's change: calendar:<its name>

Fetch = Callable[..., Awaitable[Fetched]]


@dataclass(frozen=True)
class PollResult:
    """What one poll did: `status` ok | unchanged | error; `changed` the dates it changed."""

    status: str
    changed: list[date]
    told: list[Affected]
    error: str = ""


def source_json(row: dict[str, Any]) -> dict[str, Any]:
    """A closure calendar as the back office shows it: its address by host only."""
    return {"id": row["id"], "name": row["name"], "kind": row["kind"], "host": host_of(row["url"]),
            "status": row["status"], "error": row["error"], "days": int(row.get("days") or 0),
            "polled_at": None if row["polled_at"] is None else row["polled_at"].isoformat(),
            "changed_at": None if row["changed_at"] is None else row["changed_at"].isoformat()}


class ClosureSources:
    """The front door of an office's closure calendars: add, list, remove, poll (now, or when due)."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, days: OfficeDays, *,
                 horizon_days: int = 400, timeout: float = 20.0, poll_seconds: float = 900.0,
                 fetch: Fetch = fetch_calendar) -> None:
        self.db, self.locks, self.clock, self.offices, self.days = db, locks, clock, offices, days
        self.horizon_days, self.timeout, self.poll_seconds, self.fetch = horizon_days, timeout, poll_seconds, fetch

    async def sources(self, setup: OfficeSetup) -> list[dict[str, Any]]:
        """The office's closure calendars, oldest first, each with how many dates it sets from today."""
        table, days_t = ClosureSource.__table__, SourceDay.__table__
        today = office_day(setup, self.clock.now())
        counted = (sa.select(sa.func.count()).where(days_t.c.source_id == table.c.id, days_t.c.day >= today)
                   .scalar_subquery())
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(table, counted.label("days"))
                                       .where(table.c.office_id == setup.id).order_by(table.c.id))).mappings().all()
        return [source_json(dict(row)) for row in rows]

    async def add(self, setup: OfficeSetup, name: str, url: str, kind: str, *, actor: str) -> int:
        """Add a calendar (not fetched yet: `poll` it); `closure_source_invalid` for an empty or long name,
        a kind we do not read or an address that is not http(s); `closure_source_exists` for a name taken."""
        name = name.strip()
        try:
            url = check_url(url)
        except FetchError:
            raise DomainError("closure_source_invalid", field="url") from None
        if not name or len(name) > MAX_NAME or kind not in KINDS or len(url) > 2000:
            raise DomainError("closure_source_invalid", field="name" if kind in KINDS else "kind")
        table = ClosureSource.__table__
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            taken = (await conn.execute(sa.select(table.c.id).where(table.c.office_id == setup.id,
                                                                    table.c.name == name))).first()
            if taken is not None:
                raise DomainError("closure_source_exists", name=name)
            source_id = (await conn.execute(sa.insert(table).values(
                office_id=setup.id, name=name, url=url, kind=kind, etag="", last_modified="", status="new",
                error="", created_at=now).returning(table.c.id))).scalar_one()
            await record_change(conn, office_id=setup.id, actor=actor, action="calendar.add", target=name,
                                before=None, after={"kind": kind, "host": host_of(url)}, now=now)
        return int(source_id)

    async def remove(self, setup: OfficeSetup, source_id: int, *, actor: str) -> list[Affected]:
        """Take a calendar away: the dates only it set go back to the weekly hours (and whoever that
        leaves without a visit, as a manager's change would, is told)."""
        row = await self._source(setup, source_id)
        days_t, table = SourceDay.__table__, ClosureSource.__table__

        async def write(conn: AsyncConnection) -> list[date]:
            had = (await conn.execute(sa.select(days_t.c.day).where(days_t.c.source_id == source_id))).scalars().all()
            await conn.execute(sa.delete(days_t).where(days_t.c.source_id == source_id))
            await conn.execute(sa.delete(table).where(table.c.id == source_id))
            await record_change(conn, office_id=setup.id, actor=actor, action="calendar.remove", target=row["name"],
                                before={"kind": row["kind"], "host": host_of(row["url"])}, after=None,
                                now=self.clock.now())
            today = office_day(setup, self.clock.now())
            return [day for day in had if day >= today]

        return await self.days.apply_source(setup, write, actor=actor)

    async def poll(self, setup: OfficeSetup, source_id: int) -> PollResult:
        """Fetch the calendar now and take what changed (the module's guarantees)."""
        row = await self._source(setup, source_id)
        now = self.clock.now()
        first = office_day(setup, now)
        last = first + timedelta(days=self.horizon_days)
        try:
            fetched = await self.fetch(row["url"], row["kind"], etag=row["etag"], last_modified=row["last_modified"],
                                       first=first, last=last, timeout=self.timeout)
            days = None if fetched.files is None else await asyncio.to_thread(   # never in the event loop
                read_closure_calendar, fetched.files, first, last, setup.timezone)
        except (FetchError, CalendarError) as error:
            reason = error.reason if isinstance(error, FetchError) else str(error)
            log.warning("closure calendar %s at %s not taken: %s", row["id"], host_of(row["url"]), reason)
            await self._record(source_id, status="error", error=reason[:200])
            return PollResult("error", [], [], reason)
        if days is None:
            await self._record(source_id, status="unchanged", error="")
            return PollResult("unchanged", [], [])
        changed: list[date] = []

        async def write(conn: AsyncConnection) -> list[date]:
            changed.extend(await _replace_days(conn, setup.id, source_id, days, first, last))
            await self._record(source_id, status="ok", error="", etag=fetched.etag,
                               last_modified=fetched.last_modified, changed=bool(changed), conn=conn)
            return changed

        try:
            told = await self.days.apply_source(setup, write, actor=(ACTOR_PREFIX + row["name"])[:100])
        except Exception as error:   # a database hiccup: the calendar is fetched again next time
            log.warning("closure calendar %s not stored: %s", row["id"], loggable(error))
            raise
        if changed:
            log.info("closure calendar %s at %s changed %d dates, %d bookings cut off", row["id"],
                     host_of(row["url"]), len(changed), len(told))
        return PollResult("ok", changed, told)

    async def poll_due(self) -> int:
        """Poll every office's calendars whose interval has passed (claimed first, so that two processes
        do not fetch one calendar twice); how many were polled. An error in one never stops the others."""
        table = ClosureSource.__table__
        now = self.clock.now()
        due_before = now - timedelta(seconds=self.poll_seconds)
        async with self.db.read() as conn:
            rows = (await conn.execute(
                sa.select(table.c.id, Office.__table__.c.code).join(Office.__table__,
                                                                    Office.__table__.c.id == table.c.office_id)
                .where(sa.or_(table.c.polled_at.is_(None), table.c.polled_at <= due_before))
                .order_by(table.c.id))).all()
        polled = 0
        for source_id, office_code in rows:
            if not await self._claim(source_id, due_before, now):
                continue
            try:
                await self.poll(await self.offices.get(office_code), source_id)
                polled += 1
            except Exception as error:   # keep polling the others; this one is tried at its next turn
                log.warning("closure calendar %s poll failed: %s", source_id, loggable(error))
        return polled

    async def run(self, every_seconds: float = 60.0) -> None:
        """Poll what is due, every `every_seconds`, for as long as the server runs."""
        while True:
            try:
                await self.poll_due()
            except Exception as error:   # the database away for a moment: try again next turn
                log.warning("closure calendars not polled: %s", loggable(error))
            await asyncio.sleep(every_seconds)

    async def _claim(self, source_id: int, due_before: datetime, now: datetime) -> bool:
        table = ClosureSource.__table__
        async with self.locks.write_transaction() as conn:
            claimed = await conn.execute(sa.update(table).where(
                table.c.id == source_id, sa.or_(table.c.polled_at.is_(None), table.c.polled_at <= due_before))
                .values(polled_at=now))
            return bool(claimed.rowcount)

    async def _source(self, setup: OfficeSetup, source_id: int) -> dict[str, Any]:
        table = ClosureSource.__table__
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.id == source_id,
                                                             table.c.office_id == setup.id))).mappings().first()
        if row is None:
            raise DomainError("closure_source_not_found")
        return dict(row)

    async def _record(self, source_id: int, *, status: str, error: str, etag: str | None = None,
                      last_modified: str | None = None, changed: bool = False,
                      conn: AsyncConnection | None = None) -> None:
        table = ClosureSource.__table__
        now = self.clock.now()
        values: dict[str, Any] = {"status": status, "error": error, "polled_at": now}
        if etag is not None:
            values["etag"] = etag[:200]
        if last_modified is not None:
            values["last_modified"] = last_modified[:100]
        if changed:
            values["changed_at"] = now
        statement = sa.update(table).where(table.c.id == source_id).values(**values)
        if conn is not None:
            await conn.execute(statement)
            return
        async with self.locks.write_transaction() as own:
            await own.execute(statement)


async def _replace_days(conn: AsyncConnection, office_id: int, source_id: int, days: dict[date, CalendarDay],
                        first: date, last: date) -> list[date]:
    """Store what the calendar now says of `first`..`last` (earlier dates are history, kept); the
    dates whose rows changed."""
    table = SourceDay.__table__
    stored = {row["day"]: (tuple((int(a), int(b)) for a, b in row["ranges"]), row["reason"])
              for row in (await conn.execute(sa.select(table).where(
                  table.c.source_id == source_id, table.c.day >= first, table.c.day <= last))).mappings()}
    wanted = {day: (found.ranges, found.reason) for day, found in days.items()}
    gone = [day for day in stored if day not in wanted]
    changed = sorted(set(gone) | {day for day, value in wanted.items() if stored.get(day) != value})
    if gone:
        await conn.execute(sa.delete(table).where(table.c.source_id == source_id, table.c.day.in_(gone)))
    for day in changed:
        if day in wanted:
            await conn.execute(sa.delete(table).where(table.c.source_id == source_id, table.c.day == day))
            ranges, reason = wanted[day]
            await conn.execute(sa.insert(table).values(source_id=source_id, office_id=office_id, day=day,
                                                       ranges=[list(r) for r in ranges], reason=reason))
    return changed

"""One date's own hours, set from the back office: the front door for closing a day, changing its
hours or opening a day that is normally closed, and for telling the people it leaves without a visit.

Guarantees:
- a date's hours are checked by the office file's own rules and messages (`config_file.parse_day`);
- before saving, `preview` lists exactly whom the change would cut off (bookings ahead whose slot the
  new hours no longer offer), by the same function that saving uses (`changes.cut_off_bookings`);
- saving writes the date's rows, flags every cut-off booking `day_closed`, gives it a new manage link
  and writes one message per person in their language to the outbox, and records the change in the
  audit log: all in one transaction. After the commit every process drops its office snapshot at
  once (`announce_office_loaded`), the slot listings are recounted and the messages go out.
  A flagged booking may then move first, before the public can (okienko/booking/changes.py).
- no visitor's name, email or phone goes to the audit log or a log line: bookings by code only.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.changes import cut_off_bookings
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.live import Broker
from okienko.notify.booking_mail import Notifier
from okienko.notify.outbox import OutboxSender
from okienko.office.audit import record_change
from okienko.office.config_file import DaySpec, OfficeFileError, parse_day, write_days
from okienko.office.cut_off import Affected, tell_cut_off
from okienko.office.directory import (DayRule, OfficeDirectory, OfficeSetup, with_dates, announce_office_loaded,
                                      read_setup)
from okienko.office.hours import holiday_name, office_day
from okienko.office.set_up_reads import record_set_up_changed
from okienko.storage.db import Database
from okienko.storage.locking import Locks, take_numbers
from okienko.storage.models import Booking

MAX_LISTED_DAYS = 400


def check_day(setup: OfficeSetup, day: date, body: dict[str, Any]) -> DaySpec:
    """The date's hours from the back office's form, by the office file's rules; `office_invalid`
    with the loader's message and the field's path otherwise."""
    try:
        return parse_day({**body, "date": day.isoformat()}, "day", {s.code for s in setup.services},
                         set(setup.closures))
    except OfficeFileError as error:   # the loader's message, in the manager's language
        raise DomainError("office_invalid", detail=(error.message_id, error.arguments),
                          field=error.field.removeprefix("day").lstrip(".") or "day") from None


def rule_of(spec: DaySpec) -> DayRule:
    return DayRule(day=spec.day, ranges=tuple(spec.ranges), services=None if spec.services is None
                   else tuple(spec.services), walk_in=spec.walk_in, booking=spec.booking, reason=spec.reason)


def with_rule(setup: OfficeSetup, day: date, rule: DayRule | None) -> OfficeSetup:
    """The office as it would be with `rule` as `day`'s own hours (None: back to the weekly hours)."""
    rules = {**setup.day_rules}
    rules.pop(day, None)
    if rule is not None:
        rules[day] = rule
    listed = list(rules.values())
    return dataclasses.replace(setup, day_rules=rules,
                               services=tuple(with_dates(service, listed, setup.events.values())
                                             for service in setup.services))


def day_json(rule: DayRule) -> dict[str, Any]:
    """A date's own hours as the API and the audit log show them."""
    return {"date": rule.day.isoformat(), "kind": "hours" if rule.ranges else "closed",
            "hours": [_hhmm_range(a, b) for a, b in rule.ranges],
            "services": None if rule.services is None else list(rule.services), "walk_in": rule.walk_in,
            "booking": rule.booking, "reason": rule.reason}


def _own(setup: OfficeSetup, day: date) -> bool:
    rule = setup.day_rules.get(day)
    return rule is not None and not rule.source


def _hhmm_range(opens: int, closes: int) -> str:
    return f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"


class OfficeDays:
    """The front door of a date's own hours (the back office's "Days")."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, notifier: Notifier,
                 outbox: OutboxSender, broker: Broker, secret_key: str,
                 places_changed: Callable[[int], None] = lambda service_id: None,
                 publish: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None) -> None:
        self.db, self.locks, self.clock, self.offices = db, locks, clock, offices
        self.publish = publish   # the live hub's: kiosks, boards and consoles read the set-up again
        self.notifier, self.outbox, self.broker, self.secret_key = notifier, outbox, broker, secret_key
        self.places_changed = places_changed

    async def days(self, setup: OfficeSetup, first: date | None, last: date | None,
                   language: str) -> list[dict[str, Any]]:
        """The dates from `first` to `last` that are not plain weekly days: their own hours, the
        office's closures and the public holidays it closes on, each with its confirmed bookings."""
        first = first or office_day(setup, self.clock.now())
        last = last or first + timedelta(days=62)
        if last < first:
            raise DomainError("bad_date_range")
        if (last - first).days > MAX_LISTED_DAYS:
            raise DomainError("date_range_too_long", days=MAX_LISTED_DAYS)
        table = Booking.__table__
        async with self.db.read() as conn:
            counts = dict((await conn.execute(
                sa.select(table.c.office_day, sa.func.count()).where(
                    table.c.office_id == setup.id, table.c.status == "confirmed",
                    table.c.office_day >= first, table.c.office_day <= last).group_by(table.c.office_day))).all())
        listed = []
        day = first
        while day <= last:
            entry = None
            if day in setup.closures:
                entry = {"date": day.isoformat(), "kind": "closed", "hours": [], "services": None, "walk_in": True,
                         "booking": True, "reason": "closures", "own": False}
            elif day in setup.day_rules:
                rule = setup.day_rules[day]
                entry = {**day_json(rule), "own": not rule.source}
                if rule.source:
                    entry["source"] = rule.source
            elif setup.closed_on_public_holidays and holiday_name(day, language):
                entry = {"date": day.isoformat(), "kind": "holiday", "hours": [], "services": None, "walk_in": True,
                         "booking": True, "reason": holiday_name(day, language), "own": False}
            if entry is not None:
                listed.append({**entry, "bookings": int(counts.get(day, 0))})
            day += timedelta(days=1)
        return listed

    async def preview(self, setup: OfficeSetup, day: date, body: dict[str, Any]) -> list[Affected]:
        """Whom saving `body` as `day`'s hours would leave without a visit (nothing is changed)."""
        changed = with_rule(setup, day, rule_of(check_day(setup, day, body)))
        return await self._affected(changed, day)

    async def _affected(self, changed: OfficeSetup, day: date) -> list[Affected]:
        async with self.db.read() as conn:
            rows = await cut_off_bookings(conn, changed, self.clock.now(), day)
        return [Affected(row, self.notifier.contact_of(changed, row)) for row in rows]

    async def save(self, setup: OfficeSetup, day: date, body: dict[str, Any], *,
                   actor: str) -> tuple[DayRule, list[Affected]]:
        """Set `day`'s own hours; the people it cuts off are flagged and told (the module's guarantees)."""
        spec = check_day(setup, day, body)
        told = await self._change(setup, day, spec, actor)
        return rule_of(spec), told

    async def remove(self, setup: OfficeSetup, day: date, *, actor: str) -> list[Affected]:
        """Back to the weekly hours on `day` (an extra Saturday taken away cuts its bookings off too);
        `not_found` when the date has no hours a manager set (a calendar's are taken back by the calendar)."""
        if not _own(setup, day):
            async with self.db.read() as conn:
                fresh = await read_setup(conn, setup.code)
            if not _own(fresh, day):
                raise DomainError("not_found")
        return await self._change(setup, day, None, actor)

    async def save_many(self, setup: OfficeSetup, specs: list[DaySpec], *, actor: str,
                        via: str) -> list[Affected]:
        """Set several dates' own hours in one transaction (an imported closure plan, `via` "import"):
        each date as `save` sets it, its people told, one audit entry per date."""
        if not specs:
            return []
        ids = {service.code: service.id for service in setup.services}

        async def write(conn: AsyncConnection) -> None:
            for spec in specs:
                await write_days(conn, setup.id, [spec], ids, only=spec.day)

        return await self._commit(setup, [spec.day for spec in specs], write, actor=actor, action="day.set", via=via)

    async def apply_source(self, setup: OfficeSetup, write: Callable[[AsyncConnection], Awaitable[list[date]]], *,
                           actor: str) -> list[Affected]:
        """Take what an external calendar now says (`write` stores it and returns the dates it changed;
        okienko/office/closure_sources.py): the dates it closes or shortens cut bookings off exactly
        as a manager's change does (flagged, told, audited), in the same transaction."""
        return await self._commit(setup, None, write, actor=actor, action="day.calendar", via="calendar")

    async def _change(self, setup: OfficeSetup, day: date, spec: DaySpec | None, actor: str) -> list[Affected]:
        ids = {service.code: service.id for service in setup.services}

        async def write(conn: AsyncConnection) -> None:
            await write_days(conn, setup.id, [] if spec is None else [spec], ids, only=day)

        return await self._commit(setup, [day], write, actor=actor,
                                  action="day.set" if spec is not None else "day.remove", via="")

    async def _commit(self, setup: OfficeSetup, days: list[date] | None, write: Callable[[AsyncConnection], Any], *,
                      actor: str, action: str, via: str) -> list[Affected]:
        """Change dates in one transaction: lock them (in date order), `write`, then flag and tell the
        people each changed date cuts off and record it; after the commit, every process reads the
        office again, the slots are recounted and the messages go out. `days` None: the dates `write`
        returns (a calendar learns which it changed only as it writes)."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            if days is not None:
                # One change of a date at a time (two managers saving it at once: one after the other).
                await take_numbers(conn, {f"day:{setup.id}:{day.isoformat()}": 1 for day in days})
            before = (await read_setup(conn, setup.code)).day_rules
            written = await write(conn)
            if days is None:
                days = sorted(written or [])
                if not days:
                    return []
                await take_numbers(conn, {f"day:{setup.id}:{day.isoformat()}": 1 for day in days})
            changed = await read_setup(conn, setup.code)
            told: list[Affected] = []
            for day in sorted(set(days)):
                told_here = await self._tell(conn, changed, day, now)
                told += told_here
                old, new = before.get(day), changed.day_rules.get(day)
                after = None if new is None else {**day_json(new), "told": [a.booking["code"] for a in told_here]}
                if after is not None and via:
                    after["via"] = via
                await record_change(conn, office_id=setup.id, actor=actor, action=action, target=day.isoformat(),
                                    before=None if old is None else day_json(old), after=after, now=now)
            events = await record_set_up_changed(conn, setup, now)
        self.offices.invalidate()
        await announce_office_loaded(self.broker, setup.code)
        if self.publish is not None:
            await self.publish(events)
        for service in setup.services:
            self.places_changed(service.id)
        self.outbox.wake()
        return told

    async def _tell(self, conn: AsyncConnection, changed: OfficeSetup, day: date, now: datetime) -> list[Affected]:
        return await tell_cut_off(conn, self.notifier, changed, now, day=day)

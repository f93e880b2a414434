"""Information Saturdays, managed from the back office: the front door for listing, creating,
changing, publishing and cancelling an office's events (how a published event then acts on the
office, its hours, slots, kiosks and feed, is read by okienko/office/directory.py).

Guarantees:
- an event is checked by one set of rules (okienko/office/event_specs.py) when it is created,
  changed and published; at most one event that is not cancelled per office and date: changes of a
  date are serialised by the locking helper's counters (`take_numbers`) and the partial UNIQUE
  index is the last guard (`event_exists`, never a second event);
- changing the date, hours or services of a PUBLISHED event raises its SEQUENCE and, in the same
  transaction, takes care of every booking of its services on the old date: moved to the same wall
  time on the new date where that slot has a place (okienko/booking/changes.py `reschedule`, its
  capacity rules), else flagged `day_closed` with a new manage link, as a closed day does
  (okienko/office/cut_off.py); each person gets one message in their language, a moved one with the
  updated invite (same UID, higher SEQUENCE);
- cancelling a published event cancels its bookings (`changes.cancel`: each person gets a METHOD:CANCEL
  invite), in the same transaction: no booking is ever left on an event that is gone;
- a preview runs the same change and rolls it back, so what it lists is what saving does;
- every change is in the audit log with its actor (bookings by code only, never who booked);
  after the commit: as OfficeDays does, every process drops its office snapshot, kiosks and
  boards read the set-up again, the slot listings are recounted and the messages go out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.changes import cancel as cancel_booking, reschedule
from okienko.booking.slots import slot_offered
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.live import Broker
from okienko.notify.booking_mail import Notifier
from okienko.notify.outbox import OutboxSender
from okienko.office.audit import record_change
from okienko.office.cut_off import tell_one_cut_off
from okienko.office.directory import OfficeDirectory, OfficeSetup, announce_office_loaded, read_setup
from okienko.office.event_specs import FIELDS, EventSpec, audit_json, check_event, event_json, form_of, spec_of
from okienko.office.hours import wall_instant
from okienko.office.set_up_reads import record_set_up_changed
from okienko.storage.db import Database
from okienko.storage.locking import Locks, take_numbers
from okienko.storage.models import Booking, Event, Service

MOVED, CUT_OFF, CANCELLED = "moved", "cut_off", "cancelled"


@dataclass(frozen=True)
class Told:
    """A booking an event's change reached, what became of it and how its person is told."""

    booking: dict[str, Any]
    contact: str        # "email" | "email+sms"
    outcome: str        # MOVED | CUT_OFF | CANCELLED


@dataclass(frozen=True)
class EventChange:
    """An event after a change (or as a preview would leave it) and the people it tells."""

    event: dict[str, Any]
    told: list[Told]
    warnings: list[str]


class _RolledBack(Exception):
    """Carries a preview's outcome out of the transaction it rolls back."""

    def __init__(self, change: EventChange) -> None:
        super().__init__("preview")
        self.change = change


def _form_day(value: Any) -> Any:
    """The form's "YYYY-MM-DD" as a day (a message then says it in words), or as it came."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return value


def day_lock(office_id: int, day: Any) -> str:
    """The counter that serialises everything deciding which event a date has."""
    return f"event-day:{office_id}:{day.isoformat()}"


def event_lock(event_id: int) -> str:
    return f"event:{event_id}"


class OfficeEvents:
    """The front door of an office's events (the back office's "Events")."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, notifier: Notifier,
                 outbox: OutboxSender, broker: Broker, secret_key: str,
                 places_changed: Callable[[int], None] = lambda service_id: None,
                 publish: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None) -> None:
        self.db, self.locks, self.clock, self.offices = db, locks, clock, offices
        self.notifier, self.outbox, self.broker, self.secret_key = notifier, outbox, broker, secret_key
        self.places_changed = places_changed
        self.publish = publish

    # --- reading -----------------------------------------------------------------------------------

    async def events(self, setup: OfficeSetup) -> list[dict[str, Any]]:
        """Every event of the office, drafts and cancelled ones too, the latest date first, each with its
        confirmed bookings."""
        table = Event.__table__
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id)
                                       .order_by(table.c.day.desc(), table.c.id.desc()))).mappings().all()
            counts = await _booked(conn, setup, [row["day"] for row in rows])
        return [event_json(setup, row, _count(setup, row, counts)) for row in rows]

    async def event(self, setup: OfficeSetup, event_id: int) -> dict[str, Any]:
        async with self.db.read() as conn:
            row = await _load(conn, setup, event_id)
            counts = await _booked(conn, setup, [row["day"]])
        return event_json(setup, row, _count(setup, row, counts))

    async def event_only_services(self, setup: OfficeSetup) -> list[str]:
        """The codes of the office's switched-on services offered only at events, in the office's order."""
        async with self.db.read() as conn:
            return await _event_only(conn, setup.id)

    # --- changing ----------------------------------------------------------------------------------

    async def create(self, setup: OfficeSetup, form: dict[str, Any], *, actor: str) -> EventChange:
        """A new draft event (nobody sees it until it is published)."""
        async def apply(conn: AsyncConnection, now: datetime) -> tuple[Any, Any, list[Told]]:
            spec = check_event(setup, form, set(await _event_only(conn, setup.id)), now)
            await _claim_day(conn, setup, spec, None)
            table = Event.__table__
            event_id = (await conn.execute(sa.insert(table).values(
                office_id=setup.id, **spec.row(), status="draft", sequence=0, created_at=now, updated_at=now)
                .returning(table.c.id))).scalar_one()
            return None, await _load(conn, setup, event_id), []

        return await self._change(setup, None, "event.create", apply, actor, day=form.get("date", ""))

    async def update(self, setup: OfficeSetup, event_id: int, changes: dict[str, Any], *, actor: str,
                     preview: bool = False) -> EventChange:
        """Change an event's fields (those of `changes` among event_specs.FIELDS). For a published
        event, its bookings follow (the module's guarantees); `preview`: nothing is kept."""
        async def apply(conn: AsyncConnection, now: datetime) -> tuple[Any, Any, list[Told]]:
            row = await _load(conn, setup, event_id)
            if row["status"] == "cancelled":
                raise DomainError("event_cancelled")
            old = spec_of(row)
            form = {**form_of(setup, old), **{key: value for key, value in changes.items() if key in FIELDS}}
            spec = check_event(setup, form, set(await _event_only(conn, setup.id)), now)
            if spec == old:
                return row, row, []
            if spec.day != old.day:
                await _claim_day(conn, setup, spec, event_id)
            published = row["status"] == "published"
            table = Event.__table__
            await conn.execute(sa.update(table).where(table.c.id == event_id).values(
                **spec.row(), sequence=row["sequence"] + (1 if published else 0), updated_at=now))
            told: list[Told] = []
            # Anything but its texts may take a booked slot away (walk-in only from now on, too).
            if published and (spec.day, spec.opens_minute, spec.closes_minute, spec.services,
                              spec.booking_opens_at) != (old.day, old.opens_minute, old.closes_minute, old.services,
                                                         old.booking_opens_at):
                changed = await read_setup(conn, setup.code)
                told = await self._follow(conn, setup, changed, old, spec, now, actor)
            return row, await _load(conn, setup, event_id), told

        return await self._change(setup, event_id, "event.update", apply, actor, preview=preview,
                                  day=changes.get("date", ""))

    async def publish_event(self, setup: OfficeSetup, event_id: int, *, actor: str) -> EventChange:
        """Publish a draft: its services are offered on its date (and booked from its
        `booking_opens_at`); checked again by the rules (a draft may have grown old). Publishing a
        published event changes nothing."""
        async def apply(conn: AsyncConnection, now: datetime) -> tuple[Any, Any, list[Told]]:
            row = await _load(conn, setup, event_id)
            if row["status"] == "cancelled":
                raise DomainError("event_cancelled")
            if row["status"] == "published":
                return row, row, []
            check_event(setup, form_of(setup, spec_of(row)), set(await _event_only(conn, setup.id)), now)
            table = Event.__table__
            await conn.execute(sa.update(table).where(table.c.id == event_id).values(status="published",
                                                                                     updated_at=now))
            return row, await _load(conn, setup, event_id), []

        return await self._change(setup, event_id, "event.publish", apply, actor)

    async def cancel(self, setup: OfficeSetup, event_id: int, *, actor: str, preview: bool = False) -> EventChange:
        """Cancel an event; a published one's bookings are cancelled and each person told (a
        METHOD:CANCEL invite). Cancelling a cancelled event changes nothing. `preview`: nothing is kept."""
        async def apply(conn: AsyncConnection, now: datetime) -> tuple[Any, Any, list[Told]]:
            row = await _load(conn, setup, event_id)
            if row["status"] == "cancelled":
                return row, row, []
            table = Event.__table__
            published = row["status"] == "published"
            await conn.execute(sa.update(table).where(table.c.id == event_id).values(
                status="cancelled", sequence=row["sequence"] + (1 if published else 0), updated_at=now))
            told: list[Told] = []
            if published:
                changed = await read_setup(conn, setup.code)
                for booking in await _bookings_of(conn, setup, spec_of(row), now):
                    ended = await cancel_booking(conn, changed, booking, secret_key=self.secret_key, now=now,
                                                 notifier=self.notifier, by=actor)
                    told.append(Told(ended, self.notifier.contact_of(changed, ended), CANCELLED))
            return row, await _load(conn, setup, event_id), told

        return await self._change(setup, event_id, "event.cancel", apply, actor, preview=preview)

    # --- one change ---------------------------------------------------------------------------------

    async def _change(self, setup: OfficeSetup, event_id: int | None, action: str,
                      apply: Callable[[AsyncConnection, datetime], Awaitable[tuple[Any, Any, list[Told]]]],
                      actor: str, *, preview: bool = False, day: Any = "") -> EventChange:
        now = self.clock.now()
        try:
            async with self.locks.write_transaction() as conn:
                if event_id is not None:   # one change of an event at a time
                    await take_numbers(conn, {event_lock(event_id): 1})
                before, after, told = await apply(conn, now)
                counts = await _booked(conn, setup, [after["day"]])
                change = EventChange(event_json(setup, after, _count(setup, after, counts)), told,
                                     spec_of(after).warnings)
                if preview:
                    raise _RolledBack(change)
                if before is after:   # nothing to do: nothing recorded, nobody told
                    return change
                await record_change(conn, office_id=setup.id, actor=actor, action=action, target=str(after["id"]),
                                    before=None if before is None else audit_json(setup, before),
                                    after={**audit_json(setup, after),
                                           "told": {item.booking["code"]: item.outcome for item in told}},
                                    now=now)
                live = await record_set_up_changed(conn, setup, now)
        except _RolledBack as rolled_back:
            return rolled_back.change
        except IntegrityError:   # the UNIQUE index: another event took the date meanwhile
            raise DomainError("event_exists", day=_form_day(day), field="date") from None
        self.offices.invalidate()
        await announce_office_loaded(self.broker, setup.code)
        if self.publish is not None:
            await self.publish(live)
        codes = set(spec_of(after).services) | (set() if before is None else set(spec_of(before).services))
        for service in setup.services:
            if service.code in codes:
                self.places_changed(service.id)
        self.outbox.wake()
        return change

    async def _follow(self, conn: AsyncConnection, setup: OfficeSetup, changed: OfficeSetup, old: EventSpec,
                      new: EventSpec, now: datetime, actor: str) -> list[Told]:
        """The bookings of a published event whose date, hours, services or booking changed: each stays where
        its slot still is, else moves to the same wall time on the new date where that slot has a place,
        else is flagged and its person told to choose another time."""
        told = []
        for booking in await _bookings_of(conn, setup, old, now):
            service = changed.service_by_id(booking["service_id"])
            if service.code in new.services:
                local = booking["starts_at"].astimezone(setup.timezone)
                target = wall_instant(setup, datetime.combine(new.day, local.time().replace(tzinfo=None)))
                if target == booking["starts_at"]:
                    if service.booking is not None and slot_offered(changed, service.booking, target):
                        continue   # the slot is still there: nothing changes for its person
                else:
                    try:
                        async with conn.begin_nested():   # a refusal leaves nothing half-done
                            moved = await reschedule(conn, changed, booking, target, secret_key=self.secret_key,
                                                     now=now, notifier=self.notifier, language=booking["language"],
                                                     by=actor)
                        told.append(Told(moved, self.notifier.contact_of(changed, moved), MOVED))
                        continue
                    except DomainError:   # no such slot, full, a draw pending: the person chooses
                        pass
            affected = await tell_one_cut_off(conn, self.notifier, changed, booking, now)
            if affected is not None:
                told.append(Told(affected.booking, affected.contact, CUT_OFF))
        return told


async def _load(conn: AsyncConnection, setup: OfficeSetup, event_id: int) -> Any:
    table = Event.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == event_id, table.c.office_id == setup.id))
           ).mappings().first()
    if row is None:
        raise DomainError("event_not_found")
    return row


async def _claim_day(conn: AsyncConnection, setup: OfficeSetup, spec: EventSpec, event_id: int | None) -> None:
    """Take the date for an event: `event_exists` when another event that is not cancelled has it."""
    await take_numbers(conn, {day_lock(setup.id, spec.day): 1})
    table = Event.__table__
    taken = (await conn.execute(sa.select(table.c.id).where(
        table.c.office_id == setup.id, table.c.day == spec.day, table.c.status != "cancelled",
        *(() if event_id is None else (table.c.id != event_id,))))).first()
    if taken is not None:
        raise DomainError("event_exists", day=spec.day, field="date")


async def _event_only(conn: AsyncConnection, office_id: int) -> list[str]:
    services = Service.__table__
    return list((await conn.execute(sa.select(services.c.code).where(
        services.c.office_id == office_id, services.c.active, services.c.event_only)
        .order_by(services.c.sort_order, services.c.id))).scalars())


async def _bookings_of(conn: AsyncConnection, setup: OfficeSetup, spec: EventSpec,
                       now: datetime) -> list[dict[str, Any]]:
    """The confirmed bookings still ahead of the event's services on its date, in slot order."""
    ids = [service.id for service in (*setup.services, *setup.switched_off) if service.code in spec.services]
    if not ids:
        return []
    table = Booking.__table__
    rows = (await conn.execute(sa.select(table).where(
        table.c.office_id == setup.id, table.c.status == "confirmed", table.c.office_day == spec.day,
        table.c.service_id.in_(ids), table.c.starts_at > now).order_by(table.c.starts_at, table.c.place))).mappings()
    return [dict(row) for row in rows]


async def _booked(conn: AsyncConnection, setup: OfficeSetup, days: list[Any]) -> dict[tuple[Any, int], int]:
    """Confirmed bookings per (date, service id) on `days`."""
    if not days:
        return {}
    table = Booking.__table__
    rows = await conn.execute(sa.select(table.c.office_day, table.c.service_id, sa.func.count()).where(
        table.c.office_id == setup.id, table.c.status == "confirmed", table.c.office_day.in_(set(days)))
        .group_by(table.c.office_day, table.c.service_id))
    return {(day, service_id): int(count) for day, service_id, count in rows}


def _count(setup: OfficeSetup, row: Any, counts: dict[tuple[Any, int], int]) -> int:
    ids = [service.id for service in (*setup.services, *setup.switched_off) if service.code in (row["services"] or ())]
    return sum(counts.get((row["day"], service_id), 0) for service_id in ids)

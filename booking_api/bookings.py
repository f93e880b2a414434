"""Online booking: hold a place for a person, confirm it with a one-time code, look it up.

Guarantees:
- a slot's places are never over-booked and no place is sold twice: every change to a slot
  takes the slot's lock (`locking.take_numbers` on its counter row) before counting, and the
  partial UNIQUE index on (service, start, place) over active bookings backs it;
- a person (name + date of birth + document number) has at most one active booking per
  service (checked under the lock, backed by a partial UNIQUE index);
- an unconfirmed hold frees its place when it expires, whoever looks first (the next booking of
  that slot, or the sweeper).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.booking_mail import Notifier
from booking_api.errors import DomainError
from booking_api.locking import take_numbers
from booking_api.models import ACTIVE_BOOKING_STATUSES as ACTIVE, Booking, BookingEvent, Draw, WaitlistEntry
from booking_api.office import OfficeSetup, ServiceSetup
from booking_api.people import Person, document_hash, mask_document, mask_email, mask_phone, person_key
from booking_api.slots import Slot, check_bookable, schedule_of

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or typed on a kiosk is not mistaken.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Held:
    booking: dict[str, Any]
    sent_to: dict[str, str]     # channel -> masked address
    slot_now_full: bool = False  # this hold took the slot's last place


@dataclass(frozen=True)
class Confirmed:
    booking: dict[str, Any]
    secret: str                 # the manage link's secret; shown once, stored hashed


def slot_lock(service_id: int, starts_at: datetime) -> str:
    return f"slot:{service_id}:{starts_at.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What the visitor typed, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def record(conn: AsyncConnection, booking: dict[str, Any], kind: str, now: datetime,
                 **detail: Any) -> None:
    """Append one fact to the booking's history (statistics read these)."""
    await conn.execute(sa.insert(BookingEvent.__table__).values(
        office_id=booking["office_id"], booking_id=booking["id"], kind=kind, at=now, detail=detail))


async def expire_stale_holds(conn: AsyncConnection, now: datetime, **where: Any) -> list[dict[str, Any]]:
    """Mark holds past their time as expired (filtered by column values); returns them."""
    table = Booking.__table__
    conditions = [table.c.status == "held", table.c.hold_expires_at <= now]
    conditions += [table.c[column] == value for column, value in where.items()]
    rows = (await conn.execute(sa.select(table).where(*conditions))).mappings().all()
    for row in rows:
        await conn.execute(sa.update(table).where(table.c.id == row["id"], table.c.status == "held")
                           .values(status="expired", ended_at=now, confirm_code_hash=None))
        await record(conn, dict(row), "expired", now)
    return [dict(row) for row in rows]


async def take_place(conn: AsyncConnection, service: ServiceSetup, slot: Slot, now: datetime,
                     extra_locks: tuple[str, ...] = ()) -> tuple[int, int]:
    """Lock the slot and return its lowest free place and how many stay free after it is taken;
    `slot_full` when none is left.

    Lock order, everywhere: slot counter rows (sorted), then booking rows.
    """
    await take_numbers(conn, {name: 1 for name in (slot_lock(service.id, slot.starts_at), *extra_locks)})
    await expire_stale_holds(conn, now, service_id=service.id, starts_at=slot.starts_at)
    table = Booking.__table__
    taken = set((await conn.execute(sa.select(table.c.place).where(
        table.c.service_id == service.id, table.c.starts_at == slot.starts_at,
        table.c.status.in_(ACTIVE)))).scalars())
    free = [place for place in range(1, slot.places + 1) if place not in taken]
    if not free:
        raise DomainError("slot_full")
    return free[0], len(free) - 1


def occupying(now: datetime) -> Any:
    """The bookings that take a place at `now`: confirmed ones, and holds not yet expired (an
    expired hold still marked `held` frees its place at once, before anyone sweeps it)."""
    table = Booking.__table__
    return sa.and_(table.c.status.in_(ACTIVE),
                   sa.or_(table.c.status == "confirmed", table.c.hold_expires_at > now))


async def places_taken(conn: AsyncConnection, service_id: int, first: date, last: date,
                       now: datetime) -> dict[datetime, int]:
    """Places taken per slot start of the service on the days `first`..`last` (no lock: a listing)."""
    table = Booking.__table__
    rows = await conn.execute(sa.select(table.c.starts_at, sa.func.count()).where(
        table.c.service_id == service_id, table.c.office_day >= first, table.c.office_day <= last,
        occupying(now)).group_by(table.c.starts_at))
    return {start: int(count) for start, count in rows}


async def is_full(conn: AsyncConnection, service_id: int, slot: Slot, now: datetime) -> bool:
    """Every place of the slot taken at `now` (no lock: a hint; `take_place` decides under the lock)."""
    table = Booking.__table__
    taken = (await conn.execute(sa.select(sa.func.count()).where(
        table.c.service_id == service_id, table.c.starts_at == slot.starts_at, occupying(now)))).scalar_one()
    return taken >= slot.places


async def refuse_if_draw_pending(conn: AsyncConnection, setup: OfficeSetup, service_id: int, day: date) -> None:
    """`draw_pending` while the draw of the service's `day` has not run: until then its places
    belong to the draw, not to whoever is first (call it under the slot's lock: the draw takes
    every slot lock of its day, so a hold waits for a running draw and then sees it done)."""
    table = Draw.__table__
    closes_at = (await conn.execute(sa.select(table.c.closes_at).where(
        table.c.service_id == service_id, table.c.office_day == day, table.c.status != "done"))).scalar()
    if closes_at is not None:
        raise DomainError("draw_pending", day=day.isoformat(),
                          time=closes_at.astimezone(setup.timezone).strftime("%Y-%m-%d %H:%M"))


async def active_booking_of(conn: AsyncConnection, service_id: int, key: str) -> dict[str, Any] | None:
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.service_id == service_id, table.c.person_key == key,
                                                     table.c.status.in_(ACTIVE)))).mappings().first()
    return dict(row) if row else None


async def _unused_code(conn: AsyncConnection, office_id: int) -> str:
    table = Booking.__table__
    while True:
        code = new_code()
        exists = (await conn.execute(sa.select(table.c.id).where(table.c.office_id == office_id,
                                                                 table.c.code == code))).first()
        if exists is None:
            return code


async def hold(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, starts_at: datetime,
               person: Person, *, language: str, secret_key: str, now: datetime, notifier: Notifier,
               waitlist_entry_id: int | None = None, hold_minutes: int | None = None,
               known_person_key: str | None = None, known_document: tuple[str, str] | None = None) -> Held:
    """Hold a place of the slot at `starts_at` for `person` and send them a one-time code.

    Refuses with `closed_day`, `outside_horizon`, `no_such_slot`, `draw_pending` (a draw day whose
    draw has not run), `already_booked` or `slot_full`.
    """
    schedule = schedule_of(service, language)
    slot = check_bookable(setup, schedule, starts_at, now) if waitlist_entry_id is None else \
        _known_slot(setup, service, starts_at)
    key = known_person_key or person_key(secret_key, person)
    hashed, masked = known_document or (document_hash(secret_key, person.document_number),
                                        mask_document(person.document_number))
    # Slot lock first, booking rows after: every writer takes them in this order (no deadlocks).
    place, left = await take_place(conn, service, slot, now)
    if waitlist_entry_id is None:
        await refuse_if_draw_pending(conn, setup, service.id, slot.day)
    await expire_stale_holds(conn, now, service_id=service.id, person_key=key)
    if await active_booking_of(conn, service.id, key):
        raise DomainError("already_booked", service=service.name(language))
    code = await _unused_code(conn, setup.id)
    one_time = f"{secrets.randbelow(1_000_000):06d}"
    booking_id = secrets.token_urlsafe(16)
    minutes = hold_minutes if hold_minutes is not None else setup.booking_policy.hold_minutes
    row = {
        "id": booking_id, "office_id": setup.id, "service_id": service.id, "office_day": slot.day,
        "starts_at": slot.starts_at, "ends_at": slot.ends_at, "place": place, "status": "held", "code": code,
        "secret_hash": "", "person_key": key, "person_name": person.name, "birth_date": person.birth_date,
        "document_hash": hashed, "document_masked": masked, "email": person.email, "phone": person.phone,
        "language": language, "confirm_code_hash": digest(booking_id, one_time), "confirm_attempts": 0,
        "hold_expires_at": now + timedelta(minutes=minutes), "sequence": 0, "flag": None,
        "waitlist_entry_id": waitlist_entry_id, "ticket_id": None, "created_at": now, "confirmed_at": None,
        "ended_at": None,
    }
    await conn.execute(sa.insert(Booking.__table__).values(**row))
    await record(conn, row, "offered" if waitlist_entry_id else "held", now, place=place)
    sms = bool(setup.booking_policy.sms and person.phone and notifier.can_sms)
    await notifier.one_time_code(conn, setup, service, row, one_time, now, sms=sms, offer=waitlist_entry_id is not None)
    sent_to = {"email": mask_email(person.email)}
    if sms:
        sent_to["sms"] = mask_phone(person.phone)
    return Held(row, sent_to, slot_now_full=left == 0)


def _known_slot(setup: OfficeSetup, service: ServiceSetup, starts_at: datetime) -> Slot:
    schedule = schedule_of(service)
    local = starts_at.astimezone(setup.timezone)
    return Slot(local, (starts_at + timedelta(minutes=schedule.slot_minutes)).astimezone(setup.timezone),
                schedule.places)


async def confirm(conn: AsyncConnection, setup: OfficeSetup, booking_id: str, code: str, *, now: datetime,
                  notifier: Notifier) -> Confirmed | DomainError:
    """Confirm a hold with its one-time code.

    Returns the confirmed booking, or the error to show (`wrong_code`, `code_expired`,
    `booking_not_found`): a wrong code is counted, and after the office's limit the hold is
    dropped, so the count must be committed even though the visitor sees an error.
    """
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == booking_id, table.c.office_id == setup.id)
                              )).mappings().first()
    if row is None:
        return DomainError("booking_not_found")
    booking = dict(row)
    if booking["status"] == "confirmed":
        return DomainError("already_confirmed", booking=booking["code"])
    if booking["status"] != "held" or booking["hold_expires_at"] <= now:
        if booking["status"] == "held":
            await expire_stale_holds(conn, now, id=booking_id)
        return DomainError("code_expired")
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if not hmac.compare_digest(digest(booking_id, typed), booking["confirm_code_hash"] or ""):
        attempts = booking["confirm_attempts"] + 1
        left = setup.booking_policy.code_attempts - attempts
        values: dict[str, Any] = {"confirm_attempts": attempts}
        if left <= 0:
            values.update(status="expired", ended_at=now, confirm_code_hash=None)
            await record(conn, booking, "expired", now, reason="wrong_codes")
        await conn.execute(sa.update(table).where(table.c.id == booking_id).values(**values))
        return DomainError("wrong_code", attempts=max(left, 0)) if left > 0 else DomainError("code_expired")
    secret = secrets.token_urlsafe(24)
    booking.update(status="confirmed", confirmed_at=now, confirm_code_hash=None, hold_expires_at=None,
                   secret_hash=digest(secret))
    await conn.execute(sa.update(table).where(table.c.id == booking_id, table.c.status == "held").values(
        status="confirmed", confirmed_at=now, confirm_code_hash=None, hold_expires_at=None,
        secret_hash=booking["secret_hash"]))
    await record(conn, booking, "confirmed", now)
    if booking["waitlist_entry_id"] is not None:
        entries = WaitlistEntry.__table__
        await conn.execute(sa.update(entries).where(entries.c.id == booking["waitlist_entry_id"])
                           .values(status="booked"))
    await notifier.confirmed(conn, setup, setup.service_by_id(booking["service_id"]), booking, secret, now)
    return Confirmed(booking, secret)


async def find(conn: AsyncConnection, setup: OfficeSetup, code: str, secret: str) -> dict[str, Any]:
    """The booking with this code whose manage-link secret matches; `booking_not_found` otherwise."""
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id,
                                                     table.c.code == normalise_code(code)))).mappings().first()
    if row is None or not row["secret_hash"] or not hmac.compare_digest(row["secret_hash"], digest(secret or "")):
        raise DomainError("booking_not_found")
    return dict(row)


async def bookings_of_day(conn: AsyncConnection, setup: OfficeSetup, day: Any, *,
                          flagged_only: bool = False) -> list[dict[str, Any]]:
    """What the desk sees: the day's bookings in slot order, or every flagged booking still ahead."""
    table = Booking.__table__
    query = sa.select(table).where(table.c.office_id == setup.id, table.c.status != "held",
                                   table.c.status != "expired")
    if flagged_only:
        query = query.where(table.c.flag.is_not(None), table.c.status == "confirmed")
    else:
        query = query.where(table.c.office_day == day)
    rows = await conn.execute(query.order_by(table.c.starts_at, table.c.place))
    return [dict(row) for row in rows.mappings()]


async def pending_hold(conn: AsyncConnection, setup: OfficeSetup, booking_id: str, now: datetime) -> dict[str, Any]:
    """A hold still waiting for its code (what the code page shows); `code_expired` or
    `booking_not_found` otherwise, `already_confirmed` once it went through."""
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == booking_id, table.c.office_id == setup.id)
                              )).mappings().first()
    if row is None:
        raise DomainError("booking_not_found")
    if row["status"] == "confirmed":
        raise DomainError("already_confirmed", booking=row["code"])
    if row["status"] != "held" or row["hold_expires_at"] <= now:
        raise DomainError("code_expired")
    return dict(row)

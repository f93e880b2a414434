"""Online booking: hold a place for a person, confirm it with a one-time code, look it up.

Guarantees:
- a slot's places are never over-booked and no place is sold twice: every change to a slot
  takes the slot's lock (`locking.take_numbers` on its counter row) before counting, and the
  partial UNIQUE index on (service, start, place) over active bookings backs it;
- a person (their travel document: issuing country + number, whatever the name's spelling) has
  at most one active booking per service, and so has a case number where the service asks for
  one (both checked under the lock, backed by partial UNIQUE indexes);
- an unconfirmed hold keeps its place until it is expired (by the sweeper, the next booking of
  that slot, the same person's next hold, or a confirmation that comes too late or after the
  last wrong code); its place is then passed on, never simply freed: to the waiting list, or
  withheld until a moment nobody can know (okienko/booking/withheld.py), so the next booker of the
  slot never gets it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.notify.booking_mail import Notifier
from okienko.notify.caldav_push import CALENDAR_KINDS, booking_changed
from okienko.booking.cases import active_booking_of_case, check_open_case
from okienko.errors import DomainError
from okienko.storage.locking import take_numbers
from okienko.storage.models import ACTIVE_BOOKING_STATUSES as ACTIVE, Booking, BookingEvent, Draw, WaitlistEntry
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.people import PERSON_COLUMNS, Person, mask_email, mask_phone, stored_person
from okienko.booking.slots import Slot, check_bookable, schedule_of
from okienko.booking.withheld import forget_released, occupied_places, withhold

# What becomes of the place of a hold that ended unconfirmed (the waiting list, else withheld);
# called in the same transaction, under the slot's lock.
PassOn = Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]]

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or typed on a kiosk is not mistaken.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


@dataclass(frozen=True)
class Held:
    booking: dict[str, Any]
    sent_to: dict[str, str]     # channel -> masked address
    slot_now_full: bool = False  # this hold took the slot's last place
    secret: str | None = None    # booked by the call centre: confirmed at once, its manage link's secret


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
    """Append one fact to the booking's history (statistics read these); a fact the staff's CalDAV
    calendars must show (CALENDAR_KINDS) is recorded for them in the same transaction."""
    await conn.execute(sa.insert(BookingEvent.__table__).values(
        office_id=booking["office_id"], booking_id=booking["id"], kind=kind, at=now, detail=detail))
    if kind in CALENDAR_KINDS:
        await booking_changed(conn, booking, now)


async def expire_stale_holds(conn: AsyncConnection, now: datetime, **where: Any) -> list[dict[str, Any]]:
    """Mark holds past their time as expired (filtered by column values); returns those this call
    expired, whose places the caller must pass on."""
    table = Booking.__table__
    conditions = [table.c.status == "held", table.c.hold_expires_at <= now]
    conditions += [table.c[column] == value for column, value in where.items()]
    rows = (await conn.execute(sa.select(table).where(*conditions))).mappings().all()
    expired = []
    for row in rows:
        done = await conn.execute(sa.update(table).where(table.c.id == row["id"], table.c.status == "held")
                                  .values(status="expired", ended_at=now, confirm_code_hash=None))
        if done.rowcount == 1:   # another transaction may have expired it first: its place is passed on once
            await record(conn, dict(row), "expired", now)
            expired.append(dict(row))
    return expired


async def withhold_ended_hold(conn: AsyncConnection, setup: OfficeSetup, booking: dict[str, Any],
                              now: datetime) -> None:
    """The place of a hold that ended unconfirmed, where the waiting list cannot be asked (inside a
    booking of the same slot): withheld until a moment nobody can know, never handed to the booker
    at hand. A lapsed waiting-list offer takes its person off the list."""
    if booking["waitlist_entry_id"] is not None:
        entries = WaitlistEntry.__table__
        await conn.execute(sa.update(entries).where(entries.c.id == booking["waitlist_entry_id"],
                                                    entries.c.status == "offered").values(status="lapsed"))
    if booking["starts_at"] > now:
        await withhold(conn, setup, setup.service_by_id(booking["service_id"]), booking["starts_at"],
                       booking["place"], now)


async def take_place(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, slot: Slot, now: datetime,
                     extra_locks: tuple[str, ...] = ()) -> tuple[int, int]:
    """Lock the slot and return its lowest free place and how many stay free after it is taken;
    `slot_full` when none is left. Holds of the slot past their time are expired here and their
    places withheld (not given to this booker); withheld places whose moment came are forgotten.

    Lock order, everywhere: slot counter rows (sorted), then booking rows.
    """
    await take_numbers(conn, {name: 1 for name in (slot_lock(service.id, slot.starts_at), *extra_locks)})
    await forget_released(conn, now, service_id=service.id, starts_at=slot.starts_at)
    for expired in await expire_stale_holds(conn, now, service_id=service.id, starts_at=slot.starts_at):
        await withhold_ended_hold(conn, setup, expired, now)
    occupied = occupied_places(now, service.id, starts_at=slot.starts_at)
    taken = set((await conn.execute(sa.select(occupied.c.place))).scalars())
    free = [place for place in range(1, slot.places + 1) if place not in taken]
    if not free:
        raise DomainError("slot_full")
    return free[0], len(free) - 1


async def places_taken(conn: AsyncConnection, service_id: int, first: date, last: date,
                       now: datetime) -> dict[datetime, int]:
    """Places taken per slot start of the service on the days `first`..`last` (no lock: a listing).

    The bounds are taken a day wider on each side in UTC, whatever the office's time zone: a
    start outside the days is never looked up."""
    since = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    until = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=timezone.utc)
    occupied = occupied_places(now, service_id, between=(since, until))
    rows = await conn.execute(sa.select(occupied.c.starts_at, sa.func.count()).group_by(occupied.c.starts_at))
    return {start: int(count) for start, count in rows}


async def is_full(conn: AsyncConnection, service_id: int, slot: Slot, now: datetime) -> bool:
    """Every place of the slot taken at `now` (no lock: a hint; `take_place` decides under the lock)."""
    occupied = occupied_places(now, service_id, starts_at=slot.starts_at)
    taken = (await conn.execute(sa.select(sa.func.count()).select_from(occupied))).scalar_one()
    return taken >= slot.places


async def refuse_if_draw_pending(conn: AsyncConnection, setup: OfficeSetup, service_id: int, day: date) -> None:
    """`draw_pending` while the draw of the service's `day` has not run: until then its places
    belong to the draw, not to whoever is first (call it under the slot's lock: the draw takes
    every slot lock of its day, so a hold waits for a running draw and then sees it done)."""
    table = Draw.__table__
    closes_at = (await conn.execute(sa.select(table.c.closes_at).where(
        table.c.service_id == service_id, table.c.office_day == day, table.c.status != "done"))).scalar()
    if closes_at is not None:
        raise DomainError("draw_pending", day=day, time=closes_at.astimezone(setup.timezone))


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
               stored: dict[str, Any] | None = None,
               case_key: str | None = None, by: str | None = None) -> Held:
    """Hold a place of the slot at `starts_at` for `person` and send them a one-time code.

    `by`: the call-centre operator booking on the caller's behalf: the booking is confirmed at once
    (no one-time code: the operator speaks to the person), its history names the operator, and the
    confirmation goes by SMS (and email if given). Every other rule is the same.

    `case_key` (the keyed hash of a case number, `people.case_key`) binds the booking to a case:
    one active booking per case and service. `stored`: the person as a waiting-list entry keeps
    them (`people.PERSON_COLUMNS`), for an offer made to it (its document number is not known).
    Refuses with `closed_day`, `outside_horizon`, `no_such_slot`, `draw_pending` (a draw day whose
    draw has not run), `already_booked`, `case_already_booked`, `unknown_case` (where the office
    keeps a list of open cases) or `slot_full`.
    """
    schedule = schedule_of(service, language)
    slot = check_bookable(setup, schedule, starts_at, now) if waitlist_entry_id is None else \
        _known_slot(setup, service, starts_at)
    kept = {name: stored[name] for name in PERSON_COLUMNS} if stored else stored_person(secret_key, person)
    key = kept["person_key"]
    # Slot lock first, booking rows after: every writer takes them in this order (no deadlocks).
    place, left = await take_place(conn, setup, service, slot, now)
    if waitlist_entry_id is None:
        await refuse_if_draw_pending(conn, setup, service.id, slot.day)
    # The person's (and the case's) holds past their time end first, their places passed on.
    stale = await expire_stale_holds(conn, now, service_id=service.id, person_key=key)
    if case_key is not None:
        stale += await expire_stale_holds(conn, now, service_id=service.id, case_key=case_key)
    for expired in stale:
        await withhold_ended_hold(conn, setup, expired, now)
    await refuse_second_booking(conn, setup, service, key, case_key, language, new_case=waitlist_entry_id is None)
    code = await _unused_code(conn, setup.id)
    one_time = f"{secrets.randbelow(1_000_000):06d}"
    booking_id = secrets.token_urlsafe(16)
    minutes = hold_minutes if hold_minutes is not None else setup.booking_policy.hold_minutes
    row = {
        "id": booking_id, "office_id": setup.id, "service_id": service.id, "office_day": slot.day,
        "starts_at": slot.starts_at, "ends_at": slot.ends_at, "place": place, "status": "held", "code": code,
        "secret_hash": "", **kept, "case_key": case_key, "language": language,
        "confirm_code_hash": digest(booking_id, one_time), "confirm_attempts": 0,
        "hold_expires_at": now + timedelta(minutes=minutes), "sequence": 0, "flag": None,
        "waitlist_entry_id": waitlist_entry_id, "ticket_id": None, "created_at": now, "confirmed_at": None,
        "ended_at": None,
    }
    if by is not None:
        return await _booked_by_phone(conn, setup, service, row, now, notifier, by, left)
    await conn.execute(sa.insert(Booking.__table__).values(**row))
    await record(conn, row, "offered" if waitlist_entry_id else "held", now, place=place)
    sms = bool(setup.booking_policy.sms and person.phone and notifier.can_sms)
    await notifier.one_time_code(conn, setup, service, row, one_time, now, sms=sms, offer=waitlist_entry_id is not None)
    sent_to = {"email": mask_email(person.email)}
    if sms:
        sent_to["sms"] = mask_phone(person.phone)
    return Held(row, sent_to, slot_now_full=left == 0)


async def refuse_second_booking(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, key: str,
                                case_key: str | None, language: str, *, new_case: bool = True) -> None:
    """The one home of "one active booking per person, and per case number, of a service" (for a
    hold, a waiting-list place and a draw entry alike): `already_booked` when the person (their
    travel document, `key`) holds one, `case_already_booked` when the case does, and, for a case
    number given anew where the office keeps its list of open cases, `unknown_case`. The partial
    UNIQUE indexes stay the last guard."""
    if await active_booking_of(conn, service.id, key):
        raise DomainError("already_booked", service=service.name(language))
    if case_key is None:
        return
    if new_case:
        await check_open_case(conn, setup, case_key)
    if await active_booking_of_case(conn, service.id, case_key):
        raise DomainError("case_already_booked", service=service.name(language))


async def _booked_by_phone(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, row: dict[str, Any],
                           now: datetime, notifier: Notifier, by: str, left: int) -> Held:
    """The hold `row` written confirmed at once for the call centre's operator `by` (bookings.hold)."""
    secret = secrets.token_urlsafe(24)
    row.update(status="confirmed", confirm_code_hash=None, hold_expires_at=None, confirmed_at=now,
               secret_hash=digest(secret))
    await conn.execute(sa.insert(Booking.__table__).values(**row))
    await record(conn, row, "held", now, place=row["place"], by=by)
    await record(conn, row, "confirmed", now, by=by)
    await notifier.booked_by_phone(conn, setup, service, row, secret, now)
    sent_to = {"email": mask_email(row["email"])} if row["email"] else {}
    if notifier.contact_of(setup, row) == "email+sms":
        sent_to["sms"] = mask_phone(row["phone"])
    return Held(row, sent_to, slot_now_full=left == 0, secret=secret)


def _known_slot(setup: OfficeSetup, service: ServiceSetup, starts_at: datetime) -> Slot:
    schedule = schedule_of(service)
    local = starts_at.astimezone(setup.timezone)
    return Slot(local, (starts_at + timedelta(minutes=schedule.slot_minutes)).astimezone(setup.timezone),
                schedule.places)


async def confirm(conn: AsyncConnection, setup: OfficeSetup, booking_id: str, code: str, *, now: datetime,
                  notifier: Notifier, pass_on: PassOn | None = None) -> Confirmed | DomainError:
    """Confirm a hold with its one-time code.

    Returns the confirmed booking, or the error to show (`wrong_code`, `code_attempts_used`,
    `code_expired`, `booking_not_found`): a wrong code is counted by one atomic UPDATE, so
    concurrent wrong codes never exceed the office's `code_attempts`; the last one drops the hold
    and no code (not even the right one) confirms it afterwards. The count must be committed even
    though the visitor sees an error. The place of a hold dropped or expired here goes to
    `pass_on` (by default it is withheld).
    """
    table = Booking.__table__
    limit = setup.booking_policy.code_attempts
    row = (await conn.execute(sa.select(table).where(table.c.id == booking_id, table.c.office_id == setup.id)
                              )).mappings().first()
    if row is None:
        return DomainError("booking_not_found")
    booking = dict(row)
    if booking["status"] == "confirmed":
        return DomainError("already_confirmed", booking=booking["code"])
    if booking["status"] != "held" or booking["hold_expires_at"] <= now:
        if booking["status"] == "held":
            await take_numbers(conn, {slot_lock(booking["service_id"], booking["starts_at"]): 1})
            for expired in await expire_stale_holds(conn, now, id=booking_id):
                await (pass_on or _withhold(setup, now))(conn, expired)
        return _ended(booking, limit)
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if not hmac.compare_digest(digest(booking_id, typed), booking["confirm_code_hash"] or ""):
        # The slot's lock before the booking's row, as every writer takes them.
        await take_numbers(conn, {slot_lock(booking["service_id"], booking["starts_at"]): 1})
        counted = (await conn.execute(sa.update(table).where(table.c.id == booking_id, table.c.status == "held")
                                      .values(confirm_attempts=table.c.confirm_attempts + 1)
                                      .returning(table.c.confirm_attempts))).scalar_one_or_none()
        if counted is None:   # dropped by a concurrent wrong code meanwhile
            return DomainError("code_attempts_used")
        left = limit - counted
        if left > 0:
            return DomainError("wrong_code", attempts=left)
        await conn.execute(sa.update(table).where(table.c.id == booking_id, table.c.status == "held")
                           .values(status="expired", ended_at=now, confirm_code_hash=None))
        await record(conn, booking, "expired", now, reason="wrong_codes")
        await (pass_on or _withhold(setup, now))(conn, {**booking, "status": "expired"})
        return DomainError("code_attempts_used")
    secret = secrets.token_urlsafe(24)
    booking.update(status="confirmed", confirmed_at=now, confirm_code_hash=None, hold_expires_at=None,
                   secret_hash=digest(secret))
    done = await conn.execute(sa.update(table).where(
        table.c.id == booking_id, table.c.status == "held", table.c.confirm_attempts < limit).values(
        status="confirmed", confirmed_at=now, confirm_code_hash=None, hold_expires_at=None,
        secret_hash=booking["secret_hash"]))
    if done.rowcount != 1:   # the last wrong code of a concurrent request dropped it first
        return DomainError("code_attempts_used")
    await record(conn, booking, "confirmed", now)
    if booking["waitlist_entry_id"] is not None:
        entries = WaitlistEntry.__table__
        await conn.execute(sa.update(entries).where(entries.c.id == booking["waitlist_entry_id"])
                           .values(status="booked"))
    await notifier.confirmed(conn, setup, setup.service_by_id(booking["service_id"]), booking, secret, now)
    return Confirmed(booking, secret)


def _ended(booking: dict[str, Any], limit: int) -> DomainError:
    """Why a hold can no longer be confirmed: its wrong codes, or its time."""
    return DomainError("code_attempts_used" if booking["confirm_attempts"] >= limit else "code_expired")


def _withhold(setup: OfficeSetup, now: datetime) -> PassOn:
    async def withhold_place(conn: AsyncConnection, booking: dict[str, Any]) -> None:
        await withhold_ended_hold(conn, setup, booking, now)
    return withhold_place


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
        raise _ended(dict(row), setup.booking_policy.code_attempts)
    return dict(row)

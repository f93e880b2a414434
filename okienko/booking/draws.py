"""Draws: a service's newly released day is given out by lot, not to the fastest.

Day D of a service with `release_mode = "draw"` opens for entries at its release moment for
`draw_minutes` (slots.draw_window). During that window a person enters once (identity, contact,
up to three time ranges in order) and confirms the entry with a one-time code, like a hold; the
confirmation gives them a receipt, from which they can recompute their entry's public `ticket`.
When the window closes the draw runs once (okienko/booking/draw_run.py); the places left over are
then bookable first come.

Guarantees:
- the draw's seed is fixed, and its SHA-256 (`commitment`) public, before its window opens: the
  row is made ahead (the sweeper makes the next 24 hours' draws) and never changes its seed;
- one entry per person (person_key) in each draw, checked here and backed by a partial UNIQUE
  index; nobody who holds a booking of the service can enter;
- an entry counts only once confirmed with its code, and only while the window is open.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.notify.booking_mail import Notifier
from okienko.booking.bookings import digest, refuse_second_booking
from okienko.errors import DomainError
from okienko.storage.locking import upsert_insert
from okienko.storage.models import Booking, Draw, DrawEntry, WaitlistEntry
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.people import ERASED_PERSON, Person, mask_email, mask_phone, stored_person
from okienko.booking.slots import draw_days_around, draw_window

AHEAD = timedelta(hours=24)          # draws are made (and their commitment shown) this long ahead
SHOWN_DONE_DAYS = 14                 # the list of a service's draws keeps done ones this long
MAX_PREFERENCES = 3
VERIFY = ("To check the draw: compute sha256(seed + \":\" + ticket) as lowercase hex for every ticket in the "
          "result, and sort the tickets by it, ascending; that is the drawn order (rank 1 first). Check first "
          "that sha256(seed) equals the commitment published before the window opened. Your own ticket is "
          "HMAC-SHA256(key = your receipt, message = \"okienko-draw:\" + draw id), its first 32 hex characters. "
          "In that order each entry got the earliest free visit within its first time range, else its second, "
          "else its third (no ranges: any time that day).")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def is_draw_service(setup: OfficeSetup, service: ServiceSetup) -> bool:
    return service.booking is not None and setup.booking_policy.release_mode_of(service.booking) == "draw"


def commitment_of(seed: str) -> str:
    """The public commitment to a seed: SHA-256 of its hex text."""
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket_of(receipt: str, draw_id: int) -> str:
    """The entry's public keyed hash in the draw's list; its holder recomputes it from the receipt."""
    return hmac.new(receipt.encode(), f"okienko-draw:{draw_id}".encode(), hashlib.sha256).hexdigest()[:32]


def order_key(seed: str, ticket: str) -> str:
    """Where a ticket falls in the drawn order: ascending sha256(seed ":" ticket)."""
    return hashlib.sha256(f"{seed}:{ticket}".encode()).hexdigest()


def public_status(draw: dict[str, Any], now: datetime) -> str:
    """upcoming (before the window) | open | closed (window over, not run yet) | done."""
    if draw["status"] == "done":
        return "done"
    if now < draw["opens_at"]:
        return "upcoming"
    return "open" if now < draw["closes_at"] else "closed"


def parse_preferences(raw: Any) -> list[list[int]]:
    """Up to three {"from": "HH:MM", "to": "HH:MM"} ranges, in order, as [from, to] local minutes;
    `bad_preferences` for anything else (an empty list or none: any time that day)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_PREFERENCES:
        raise DomainError("bad_preferences")
    ranges = []
    for item in raw:
        if not isinstance(item, dict):
            raise DomainError("bad_preferences")
        bounds = []
        for name in ("from", "to"):
            text = item.get(name)
            match = _TIME.match(text) if isinstance(text, str) else None
            if match is None:
                if name == "to" and text == "24:00":
                    bounds.append(24 * 60)
                    continue
                raise DomainError("bad_preferences")
            bounds.append(int(match.group(1)) * 60 + int(match.group(2)))
        if bounds[0] >= bounds[1]:
            raise DomainError("bad_preferences")
        ranges.append(bounds)
    return ranges


def preferences_json(ranges: list[list[int]]) -> list[dict[str, str]]:
    def text(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"
    return [{"from": text(a), "to": text(b)} for a, b in ranges]


# --- making draws ahead ------------------------------------------------------------------------
async def ensure_draws(conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                       services: list[ServiceSetup] | None = None) -> int:
    """Make the draw of every day (of the office's draw services, or of `services`) whose window is
    open or opens within the next 24 hours; returns how many were made.

    Idempotent and safe in several processes: a row that exists is kept (its seed never changes),
    a concurrent insert of the same day is skipped by the UNIQUE (service, day) constraint.
    """
    wanted = [(service, day) for service in (services or setup.services) if is_draw_service(setup, service)
              for day in draw_days_around(setup, service.booking, now, AHEAD)]  # type: ignore[arg-type]
    if not wanted:
        return 0
    table = Draw.__table__
    existing = {(row.service_id, row.office_day) for row in await conn.execute(
        sa.select(table.c.service_id, table.c.office_day).where(
            table.c.service_id.in_({service.id for service, _ in wanted}),
            table.c.office_day.in_({day for _, day in wanted})))}
    insert = upsert_insert(conn)
    made = 0
    for service, day in wanted:
        if (service.id, day) in existing:
            continue
        window = draw_window(setup, service.booking, day)  # type: ignore[arg-type]
        assert window is not None
        seed = secrets.token_hex(32)
        done = await conn.execute(insert(table).values(
            office_id=setup.id, service_id=service.id, office_day=day, opens_at=window[0], closes_at=window[1],
            status="open", seed=seed, commitment=commitment_of(seed), created_at=now, places=0, entries=0,
            result=[]).on_conflict_do_nothing(index_elements=["service_id", "office_day"]))
        made += done.rowcount or 0
    return made


async def draws_missing(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, now: datetime) -> bool:
    """Whether some draw of the service that should exist by now does not (a cheap read first)."""
    if not is_draw_service(setup, service):
        return False
    days = draw_days_around(setup, service.booking, now, AHEAD)  # type: ignore[arg-type]
    if not days:
        return False
    table = Draw.__table__
    found = (await conn.execute(sa.select(sa.func.count()).where(
        table.c.service_id == service.id, table.c.office_day.in_(days)))).scalar_one()
    return int(found) < len(days)


# --- reading draws -----------------------------------------------------------------------------
async def draw_row(conn: AsyncConnection, setup: OfficeSetup, draw_id: Any) -> dict[str, Any]:
    """The office's draw with this id (any text is accepted); `draw_not_found` otherwise."""
    try:
        number = int(str(draw_id))
    except ValueError:
        raise DomainError("draw_not_found") from None
    if not 0 < number < 2 ** 31:
        raise DomainError("draw_not_found")
    table = Draw.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == number, table.c.office_id == setup.id))
           ).mappings().first()
    if row is None:
        raise DomainError("draw_not_found")
    return dict(row)


async def draws_of(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, now: datetime,
                   first: date | None = None, last: date | None = None) -> list[dict[str, Any]]:
    """The service's draws by day: those not done, and those done in the last 14 days (or all
    between `first` and `last`)."""
    table = Draw.__table__
    query = sa.select(*_listed(table)).where(table.c.service_id == service.id)
    if first is not None and last is not None:
        query = query.where(table.c.office_day >= first, table.c.office_day <= last)
    else:
        query = query.where(sa.or_(table.c.status != "done", table.c.ran_at >= now - timedelta(days=SHOWN_DONE_DAYS)))
    rows = await conn.execute(query.order_by(table.c.office_day))
    return [dict(row) for row in rows.mappings()]


def _listed(table: sa.Table) -> list[Any]:
    """A draw's columns but its result (thousands of lines once run), for lists."""
    return [column for column in table.c if column.name != "result"]


async def next_draw(conn: AsyncConnection, service: ServiceSetup) -> dict[str, Any] | None:
    """The service's current or next draw (the earliest not run yet), or None."""
    table = Draw.__table__
    row = (await conn.execute(sa.select(*_listed(table)).where(table.c.service_id == service.id,
                                                               table.c.status != "done")
                              .order_by(table.c.opens_at, table.c.id).limit(1))).mappings().first()
    return dict(row) if row else None


def draw_json(setup: OfficeSetup, draw: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A draw as the public sees it: the seed only once it has run."""
    done = draw["status"] == "done"
    return {"id": draw["id"], "service": setup.service_by_id(draw["service_id"]).code,
            "day": draw["office_day"].isoformat(),
            "opens_at": draw["opens_at"].astimezone(setup.timezone).isoformat(),
            "closes_at": draw["closes_at"].astimezone(setup.timezone).isoformat(),
            "status": public_status(draw, now), "commitment": draw["commitment"],
            "seed": draw["seed"] if done else None, "places": draw["places"] if done else None,
            "entries": draw["entries"] if done else None}


def draw_detail_json(setup: OfficeSetup, draw: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A draw with its published result (empty until it has run) and how to check it."""
    return {**draw_json(setup, draw, now), "result": draw["result"] if draw["status"] == "done" else [],
            "verify": VERIFY}


def _window_error(setup: OfficeSetup, draw: dict[str, Any]) -> DomainError:
    return DomainError("draw_not_open", opens=draw["opens_at"].astimezone(setup.timezone),
                       closes=draw["closes_at"].astimezone(setup.timezone))


def _check_open(setup: OfficeSetup, draw: dict[str, Any], now: datetime) -> None:
    if draw["status"] == "done" or not draw["opens_at"] <= now < draw["closes_at"]:
        raise _window_error(setup, draw)


# --- entering ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entered:
    entry: dict[str, Any]
    sent_to: dict[str, str]
    receipt: str | None = None   # entered by the call centre: in at once, its receipt


async def enter(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, draw: dict[str, Any],
                person: Person, preferences: list[list[int]], *, language: str, secret_key: str, now: datetime,
                notifier: Notifier, case_key: str | None = None, by: str | None = None) -> Entered:
    """Enter the person into the draw (pending until confirmed by the code sent to them).

    `by`: the call-centre operator entering a caller: the entry is in at once (no code: the
    operator speaks to the person), and the caller is told by SMS (and email if given).

    Refuses with `draw_not_open` (outside the window), `already_booked` (the person holds a
    booking of the service), `case_already_booked` / `unknown_case` (the entry's case number,
    where the service asks for one) or `already_entered` (an entry of theirs, or of their case,
    is pending or in); a concurrent second entry fails on the partial UNIQUE indexes (the caller
    maps it).
    """
    _check_open(setup, draw, now)
    kept = stored_person(secret_key, person)
    key = kept["person_key"]
    await refuse_second_booking(conn, setup, service, key, case_key, language)
    table = DrawEntry.__table__
    await conn.execute(sa.update(table).where(
        table.c.draw_id == draw["id"], table.c.person_key == key, table.c.status == "pending",
        table.c.pending_expires_at <= now).values(status="expired", confirm_code_hash=None))
    same = table.c.person_key == key if case_key is None else sa.or_(table.c.person_key == key,
                                                                      table.c.case_key == case_key)
    if (await conn.execute(sa.select(table.c.id).where(table.c.draw_id == draw["id"], same,
                                                       table.c.status.in_(("pending", "entered"))))).first():
        raise already_entered(service, draw, language)
    entry_id = secrets.token_urlsafe(16)
    one_time = f"{secrets.randbelow(1_000_000):06d}"
    row = {
        "id": entry_id, "office_id": setup.id, "draw_id": draw["id"], "service_id": service.id, "status": "pending",
        **kept, "case_key": case_key, "language": language, "preferences": preferences,
        "confirm_code_hash": digest(entry_id, one_time), "confirm_attempts": 0,
        "pending_expires_at": min(now + timedelta(minutes=setup.booking_policy.hold_minutes), draw["closes_at"]),
        "secret_hash": "", "ticket": None, "rank": None, "booking_id": None, "created_at": now, "entered_at": None,
    }
    if by is not None:
        receipt = secrets.token_urlsafe(18)
        row.update(status="entered", entered_at=now, confirm_code_hash=None, secret_hash=digest(receipt),
                   ticket=ticket_of(receipt, draw["id"]))
        await conn.execute(sa.insert(table).values(**row))
        sms = await notifier.entered_by_phone(conn, setup, service, row, draw, now)
        sent_to = {"email": mask_email(person.email)} if person.email else {}
        return Entered(row, {**sent_to, **({"sms": mask_phone(person.phone)} if sms else {})}, receipt)
    await conn.execute(sa.insert(table).values(**row))
    await notifier.entry_code(conn, setup, service, row, draw, one_time, now)
    return Entered(row, {"email": mask_email(person.email)})


def already_entered(service: ServiceSetup, draw: dict[str, Any], language: str) -> DomainError:
    return DomainError("already_entered", service=service.name(language), day=draw["office_day"])


async def _entry(conn: AsyncConnection, setup: OfficeSetup, entry_id: str) -> dict[str, Any]:
    table = DrawEntry.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == str(entry_id), table.c.office_id == setup.id))
           ).mappings().first()
    if row is None:
        raise DomainError("entry_not_found")
    return dict(row)


async def confirm_entry(conn: AsyncConnection, setup: OfficeSetup, entry_id: str, code: str,
                        now: datetime) -> tuple[dict[str, Any], dict[str, Any], str] | DomainError:
    """Confirm a pending entry with its one-time code: returns (entry, draw, receipt), or the error
    to show (`entry_not_found`, `draw_not_open`, `code_expired`, `wrong_code`; after the last wrong
    code the entry is dropped). A wrong code is counted by one atomic UPDATE, so two guesses at
    once both count; the caller commits the count even though the visitor sees an error.
    """
    try:
        entry = await _entry(conn, setup, entry_id)
        draw = await draw_row(conn, setup, entry["draw_id"])
    except DomainError as error:
        return DomainError("entry_not_found") if error.code == "draw_not_found" else error
    table = DrawEntry.__table__
    if entry["status"] == "entered":
        return already_entered(setup.service_by_id(entry["service_id"]), draw, entry["language"])
    if entry["status"] == "pending" and (draw["status"] == "done" or not draw["opens_at"] <= now < draw["closes_at"]):
        return _window_error(setup, draw)
    if entry["status"] != "pending" or entry["pending_expires_at"] <= now:
        return DomainError("code_expired")
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if not hmac.compare_digest(digest(entry["id"], typed), entry["confirm_code_hash"] or ""):
        attempts = (await conn.execute(sa.update(table).where(table.c.id == entry["id"], table.c.status == "pending")
                                       .values(confirm_attempts=table.c.confirm_attempts + 1)
                                       .returning(table.c.confirm_attempts))).scalar()
        if attempts is None:
            return DomainError("code_expired")
        left = setup.booking_policy.code_attempts - attempts
        if left > 0:
            return DomainError("wrong_code", attempts=left)
        await conn.execute(sa.update(table).where(table.c.id == entry["id"], table.c.status == "pending")
                           .values(status="expired", confirm_code_hash=None))
        return DomainError("code_attempts_used")
    receipt = secrets.token_urlsafe(18)
    values = {"status": "entered", "entered_at": now, "confirm_code_hash": None, "secret_hash": digest(receipt),
              "ticket": ticket_of(receipt, draw["id"])}
    # Only while the attempts last: wrong codes counted meanwhile by other requests also count.
    done = await conn.execute(sa.update(table).where(
        table.c.id == entry["id"], table.c.status == "pending",
        table.c.confirm_attempts < setup.booking_policy.code_attempts).values(**values))
    if done.rowcount != 1:
        return DomainError("code_attempts_used")
    return {**entry, **values}, draw, receipt


async def entry_with_receipt(conn: AsyncConnection, setup: OfficeSetup, entry_id: str, receipt: str) -> dict[str, Any]:
    """The entry whose receipt matches; `entry_not_found` otherwise (also for a wrong receipt)."""
    entry = await _entry(conn, setup, entry_id)
    if not entry["secret_hash"] or not hmac.compare_digest(entry["secret_hash"], digest(receipt or "")):
        raise DomainError("entry_not_found")
    return entry


async def entry_status(conn: AsyncConnection, setup: OfficeSetup, entry_id: str, receipt: str, now: datetime,
                       language: str) -> dict[str, Any]:
    """Where the entry stands, for whoever holds its receipt: entered, won (with the booking),
    not drawn (with the waiting-list position where it is on the list) or withdrawn."""
    entry = await entry_with_receipt(conn, setup, entry_id, receipt)
    draw = await draw_row(conn, setup, entry["draw_id"])
    service = setup.service_by_id(entry["service_id"])
    booking = None
    if entry["booking_id"]:
        table = Booking.__table__
        row = (await conn.execute(sa.select(table).where(table.c.id == entry["booking_id"]))).mappings().first()
        if row is not None:
            booking = {"code": row["code"], "status": row["status"],
                       "start": row["starts_at"].astimezone(setup.timezone).isoformat(),
                       "end": row["ends_at"].astimezone(setup.timezone).isoformat(), "manage_url": None}
    position = None
    if entry["status"] == "not_drawn" and entry["person_key"]:
        position = await _waitlist_position(conn, entry)
    return {"id": entry["id"], "status": entry["status"], "service": service.code,
            "service_name": service.name(language), "day": draw["office_day"].isoformat(),
            "draw": draw_json(setup, draw, now), "ticket": entry["ticket"], "rank": entry["rank"],
            "preferences": preferences_json(entry["preferences"] or []),
            "person": {"name": entry["person_name"], "document": entry["document_masked"]},
            "booking": booking, "waitlist_position": position}


async def _waitlist_position(conn: AsyncConnection, entry: dict[str, Any]) -> int | None:
    table = WaitlistEntry.__table__
    mine = (await conn.execute(sa.select(table.c.joined_at, table.c.id).where(
        table.c.service_id == entry["service_id"], table.c.person_key == entry["person_key"],
        table.c.status == "waiting"))).first()
    if mine is None:
        return None
    ahead = (await conn.execute(sa.select(sa.func.count()).where(
        table.c.service_id == entry["service_id"], table.c.status == "waiting",
        sa.or_(table.c.joined_at < mine.joined_at,
               sa.and_(table.c.joined_at == mine.joined_at, table.c.id <= mine.id))))).scalar_one()
    return int(ahead)


async def withdraw_entry(conn: AsyncConnection, setup: OfficeSetup, entry_id: str, receipt: str,
                         now: datetime) -> dict[str, Any]:
    """Take a confirmed entry out of the draw while its window is open (`draw_not_open` after)."""
    entry = await entry_with_receipt(conn, setup, entry_id, receipt)
    draw = await draw_row(conn, setup, entry["draw_id"])
    if entry["status"] == "withdrawn":
        return entry
    _check_open(setup, draw, now)
    table = DrawEntry.__table__
    done = await conn.execute(sa.update(table).where(table.c.id == entry["id"], table.c.status == "entered")
                              .values(status="withdrawn"))
    if done.rowcount != 1:
        raise _window_error(setup, draw)
    return {**entry, "status": "withdrawn"}



async def erase_old_entries(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> int:
    """Pseudonymise entries made more than `retention_days` ago whose draw is over (GDPR): what is
    kept (status, rank, ticket) still checks the published result, not who entered."""
    table = DrawEntry.__table__
    done = await conn.execute(sa.update(table).where(
        table.c.office_id == setup.id, table.c.created_at < now - timedelta(days=setup.booking_policy.retention_days),
        table.c.person_key != "", table.c.status.not_in(("pending", "entered"))).values(**ERASED_PERSON))
    return done.rowcount or 0

"""The waiting list: freed places go first to the people waiting for that service, in the order
they joined, each offer held for a set time; where the office turns it on.

An offer is an ordinary hold, made for the person at the head of the list and confirmed with the
one-time code sent to them; if it lapses, the next person gets it; with nobody left (or no list),
the place is withheld and returns to the calendar at a moment nobody can know
(okienko/booking/withheld.py).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.notify.booking_mail import Notifier
from okienko.booking.bookings import active_booking_of, digest, hold, refuse_second_booking
from okienko.booking.cases import active_booking_of_case
from okienko.errors import DomainError
from okienko.storage.models import WaitlistEntry
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.people import Person, stored_person
from okienko.booking.slots import schedule_of
from okienko.booking.withheld import withhold


async def join(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, person: Person, *, language: str,
               secret_key: str, now: datetime, case_key: str | None = None) -> tuple[dict[str, Any], int, str]:
    """Put the person on the service's waiting list; returns the entry, its position and its secret.
    `case_key` (a case number's keyed hash) goes with the entry to the booking it may become.

    Refuses with `waitlist_off`, `already_booked`, `case_already_booked`, `unknown_case` or
    `already_waiting`.
    """
    schedule_of(service, language)
    if not setup.booking_policy.waitlist:
        raise DomainError("waitlist_off")
    kept = stored_person(secret_key, person)
    key = kept["person_key"]
    await refuse_second_booking(conn, setup, service, key, case_key, language)
    table = WaitlistEntry.__table__
    waiting = (await conn.execute(sa.select(table.c.id).where(
        table.c.service_id == service.id, table.c.person_key == key,
        table.c.status.in_(("waiting", "offered"))))).first()
    if waiting:
        raise DomainError("already_waiting", service=service.name(language))
    secret = secrets.token_urlsafe(24)
    row = {"office_id": setup.id, "service_id": service.id, "status": "waiting", **kept, "case_key": case_key,
           "language": language, "joined_at": now, "secret_hash": digest(secret)}
    # A concurrent join of the same person fails on the partial UNIQUE index (the caller maps it).
    row["id"] = (await conn.execute(sa.insert(table).values(**row).returning(table.c.id))).scalar_one()
    return row, await position(conn, row), secret


async def position(conn: AsyncConnection, entry: dict[str, Any]) -> int:
    table = WaitlistEntry.__table__
    ahead = (await conn.execute(sa.select(sa.func.count()).where(
        table.c.service_id == entry["service_id"], table.c.status == "waiting",
        table.c.joined_at <= entry["joined_at"], table.c.id <= entry["id"]))).scalar_one()
    return int(ahead)


async def leave(conn: AsyncConnection, setup: OfficeSetup, entry_id: int, secret: str) -> None:
    table = WaitlistEntry.__table__
    row = (await conn.execute(sa.select(table).where(table.c.id == entry_id, table.c.office_id == setup.id)
                              )).mappings().first()
    if row is None or not hmac.compare_digest(row["secret_hash"], digest(secret or "")):
        raise DomainError("not_found")
    await conn.execute(sa.update(table).where(table.c.id == entry_id, table.c.status == "waiting")
                       .values(status="left"))


async def offer_freed_place(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, starts_at: datetime,
                            *, secret_key: str, now: datetime, notifier: Notifier) -> dict[str, Any] | None:
    """Offer a place just freed (inside the transaction that freed it) to the first person waiting.

    Returns the offer (a hold) or None when the list is off or empty: the caller then withholds
    the place (`pass_on_freed_place`). People who have meanwhile booked the service (or whose
    case has) are passed over and taken off.
    """
    policy = setup.booking_policy
    if not policy.waitlist or starts_at <= now:
        return None
    table = WaitlistEntry.__table__
    while True:
        entry = (await conn.execute(sa.select(table).where(table.c.service_id == service.id,
                                                           table.c.status == "waiting")
                                    .order_by(table.c.joined_at, table.c.id).limit(1))).mappings().first()
        if entry is None:
            return None
        if await active_booking_of(conn, service.id, entry["person_key"]) or (
                entry["case_key"] and await active_booking_of_case(conn, service.id, entry["case_key"])):
            await conn.execute(sa.update(table).where(table.c.id == entry["id"]).values(status="booked"))
            continue
        person = Person(name=entry["person_name"], birth_date=entry["birth_date"], document_number="",
                        email=entry["email"], phone=entry["phone"], document_country=entry["document_country"])
        held = await hold(conn, setup, service, starts_at, person, language=entry["language"],
                          secret_key=secret_key, now=now, notifier=notifier, waitlist_entry_id=entry["id"],
                          hold_minutes=policy.waitlist_offer_minutes, stored=entry,
                          case_key=entry["case_key"])
        await conn.execute(sa.update(table).where(table.c.id == entry["id"]).values(status="offered"))
        return held.booking


async def pass_on_freed_place(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup,
                              starts_at: datetime, place: int, *, secret_key: str, now: datetime,
                              notifier: Notifier) -> dict[str, Any] | None:
    """Where a place just freed goes (inside the transaction that freed it, under the slot's
    lock): an offer to the first person waiting, else withheld until its release moment, so the
    place never comes free at a moment the person who freed it knows. Returns the offer, if any."""
    if starts_at <= now:
        return None
    offer = await offer_freed_place(conn, setup, service, starts_at, secret_key=secret_key, now=now,
                                    notifier=notifier)
    if offer is None:
        await withhold(conn, setup, service, starts_at, place, now)
    return offer


async def lapse(conn: AsyncConnection, entry_id: int) -> None:
    """An offer was not taken in time: the person leaves the list (they may join again)."""
    table = WaitlistEntry.__table__
    await conn.execute(sa.update(table).where(table.c.id == entry_id, table.c.status == "offered")
                       .values(status="lapsed"))

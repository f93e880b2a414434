"""Changes to a confirmed booking (cancel, move) and the sweeps that keep bookings honest.

A booking whose slot the office took away (a closed day, shorter hours: flag `day_closed`) may
be moved by its visitor first, before the public can: past the change deadline, and into slots of
the `rebook_ahead_days` days after the public's last bookable day (days not released to anyone
else yet, a draw's day before its draw too). The same slot locks and UNIQUE places hold, so no
slot is over-booked; moving clears the flag.

A freed place is offered first to the person at the head of the waiting list, where the office
runs one; otherwise (or with nobody waiting) it is withheld and returns to the calendar at a
random moment (okienko/booking/withheld.py), so cancel-and-rebook cannot hand it to a buyer. Every change raises the booking's SEQUENCE and sends a
calendar update, so the visitor's calendar follows. Moving keeps the booking's code, its person
and its calendar UID: a booking cannot be handed to someone else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.notify.booking_mail import Notifier
from okienko.booking.bookings import expire_stale_holds, record, refuse_if_draw_pending, slot_lock, take_place
from okienko.errors import DomainError
from okienko.storage.locking import take_numbers
from okienko.storage.models import Booking, WaitlistEntry
from okienko.office.directory import OfficeSetup
from okienko.people import ERASED_PERSON
from okienko.booking.slots import check_bookable, schedule_of, slot_offered
from okienko.booking.withheld import forget_released
from okienko.booking.waitlist import lapse, pass_on_freed_place


DAY_CLOSED = "day_closed"   # the flag of a booking whose slot the office took away


def rebook_ahead_days(setup: OfficeSetup, booking: dict[str, Any]) -> int:
    """How many days past the public's horizon the booking may move to: the office's
    `rebook_ahead_days` for a confirmed booking flagged `day_closed`, else none."""
    if booking["status"] == "confirmed" and booking.get("flag") == DAY_CLOSED:
        return setup.booking_policy.rebook_ahead_days
    return 0


def change_deadline(setup: OfficeSetup, booking: dict[str, Any]) -> datetime:
    """Until when the visitor may move the booking (the office's `change_until_hours`)."""
    return booking["starts_at"] - timedelta(hours=setup.booking_policy.change_until_hours)


def cancel_deadline(booking: dict[str, Any]) -> datetime:
    """Until when the visitor may cancel: until the visit starts (the place is passed on, never
    freed at a moment they choose, so a late cancel cannot hand it to anyone)."""
    return booking["starts_at"]


def can_change(setup: OfficeSetup, booking: dict[str, Any], now: datetime) -> bool:
    """The booking may still be moved to another time (one whose day the office closed: always)."""
    return booking["status"] == "confirmed" and (now < change_deadline(setup, booking)
                                                 or booking.get("flag") == DAY_CLOSED)


def can_cancel(booking: dict[str, Any], now: datetime) -> bool:
    return booking["status"] == "confirmed" and now < cancel_deadline(booking)


def _check_changeable(setup: OfficeSetup, booking: dict[str, Any], now: datetime) -> None:
    if booking["status"] != "confirmed":
        raise DomainError("booking_not_active")
    if not can_change(setup, booking, now):
        raise DomainError("too_late_to_change", hours=setup.booking_policy.change_until_hours)


def _check_cancellable(booking: dict[str, Any], now: datetime) -> None:
    if booking["status"] != "confirmed":
        raise DomainError("booking_not_active")
    if not can_cancel(booking, now):
        raise DomainError("too_late_to_cancel")


async def cancel(conn: AsyncConnection, setup: OfficeSetup, booking: dict[str, Any], *, secret_key: str,
                 now: datetime, notifier: Notifier, by: str | None = None) -> dict[str, Any]:
    """Cancel a confirmed booking (until its visit starts); its place is offered to the waiting
    list or withheld until a moment nobody can know. `by`: the office's user who cancelled it on
    the visitor's behalf (kept in the booking's history)."""
    _check_cancellable(booking, now)
    table = Booking.__table__
    service = setup.service_by_id(booking["service_id"])
    await take_lock(conn, booking)
    booking = {**booking, "status": "cancelled", "ended_at": now, "sequence": booking["sequence"] + 1}
    done = await conn.execute(sa.update(table).where(table.c.id == booking["id"], table.c.status == "confirmed")
                              .values(status="cancelled", ended_at=now, sequence=booking["sequence"]))
    if done.rowcount != 1:
        raise DomainError("booking_not_active")
    await record(conn, booking, "cancelled", now, **({"by": by} if by else {}))
    await notifier.cancelled(conn, setup, service, booking, now)
    await _pass_on(conn, setup, service, booking["starts_at"], booking["place"], secret_key=secret_key, now=now,
                   notifier=notifier)
    return booking


async def _pass_on(conn: AsyncConnection, setup: OfficeSetup, service: Any, starts_at: datetime, place: int, *,
                   secret_key: str, now: datetime, notifier: Notifier) -> None:
    """A freed place goes on (waiting list, else withheld), unless its slot is gone (a closed day)."""
    if service.booking is not None and slot_offered(setup, service.booking, starts_at):
        await pass_on_freed_place(conn, setup, service, starts_at, place, secret_key=secret_key, now=now,
                                  notifier=notifier)


async def take_lock(conn: AsyncConnection, booking: dict[str, Any]) -> None:
    """Lock the booking's slot before offering its place on (the same lock bookings take)."""
    await take_numbers(conn, {slot_lock(booking["service_id"], booking["starts_at"]): 1})


async def reschedule(conn: AsyncConnection, setup: OfficeSetup, booking: dict[str, Any], starts_at: datetime, *,
                     secret_key: str, now: datetime, notifier: Notifier, language: str,
                     by: str | None = None) -> dict[str, Any]:
    """Move a confirmed booking to another slot of its service (until the office's deadline; a
    booking flagged `day_closed` at any time, also into days not yet released: the module's rule).
    `by`: the office's user who moved it on the visitor's behalf: the deadline is the visitor's,
    not the office's, so it does not apply (the slot rules do).

    The new place is taken before the old one is freed, both slots locked in a fixed order.
    """
    if by is None:
        _check_changeable(setup, booking, now)
    elif booking["status"] != "confirmed":
        raise DomainError("booking_not_active")
    service = setup.service_by_id(booking["service_id"])
    ahead = rebook_ahead_days(setup, booking)
    slot = check_bookable(setup, schedule_of(service, language), starts_at, now, ahead_days=ahead)
    if slot.starts_at == booking["starts_at"]:
        raise DomainError("same_slot")
    old_start = booking["starts_at"]
    place, _left = await take_place(conn, setup, service, slot, now,
                                    extra_locks=(slot_lock(service.id, old_start),))
    if not ahead:   # a day the office closed lets its people in before a draw (the draw gives the rest)
        await refuse_if_draw_pending(conn, setup, service.id, slot.day)
    table = Booking.__table__
    moved = {**booking, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "office_day": slot.day,
             "place": place, "sequence": booking["sequence"] + 1, "flag": None}
    done = await conn.execute(sa.update(table).where(table.c.id == booking["id"], table.c.status == "confirmed")
                              .values(starts_at=slot.starts_at, ends_at=slot.ends_at, office_day=slot.day,
                                      place=place, sequence=moved["sequence"], flag=None))
    if done.rowcount != 1:
        raise DomainError("booking_not_active")
    await record(conn, moved, "moved", now, before=old_start.isoformat(), **({"by": by} if by else {}))
    await notifier.moved(conn, setup, service, moved, now)
    await _pass_on(conn, setup, service, old_start, booking["place"], secret_key=secret_key, now=now,
                   notifier=notifier)
    return moved


async def sweep(conn: AsyncConnection, setup: OfficeSetup, *, secret_key: str, now: datetime,
                notifier: Notifier) -> dict[str, int]:
    """The periodic clean-up of one office, safe to run in several processes at once.

    - holds past their time expire; their places (a lapsed waiting-list offer's too) go to the
      next person waiting, else are withheld until a moment nobody can know;
    - withheld places whose moment has come are forgotten (`released` counts them; they count
      as free from that moment anyway, and the caller recounts the listings after every sweep);
    - confirmed bookings not checked in by the end of their check-in window become no-shows;
    - confirmed bookings on a day that has since closed are flagged for the office;
    - personal data of bookings finished longer than `retention_days` ago is erased.
    """
    table = Booking.__table__
    stale = (await conn.execute(sa.select(table.c.service_id, table.c.starts_at).where(
        table.c.office_id == setup.id, table.c.status == "held", table.c.hold_expires_at <= now))).all()
    if stale:  # the slots' locks before their rows, as every writer does
        await take_numbers(conn, {slot_lock(service_id, starts_at): 1 for service_id, starts_at in stale})
    expired = await expire_stale_holds(conn, now, office_id=setup.id)
    for booking in expired:
        await pass_on_ended_hold(conn, setup, booking, secret_key=secret_key, now=now, notifier=notifier)
    released = await forget_released(conn, now, office_id=setup.id)
    late = setup.booking_policy.missed_before(now)
    missed = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id, table.c.status == "confirmed",
                                                        table.c.starts_at < late))).mappings().all()
    for booking in missed:
        await conn.execute(sa.update(table).where(table.c.id == booking["id"], table.c.status == "confirmed")
                           .values(status="no_show", ended_at=now))
        await record(conn, dict(booking), "no_show", now)
    flagged = await flag_closed_days(conn, setup, now)
    erased = await erase_personal_data(conn, setup, now)
    return {"expired": len(expired), "no_show": len(missed), "flagged": flagged, "erased": erased,
            "released": released}


async def pass_on_ended_hold(conn: AsyncConnection, setup: OfficeSetup, booking: dict[str, Any], *, secret_key: str,
                             now: datetime, notifier: Notifier) -> None:
    """The place of a hold that ended unconfirmed (expired, or dropped after wrong codes), under
    its slot's lock: a lapsed waiting-list offer takes its person off the list; the place goes to
    the next person waiting, else it is withheld."""
    if booking["waitlist_entry_id"] is not None:
        await lapse(conn, booking["waitlist_entry_id"])
    await pass_on_freed_place(conn, setup, setup.service_by_id(booking["service_id"]), booking["starts_at"],
                              booking["place"], secret_key=secret_key, now=now, notifier=notifier)


async def erase_personal_data(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> int:
    """Pseudonymise bookings and waiting-list entries ended more than `retention_days` ago (GDPR).

    What is kept (service, slot, status, events) is enough for statistics, not for knowing who came.
    """
    before = now - timedelta(days=setup.booking_policy.retention_days)
    table, entries = Booking.__table__, WaitlistEntry.__table__
    done = await conn.execute(sa.update(table).where(
        table.c.office_id == setup.id, table.c.ended_at < before, table.c.person_key != "",
        table.c.status.in_(("cancelled", "expired", "checked_in", "no_show"))).values(**ERASED_PERSON))
    await conn.execute(sa.update(entries).where(
        entries.c.office_id == setup.id, entries.c.joined_at < before, entries.c.person_key != "",
        entries.c.status.in_(("booked", "lapsed", "left"))).values(**ERASED_PERSON))
    return done.rowcount or 0


async def flag_closed_days(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> int:
    """Flag confirmed bookings whose slot is gone (a holiday, a closure, a date's own hours set after
    booking): `day_closed`, for the office to see and the visitor to move first.

    They are never dropped: the office decides (moves them, or lets the visitors know).
    """
    rows = await cut_off_bookings(conn, setup, now)
    for booking in rows:
        await flag_cut_off(conn, booking, now)
    return len(rows)


async def cut_off_bookings(conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                           day: Any = None) -> list[dict[str, Any]]:
    """Confirmed bookings still ahead (on `day`, or any day), not yet flagged, whose slot `setup` no
    longer offers: who a closed day or shorter hours leaves without a visit."""
    table = Booking.__table__
    query = sa.select(table).where(table.c.office_id == setup.id, table.c.status == "confirmed",
                                   table.c.flag.is_(None), table.c.starts_at > now)
    if day is not None:
        query = query.where(table.c.office_day == day)
    ahead = query.subquery()
    slots = (await conn.execute(sa.select(ahead.c.service_id, ahead.c.starts_at).distinct())).all()
    gone = set()
    for service_id, starts_at in slots:
        try:
            schedule = setup.service_by_id(service_id).booking
        except DomainError:   # a service switched off: its bookings are the office's to handle
            schedule = None
        if schedule is None or not slot_offered(setup, schedule, starts_at):
            gone.add((service_id, starts_at))
    if not gone:
        return []
    rows = (await conn.execute(query.order_by(table.c.starts_at, table.c.place))).mappings().all()
    return [dict(row) for row in rows if (row["service_id"], row["starts_at"]) in gone]


async def flag_cut_off(conn: AsyncConnection, booking: dict[str, Any], now: datetime) -> bool:
    """Flag one booking `day_closed` (once: False when it already was or is no longer confirmed)."""
    table = Booking.__table__
    done = await conn.execute(sa.update(table).where(   # not if it was moved meanwhile
        table.c.id == booking["id"], table.c.status == "confirmed", table.c.flag.is_(None),
        table.c.starts_at == booking["starts_at"]).values(flag=DAY_CLOSED))
    if done.rowcount != 1:
        return False
    await record(conn, booking, "flagged", now, reason=DAY_CLOSED)
    return True

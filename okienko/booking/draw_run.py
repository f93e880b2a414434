"""Running a draw: once, in one transaction, in an order anyone can recompute.

Guarantees:
- a draw runs exactly once, even with several server processes: its lock (a counter row through
  `locking.take_numbers`) is taken inside the write transaction, its status read again under it,
  and the bookings, the entries' outcomes, the waiting list, the emails and the status `done` are
  written in that same transaction, so a crash in the middle leaves nothing and the next sweep
  runs it again;
- the order is sha256(seed ":" ticket) ascending over the confirmed entries: with the published
  seed (whose SHA-256 was published before the window opened) and tickets, anyone gets the same;
- in that order each entry gets the earliest free slot within its first time range, else its
  second, else its third (no ranges: the earliest of the day); a place is never given twice (the
  draw takes every slot lock of the day, so no first-come hold can interleave, and the partial
  UNIQUE index on active places backs it).

Everything is computed in memory and written in bulk, so 10,000 entries for 2,000 places take
a fraction of the 5 s goal (see `bench/draw_speed.py`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncContextManager, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.notify.booking_mail import Notifier
from okienko.booking.bookings import digest, expire_stale_holds, new_code, slot_lock
from okienko.booking.draws import order_key, preferences_json
from okienko.storage.locking import take_numbers
from okienko.storage.models import ACTIVE_BOOKING_STATUSES as ACTIVE, Booking, BookingEvent, Draw, DrawEntry, \
    WaitlistEntry
from okienko.office.directory import OfficeSetup
from okienko.notify.caldav_push import bookings_changed
from okienko.notify.outbox import enqueue_many
from okienko.people import PERSON_COLUMNS
from okienko.booking.slots import Slot, slots_on
from okienko.booking.withheld import occupied_places


@dataclass
class DrawRun:
    """What one run did (for the caller's cache invalidation and for tests and benchmarks)."""
    draw_id: int
    service_id: int
    places: int
    entries: int
    won: int
    not_drawn: int
    waiting: int
    result: list[dict[str, Any]] = field(default_factory=list)


def allocate(entries: list[dict[str, Any]], slots: list[Slot], free: dict[datetime, list[int]],
             seed: str, timezone: Any, booked_keys: set[str] = frozenset()  # type: ignore[assignment]
             ) -> list[tuple[dict[str, Any], tuple[Slot, int] | None]]:
    """The drawn order of `entries` (confirmed, each with `ticket`, `preferences`, `person_key`)
    and each one's (slot, place), or None when nothing fits or the person (or the entry's case,
    `case_key`) already holds a booking.

    `free` maps a slot start to its free places (lowest first) and is used up. Pure: no database.
    """
    ordered = sorted(entries, key=lambda entry: order_key(seed, entry["ticket"]))
    starts = [(slot, _minute(slot, timezone)) for slot in sorted(slots, key=lambda s: s.starts_at)]
    left = sum(len(places) for places in free.values())
    outcome: list[tuple[dict[str, Any], tuple[Slot, int] | None]] = []
    for entry in ordered:
        chosen = None
        if left and entry["person_key"] not in booked_keys and entry.get("case_key") not in booked_keys:
            for low, high in entry["preferences"] or [(0, 24 * 60)]:
                chosen = next(((slot, free[slot.starts_at].pop(0)) for slot, minute in starts
                               if low <= minute < high and free.get(slot.starts_at)), None)
                if chosen is not None:
                    left -= 1
                    break
        outcome.append((entry, chosen))
    return outcome


def _minute(slot: Slot, timezone: Any) -> int:
    local = slot.starts_at.astimezone(timezone)
    return local.hour * 60 + local.minute


async def run_draw(conn: AsyncConnection, setup: OfficeSetup, draw_id: int, *, now: datetime, secret_key: str,
                   notifier: Notifier) -> DrawRun | None:
    """Run the draw inside the caller's write transaction; None when it has already run (or its
    window is still open). See the module's guarantees."""
    draws, entries_table = Draw.__table__, DrawEntry.__table__
    service_row = (await conn.execute(sa.select(draws.c.service_id, draws.c.office_day).where(
        draws.c.id == draw_id))).first()
    if service_row is None:
        return None
    service = setup.service_by_id(service_row.service_id)
    schedule = service.booking
    slots = slots_on(setup, schedule, service_row.office_day) if schedule else []
    # Lock order: the draw's counter row, then every slot of its day (sorted, one call; "draw:"
    # sorts before "slot:"), as holds take the slot lock first and then look at the draw.
    await take_numbers(conn, {f"draw:{draw_id}": 1, **{slot_lock(service.id, slot.starts_at): 1 for slot in slots}})
    draw = dict((await conn.execute(sa.select(draws).where(draws.c.id == draw_id))).mappings().one())
    if draw["status"] == "done" or draw["closes_at"] > now:
        return None
    await conn.execute(sa.update(entries_table).where(entries_table.c.draw_id == draw_id,
                                                      entries_table.c.status == "pending")
                       .values(status="expired", confirm_code_hash=None))
    needed = [entries_table.c[name] for name in (
        "id", *PERSON_COLUMNS, "case_key", "language", "preferences", "secret_hash", "ticket")]
    entries = [dict(row) for row in (await conn.execute(sa.select(*needed).where(
        entries_table.c.draw_id == draw_id, entries_table.c.status == "entered"))).mappings()]
    # Holds past their time on this day free their places now (under the day's slot locks, as a hold
    # does): the UNIQUE index on active places still counts them until they are marked expired.
    await expire_stale_holds(conn, now, service_id=service.id, office_day=service_row.office_day)
    free = await _free_places(conn, service.id, slots, now)
    places = sum(len(p) for p in free.values())
    bookings_table = Booking.__table__
    # Everyone (and every case) the UNIQUE (service, person) and (service, case) indexes count, a
    # stale hold elsewhere included: they are passed over, never given a second booking.
    booked_keys: set[str] = set()
    for person, case in await conn.execute(sa.select(bookings_table.c.person_key, bookings_table.c.case_key).where(
            bookings_table.c.service_id == service.id, bookings_table.c.status.in_(ACTIVE))):
        booked_keys.update(key for key in (person, case) if key)
    outcome = allocate(entries, [s for s in slots if s.starts_at > now], free, draw["seed"], setup.timezone,
                       booked_keys)

    codes = await _unused_codes(conn, setup.id, sum(1 for _, chosen in outcome if chosen))
    waitlist_on = setup.booking_policy.waitlist
    waiting_keys = set()
    if waitlist_on:
        waitlist_table = WaitlistEntry.__table__
        waiting_keys = set((await conn.execute(sa.select(waitlist_table.c.person_key).where(
            waitlist_table.c.service_id == service.id, waitlist_table.c.status.in_(("waiting", "offered"))))).scalars())
    new_bookings, events, entry_updates, waitlist_rows, messages, result = [], [], [], [], [], []
    for rank, (entry, chosen) in enumerate(outcome, start=1):
        entry["rank"] = rank
        start = None
        if chosen is not None:
            slot, place = chosen
            secret = secrets.token_urlsafe(24)
            booking = {
                "id": secrets.token_urlsafe(16), "office_id": setup.id, "service_id": service.id,
                "office_day": slot.day, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "place": place,
                "status": "confirmed", "code": codes.pop(), "secret_hash": digest(secret),
                **{name: entry[name] for name in PERSON_COLUMNS}, "case_key": entry["case_key"],
                "language": entry["language"], "confirm_code_hash": None, "confirm_attempts": 0,
                "hold_expires_at": None, "sequence": 0, "flag": None, "waitlist_entry_id": None, "ticket_id": None,
                "created_at": now, "confirmed_at": now, "ended_at": None}
            new_bookings.append(booking)
            events.append({"office_id": setup.id, "booking_id": booking["id"], "kind": "confirmed", "at": now,
                           "detail": {"draw": draw_id, "place": place}})
            entry_updates.append({"b_id": entry["id"], "b_status": "won", "b_rank": rank, "b_booking": booking["id"]})
            messages += filter(None, (notifier.confirmed_message(setup, service, booking, secret, now),
                                      notifier.draw_result_sms(setup, service, entry, draw, booking)))
            start = slot.starts_at.astimezone(setup.timezone).isoformat()
        else:
            entry_updates.append({"b_id": entry["id"], "b_status": "not_drawn", "b_rank": rank, "b_booking": None})
            waiting = (waitlist_on and entry["person_key"] not in booked_keys
                       and entry["person_key"] not in waiting_keys)
            if waiting:
                waiting_keys.add(entry["person_key"])
                # Joined at the draw's moment, a microsecond per rank apart: the list keeps the drawn order.
                waitlist_rows.append({
                    "office_id": setup.id, "service_id": service.id, "status": "waiting",
                    **{name: entry[name] for name in PERSON_COLUMNS}, "case_key": entry["case_key"],
                    "language": entry["language"], "joined_at": now + timedelta(microseconds=rank),
                    # the receipt's hash: the receipt lets its holder leave the list too
                    "secret_hash": entry["secret_hash"]})
            messages += filter(None, (notifier.not_drawn_message(setup, service, entry, draw, waiting),
                                      notifier.draw_result_sms(setup, service, entry, draw, None)))
        result.append({"rank": rank, "ticket": entry["ticket"], "preferences": preferences_json(entry["preferences"]),
                       "outcome": "won" if chosen else "not_drawn", "start": start})

    if new_bookings:
        await conn.execute(sa.insert(bookings_table), new_bookings)
        await conn.execute(sa.insert(BookingEvent.__table__), events)
        await bookings_changed(conn, new_bookings, now)   # confirmed at once: the staff calendars show them
    if entry_updates:
        await conn.execute(sa.update(entries_table).where(entries_table.c.id == sa.bindparam("b_id")).values(
            status=sa.bindparam("b_status"), rank=sa.bindparam("b_rank"), booking_id=sa.bindparam("b_booking")),
            entry_updates)
    if waitlist_rows:
        # One row at a time would be slow; one executemany keeps the drawn order in the ids too.
        await conn.execute(sa.insert(WaitlistEntry.__table__), waitlist_rows)
    await enqueue_many(conn, setup.id, messages, now)
    await conn.execute(sa.update(draws).where(draws.c.id == draw_id).values(
        status="done", ran_at=now, places=places, entries=len(entries), result=result))
    return DrawRun(draw_id, service.id, places, len(entries), len(new_bookings), len(outcome) - len(new_bookings),
                   len(waitlist_rows), result)


async def _free_places(conn: AsyncConnection, service_id: int, slots: list[Slot],
                       now: datetime) -> dict[datetime, list[int]]:
    """Each slot's free places (lowest first): not taken by an active booking nor withheld
    (withheld.occupied_places, the one home of "which places are taken")."""
    if not slots:
        return {}
    between = (min(s.starts_at for s in slots), max(s.starts_at for s in slots) + timedelta(seconds=1))
    occupied = occupied_places(now, service_id, between=between)
    taken = {(start.astimezone(timezone.utc), place)
             for start, place in await conn.execute(sa.select(occupied.c.starts_at, occupied.c.place))}
    return {slot.starts_at: [place for place in range(1, slot.places + 1)
                             if (slot.starts_at.astimezone(timezone.utc), place) not in taken]
            for slot in slots}


async def _unused_codes(conn: AsyncConnection, office_id: int, count: int) -> list[str]:
    """`count` booking codes unused in the office, checked in a few bulk queries."""
    table = Booking.__table__
    codes: set[str] = set()
    while len(codes) < count:
        fresh = {new_code() for _ in range(count - len(codes))} - codes
        for chunk in _chunks(sorted(fresh), 500):
            used = set((await conn.execute(sa.select(table.c.code).where(table.c.office_id == office_id,
                                                                           table.c.code.in_(chunk)))).scalars())
            codes |= set(chunk) - used
    return sorted(codes)[:count]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def due_draws(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> list[int]:
    """The office's draws whose window has closed and that have not run yet."""
    table = Draw.__table__
    return list((await conn.execute(sa.select(table.c.id).where(
        table.c.office_id == setup.id, table.c.status == "open", table.c.closes_at <= now)
        .order_by(table.c.closes_at, table.c.id))).scalars())


async def run_due_draws(transaction: Callable[[], AsyncContextManager[AsyncConnection]], setup: OfficeSetup, *,
                        now: datetime, secret_key: str, notifier: Notifier) -> list[DrawRun]:
    """Run every draw of the office that is due, each in its own write transaction (e.g.
    `locks.write_transaction`); returns the runs done here (a draw another process ran is skipped)."""
    async with transaction() as conn:
        due = await due_draws(conn, setup, now)
    runs = []
    for draw_id in due:
        async with transaction() as conn:
            run = await run_draw(conn, setup, draw_id, now=now, secret_key=secret_key, notifier=notifier)
        if run is not None:
            runs.append(run)
    return runs

"""The office's side of bookings (the back office's "Bookings"): the day's list and its search, one
booking's history, and cancelling or moving on the visitor's behalf.

Cancelling and moving are the booking core's own (`changes.cancel`, `changes.reschedule`): the same
rules (a move takes a free place of a real slot under the slot's lock; a booking whose day the
office closed may go ahead of the public), the same SEQUENCE and calendar email to the visitor.
What differs: the office is not bound by the visitor's change deadline, the booking's history
names the manager, and every change is written to the audit log (by code, never by name).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

import sqlalchemy as sa

from okienko.booking import changes
from okienko.booking.bookings import bookings_of_day, normalise_code
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.notify.booking_mail import Notifier
from okienko.notify.outbox import OutboxSender
from okienko.office.audit import record_change
from okienko.office.directory import OfficeSetup
from okienko.people import folded_name
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import Booking, BookingEvent

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_REASON = 200


def name_matches(name: str, searched: str) -> bool:
    """Every word searched starts a word of the name, in any order, whatever the case, accents or
    letters such as Ł, ß, ø (`lukasz zol` finds Łukasz Żółtowski): how the desk looks a visitor up."""
    words = folded_name(name).split()
    return all(any(word.startswith(part) for word in words) for part in folded_name(searched).split())


def search(setup: OfficeSetup, rows: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """The bookings `query` finds: a start time (`9:40`, `09:40`: the slot's local time), else those
    whose booking code starts with it (three characters at least, spaces and dashes ignored) or whose
    name it matches (`name_matches`)."""
    query = query.strip()
    if not query:
        return rows
    moment = _TIME.match(query)
    if moment:
        wanted = (int(moment.group(1)), int(moment.group(2)))
        return [row for row in rows if (lambda local: (local.hour, local.minute))(
            row["starts_at"].astimezone(setup.timezone)) == wanted]
    code = normalise_code(query) if len(normalise_code(query)) >= 3 else None
    return [row for row in rows if (code and row["code"].startswith(code))
            or name_matches(row["person_name"], query)]


class OfficeBookings:
    """The front door of the office's side of bookings."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, notifier: Notifier, outbox: OutboxSender,
                 secret_key: str, places_changed: Callable[[int], None] = lambda service_id: None) -> None:
        self.db, self.locks, self.clock, self.notifier, self.outbox = db, locks, clock, notifier, outbox
        self.secret_key = secret_key
        self.places_changed = places_changed

    async def listed(self, setup: OfficeSetup, day: date | None, query: str = "",
                     flag: str | None = None) -> list[dict[str, Any]]:
        """The day's bookings in slot order (held and expired ones left out), or with `flag` every
        booking ahead with that flag (`day_closed`), narrowed by `search`. A code searched without a
        day is looked for on every day."""
        table = Booking.__table__
        async with self.db.read() as conn:
            if flag:
                rows = [row for row in await bookings_of_day(conn, setup, None, flagged_only=True) if row["flag"] == flag]
                if day is not None:
                    rows = [row for row in rows if row["office_day"] == day]
            elif day is not None:
                rows = await bookings_of_day(conn, setup, day)
            else:
                code = normalise_code(query)
                rows = [dict(row) for row in (await conn.execute(sa.select(table).where(
                    table.c.office_id == setup.id, table.c.code == code,
                    table.c.status.notin_(("held", "expired"))))).mappings()] if code else []
        return search(setup, rows, query)

    async def one(self, setup: OfficeSetup, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The booking with this code and its history, oldest first; `booking_not_found` otherwise."""
        events = BookingEvent.__table__
        async with self.db.read() as conn:
            booking = await _by_code(conn, setup, code)
            history = [dict(row) for row in (await conn.execute(
                sa.select(events.c.kind, events.c.at, events.c.detail).where(events.c.booking_id == booking["id"])
                .order_by(events.c.at, events.c.id))).mappings()]
        return booking, history

    async def cancel(self, setup: OfficeSetup, code: str, *, reason: str, actor: str) -> dict[str, Any]:
        """Cancel on the visitor's behalf (until the visit starts, as the visitor may); they are told."""
        reason = _reason(reason)
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            booking = await _by_code(conn, setup, code)
            done = await changes.cancel(conn, setup, booking, secret_key=self.secret_key, now=now,
                                        notifier=self.notifier, by=actor)
            await record_change(conn, office_id=setup.id, actor=actor, action="booking.cancel", target=done["code"],
                                before=_state(setup, booking), after={**_state(setup, done), "reason": reason},
                                now=now)
        self.places_changed(done["service_id"])
        self.outbox.wake()
        return done

    async def move(self, setup: OfficeSetup, code: str, starts_at: datetime, *, actor: str,
                   language: str) -> dict[str, Any]:
        """Move on the visitor's behalf to a free place of another slot; they are told (new calendar entry)."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            booking = await _by_code(conn, setup, code)
            done = await changes.reschedule(conn, setup, booking, starts_at, secret_key=self.secret_key, now=now,
                                            notifier=self.notifier, language=language, by=actor)
            await record_change(conn, office_id=setup.id, actor=actor, action="booking.move", target=done["code"],
                                before=_state(setup, booking), after=_state(setup, done), now=now)
        self.places_changed(done["service_id"])
        self.outbox.wake()
        return done


async def _by_code(conn: Any, setup: OfficeSetup, code: str) -> dict[str, Any]:
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id,
                                                     table.c.code == normalise_code(code)))).mappings().first()
    if row is None or row["status"] in ("held", "expired"):
        raise DomainError("booking_not_found")
    return dict(row)


def _state(setup: OfficeSetup, booking: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a booking: no person, only its slot and status."""
    return {"status": booking["status"], "starts_at": booking["starts_at"].astimezone(setup.timezone).isoformat(),
            "flag": booking.get("flag")}


def _reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if len(text) > MAX_REASON:
        raise DomainError("office_invalid", detail=f"reason: at most {MAX_REASON} characters", field="reason")
    return text

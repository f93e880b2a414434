"""The call centre: an operator books a caller, and after checking who is calling (name, date of
birth, the end of the travel document's number) finds, moves or cancels their booking.

Nothing here is a rule of its own about places: a booking goes through the front door of online
booking (`OnlineBooking.hold` with `by`: the same slots, capacity, draws and "one person, one
booking"), confirmed at once because the operator speaks to the person (no one-time code); moves
and cancellations are the office's own (`OfficeBookings`, desk.py). What is the call centre's:

- an operator is counted against limits of their own (settings
  `call_centre_bookings_per_operator_per_day`, `call_centre_lookups_per_operator_per_hour`), never
  against the per-address limit that the call centre's one address would soon reach;
- a lookup lists nothing unless the name, the date of birth and the document's end all match one
  booking (no browsing personal data), and a move or cancellation checks the same three again;
- every action is in the booking's history and in the office's audit log under the operator's name
  (the audit log keeps codes and times, never the person).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from okienko.booking.bookings import Held
from okienko.booking.desk import OfficeBookings
from okienko.booking.online import OnlineBooking
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.office.audit import record_change
from okienko.office.directory import OfficeSetup
from okienko.people import folded_name, normalise_document
from okienko.rate_limits import hit_all
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import Booking

# What a booking keeps of the document's number: its last two characters (people.mask_document).
KEPT_DOCUMENT_END = 2


def check_identity(raw: dict[str, Any]) -> tuple[str, date, str]:
    """The caller's name, date of birth and the end of their document's number (at least its last
    two characters), normalised; `invalid_details` naming every missing or unreadable one."""
    problems: dict[str, str] = {}
    name = " ".join(str(raw.get("name") or "").split())
    if not name:
        problems["name"] = "name_missing"
    birth = None
    try:
        birth = date.fromisoformat(str(raw.get("birth_date") or ""))
    except ValueError:
        problems["birth_date"] = "birth_date_invalid"
    end = normalise_document(str(raw.get("document_end") or ""))
    if not (KEPT_DOCUMENT_END <= len(end) <= 20 and end.isalnum()):
        problems["document_end"] = "document_end_invalid"
    if problems:
        raise DomainError("invalid_details", fields=problems)
    assert birth is not None
    return name, birth, end


def identity_matches(booking: dict[str, Any], name: str, birth: date, end: str) -> bool:
    """All three match: the date of birth, the full name (any case, accents or word order) and
    the document's end (what the booking keeps of it: its last two characters)."""
    return (booking["birth_date"] == birth
            and sorted(folded_name(booking["person_name"]).split()) == sorted(folded_name(name).split())
            and booking["document_masked"][-KEPT_DOCUMENT_END:] == end[-KEPT_DOCUMENT_END:])


class CallCentre:
    """The front door of the call centre's screen and API (one operator's request at a time)."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, booking: OnlineBooking, desk: OfficeBookings,
                 bookings_per_day: int, lookups_per_hour: int) -> None:
        self.db, self.locks, self.clock, self.booking, self.desk = db, locks, clock, booking, desk
        self.bookings_per_day, self.lookups_per_hour = bookings_per_day, lookups_per_hour

    async def _count(self, operator: str, kind: str, limit: int, window: timedelta) -> None:
        """One more of the operator's bookings or lookups; `operator_limit` past their limit (the
        attempt still counts, in its own transaction)."""
        async with self.locks.write_transaction() as conn:
            await hit_all(conn, [(f"operator:{kind}:{operator}"[:100], limit, window)], self.clock.now(),
                          refusal="operator_limit")

    async def book(self, setup: OfficeSetup, service_code: str, starts_at: datetime, details: dict[str, Any], *,
                   language: str, operator: str) -> Held:
        """Book the caller in `details` into the slot at `starts_at`, confirmed at once: the booking
        code and time go by SMS (and the confirmation email where an address is given). The same
        refusals as online (`slot_full`, `already_booked`, `draw_pending`...), and `operator_limit`."""
        await self._count(operator, "book", self.bookings_per_day, timedelta(days=1))
        held = await self.booking.hold(setup, service_code, starts_at, details, language=language,
                                       client=f"operator:{operator}", by=operator)
        booking = held.booking
        async with self.locks.write_transaction() as conn:
            await record_change(conn, office_id=setup.id, actor=operator, action="call_centre.book",
                                target=booking["code"], before=None, after=_state(setup, booking), now=self.clock.now())
        return held

    async def enter_draw(self, setup: OfficeSetup, draw_id: Any, details: dict[str, Any], preferences: Any, *,
                         language: str, operator: str) -> Any:
        """Enter the caller in `details` into an open draw, in at once (draws.enter with `by`); the
        same refusals as online (`draw_not_open`, `already_entered`, `already_booked`...), and
        `operator_limit` (counted with the operator's bookings)."""
        await self._count(operator, "book", self.bookings_per_day, timedelta(days=1))
        entered, draw = await self.booking.enter_draw(setup, None, draw_id, details, preferences, language=language,
                                                      client=f"operator:{operator}", by=operator)
        async with self.locks.write_transaction() as conn:
            await record_change(conn, office_id=setup.id, actor=operator, action="call_centre.draw_entry",
                                target=str(draw["id"]), before=None,
                                after={"ticket": entered.entry["ticket"], "day": draw["office_day"].isoformat()},
                                now=self.clock.now())
        return entered

    async def find(self, setup: OfficeSetup, identity: dict[str, Any], *, operator: str) -> list[dict[str, Any]]:
        """The caller's active bookings (confirmed, not yet visited) where all three details match;
        nothing otherwise, not even a hint which one differs. Counted and written to the audit log."""
        name, birth, end = check_identity(identity)
        await self._count(operator, "lookup", self.lookups_per_hour, timedelta(hours=1))
        table = Booking.__table__
        async with self.db.read() as conn:
            rows = [dict(row) for row in (await conn.execute(sa.select(table).where(
                table.c.office_id == setup.id, table.c.birth_date == birth, table.c.status == "confirmed")
                .order_by(table.c.starts_at))).mappings()]
        found = [row for row in rows if identity_matches(row, name, birth, end)]
        async with self.locks.write_transaction() as conn:
            await record_change(conn, office_id=setup.id, actor=operator, action="call_centre.lookup",
                                target=",".join(row["code"] for row in found), before=None,
                                after={"found": len(found)}, now=self.clock.now())
        return found

    async def _identified(self, setup: OfficeSetup, identity: dict[str, Any], code: str,
                          operator: str) -> dict[str, Any]:
        found = await self.find(setup, identity, operator=operator)
        wanted = "".join(ch for ch in code.upper() if ch.isalnum())
        for booking in found:
            if booking["code"] == wanted:
                return booking
        raise DomainError("identity_not_matched")

    async def move(self, setup: OfficeSetup, identity: dict[str, Any], code: str, starts_at: datetime, *,
                   operator: str, language: str) -> dict[str, Any]:
        """Move the identified caller's booking to a free place of another slot; they are told."""
        booking = await self._identified(setup, identity, code, operator)
        return await self.desk.move(setup, booking["code"], starts_at, actor=operator, language=language)

    async def cancel(self, setup: OfficeSetup, identity: dict[str, Any], code: str, *, operator: str,
                     reason: str = "") -> dict[str, Any]:
        """Cancel the identified caller's booking; they are told, and the place goes on."""
        booking = await self._identified(setup, identity, code, operator)
        return await self.desk.cancel(setup, booking["code"], reason=reason or "call centre", actor=operator)


def _state(setup: OfficeSetup, booking: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a booking: its slot and status, never the person."""
    return {"status": booking["status"], "starts_at": booking["starts_at"].astimezone(setup.timezone).isoformat(),
            "service_id": booking["service_id"]}

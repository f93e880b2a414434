"""The desk's document check: the clerk types or scans the document number of the visitor in
front of them and learns whether it is the document the visit was booked with.

Only keyed hashes are compared (`people.document_matches`); the number typed is neither stored
nor logged. Every check is recorded as a `document_checked` booking event (whether it matched,
and who checked), so the office can see that bookings are used by the people who made them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.bookings import record
from okienko.hall.calling import booking_of_ticket, office_ticket
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.people import document_matches, normalise_country


async def _checked_booking(conn: AsyncConnection, setup: OfficeSetup, ticket_id: str,
                           window_id: int | None = None) -> dict[str, Any]:
    """The booking a ticket was checked in with; `ticket_not_found`, `not_at_this_window` (before
    anything about the ticket is told: a clerk at another window learns nothing), or `no_booking`
    for a walk-in."""
    ticket = await office_ticket(conn, setup, ticket_id)
    if window_id is not None and ticket["window_id"] != window_id:
        raise DomainError("not_at_this_window", number=ticket["number"])
    booking = await booking_of_ticket(conn, setup, ticket)
    if booking is None:
        raise DomainError("no_booking", number=ticket["number"])
    return dict(booking)


async def check_document(conn: AsyncConnection, setup: OfficeSetup, ticket_id: str, typed: str, *,
                         secret_key: str, checked_by: str, now: datetime, document_country: str = "",
                         window_id: int | None = None) -> bool:
    """Whether `typed` (a document number as typed or scanned, any case, spaces or dashes) is the
    document of the booking behind the ticket; where both the booking and the clerk name the
    issuing country, it must agree too. Records a `document_checked` event with the outcome and
    the clerk's user name, never the number.

    `window_id`: a clerk checks only the ticket called to their own window (`not_at_this_window`);
    None for managers. Refuses with `ticket_not_found` or `no_booking`.
    """
    booking = await _checked_booking(conn, setup, ticket_id, window_id)
    matched = document_matches(secret_key, booking["document_hash"], typed)
    country = normalise_country(document_country)
    if matched and country and booking["document_country"] and country != booking["document_country"]:
        matched = False
    await record(conn, booking, "document_checked", now, matched=matched, by=checked_by)
    return matched

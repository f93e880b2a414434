"""The people an office change leaves without a visit, and telling them: one home for the rule, used
by a date's own hours (days.py) and by edits of the office and its services (editing.py).

Guarantees:
- who is cut off is decided by one function (`changes.cut_off_bookings`: confirmed bookings ahead whose
  slot the changed office no longer offers), so what a preview lists is what saving tells;
- each of them is flagged `day_closed` once, gets a new manage link (the old one stops working) and
  one message in their language in the outbox, in the caller's transaction: if the change is rolled
  back, nobody is flagged or told;
- nothing here writes a visitor's name, email or phone anywhere but their own message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.bookings import digest
from okienko.booking.changes import cut_off_bookings, flag_cut_off
from okienko.notify.booking_mail import Notifier
from okienko.office.directory import OfficeSetup
from okienko.storage.models import Booking

# How many of the bookings a change would cut off a refusal names (the count is always exact).
NAMED_IN_REFUSAL = 20


@dataclass(frozen=True)
class Affected:
    """A booking a change of hours leaves without its slot, and how its person will be told."""

    booking: dict[str, Any]
    contact: str              # "email" | "email+sms"


async def tell_cut_off(conn: AsyncConnection, notifier: Notifier, changed: OfficeSetup, now: datetime, *,
                       day: date | None = None, only: set[str] | None = None) -> list[Affected]:
    """Flag each booking `changed` cuts off (on `day`, or any day ahead; of those, only the ids in
    `only` when given), give it a new manage link and write its message."""
    told = []
    for booking in await cut_off_bookings(conn, changed, now, day):
        if only is not None and booking["id"] not in only:
            continue
        affected = await tell_one_cut_off(conn, notifier, changed, booking, now)
        if affected is not None:
            told.append(affected)
    return told


async def tell_one_cut_off(conn: AsyncConnection, notifier: Notifier, changed: OfficeSetup, booking: dict[str, Any],
                           now: datetime) -> Affected | None:
    """Flag one booking whose slot is gone `day_closed`, give it a new manage link and write its
    message (None: it was flagged already, moved or ended meanwhile). Also for a moved or shortened
    event whose new hours have no place for it (okienko/office/events.py)."""
    if not await flag_cut_off(conn, booking, now):
        return None
    table = Booking.__table__
    secret = secrets.token_urlsafe(24)
    await conn.execute(sa.update(table).where(table.c.id == booking["id"]).values(secret_hash=digest(secret)))
    flagged = {**booking, "flag": "day_closed"}
    await notifier.day_closed(conn, changed, changed.service_by_id(booking["service_id"]), flagged, secret, now)
    return Affected(flagged, notifier.contact_of(changed, flagged))


def named(bookings: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The bookings a refusal names: code and start only, never who booked."""
    return [{"code": booking["code"], "starts_at": booking["starts_at"].isoformat()}
            for booking in bookings[:NAMED_IN_REFUSAL]]

"""Which places of a slot are occupied, and places withheld after they were freed.

A place freed by a cancellation, a move, an expired hold, a lapsed waiting-list offer or a hold
dropped after wrong codes never comes free at a moment the person who freed it can know: unless
the waiting list takes it, it is withheld (a `WithheldPlace` row, inserted in the transaction that
frees it) until `release_at`, a random moment within the office's `freed_delay_minutes`
(`freed_places = "random"`) or the service's next release (`"next_release"`), never later than the
slot's start. So a booking cannot be handed on by cancelling it while a buyer is booking.

`occupied_places` is the one home of "which places are taken at `now`": the locked count before a
hold, the listings and the "is it full" hint all read it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.models import ACTIVE_BOOKING_STATUSES as ACTIVE, Booking, WithheldPlace
from okienko.office.directory import OfficeSetup, ServiceSetup
from okienko.booking.slots import next_release, schedule_of

_random = secrets.SystemRandom()


def occupied_places(now: datetime, service_id: int, *, starts_at: datetime | None = None,
                    between: tuple[datetime, datetime] | None = None) -> sa.Subquery:
    """The places taken at `now` (columns `starts_at`, `place`) of the service's slots starting at
    `starts_at` or within `between` [from, to): active bookings (a hold past its time included:
    its place is passed on when it is expired, never simply freed) and places withheld until later.
    """
    bookings, withheld = Booking.__table__, WithheldPlace.__table__

    def narrowed(table: sa.Table, query: sa.Select[Any]) -> sa.Select[Any]:
        query = query.where(table.c.service_id == service_id)
        if starts_at is not None:
            query = query.where(table.c.starts_at == starts_at)
        if between is not None:
            query = query.where(table.c.starts_at >= between[0], table.c.starts_at < between[1])
        return query

    return sa.union_all(
        narrowed(bookings, sa.select(bookings.c.starts_at, bookings.c.place).where(bookings.c.status.in_(ACTIVE))),
        narrowed(withheld, sa.select(withheld.c.starts_at, withheld.c.place).where(withheld.c.release_at > now)),
    ).subquery("occupied")


def release_moment(setup: OfficeSetup, service: ServiceSetup, starts_at: datetime, now: datetime) -> datetime:
    """When a place of the slot at `starts_at` freed at `now` returns to the calendar: a random
    moment within `freed_delay_minutes` (from the system's random source, which nobody can
    predict) or the service's next release, never later than the slot's start."""
    policy = setup.booking_policy
    if policy.freed_places == "next_release":
        moment = next_release(setup, schedule_of(service), now)
    else:
        moment = now + timedelta(seconds=_random.uniform(0, max(0, policy.freed_delay_minutes) * 60))
    return min(moment, starts_at)


async def withhold(conn: AsyncConnection, setup: OfficeSetup, service: ServiceSetup, starts_at: datetime,
                   place: int, now: datetime) -> datetime | None:
    """Keep a just-freed place out of the calendar until its release moment (returned; None when
    that is already now). Call it in the transaction that frees the place, under the slot's lock."""
    release_at = release_moment(setup, service, starts_at, now)
    if release_at <= now:
        return None
    table = WithheldPlace.__table__
    await forget_released(conn, now, service_id=service.id, starts_at=starts_at)
    await conn.execute(sa.insert(table).values(office_id=setup.id, service_id=service.id, starts_at=starts_at,
                                               place=place, freed_at=now, release_at=release_at))
    return release_at


async def forget_released(conn: AsyncConnection, now: datetime, **where: Any) -> int:
    """Delete withheld places whose moment has come (filtered by column values); returns how many.

    Only tidying: a place counts as free from its `release_at` whether or not its row is gone."""
    table = WithheldPlace.__table__
    conditions = [table.c.release_at <= now, *(table.c[column] == value for column, value in where.items())]
    return (await conn.execute(sa.delete(table).where(*conditions))).rowcount or 0

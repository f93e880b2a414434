"""After an information Saturday: what each event made, per service and in total, side by side.

An event's figures are its office day's (figures.day_figures) for the services the event offers,
with the people left waiting counted at the event's closing time. `EventStatistics` is the front
door: the back office's page, the JSON API and the CSV export all read the same table from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.i18n import text_in
from okienko.office.directory import OfficeSetup
from okienko.office.hours import local_moment, office_day
from okienko.stats.figures import Figures, Tally, day_figures
from okienko.storage.db import Database
from okienko.storage.models import Event, Service

DEFAULT_EVENTS = 5      # compared when none are named: the last past ones
MOST_COMPARED = 12      # more columns than this no page shows side by side
CHOICES = 50            # the events offered to pick from, newest first


@dataclass(frozen=True)
class ServiceRow:
    code: str
    names: dict[str, str]
    figures: Figures

    def name(self, language: str) -> str:
        return text_in(self.names, language) or self.code


@dataclass(frozen=True)
class EventFigures:
    """One event's table: a row per service it offers (in its own order), and the total."""

    id: int
    day: date
    opens_minute: int
    closes_minute: int
    titles: dict[str, str]
    status: str
    over: bool                      # its closing time has passed: the figures are final
    rows: list[ServiceRow]
    total: Figures

    def title(self, language: str) -> str:
        return text_in(self.titles, language)


@dataclass(frozen=True)
class EventChoice:
    """An event one may pick for the comparison."""

    id: int
    day: date
    titles: dict[str, str]
    status: str

    def title(self, language: str) -> str:
        return text_in(self.titles, language)


async def events_figures(conn: AsyncConnection, setup: OfficeSetup, event_ids: Sequence[int] | None,
                         now: datetime) -> list[EventFigures]:
    """The figures of the office's events `event_ids` (None: the last DEFAULT_EVENTS published
    events on or before today), oldest first. `event_not_found` names an id that is not one of
    the office's events: figures of another office are never shown."""
    events = Event.__table__
    query = sa.select(events).where(events.c.office_id == setup.id)
    if event_ids is None:
        query = query.where(events.c.status == "published", events.c.day <= office_day(setup, now))\
            .order_by(events.c.day.desc()).limit(DEFAULT_EVENTS)
    else:
        query = query.where(events.c.id.in_(list(event_ids)))
    rows = [dict(row) for row in (await conn.execute(query)).mappings().all()]
    if event_ids is not None:
        missing = sorted(set(event_ids) - {row["id"] for row in rows})
        if missing:
            raise DomainError("event_not_found", event=missing[0])
    services = await _services(conn, setup.id)
    found = []
    for row in sorted(rows, key=lambda r: (r["day"], r["id"])):
        offered = [services[code] for code in dict.fromkeys(row["services"] or []) if code in services]
        close_at = local_moment(setup, row["day"], row["closes_minute"])
        tallies = await day_figures(conn, setup.id, row["day"], [s["id"] for s in offered], close_at=close_at)
        found.append(EventFigures(
            id=row["id"], day=row["day"], opens_minute=row["opens_minute"], closes_minute=row["closes_minute"],
            titles=dict(row["titles"] or {}), status=row["status"], over=now >= close_at,
            rows=[ServiceRow(s["code"], dict(s["names"] or {}), tallies[s["id"]].figures()) for s in offered],
            total=Tally.merged(tallies.values()).figures()))
    return found


async def event_choices(conn: AsyncConnection, setup: OfficeSetup, limit: int = CHOICES) -> list[EventChoice]:
    """The office's events that are not drafts, newest first (cancelled ones too: a cancelled
    event's bookings were made)."""
    events = Event.__table__
    rows = (await conn.execute(
        sa.select(events.c.id, events.c.day, events.c.titles, events.c.status)
        .where(events.c.office_id == setup.id, events.c.status != "draft")
        .order_by(events.c.day.desc(), events.c.id.desc()).limit(limit))).mappings().all()
    return [EventChoice(row["id"], row["day"], dict(row["titles"] or {}), row["status"]) for row in rows]


async def _services(conn: AsyncConnection, office_id: int) -> dict[str, dict[str, Any]]:
    # Every service, switched off ones too: an event's service may have been switched off since.
    services = Service.__table__
    rows = (await conn.execute(sa.select(services.c.id, services.c.code, services.c.names)
                               .where(services.c.office_id == office_id))).mappings().all()
    return {row["code"]: dict(row) for row in rows}


class EventStatistics:
    """The front door of the events' statistics (read only)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def compare(self, setup: OfficeSetup, event_ids: Sequence[int] | None) -> list[EventFigures]:
        """The events side by side (see `events_figures`)."""
        if event_ids is not None and len(set(event_ids)) > MOST_COMPARED:
            raise DomainError("too_many_events", most=MOST_COMPARED)
        async with self.db.read() as conn:
            return await events_figures(conn, setup, list(dict.fromkeys(event_ids)) if event_ids is not None
                                        else None, self.clock.now())

    async def choices(self, setup: OfficeSetup) -> list[EventChoice]:
        async with self.db.read() as conn:
            return await event_choices(conn, setup)

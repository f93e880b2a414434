"""What the public is told of an office's information Saturdays: the published ones ahead (the
booking site, the kiosk's start screen, `GET /api/v1/events`) and the feed's entries, which keep a
cancelled event listed for a while so that subscribed calendars see it go.

Reads only; okienko/office/events.py manages the events, okienko/office/directory.py puts the
published ones into the office's snapshot (`OfficeSetup.events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.office.directory import EventSetup, OfficeSetup
from okienko.office.hours import local_moment, office_day
from okienko.storage.models import Event

ANNOUNCE_DAYS = 14       # the kiosks announce an event from this many days before it
FEED_PAST_DAYS = 60      # the feed keeps past and cancelled events this long after their day


def event_uid(office_code: str, event_id: int) -> str:
    """The event's UID in every calendar: the same for its whole life, whatever changes."""
    return f"event-{event_id}-{office_code}@okienko"


def announced(setup: OfficeSetup, now: datetime) -> EventSetup | None:
    """The event a kiosk's start screen announces: the next published one within `ANNOUNCE_DAYS`
    (not on its own day: then the kiosk simply offers its services)."""
    today = office_day(setup, now)
    for event in setup.events_from(today + timedelta(days=1)):
        if event.day <= today + timedelta(days=ANNOUNCE_DAYS):
            return event
    return None


def event_span(setup: OfficeSetup, event: EventSetup | dict[str, Any]) -> tuple[datetime, datetime]:
    """The event's start and end as instants in the office's zone."""
    day, opens, closes = ((event.day, event.opens_minute, event.closes_minute) if isinstance(event, EventSetup)
                          else (event["day"], event["opens_minute"], event["closes_minute"]))
    return local_moment(setup, day, opens), local_moment(setup, day, closes)


@dataclass(frozen=True)
class FeedEntry:
    row: dict[str, Any]      # the events table's row
    cancelled: bool


async def feed_entries(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> list[FeedEntry]:
    """The feed's events: published and cancelled ones from `FEED_PAST_DAYS` ago on, by day (drafts
    never)."""
    since: date = office_day(setup, now) - timedelta(days=FEED_PAST_DAYS)
    table = Event.__table__
    rows = (await conn.execute(sa.select(table).where(
        table.c.office_id == setup.id, table.c.status.in_(("published", "cancelled")), table.c.day >= since)
        .order_by(table.c.day, table.c.id))).mappings().all()
    return [FeedEntry(dict(row), row["status"] == "cancelled") for row in rows]

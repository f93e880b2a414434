"""Statistics come from facts that outlive the people in them: a day's figures (an information day with
bookings checked in, missed and cancelled, walk-ins served, transferred and left waiting) are the same
after the personal data of its bookings and phones is erased, and the same again after its tickets are
archived, even when the day's kept summary is made anew from the archive tables. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.stats.archive import archive_office
from okienko.stats.period import Period
from okienko.stats.report import Statistics
from okienko.stats.tables import report_tables
from okienko.storage.models import (ArchivedTicket, ArchivedTicketEvent, Booking, StatsDay, Ticket, TicketEvent)
from tests.conftest import Office
from tests.okienko.stats.test_events import EVENT_DAY, TUESDAY, play_the_day

pytestmark = pytest.mark.anyio


async def day_tables(office: Office, period: Period) -> list[Any]:
    """The period's tables as a process that has not looked before computes them (the app keeps
    the reports of periods that are over)."""
    setup = await office.okienko.offices.get()
    fresh = Statistics(office.okienko.db, office.okienko.locks, office.clock)
    report = await fresh.report(setup, period, name_clerks=True)
    return report_tables(report, setup, "en", lambda text: text)


async def count(office: Office, table: Any, *where: Any) -> int:
    async with office.okienko.db.read() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))).scalar_one()


async def test_a_days_figures_survive_erasure_and_archiving(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await play_the_day(office)
    day = Period.containing("day", EVENT_DAY)
    week = Period.containing("week", EVENT_DAY)
    before_day, before_week = await day_tables(office, day), await day_tables(office, week)
    services = {row["service"]: row for row in before_day[0].as_dicts()}
    assert (services["A"]["tickets_booked"], services["A"]["bookings_checked_in"], services["A"]["bookings_cancelled"]) \
        == (1, 1, 1)
    assert services["A"]["served"] == 3 and services["A"]["wait_median_seconds"] is not None
    events = before_day[7].as_dicts()       # the day's information Saturday, as Event statistics shows it
    assert [(row["service"], row["served"]) for row in events] == [("A", 3), ("K", 1), ("", 4)]

    # Past the retention time: the sweeper erases the bookings' people, the day's end its phones.
    office.clock.set(office.clock.now() + timedelta(days=120))
    await office.okienko.booking.sweep()
    bookings = Booking.__table__
    assert await count(office, bookings, bookings.c.office_day == EVENT_DAY, bookings.c.person_name != "") == 0
    async with office.okienko.db.engine.begin() as conn:   # the kept summary aside: made anew from the facts
        await conn.execute(sa.delete(StatsDay.__table__))
    assert await day_tables(office, day) == before_day
    assert await day_tables(office, week) == before_week

    # Archived: the day's tickets and events leave the hot tables, none is lost, the figures stay.
    tickets, events = Ticket.__table__, TicketEvent.__table__
    hot_tickets = await count(office, tickets, tickets.c.office_day == EVENT_DAY)
    hot_events = await count(office, events, events.c.ticket_id.is_not(None))
    setup = await office.okienko.offices.get()
    done = await archive_office(office.okienko.locks, setup, office.clock.now(), keep_days=30)
    assert (done.tickets, done.events) == (hot_tickets, hot_events) and done.tickets > 0
    assert await count(office, tickets, tickets.c.office_day == EVENT_DAY) == 0
    assert await count(office, ArchivedTicket.__table__) == hot_tickets
    assert await count(office, ArchivedTicketEvent.__table__) == hot_events
    checked_in = ArchivedTicket.__table__.c.booking_id.is_not(None)
    assert await count(office, ArchivedTicket.__table__, checked_in) == 1       # the booking's ticket, still linked
    assert await day_tables(office, day) == before_day                          # from the kept summary
    async with office.okienko.db.engine.begin() as conn:
        await conn.execute(sa.delete(StatsDay.__table__))
    assert await day_tables(office, day) == before_day                          # from the archive tables
    assert await day_tables(office, week) == before_week
    again = await archive_office(office.okienko.locks, setup, office.clock.now(), keep_days=30)
    assert (again.days, again.tickets) == (0, 0)                                # nothing moves twice

"""The state of each service's queue right now: what the kiosk and the services API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.estimates import wait_minutes
from booking_api.hours import Availability, availability, office_day
from booking_api.models import Counter, Ticket
from booking_api.office import OfficeSetup, ServiceSetup
from booking_api.queueing import counter_name


@dataclass(frozen=True)
class ServiceStatus:
    service: ServiceSetup
    waiting: int
    issued_today: int
    estimated_wait_minutes: int
    availability: Availability


async def service_statuses(conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                           minutes_per_visit: dict[int, float], language: str,
                           staffed: frozenset[int] = frozenset()) -> list[ServiceStatus]:
    """For every service: people waiting, the wait a new ticket would have, and whether one can be taken."""
    day = office_day(setup, now)
    tickets, counters = Ticket.__table__, Counter.__table__
    waiting = dict((await conn.execute(
        sa.select(tickets.c.service_id, sa.func.count())
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == day, tickets.c.status == "waiting")
        .group_by(tickets.c.service_id))).all())
    names = {counter_name(setup.id, day, s.prefix): s.prefix for s in setup.services}
    issued = {names[name]: value for name, value in (await conn.execute(
        sa.select(counters.c.name, counters.c.value).where(counters.c.name.in_(list(names))))).all()}
    result = []
    for service in setup.services:
        count = int(waiting.get(service.id, 0))
        wait = wait_minutes(setup, service, count, minutes_per_visit.get(service.id, service.average_service_minutes),
                            staffed)
        state = availability(setup, service, now, wait, language)
        done = int(issued.get(service.prefix, 0))
        if state.open and service.daily_limit is not None and done >= service.daily_limit:
            state = Availability(False, "daily_limit_reached", {"service": service.name(language)}, state.closes_at)
        result.append(ServiceStatus(service, count, done, wait, state))
    return result

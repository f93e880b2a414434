"""The state of each service's queue right now: what the kiosk and the services API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.call_order import Ahead, CallOrder, Kind, place
from okienko.office.hours import Availability, availability, office_day
from okienko.storage.models import Counter, Ticket
from okienko.hall.numbering import OPEN, all_numbers_open, counter_name
from okienko.office.directory import OfficeSetup, ServiceSetup


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
    """For every service offered today (`OfficeSetup.offered`): people waiting, the wait a new ticket would have (call_order.py: by the order it
    would be called in), and whether one can be taken."""
    day = office_day(setup, now)
    tickets, counters = Ticket.__table__, Counter.__table__
    waiting: dict[int, int] = {}
    open_by_prefix: dict[str, int] = {}   # a transferred ticket keeps its number, so numbers go by prefix
    for service_id, prefix, status, count in (await conn.execute(
            sa.select(tickets.c.service_id, tickets.c.prefix, tickets.c.status, sa.func.count())
            .where(tickets.c.office_id == setup.id, tickets.c.office_day == day, OPEN)
            .group_by(tickets.c.service_id, tickets.c.prefix, tickets.c.status))).all():
        if status == "waiting":
            waiting[service_id] = waiting.get(service_id, 0) + count
        open_by_prefix[prefix] = open_by_prefix.get(prefix, 0) + count
    names = {counter_name(setup.id, day, s.prefix): s.prefix for s in setup.services}
    issued = {names[name]: value for name, value in (await conn.execute(
        sa.select(counters.c.name, counters.c.value).where(counters.c.name.in_(list(names))))).all()}
    ahead = await Ahead.read(conn, CallOrder(setup, now), day)
    result = []
    for service in setup.offered(day):   # an information Saturday's services only, on its day
        count = int(waiting.get(service.id, 0))
        wait = place(ahead, service, Kind(service.id, False, False), None, minutes_per_visit,
                     staffed).estimated_wait_minutes
        state = availability(setup, service, now, wait, language)
        done = int(issued.get(service.prefix, 0))
        if state.open and service.daily_limit is not None and done >= service.daily_limit:
            state = Availability(False, "daily_limit_reached", {"service": service.name(language)}, state.closes_at)
        elif state.open and all_numbers_open(open_by_prefix.get(service.prefix, 0), service.number_digits):
            state = Availability(False, "numbers_exhausted", {"service": service.name(language)}, state.closes_at)
        result.append(ServiceStatus(service, count, done, wait, state))
    return result

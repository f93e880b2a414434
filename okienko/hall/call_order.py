"""The order in which waiting tickets are called, and from it who is ahead of whom.

One rule serves call-next, the visitor's "people ahead", estimated wait and expected time, and
the wait a new ticket would have (the kiosk's list of services, the check at closing time).
At a window, among the waiting tickets of the services it serves:

1. booked visits that are due (checked in, and their slot starts within
   `call_booked_minutes_before` or has started), when the office's `booked_order` is "first";
2. priority tickets, when the office's `priority_mode` is "first";
3. the window's own service order (the order of `services` in the office file);
4. due booked visits, when `booked_order` is "service" (ahead of walk-ins of their own service);
5. who joined the queue first (`queued_at`: issued, checked in or transferred), then the lower
   count, then the id.

Steps 1-4 depend only on a ticket's `Kind` (its service, whether it has a priority, whether it
is a due booked visit). `CallOrder.key` is those steps; `CallOrder.ranks` numbers the kinds a
window serves by it. Call-next sorts by the number rendered as SQL (a CASE built from `ranks`)
and then by step 5; people ahead are counted per kind against the same numbers, step 5 being the
same comparison in SQL. So the two cannot disagree.

A service may be served by several windows, each with its own order. A ticket is called by the
window that reaches it first, so its people ahead are the fewest that any window serving it
(those with a clerk now, or all of them before anyone signs in: `OfficeSetup.windows_for`) would
call before it. With one window, or windows in the same order, that is exactly the number of
calls before it if nobody new arrives; a priority ticket, or a booking that falls due later, still
goes ahead (the phone shows it with the next move in its queue). The wait divides the people ahead
among the windows serving the service (estimates.py); a checked-in booking is expected at its slot,
or later if the bookings due before it keep the windows busy past it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.estimates import wait_minutes
from okienko.storage.models import Ticket
from okienko.office.directory import OfficeSetup, ServiceSetup


@dataclass(frozen=True)
class Kind:
    """What places a ticket at a window before the moment it joined counts (steps 1-4)."""

    service_id: int
    priority: bool
    due: bool


class CallOrder:
    """The call order of one office at one moment (a booking falls due as time passes)."""

    def __init__(self, setup: OfficeSetup, now: datetime) -> None:
        self.setup = setup
        self.now = now
        self.due_until = now + timedelta(minutes=setup.booking_policy.call_booked_minutes_before)
        self._rules = (setup.booking_policy.booked_order == "first", setup.priority_mode == "first")

    def is_due(self, appointment_at: datetime | None) -> bool:
        """A checked-in booking is called from `call_booked_minutes_before` its slot on."""
        return appointment_at is not None and appointment_at <= self.due_until

    def due_sql(self, tickets: sa.Table) -> Any:
        """`is_due` of a ticket row, as SQL."""
        return _due_sql(tickets, self.due_until)

    def kind(self, ticket: Mapping[str, Any]) -> Kind:
        return Kind(ticket["service_id"], ticket["priority"] is not None, self.is_due(ticket.get("appointment_at")))

    def key(self, services: tuple[int, ...], kind: Kind) -> tuple[int, ...]:
        """Steps 1-4 at a window serving `services` (in its order of preference): lower goes first."""
        return _key(services, kind, *self._rules)

    def ranks(self, services: tuple[int, ...]) -> dict[Kind, int]:
        """Every kind a window serving `services` calls, numbered by `key` (equal keys, equal numbers)."""
        return _ranks(services, *self._rules)

    def rank_sql(self, services: tuple[int, ...], tickets: sa.Table) -> Any:
        """`ranks` of a ticket row, as SQL."""
        due, priority = self.due_sql(tickets), tickets.c.priority.is_not(None)
        whens = [(sa.and_(tickets.c.service_id == kind.service_id, priority if kind.priority else ~priority,
                          due if kind.due else ~due), rank) for kind, rank in self.ranks(services).items()]
        return sa.case(*whens) if whens else sa.literal(0)

    def next_query(self, services: tuple[int, ...], day: date) -> Any:
        """The waiting tickets a window serving `services` calls, in order (first row: the next)."""
        tickets = Ticket.__table__
        return (sa.select(tickets.c.id)
                .where(tickets.c.office_id == self.setup.id, tickets.c.office_day == day,
                       tickets.c.status == "waiting", tickets.c.service_id.in_(services))
                .order_by(self.rank_sql(services, tickets), tickets.c.queued_at, tickets.c.seq, tickets.c.id))


class Ahead:
    """The waiting tickets of one office day, counted by kind and by whether each comes before a
    given place at an equal rank (step 5): before a waiting ticket, or before a newcomer (which
    everyone already waiting does). One grouped query: a few rows, however long the queue."""

    def __init__(self, order: CallOrder, counts: dict[tuple[Kind, bool], int]) -> None:
        self.order = order
        self.counts = counts

    @classmethod
    async def read(cls, conn: AsyncConnection, order: CallOrder, day: date,
                   ticket: Mapping[str, Any] | None = None) -> "Ahead":
        """Counted against `ticket` (a waiting ticket of that day), or against a newcomer joining now."""
        params = {"office_id": order.setup.id, "day": day, "due_until": order.due_until}
        if ticket is None:
            params["now"] = order.now
        else:   # only the services sharing a window with its own can come before it
            params.update(queued_at=ticket["queued_at"], seq=ticket["seq"], ticket_id=ticket["id"],
                          services=sorted(services_called_with(order.setup, ticket["service_id"])))
        rows = await conn.execute(_waiting_by_kind(ticket is not None), params)
        counts: dict[tuple[Kind, bool], int] = {}
        for service_id, priority, due, earlier, count in rows:
            counts[(Kind(service_id, bool(priority), bool(due)), bool(earlier))] = int(count)
        return cls(order, counts)

    def at_window(self, services: tuple[int, ...], kind: Kind) -> int:
        """How many a window serving `services` calls before this place."""
        ranks = self.order.ranks(services)
        mine = ranks[kind]
        ahead = 0
        for (other, earlier), count in self.counts.items():
            rank = ranks.get(other)
            if rank is not None and (rank < mine or (rank == mine and earlier)):
                ahead += count
        return ahead

    def people_ahead(self, kind: Kind, staffed: frozenset[int] = frozenset()) -> int:
        """The fewest that any window serving the service calls before this place."""
        orders = {w.service_ids for w in self.order.setup.windows_for(kind.service_id, staffed)}
        return min(self.at_window(services, kind) for services in orders or {(kind.service_id,)})

    def join(self, kind: Kind) -> None:
        """A newcomer of `kind` took its place (a batch of tickets): it is ahead of later newcomers."""
        self.counts[(kind, True)] = self.counts.get((kind, True), 0) + 1


def _key(services: tuple[int, ...], kind: Kind, booked_first: bool, priority_first: bool) -> tuple[int, ...]:
    key = [0 if kind.due else 1] if booked_first else []
    if priority_first:
        key.append(0 if kind.priority else 1)
    key.append(services.index(kind.service_id))
    if not booked_first:
        key.append(0 if kind.due else 1)
    return tuple(key)


@functools.lru_cache(maxsize=1024)
def _ranks(services: tuple[int, ...], booked_first: bool, priority_first: bool) -> dict[Kind, int]:
    kinds = [Kind(s, priority, due) for s in services for priority in (True, False) for due in (True, False)]
    keys = sorted({_key(services, kind, booked_first, priority_first) for kind in kinds})
    return {kind: keys.index(_key(services, kind, booked_first, priority_first)) for kind in kinds}


def _due_sql(tickets: sa.Table, due_until: Any) -> Any:
    return sa.and_(tickets.c.appointment_at.is_not(None), tickets.c.appointment_at <= due_until)


@functools.cache
def _waiting_by_kind(against_ticket: bool) -> Any:
    """The grouped count `Ahead.read` runs, built once: it runs on every refresh of a ticket's page.
    O(waiting tickets) in the database, a few rows back (services sharing a window x 8)."""
    tickets = Ticket.__table__
    if against_ticket:   # step 5: joined earlier, then the lower count, then the id
        same_moment = tickets.c.queued_at == sa.bindparam("queued_at")
        before = sa.or_(tickets.c.queued_at < sa.bindparam("queued_at"),
                        sa.and_(same_moment, tickets.c.seq < sa.bindparam("seq")),
                        sa.and_(same_moment, tickets.c.seq == sa.bindparam("seq"),
                                tickets.c.id < sa.bindparam("ticket_id")))
    else:   # a newcomer joins after everyone waiting
        before = tickets.c.queued_at <= sa.bindparam("now")
    flags = (sa.select(tickets.c.service_id, tickets.c.priority.is_not(None).label("priority"),
                       _due_sql(tickets, sa.bindparam("due_until")).label("due"), before.label("before"))
             .where(tickets.c.office_id == sa.bindparam("office_id"), tickets.c.office_day == sa.bindparam("day"),
                    tickets.c.status == "waiting"))
    if against_ticket:
        flags = flags.where(tickets.c.service_id.in_(sa.bindparam("services", expanding=True)))
    flags = flags.subquery()
    columns = (flags.c.service_id, flags.c.priority, flags.c.due, flags.c.before)
    return sa.select(*columns, sa.func.count()).group_by(*columns)


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: what its visitor is shown."""

    people_ahead: int
    estimated_wait_minutes: int
    expected_at: datetime | None = None   # a checked-in booking: about when it will be called


def place(ahead: Ahead, service: ServiceSetup, kind: Kind, appointment_at: datetime | None,
          minutes_per_visit: dict[int, float], staffed: frozenset[int] = frozenset()) -> Place:
    """People ahead and the wait, from the call order; a checked-in booking is expected at its slot,
    or later when the visitors called before it by then would keep the windows busy past it."""
    setup, now = ahead.order.setup, ahead.order.now
    minutes = minutes_per_visit.get(service.id, service.average_service_minutes)
    people = ahead.people_ahead(kind, staffed)
    if appointment_at is None:
        return Place(people, wait_minutes(setup, service, people, minutes, staffed))
    # Before it falls due it is ordered like a walk-in, but from then on only the due bookings (and
    # whatever goes before them) stay ahead of it: its wait is counted as if it were due already.
    busy = wait_minutes(setup, service, ahead.people_ahead(replace(kind, due=True), staffed), minutes, staffed)
    expected = max(appointment_at, now + timedelta(minutes=busy))
    wait = max(0, math.ceil((expected - now).total_seconds() / 60))
    return Place(people, wait, expected.replace(second=0, microsecond=0))


async def place_in_queue(conn: AsyncConnection, setup: OfficeSetup, ticket: Mapping[str, Any], now: datetime,
                         minutes_per_visit: dict[int, float], staffed: frozenset[int] = frozenset()) -> Place:
    """Where a ticket stands now: nobody ahead and no wait once it is no longer waiting."""
    if ticket["status"] != "waiting":
        return Place(0, 0)
    order = CallOrder(setup, now)
    ahead = await Ahead.read(conn, order, ticket["office_day"], ticket)
    return place(ahead, setup.service_by_id(ticket["service_id"]), order.kind(ticket), ticket.get("appointment_at"),
                 minutes_per_visit, staffed)


def services_called_with(setup: OfficeSetup, service_id: int) -> frozenset[int]:
    """The services sharing a window with this one (itself included): a ticket of any of them
    that joins, leaves or is called can change how many are ahead of this service's tickets."""
    return frozenset({service_id}).union(*(w.service_ids for w in setup.windows if service_id in w.service_ids))

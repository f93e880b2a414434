"""The figures of one office day for a set of services: bookings, tickets, served, no-shows, the
people still waiting at closing time, and waiting and service times (median and 90th percentile).

Read only, from the append-only facts: every ticket's events (ticket_events, in commit order) are
replayed, so a ticket transferred from one service to another counts in each where it happened;
bookings are read by their status. Nothing personal is read or returned: counts and durations.

What each figure means (docs/back-office.md, "Event statistics"):
- tickets issued: `issued` events; booked when the ticket came from a booking's check-in
  (it carries an appointment time), walk-in otherwise;
- served: `finished` events; no-shows: `no_show` events (the visitor did not come when called);
- waiting at close: tickets waiting in the service's queue at `close_at` (or now, before it);
- waiting time: from joining the queue (issue, or a transfer into the service) to the first call
  there; a booked visitor's wait starts at the later of the check-in and the slot's start, since
  coming early is no wait the office made. A ticket returned to its place is not counted twice;
- service time: from `started` to `finished`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Iterable, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.models import ArchivedTicket, ArchivedTicketEvent, Booking, Ticket, TicketEvent

# The bookings' statuses counted, and the JSON names they are counted under. A booking "made" is
# one that was confirmed; a hold that expired was never made.
BOOKING_STATUSES = {"confirmed": "bookings_confirmed", "checked_in": "bookings_checked_in",
                    "no_show": "bookings_no_show", "cancelled": "bookings_cancelled"}


@dataclass
class Tally:
    """Counts and duration samples (seconds) of one service, or of several pooled (`merged`)."""

    bookings_confirmed: int = 0     # still confirmed: not (yet) checked in nor missed
    bookings_checked_in: int = 0
    bookings_no_show: int = 0
    bookings_cancelled: int = 0
    tickets_walk_in: int = 0
    tickets_booked: int = 0
    served: int = 0
    no_shows: int = 0
    tickets_cancelled: int = 0      # by the visitor, from the phone
    transferred_out: int = 0
    waiting_at_close: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)

    @classmethod
    def merged(cls, tallies: Iterable["Tally"]) -> "Tally":
        """One tally of several: counts added, samples pooled (a total's median is the median of
        all its visits, not a sum of medians)."""
        total = cls()
        for tally in tallies:
            for counted in fields(cls):
                mine, theirs = getattr(total, counted.name), getattr(tally, counted.name)
                setattr(total, counted.name, mine + theirs)
        return total

    def figures(self) -> "Figures":
        waits, times = sorted(self.waits), sorted(self.service_times)   # each sorted once (a month: 100,000)
        return Figures(
            bookings_made=self.bookings_confirmed + self.bookings_checked_in + self.bookings_no_show
            + self.bookings_cancelled,
            bookings_confirmed=self.bookings_confirmed, bookings_checked_in=self.bookings_checked_in,
            bookings_no_show=self.bookings_no_show, bookings_cancelled=self.bookings_cancelled,
            tickets_issued=self.tickets_walk_in + self.tickets_booked, tickets_walk_in=self.tickets_walk_in,
            tickets_booked=self.tickets_booked, served=self.served, no_shows=self.no_shows,
            tickets_cancelled=self.tickets_cancelled, transferred_out=self.transferred_out,
            waiting_at_close=self.waiting_at_close,
            wait_median_seconds=_median_of_sorted(waits), wait_p90_seconds=_percentile_of_sorted(waits, 90),
            service_median_seconds=_median_of_sorted(times),
            service_p90_seconds=_percentile_of_sorted(times, 90),
            waits_measured=len(self.waits), services_measured=len(self.service_times))


@dataclass(frozen=True)
class Figures:
    """What a day made for one service (or a total): counts, and durations in whole seconds (None
    when nothing was measured)."""

    bookings_made: int
    bookings_confirmed: int
    bookings_checked_in: int
    bookings_no_show: int
    bookings_cancelled: int
    tickets_issued: int
    tickets_walk_in: int
    tickets_booked: int
    served: int
    no_shows: int
    tickets_cancelled: int
    transferred_out: int
    waiting_at_close: int
    wait_median_seconds: int | None
    wait_p90_seconds: int | None
    service_median_seconds: int | None
    service_p90_seconds: int | None
    waits_measured: int
    services_measured: int


def median(samples: list[float]) -> int | None:
    return _median_of_sorted(sorted(samples))


def percentile(samples: list[float], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest sample at or above `percent`% of them (a value some
    visitor really had, never one interpolated between two)."""
    return _percentile_of_sorted(sorted(samples), percent)


def _median_of_sorted(ordered: list[float]) -> int | None:
    """The middle sample, or the mean of the middle two of an even count (as statistics.median,
    without sorting again)."""
    if not ordered:
        return None
    middle = len(ordered) // 2
    return round(ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2)


def _percentile_of_sorted(ordered: list[float], percent: int) -> int | None:
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)])


@dataclass
class _Stint:
    """A ticket's time in one service's queue, as the replay goes."""

    service_id: int
    joined_at: datetime
    waiting: bool = True
    waited: bool = False            # its wait was measured (a return does not measure it again)
    started_at: datetime | None = None


class ReplayWatcher(Protocol):
    """What else a replay of a day's events tells (okienko/stats/day_summary.py listens): the same
    waits and visits the service tallies count, with the window and the clerk of each."""

    def issued(self, at: datetime, service_id: int, booked: bool) -> None: ...
    def waited(self, joined_at: datetime, seconds: float, window_id: int | None, clerk_id: int | None) -> None: ...
    def finished(self, kind: str, seconds: float | None, window_id: int | None, clerk_id: int | None) -> None: ...
    def queue(self, at: datetime, waiting: int) -> None: ...


def ticket_rows() -> sa.Subquery:
    """Every ticket, the hot ones and the archived ones alike (what statistics read)."""
    hot, old = Ticket.__table__, ArchivedTicket.__table__
    wanted = ("id", "office_id", "office_day", "appointment_at")
    return sa.union_all(sa.select(*(hot.c[name] for name in wanted)),
                        sa.select(*(old.c[name] for name in wanted))).subquery("all_tickets")


def day_events(office_id: int, day: date) -> sa.Select:
    """The events of the office's tickets of `day`, hot and archived, in commit order. Each table
    joined to its own tickets (a join of the two unions makes PostgreSQL walk every event)."""
    parts = []
    for tickets, events in ((Ticket.__table__, TicketEvent.__table__),
                            (ArchivedTicket.__table__, ArchivedTicketEvent.__table__)):
        parts.append(sa.select(events.c.seq, events.c.ticket_id, events.c.kind, events.c.at, events.c.service_id,
                               tickets.c.appointment_at, events.c.window_id, events.c.clerk_id)
                     .join(tickets, tickets.c.id == events.c.ticket_id)
                     .where(tickets.c.office_id == office_id, tickets.c.office_day == day))
    found = sa.union_all(*parts).subquery("day_events")
    return sa.select(found.c.ticket_id, found.c.kind, found.c.at, found.c.service_id, found.c.appointment_at,
                     found.c.window_id, found.c.clerk_id).order_by(found.c.seq)


async def day_figures(conn: AsyncConnection, office_id: int, day: date, service_ids: Iterable[int], *,
                      close_at: datetime | None = None, watcher: ReplayWatcher | None = None) -> dict[int, Tally]:
    """Service id -> its tally on the office day `day`, for each of `service_ids` (every one present,
    empty when nothing happened). `close_at`: the moment the queue's leftovers are counted at
    (None: after the last event, i.e. now)."""
    wanted = list(dict.fromkeys(service_ids))
    tallies = {service_id: Tally() for service_id in wanted}
    if not wanted:
        return tallies
    await _count_bookings(conn, office_id, day, tallies)
    await _replay_tickets(conn, office_id, day, tallies, close_at, watcher)
    return tallies


async def _count_bookings(conn: AsyncConnection, office_id: int, day: date, tallies: dict[int, Tally]) -> None:
    bookings = Booking.__table__
    rows = (await conn.execute(
        sa.select(bookings.c.service_id, bookings.c.status, sa.func.count())
        .where(bookings.c.office_id == office_id, bookings.c.office_day == day,
               bookings.c.service_id.in_(list(tallies)), bookings.c.status.in_(list(BOOKING_STATUSES)))
        .group_by(bookings.c.service_id, bookings.c.status))).all()
    for service_id, status, count in rows:
        tally = tallies[service_id]
        setattr(tally, BOOKING_STATUSES[status], getattr(tally, BOOKING_STATUSES[status]) + int(count))


async def _replay_tickets(conn: AsyncConnection, office_id: int, day: date, tallies: dict[int, Tally],
                          close_at: datetime | None, watcher: ReplayWatcher | None) -> None:
    rows = (await conn.execute(day_events(office_id, day))).all()
    stints: dict[str, _Stint] = {}
    counted_close = False
    waiting_now = 0      # people waiting in any queue of the office (the watcher's queue length)
    for ticket_id, kind, at, service_id, appointment_at, window_id, clerk_id in rows:
        if close_at is not None and not counted_close and at > close_at:
            _count_waiting(stints, tallies)
            counted_close = True
        stint = stints.get(ticket_id)
        before = waiting_now
        if kind == "issued":
            joined = max(at, appointment_at) if appointment_at is not None else at
            stints[ticket_id] = _Stint(service_id, joined)
            waiting_now += 1
            if service_id in tallies:
                if appointment_at is not None:
                    tallies[service_id].tickets_booked += 1
                else:
                    tallies[service_id].tickets_walk_in += 1
                if watcher is not None:
                    watcher.issued(at, service_id, appointment_at is not None)
        elif stint is None:
            continue
        else:
            tally = tallies.get(stint.service_id)
            watched = watcher if tally is not None else None
            if kind == "transferred":
                if tally is not None:
                    tally.transferred_out += 1
                waiting_now += 0 if stint.waiting else 1
                stints[ticket_id] = _Stint(service_id, at)
            elif kind == "called":
                if stint.waiting and not stint.waited and tally is not None:
                    seconds = max(0.0, (at - stint.joined_at).total_seconds())
                    tally.waits.append(seconds)
                    if watched is not None:
                        watched.waited(stint.joined_at, seconds, window_id, clerk_id)
                waiting_now -= 1 if stint.waiting else 0
                stint.waiting, stint.waited = False, True
            elif kind == "returned":
                waiting_now += 0 if stint.waiting else 1
                stint.waiting, stint.started_at = True, None
            elif kind == "started":
                stint.started_at = at
            elif kind in ("finished", "no_show", "cancelled"):
                seconds = None
                if tally is not None:
                    if kind == "finished":
                        tally.served += 1
                        if stint.started_at is not None:
                            seconds = max(0.0, (at - stint.started_at).total_seconds())
                            tally.service_times.append(seconds)
                    elif kind == "no_show":
                        tally.no_shows += 1
                    else:
                        tally.tickets_cancelled += 1
                    if watched is not None:
                        watched.finished(kind, seconds, window_id, clerk_id)
                waiting_now -= 1 if stint.waiting else 0
                del stints[ticket_id]
        if watcher is not None and waiting_now != before:
            watcher.queue(at, waiting_now)
    if not counted_close:
        _count_waiting(stints, tallies)


def _count_waiting(stints: dict[str, _Stint], tallies: dict[int, Tally]) -> None:
    for stint in stints.values():
        if stint.waiting and stint.service_id in tallies:
            tallies[stint.service_id].waiting_at_close += 1

"""Issuing walk-in tickets: the daily limit, idempotent retries (numbers: numbering.py; people ahead: call_order.py).

Requests that arrive together are issued together in one write transaction (group commit):
the counter row is advanced once per service for the whole batch, so throughput does not hang
on one commit per ticket, and each request still gets its own answer or its own error.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Awaitable, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.hall.call_order import Ahead, CallOrder, Kind, Place, place, place_in_queue
from okienko.hall.estimates import Estimator
from okienko.office.hours import availability, office_day
from okienko.storage.locking import Locks, return_numbers, take_numbers
from okienko.hall.events import record
from okienko.storage.models import IdempotencyKey, Ticket
from okienko.hall.numbering import counter_name, pick_numbers
from okienko.office.directory import OfficeSetup, ServiceSetup


def new_ticket_id() -> str:
    """An unguessable id (128 bits): whoever holds it may follow the ticket."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class TicketRequest:
    service_code: str
    language: str
    priority: str | None = None
    device_id: int | None = None
    idempotency_key: str | None = None
    appointment_at: datetime | None = None   # a checked-in booking's slot: served at that time


@dataclass(frozen=True)
class IssuedTicket:
    ticket: dict[str, Any]          # the row as written
    service: ServiceSetup
    people_ahead: int
    estimated_wait_minutes: int
    replayed: bool = False          # an idempotent retry got the ticket issued before
    expected_at: datetime | None = None   # a checked-in booking: about when it will be called


Outcome = IssuedTicket | DomainError


async def issue_batch(conn: AsyncConnection, setup: OfficeSetup, requests: Sequence[TicketRequest],
                      now: datetime, minutes_per_visit: dict[int, float],
                      staffed: frozenset[int] = frozenset()) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """Issue tickets for `requests` inside the caller's write transaction, in arrival order.

    Guarantees: tickets are counted consecutively per service in arrival order, the count never
    repeats within an office day (UNIQUE on office, day, prefix, seq), and no two open tickets
    share a number (numbering.py; UNIQUE on open numbers); a request repeated with the same
    device and Idempotency-Key gets the ticket issued the first time; a service past its daily
    limit, cut-off or closing, or with every number open (`numbers_exhausted`), refuses with its
    own error and consumes no count. Returns each request's outcome and the events to publish
    once the transaction has committed.
    """
    day = office_day(setup, now)
    outcomes: list[Outcome | None] = [None] * len(requests)
    replays = await _replayed(conn, setup, requests, outcomes, now, minutes_per_visit, staffed)
    order = CallOrder(setup, now)
    ahead: Ahead | None = None
    accepted: dict[str, list[int]] = {}
    planned: list[tuple[int, ServiceSetup, Place]] = []
    for index, request in enumerate(requests):
        if outcomes[index] is not None or index in replays:
            continue
        try:
            service = setup.service(request.service_code)
            if request.priority is not None:
                setup.category(request.priority)
        except DomainError as error:
            outcomes[index] = error
            continue
        if ahead is None:  # everyone waiting now is ahead of a newcomer of the same rank
            ahead = await Ahead.read(conn, order, day)
        kind = Kind(service.id, request.priority is not None, order.is_due(request.appointment_at))
        spot = place(ahead, service, kind, request.appointment_at, minutes_per_visit, staffed)
        state = availability(setup, service, now, spot.estimated_wait_minutes, request.language)
        if request.appointment_at is None and not state.open:  # a booking is its own permission
            outcomes[index] = DomainError(state.reason or "service_closed_today", **state.params)
            continue
        ahead.join(kind)
        accepted.setdefault(service.prefix, []).append(index)
        planned.append((index, service, spot))
    booked_only = all(r.appointment_at is not None for r in requests)
    numbers = await _take(conn, setup, day, accepted, limited=not booked_only)
    rows, events, keys = [], [], []
    for index, service, spot in planned:
        request = requests[index]
        given = numbers.get(index)
        if given is None:
            outcomes[index] = DomainError("daily_limit_reached", service=service.name(request.language))
            continue
        if given == "numbers_exhausted":
            outcomes[index] = DomainError("numbers_exhausted", service=service.name(request.language))
            continue
        seq, number = given
        row = _ticket_row(setup, day, service, seq, number, request, now)
        rows.append(row)
        events.append({"ticket_id": row["id"], "kind": "issued", "service_id": service.id,
                       "detail": {"number": row["number"], "priority": request.priority}})
        if request.idempotency_key and request.device_id is not None:
            keys.append({"device_id": request.device_id, "key": request.idempotency_key, "ticket_id": row["id"],
                         "created_at": now})
        outcomes[index] = IssuedTicket(row, service, spot.people_ahead, spot.estimated_wait_minutes,
                                       expected_at=spot.expected_at)
    published: list[dict[str, Any]] = []
    if rows:
        await conn.execute(sa.insert(Ticket.__table__), rows)
        published = await record(conn, setup, events, now)
    if keys:
        await conn.execute(sa.insert(IdempotencyKey.__table__), keys)
    for index, first in replays.items():
        outcomes[index] = _copy_outcome(outcomes[first], replayed=True)
    return [o if o is not None else DomainError("busy") for o in outcomes], published


def _known(setup: OfficeSetup, request: TicketRequest) -> bool:
    try:
        setup.service(request.service_code)
        return True
    except DomainError:
        return False


def _copy_outcome(outcome: Outcome | None, *, replayed: bool) -> Outcome:
    if isinstance(outcome, IssuedTicket):
        return IssuedTicket(outcome.ticket, outcome.service, outcome.people_ahead, outcome.estimated_wait_minutes,
                            replayed, outcome.expected_at)
    return outcome if outcome is not None else DomainError("busy")


async def _replayed(conn: AsyncConnection, setup: OfficeSetup, requests: Sequence[TicketRequest],
                    outcomes: list[Outcome | None], now: datetime, minutes_per_visit: dict[int, float],
                    staffed: frozenset[int]) -> dict[int, int]:
    """Answer retried requests from their first ticket; returns in-batch duplicates (index -> first index)."""
    keyed = [(i, r) for i, r in enumerate(requests) if r.idempotency_key and r.device_id is not None]
    if not keyed:
        return {}
    first_seen: dict[tuple[int, str], int] = {}
    duplicates: dict[int, int] = {}
    for index, request in keyed:
        key = (request.device_id, request.idempotency_key)
        if key in first_seen:
            duplicates[index] = first_seen[key]
        else:
            first_seen[key] = index
    keys_t, tickets = IdempotencyKey.__table__, Ticket.__table__
    found = await conn.execute(
        sa.select(keys_t.c.device_id, keys_t.c.key, tickets)
        .join(tickets, tickets.c.id == keys_t.c.ticket_id)
        .where(sa.tuple_(keys_t.c.device_id, keys_t.c.key).in_(list(first_seen))))
    for row in found.mappings():
        index = first_seen[(row["device_id"], row["key"])]
        ticket = {k: row[k] for k in tickets.c.keys()}
        service = setup.service_by_id(ticket["service_id"])
        if not _known(setup, requests[index]) or setup.service(requests[index].service_code).id != service.id:
            outcomes[index] = DomainError("idempotency_conflict")
        else:
            spot = await place_in_queue(conn, setup, ticket, now, minutes_per_visit, staffed)
            outcomes[index] = IssuedTicket(ticket, service, spot.people_ahead, spot.estimated_wait_minutes,
                                           replayed=True, expected_at=spot.expected_at)
    return duplicates


async def _take(conn: AsyncConnection, setup: OfficeSetup, day: date, accepted: dict[str, list[int]],
                limited: bool = True) -> dict[int, tuple[int, str] | str]:
    """Request index -> (seq, number) for as many as the daily limits allow (booked check-ins are not
    limited) and free numbers remain; "numbers_exhausted" for those refused for want of a number.

    The counts of refused requests are given back at once, so the counter stays the number of
    tickets issued: nothing is burnt, however often a full service is asked.
    """
    limits = {s.prefix: s.daily_limit if limited else None for s in setup.services}
    digits = {s.prefix: s.number_digits for s in setup.services}
    names = {prefix: counter_name(setup.id, day, prefix) for prefix in accepted}
    granted = await take_numbers(conn, {names[p]: len(ix) for p, ix in accepted.items()},
                                 {names[p]: limits.get(p) for p in accepted})
    result: dict[int, tuple[int, str] | str] = {}
    for prefix, indexes in accepted.items():
        seqs = granted[names[prefix]]
        numbers = await pick_numbers(conn, setup.id, day, prefix, digits[prefix], seqs)
        await return_numbers(conn, names[prefix], len(seqs) - len(numbers))
        for position, index in enumerate(indexes[:len(seqs)]):
            result[index] = (seqs[position], numbers[position]) if position < len(numbers) else "numbers_exhausted"
    return result


def _ticket_row(setup: OfficeSetup, day: date, service: ServiceSetup, seq: int, number: str,
                request: TicketRequest, now: datetime) -> dict[str, Any]:
    return {
        "id": new_ticket_id(), "office_id": setup.id, "office_day": day, "service_id": service.id,
        "prefix": service.prefix, "seq": seq, "number": number,
        "priority": request.priority, "language": request.language, "status": "waiting",
        "device_id": request.device_id, "window_id": None, "issued_at": now, "queued_at": now,
        "called_at": None, "started_at": None, "finished_at": None, "recalls": 0,
        "appointment_at": request.appointment_at,
    }


class TicketIssuer:
    """Front door for issuing: callers await their own ticket; concurrent callers share a batch.

    Whoever finds no batch running takes every request waiting at that moment and issues them in
    one transaction; the others wait for their answer. The work is shielded, so a caller that
    goes away (client disconnect) does not cancel anyone else's ticket.
    """

    def __init__(self, locks: Locks, clock: Clock, estimator: Estimator,
                 publish: Callable[[list[dict[str, Any]]], Awaitable[None]], max_batch: int = 256) -> None:
        self.locks = locks
        self.clock = clock
        self.estimator = estimator
        self.publish = publish
        self.max_batch = max_batch
        self._pending: list[tuple[OfficeSetup, TicketRequest, asyncio.Future[Outcome]]] = []
        self._lock = asyncio.Lock()

    async def issue(self, setup: OfficeSetup, request: TicketRequest) -> IssuedTicket:
        """Issue one ticket (or raise the DomainError that stops it)."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((setup, request, future))
        while not future.done():
            async with self._lock:
                if future.done():
                    break
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
                await asyncio.shield(asyncio.ensure_future(self._run(batch)))
        outcome = future.result()
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    async def _run(self, batch: list[tuple[OfficeSetup, TicketRequest, asyncio.Future[Outcome]]]) -> None:
        try:
            by_office: dict[int, list[int]] = {}
            for index, (setup, _, _) in enumerate(batch):
                by_office.setdefault(setup.id, []).append(index)
            for indexes in by_office.values():
                await self._run_office([batch[i] for i in indexes])
        except BaseException as error:  # never leave a caller waiting forever
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else DomainError("busy"))
            if not isinstance(error, Exception):
                raise

    async def _run_office(self, batch: list[tuple[OfficeSetup, TicketRequest, asyncio.Future[Outcome]]]) -> None:
        setup = batch[0][0]
        requests = [request for _, request, _ in batch]
        minutes = {}
        for request in requests:
            try:
                service = setup.service(request.service_code)
            except DomainError:
                continue
            minutes[service.id] = await self.estimator.service_minutes(service)
        staffed = await self.estimator.staffed_windows(setup.id)
        now = self.clock.now()
        events: list[dict[str, Any]] = []
        try:
            async with self.locks.write_transaction() as conn:
                outcomes, events = await issue_batch(conn, setup, requests, now, minutes, staffed)
        except IntegrityError:
            # Another process raced us on an idempotency key: issue one by one so that each
            # request sees the winner's ticket instead of failing the whole batch.
            outcomes = []
            for request in requests:
                try:
                    async with self.locks.write_transaction() as conn:
                        one, more = await issue_batch(conn, setup, [request], now, minutes, staffed)
                    outcomes.extend(one)
                    events.extend(more)
                except IntegrityError:
                    outcomes.append(DomainError("busy"))
        for (_, _, future), outcome in zip(batch, outcomes):
            if not future.done():
                future.set_result(outcome)
        await self.publish(events)

"""The hall's front door: everything a kiosk, a clerk, a board or a visitor's phone asks of the hall.

Issuing and printing, calling, recalling, starting, finishing, transferring, pausing a window,
the ticker, the desk's document check, and what a ticket, a queue or a board looks like now.
Each change runs in its own transaction here; what it changed is published to the boards and
phones only after it has committed, and the caches it touches (the wait estimate's staffed
windows, the office set-up) are dropped here too, in every process where another process must
know. Handlers only parse, authorise and present.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import sqlalchemy as sa

from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.hall import boards, calling, stranded, ticket_phones, windows
from okienko.hall.today import Today, today as office_today
from okienko.hall.check_ins import KioskCheckIn
from okienko.hall.call_order import Place, place_in_queue, services_called_with
from okienko.hall.desk_checks import check_document
from okienko.hall.estimates import Estimator
from okienko.hall.events import current_seq
from okienko.hall.print_outcome import PrintOutcome
from okienko.hall.printing import PrintService, build_slip
from okienko.hall.queueing import IssuedTicket, TicketIssuer, TicketRequest
from okienko.hall.status import ServiceStatus, service_statuses
from okienko.i18n import Translator
from okienko.notify.ticket_sms import TicketSms
from okienko.office.audit import record_change
from okienko.office.directory import OfficeDirectory, OfficeSetup
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.logs import loggable
from okienko.storage.models import Office, Ticket

Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]
SendHint = Callable[[str], Awaitable[None]]
MAX_TICKET_ID_LENGTH = 64
CLERK_ACTIONS = ("recall", "start", "finish", "no_show", "transfer", "return")
log = logging.getLogger("okienko.hall")


@dataclass(frozen=True)
class Seat:
    """Who acts at the desk: the clerk's session (it holds one window) and whether they may act on
    tickets at any window (managers) or only at their own."""

    session_key: str
    anywhere: bool = False


@dataclass(frozen=True)
class WindowView:
    """A window as the console shows it: its number and id, and its desk (ticket in hand, queues)."""

    number: str
    window_id: int
    desk: calling.Desk


class Hall:
    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, estimator: Estimator,
                 issuer: TicketIssuer, printing: PrintService, check_ins: KioskCheckIn, translator: Translator,
                 publish: Publish, send_hint: SendHint, sms: TicketSms | None = None,
                 sms_written: Callable[[], None] = lambda: None) -> None:
        """`sms`: the walk-ins' SMS (written in the transaction of each move that makes one due);
        `sms_written`: told after a commit that wrote any (the outbox sends at once)."""
        self.db, self.locks, self.clock, self.offices = db, locks, clock, offices
        self.estimator, self.issuer, self.printing, self.translator = estimator, issuer, printing, translator
        self.check_ins = check_ins
        self.publish, self.send_hint = publish, send_hint
        self.sms = sms or TicketSms(translator, can_sms=False)
        self.sms_written = sms_written

    # --- visitors and kiosks -------------------------------------------------------------------

    async def ticket(self, ticket_id: str) -> tuple[OfficeSetup, dict[str, Any]]:
        """A ticket by its id (the visitor's secret), with its office; `ticket_not_found` otherwise."""
        if len(ticket_id) > MAX_TICKET_ID_LENGTH:
            raise DomainError("ticket_not_found")
        tickets = Ticket.__table__
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
        if row is None:
            raise DomainError("ticket_not_found")
        return await self.offices.by_id(row["office_id"]), dict(row)

    async def place(self, setup: OfficeSetup, ticket: dict[str, Any]) -> Place:
        """People ahead, the wait and, for a booked visit, when it is called: from call-next's order."""
        service = setup.service_by_id(ticket["service_id"])
        minutes = {service.id: await self.estimator.service_minutes(service)}
        staffed = await self.estimator.staffed_windows(setup.id)
        async with self.db.read() as conn:
            return await place_in_queue(conn, setup, ticket, self.clock.now(), minutes, staffed)

    async def cancel(self, setup: OfficeSetup, ticket_id: str) -> dict[str, Any]:
        """The visitor gives up their place."""
        async with self.locks.write_transaction() as conn:
            moved = await calling.act(conn, setup, ticket_id, "cancel", self.clock.now())
            written = await self._sms_due(conn, setup, moved.events)
        await self._published(moved, written)
        return moved.ticket

    async def sms_offered(self, setup: OfficeSetup) -> bool:
        """Whether a walk-in may ask for an SMS before its turn (an SMS gateway is configured)."""
        return self.sms.offered(setup)

    async def phone(self, ticket_id: str) -> ticket_phones.PhoneState:
        """The ticket's number for SMS ('' when none) and which SMS went."""
        async with self.db.read() as conn:
            return await ticket_phones.phone_state(conn, ticket_id)

    async def set_phone(self, setup: OfficeSetup, ticket: dict[str, Any], phone: str) -> ticket_phones.PhoneState:
        """Give a waiting ticket a mobile number for the SMS before its turn and when it is called
        (notify/ticket_sms.py); already near its turn, the first goes at once."""
        async with self.locks.write_transaction() as conn:
            await self.sms.add(conn, setup, ticket, phone, self.clock.now())
            state = await ticket_phones.phone_state(conn, ticket["id"])
        self.sms_written()
        return state

    async def remove_phone(self, setup: OfficeSetup, ticket: dict[str, Any]) -> ticket_phones.PhoneState:
        """Forget the ticket's number: no more SMS for it."""
        if not self.sms.offered(setup):
            raise DomainError("sms_not_offered")
        async with self.locks.write_transaction() as conn:
            await ticket_phones.remove_phone(conn, ticket["id"])
            return await ticket_phones.phone_state(conn, ticket["id"])

    async def statuses(self, setup: OfficeSetup, language: str) -> list[ServiceStatus]:
        """Each service's queue now: open or why not, waiting, the wait, issued today."""
        minutes = {s.id: await self.estimator.service_minutes(s) for s in setup.services}
        staffed = await self.estimator.staffed_windows(setup.id)
        async with self.db.read() as conn:
            return await service_statuses(conn, setup, self.clock.now(), minutes, language, staffed)

    async def issue(self, setup: OfficeSetup, request: TicketRequest) -> IssuedTicket:
        """A numbered ticket (batched with other kiosks' in one transaction; published after commit)."""
        return await self.issuer.issue(setup, request)

    async def check_in(self, setup: OfficeSetup, code: str, *, language: str, device_id: int,
                       idempotency_key: str | None = None) -> IssuedTicket:
        """A booking code typed or scanned at a kiosk becomes a ticket called at its slot (check_ins.py:
        wrong codes are counted per kiosk and minute)."""
        issued, _booking = await self.check_ins.check_in(setup, code, language=language, device_id=device_id,
                                                         idempotency_key=idempotency_key)
        return issued

    async def print_ticket(self, setup: OfficeSetup, issued: IssuedTicket, kiosk_id: int,
                           track_url: str) -> PrintOutcome:
        """Print the ticket on the kiosk's printer; a replayed request learns what its first print did."""
        if issued.replayed:
            return await self.printing.outcome_of(issued.ticket["id"])
        if await self.printing.printer_for(kiosk_id) is None:
            return PrintOutcome(False, "no_printer")
        slip = build_slip(setup, self.translator, issued.ticket, issued.people_ahead, issued.estimated_wait_minutes,
                          track_url, issued.expected_at)
        return await self.printing.print_slip(setup.id, kiosk_id, issued.ticket["id"], slip)

    # --- clerks --------------------------------------------------------------------------------

    async def take_window(self, setup: OfficeSetup, number: str, seat: Seat) -> WindowView:
        """Sit at this window (one clerk per window; the hold is renewed by `window`). A ticket still in
        hand at the window this session leaves for it is refused (`ticket_in_hand`): the clerk says
        first what becomes of it (`leave_window`); one stranded at this window goes back to its queue."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            before = await windows.window_held_by(conn, seat.session_key)
            if before is not None and before != setup.window_id(number):
                await calling.settle_in_hand(conn, setup, before, None, now)
            events = await stranded.return_stranded(conn, setup, now, setup.window_id(number))
            row = await windows.take_window(conn, setup, number, seat.session_key, now)
            if before != row["id"]:   # sitting down again at one's own window changes nothing
                events += await windows.seating_changed(conn, setup, now, left=before, taken=row["id"])
            written = await self._sms_due(conn, setup, events)
        self.estimator.forget()  # staffed windows count in the wait estimate
        await self._publish_all(events, written)
        return await self._view(setup, row)

    async def leave_window(self, setup: OfficeSetup, seat: Seat, ticket: str | None = None) -> None:
        """Leave the window this session sits at. The ticket in hand there, if any, goes as `ticket`
        says: "return" (back to its place in the queue), "no_show" or "finish"; without a choice it is
        refused (`ticket_in_hand`), so a visitor is never left called to an empty window."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            window_id = await windows.window_held_by(conn, seat.session_key)
            events = [] if window_id is None else await calling.settle_in_hand(conn, setup, window_id, ticket, now)
            await windows.leave_window(conn, seat.session_key)
            events += await windows.seating_changed(conn, setup, now, left=window_id)
            written = await self._sms_due(conn, setup, events)
        self.estimator.forget()
        await self._publish_all(events, written)

    async def seating(self, setup: OfficeSetup, seat: Seat) -> list[dict[str, Any]]:
        """Every window of the office as the console's chooser shows it: its number, the clerk
        sitting there now (`taken_by`, their user name; None when free) and whether it is this
        session's own (`yours`)."""
        async with self.db.read() as conn:
            seated = await windows.seated_clerks(conn, setup.id, self.clock.now())
        return [{"number": window.number, "taken_by": seated[window.id][0] if window.id in seated else None,
                 "yours": window.id in seated and seated[window.id][1] == seat.session_key}
                for window in setup.windows]

    async def pause(self, setup: OfficeSetup, number: str, seat: Seat, paused: bool) -> WindowView:
        async with self.locks.write_transaction() as conn:
            events = await stranded.return_stranded(conn, setup, self.clock.now(), setup.window_id(number))
            row = await windows.set_paused(conn, setup, number, seat.session_key, paused, self.clock.now())
            written = await self._sms_due(conn, setup, events)
        self.estimator.forget()
        await self._publish_all(events, written)
        return await self._view(setup, row)

    async def window(self, setup: OfficeSetup, number: str, seat: Seat) -> WindowView:
        """The console's view of the clerk's window (asking renews the clerk's hold on it; a ticket
        left there while the hold had lapsed has gone back to its queue first)."""
        async with self.locks.write_transaction() as conn:
            row, events = await self._seated(conn, setup, number, seat)
            written = await self._sms_due(conn, setup, events)
        await self._publish_all(events, written)
        return await self._view(setup, row)

    async def call_next(self, setup: OfficeSetup, number: str, seat: Seat) -> dict[str, Any] | None:
        """The next visitor for this window (call_order.py), or None when nobody waits."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            window, events = await self._seated(conn, setup, number, seat)
            if window["paused"]:
                raise DomainError("window_paused", window=window["number"])
            moved = await calling.call_next(conn, setup, window["id"], now)
            events += moved.events if moved else []
            written = await self._sms_due(conn, setup, events)
        await self._publish_all(events, written)
        if moved is None or moved.ticket is None or moved.ticket["status"] != "called":
            return None
        return moved.ticket

    async def call_number(self, setup: OfficeSetup, number: str, seat: Seat, ticket_number: str) -> dict[str, Any]:
        """Call the waiting ticket `ticket_number` to this window out of turn (the clerk picked it);
        only one waiting in a queue this window serves (`not_waiting_here`)."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            window, events = await self._seated(conn, setup, number, seat)
            if window["paused"]:
                raise DomainError("window_paused", window=window["number"])
            moved = await calling.call_number(conn, setup, window["id"], ticket_number, now)
            events += moved.events
            written = await self._sms_due(conn, setup, events)
        await self._publish_all(events, written)
        return moved.ticket

    async def sweep(self) -> int:
        """Return the tickets stranded at windows whose hold lapsed, in every office (stranded.py),
        and erase walk-ins' phone numbers whose day is over (ticket_phones.py); how many went back."""
        async with self.db.read() as conn:
            office_ids = (await conn.execute(sa.select(Office.__table__.c.id))).scalars().all()
        returned = 0
        for office_id in office_ids:
            setup = await self.offices.by_id(office_id)
            async with self.locks.write_transaction() as conn:
                events = await stranded.return_stranded(conn, setup, self.clock.now())
                written = await self._sms_due(conn, setup, events)
                await ticket_phones.erase_ended_days(conn, setup, self.clock.now())
            await self._publish_all(events, written)
            returned += len(events)
        return returned

    async def run_sweeper(self, every_seconds: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as error:  # keep sweeping after a database hiccup
                log.warning("stranded ticket sweep failed: %s", loggable(error))
            await asyncio.sleep(every_seconds)

    async def act(self, setup: OfficeSetup, ticket_id: str, action: str, seat: Seat,
                  service_code: str | None = None) -> dict[str, Any]:
        """recall, start, finish, no_show, transfer (to `service_code`) or return (to its place in its
        queue) a ticket at the clerk's window."""
        if action not in CLERK_ACTIONS:
            raise DomainError("not_found")
        async with self.locks.write_transaction() as conn:
            window_id = None if seat.anywhere else await windows.held_window(conn, seat.session_key)
            moved = await calling.act(conn, setup, ticket_id, action, self.clock.now(), window_id=window_id,
                                      service_code=service_code)
            # A clerk at work holds the window: a client that only acts (no console polling) keeps it.
            await windows.renew_hold(conn, seat.session_key, self.clock.now())
            written = await self._sms_due(conn, setup, moved.events)
        await self._published(moved, written)
        return moved.ticket

    async def check_document(self, setup: OfficeSetup, ticket_id: str, typed: str, country: str, seat: Seat, *,
                             checked_by: str, secret_key: str) -> bool:
        """Is the document in hand the one the visit was booked with? (recorded, never the number)"""
        async with self.locks.write_transaction() as conn:
            window_id = None if seat.anywhere else await windows.held_window(conn, seat.session_key)
            return await check_document(conn, setup, ticket_id, typed, secret_key=secret_key,
                                        checked_by=checked_by, now=self.clock.now(),
                                        document_country=country, window_id=window_id)

    # --- the back office ------------------------------------------------------------------------

    async def today(self, setup: OfficeSetup) -> Today:
        """The office now for its manager (today.py): queues, windows, stranded tickets, silent devices."""
        statuses = await self.statuses(setup, setup.default_language)
        async with self.db.read() as conn:
            return await office_today(conn, setup, statuses, self.clock.now())

    async def hand_over(self, setup: OfficeSetup, ticket_id: str, window: str, *, actor: str) -> dict[str, Any]:
        """Call a ticket left at a window whose clerk went away to another window (stranded.hand_over);
        published like any call: boards show the new window, and so does the visitor's phone. The
        audit log names `actor`."""
        if len(ticket_id) > MAX_TICKET_ID_LENGTH:
            raise DomainError("ticket_not_found")
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            events = await stranded.hand_over(conn, setup, ticket_id, window, now)
            ticket = await calling.office_ticket(conn, setup, ticket_id)
            await record_change(conn, office_id=setup.id, actor=actor, action="ticket.hand", target=ticket["number"],
                                before={"window": events[0]["detail"]["handed_from"]},
                                after={"window": setup.window_number(ticket["window_id"])}, now=now)
            written = await self._sms_due(conn, setup, events)
        await self._publish_all(events, written)
        return ticket

    # --- boards --------------------------------------------------------------------------------

    async def board(self, setup: OfficeSetup) -> dict[str, Any]:
        """The board's snapshot, read consistently (PostgreSQL: repeatable read; SQLite: one WAL read)."""
        options = {"isolation_level": "REPEATABLE READ"} if self.db.dialect == "postgresql" else {}
        async with self.db.transaction(**options) as conn:
            return await boards.board_snapshot(conn, setup, self.clock.now())

    async def current_seq(self, office_id: int) -> int:
        async with self.db.read() as conn:
            return await current_seq(conn, office_id)

    @staticmethod
    def called_with(setup: OfficeSetup, service_id: int) -> frozenset[str]:
        """The codes of the services whose moves can change a ticket's people ahead (call_order.py)."""
        return frozenset(s.code for s in setup.services if s.id in services_called_with(setup, service_id))

    # --- inside --------------------------------------------------------------------------------

    async def _view(self, setup: OfficeSetup, window: dict[str, Any]) -> WindowView:
        async with self.db.read() as conn:
            desk = await calling.desk(conn, setup, window["id"], self.clock.now())
        return WindowView(setup.window_number(window["id"]), window["id"], desk)

    async def _seated(self, conn: Any, setup: OfficeSetup, number: str, seat: Seat) -> tuple[dict[str, Any], list]:
        """The window this session holds, its hold renewed; a lapsed hold's ticket returned first."""
        now = self.clock.now()
        events = await stranded.return_stranded(conn, setup, now, setup.window_id(number))
        return await windows.window_of(conn, setup, number, seat.session_key, now), events

    async def _sms_due(self, conn: Any, setup: OfficeSetup, events: list[dict[str, Any]]) -> int:
        """Inside a move's transaction: the walk-ins' SMS it made due (notify/ticket_sms.py)."""
        return await self.sms.write_due(conn, setup, self.clock.now(), events) if events else 0

    async def _publish_all(self, events: list[dict[str, Any]], sms_written: int = 0) -> None:
        if sms_written:
            self.sms_written()
        if events:
            await self.publish(events)

    async def _published(self, moved: calling.Moved | None, sms_written: int = 0) -> None:
        await self._publish_all(moved.events if moved else [], sms_written)

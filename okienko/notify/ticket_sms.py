"""The SMS a walk-in asked for (the number: okienko/hall/ticket_phones.py), in the ticket's language:

1. once, when `near_turn_ahead` people or fewer (the office's booking policy) are ahead of it,
   counted by THE rule the tracking page shows (call_order.place_in_queue);
2. once, when it is called, with the window's number.

`write_due` runs inside the transaction of every change in the hall that can move a ticket on
(a call, a cancel, a transfer, a return: the hall's front door calls it with that change's events),
so each message is written with the change that makes it due, or not at all. A visitor whose turn
comes nearer only by a change that skips it (rare: another window's order) gets it at the next move.
Only where the server has an SMS gateway (`can_sms`): otherwise the option is not offered at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.hall import ticket_phones
from okienko.hall.call_order import place_in_queue, services_called_with
from okienko.hall.windows import staffed_windows
from okienko.i18n import Translator, _
from okienko.notify.outbox import enqueue
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.people import checked_phone

NEAR_TEXT = _("{office}: your turn is near. Ticket {number}, people ahead of you: {people}. "
              "Please stay in the waiting hall.")
CALLED_TEXT = _("{office}: ticket {number}, please go to window {window} now.")


class TicketSms:
    """The walk-in SMS of one server: offered where an SMS gateway is configured."""

    def __init__(self, translator: Translator, can_sms: bool) -> None:
        self.translator = translator
        self.can_sms = can_sms

    def offered(self, setup: OfficeSetup) -> bool:
        """Whether the kiosk and the tracking page offer the SMS (the API refuses otherwise)."""
        return self.can_sms

    async def add(self, conn: AsyncConnection, setup: OfficeSetup, ticket: dict[str, Any], text: str,
                  now: datetime) -> None:
        """Give the ticket a number (checked as a booking's is), in the caller's transaction; a ticket
        already near its turn gets its SMS at once. `sms_not_offered` without an SMS gateway."""
        if not self.offered(setup):
            raise DomainError("sms_not_offered")
        await ticket_phones.set_phone(conn, setup, ticket, checked_phone(text), now)
        await self.write_due(conn, setup, now)

    async def write_due(self, conn: AsyncConnection, setup: OfficeSetup, now: datetime,
                        events: Iterable[dict[str, Any]] | None = None) -> int:
        """Write the SMS that are due now (in the caller's transaction); how many. `events`: the
        change's published events, to look only at the queues they touch (None: every queue)."""
        if not self.can_sms:
            return 0
        rows = await ticket_phones.awaiting_sms(conn, setup, office_day(setup, now))
        if not rows:
            return 0
        touched = None if events is None else _touched_services(setup, events)
        staffed: frozenset[int] | None = None
        written = 0
        for ticket in rows:
            if ticket["status"] == "called":
                if ticket["called_sent_at"] is None:
                    written += await self._write(conn, setup, ticket, "called", now,
                                                 window=setup.window_number(ticket["window_id"]))
                continue
            if ticket["near_sent_at"] is not None or (touched is not None and ticket["service_id"] not in touched):
                continue
            if staffed is None:   # what the tracking page counts with (Estimator.staffed_windows)
                staffed = frozenset(await staffed_windows(conn, setup.id, now))
            place = await place_in_queue(conn, setup, ticket, now, {}, staffed)
            if place.people_ahead <= setup.booking_policy.near_turn_ahead:
                written += await self._write(conn, setup, ticket, "near", now, people=place.people_ahead)
        return written

    async def _write(self, conn: AsyncConnection, setup: OfficeSetup, ticket: dict[str, Any], which: str,
                     now: datetime, **params: Any) -> int:
        phone = await ticket_phones.claim(conn, ticket["id"], which, now)
        if phone is None:
            return 0
        text = self.translator.format(ticket["language"], NEAR_TEXT if which == "near" else CALLED_TEXT,
                                      office=setup.code.upper(), number=ticket["number"], **params)
        message_id = await enqueue(conn, office_id=setup.id, channel="sms", recipient=phone, body=text, now=now)
        await ticket_phones.note_message(conn, ticket["id"], which, message_id)
        return 1


def _touched_services(setup: OfficeSetup, events: Iterable[dict[str, Any]]) -> frozenset[int] | None:
    """The services whose tickets' people ahead the events may have changed (None: any)."""
    touched: set[int] = set()
    for event in events:
        codes = [event.get("service"), (event.get("detail") or {}).get("from")]
        if not any(codes):
            return None
        for code in filter(None, codes):
            try:
                service_id = setup.service(code).id
            except DomainError:   # a service switched off meanwhile: look at every queue
                return None
            touched |= services_called_with(setup, service_id)
    return frozenset(touched)

"""The front door of the kiosk's check-in: a booking code typed or scanned becomes a ticket.

A kiosk answers differently for a code that names a booking (a ticket, or "too early", "already
checked in") and for one that does not, so codes must not be tried at machine speed: every code
a kiosk sends is counted before it is looked at, per kiosk and minute, and given back when it
names a booking. Past `check_in_wrong_codes_per_minute` unknown codes the kiosk is refused with
`too_many_wrong_codes` (429, Retry-After) until the minute is over, whatever the code. The count
is one UPSERT in its own transaction (an unknown code counts even though its check-in fails), so
codes sent at once from many connections cannot slip past it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable

from okienko.hall import checkin
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.hall.estimates import Estimator
from okienko.storage.locking import Locks
from okienko.office.directory import OfficeSetup
from okienko.hall.queueing import IssuedTicket
from okienko.rate_limits import give_back, hit

MINUTE = timedelta(minutes=1)


def guess_key(device_id: int) -> str:
    return f"checkin:{device_id}"


class KioskCheckIn:
    def __init__(self, locks: Locks, clock: Clock, estimator: Estimator,
                 publish: Callable[[list[dict[str, Any]]], Awaitable[None]], wrong_codes_per_minute: int) -> None:
        self.locks, self.clock, self.estimator, self.publish = locks, clock, estimator, publish
        self.wrong_codes_per_minute = wrong_codes_per_minute

    async def check_in(self, setup: OfficeSetup, code: str, *, language: str, device_id: int,
                       idempotency_key: str | None = None) -> tuple[IssuedTicket, dict[str, Any]]:
        """The kiosk's "I have a booking": a ticket for the booking's service, called at its slot.

        Guarantees that a kiosk gets at most `wrong_codes_per_minute` answers to unknown codes per
        minute, however many it sends at once; a 0 limit switches the count off."""
        now = self.clock.now()
        key, limit = guess_key(device_id), self.wrong_codes_per_minute
        if limit > 0:
            async with self.locks.write_transaction() as conn:
                await hit(conn, key, limit, MINUTE, now, refusal="too_many_wrong_codes")
        service_minutes: dict[int, float] = {}
        for service in setup.services:
            if service.booking is not None:
                service_minutes[service.id] = await self.estimator.service_minutes(service)
        staffed = await self.estimator.staffed_windows(setup.id)
        try:
            async with self.locks.write_transaction() as conn:
                issued, events, booking = await checkin.check_in(
                    conn, setup, code, now=now, language=language, device_id=device_id,
                    minutes_per_visit=service_minutes, staffed=staffed, idempotency_key=idempotency_key)
                if limit > 0:
                    await give_back(conn, key, MINUTE, now)
        except DomainError as error:
            if limit > 0 and error.code != "booking_not_found":   # the code names a booking: no guess
                async with self.locks.write_transaction() as conn:
                    await give_back(conn, key, MINUTE, now)
            raise
        await self.publish(events)
        return issued, booking

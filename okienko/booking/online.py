"""The front door of online booking for handlers, the CLI and tests: one transaction per step.

It counts rate limits in their own transaction (a refused attempt still counts), turns a lost
race on a UNIQUE index into the visitor's error, wakes the outbox after every commit that wrote
a message, and serves slot listings from a short-lived cache (what bots poll; one request
recounts when it expires), while every booking checks the real count under the slot's lock.

Every booking attempt is first counted against the rate limits (one statement; refused
attempts count too, so a script polling for a release or a full slot spends its allowance), and
slot listings are counted per address and minute in memory. Where the office switches the
limits off (the benchmarks do), that costs nothing.

A crowd racing for one slot is kept off the database and the connection pool: a slot this
process or another one (okienko.booking.slot_hints, through the live broker) found full in the last
`cache_seconds` is refused from memory; at most ADMITTED_HOLDS attempts are worked on at once,
the rest wait parked (locking.Admission) and are answered at once when their slot fills up; an
unlocked count refuses most of those that find the slot full; and those with a chance queue per
slot in memory (KeyedGate) before they take the slot's row lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date, format_time
from sqlalchemy.exc import IntegrityError

from okienko.booking import changes as booking_changes
from okienko.booking import bookings
from okienko.booking import draw_run
from okienko.booking import draws
from okienko.booking import waitlist
from okienko.notify.booking_mail import Notifier
from okienko.booking.bookings import Confirmed, Held
from okienko.clock import Clock
from okienko.storage.db import Database
from okienko.errors import DomainError
from okienko.hall.estimates import Estimator
from okienko.office.hours import closed_reason, holiday_name, office_day
from okienko.i18n import LANGUAGES
from okienko.storage.locking import Admission, KeyedGate, Locks
from okienko.logs import loggable
from okienko.storage.models import Office
from okienko.office.directory import OfficeDirectory, OfficeSetup, ServiceSetup
from okienko.notify.outbox import OutboxSender
from okienko.people import Person, case_key, check_applicant, contact_key
from okienko.rate_limits import ListingCounter, forget_old, hit_all
from okienko.booking.slot_hints import SlotHints
from okienko.booking.slots import MAX_RANGE_DAYS, Slot, check_bookable, draw_window, next_release, plan, schedule_of
from calendar_sync.ics import timezone_lines

log = logging.getLogger("okienko.booking")
ADMITTED_HOLDS = 4   # booking attempts worked on at once per process; the rest wait, parked


class OnlineBooking:
    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory, estimator: Estimator,
                 notifier: Notifier, outbox: OutboxSender, secret_key: str, publish: Any,
                 cache_seconds: float = 1.0, send_hint: Any = None) -> None:
        self.db, self.locks, self.clock, self.offices = db, locks, clock, offices
        self.estimator, self.notifier, self.outbox = estimator, notifier, outbox
        self.secret_key = secret_key
        self.publish = publish
        self.cache_seconds = cache_seconds
        self._listings: dict[tuple[int, int, date, date, str, int], tuple[float, dict[str, Any]]] = {}
        self._refreshing: dict[tuple[int, int, date, date, str, int], asyncio.Future[dict[str, Any]]] = {}
        self._slot_gate = KeyedGate()
        # Full slots, known at once by every process: `send_hint` reaches the others (the app
        # assembly passes what the broker delivers to `hints.receive`).
        self.hints = SlotHints(cache_seconds, send_hint)
        self.hints.on_full = self._show_full
        self.hints.on_freed = self._recount
        # A rush of booking attempts queues here, parked, instead of filling the event loop: the
        # few admitted ones (and the kiosks and clerks, who never queue here) get quick turns; those
        # parked for a slot that fills up (here or in another process) are answered at once.
        self._admission = Admission(ADMITTED_HOLDS)
        self._listings_per_client = ListingCounter()

    # --- slots -------------------------------------------------------------------------------
    async def slot_listing(self, setup: OfficeSetup, service: ServiceSetup, first: date | None, last: date | None,
                           language: str = "pl", client: str | None = None, ahead_days: int = 0) -> dict[str, Any]:
        """Bookable days and slots with their free places; the same object while it is cached.

        Counted per `client` address and minute in this process (`listings_per_address_per_minute`).
        `ahead_days`: also the days past the public's horizon that a booking whose day the office
        closed may move to (changes.rebook_ahead_days)."""
        now = self.clock.now()
        if client is not None:
            self._listings_per_client.hit(client, setup.booking_policy.listings_per_address_per_minute, now)
        schedule = schedule_of(service, language)
        today = office_day(setup, now)
        first = first or today
        if last is None:
            last = first + timedelta(days=schedule.horizon_days + 1 + ahead_days)
            own = [day for day in schedule.releases if day > last]   # an information Saturday further on
            last = min(max([last, *own]), first + timedelta(days=MAX_RANGE_DAYS - 1))
        key = (setup.id, service.id, first, last, language, ahead_days)
        cached = self._listings.get(key)
        if cached and time.monotonic() < cached[0]:
            return cached[1]
        refreshing = self._refreshing.get(key)
        if refreshing is not None:  # one request counts; the others get the last listing or wait for it
            return cached[1] if cached else await asyncio.shield(refreshing)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._refreshing[key] = future
        try:
            listing = await self._count_listing(setup, service, schedule, first, last, language, now, ahead_days)
        except BaseException as error:
            future.set_exception(error if isinstance(error, Exception) else DomainError("busy"))
            future.exception()  # retrieved: whoever waits gets it, nobody else is warned
            raise
        finally:
            self._refreshing.pop(key, None)
        future.set_result(listing)
        if len(self._listings) > 512:
            self._listings.clear()
        self._listings[key] = (time.monotonic() + self.cache_seconds, listing)
        return listing

    async def _count_listing(self, setup: OfficeSetup, service: ServiceSetup, schedule: Any, first: date,
                             last: date, language: str, now: datetime, ahead_days: int = 0) -> dict[str, Any]:
        days = plan(setup, schedule, first, last, now, ahead_days)
        drawn = draws.is_draw_service(setup, service)
        if drawn:
            await self._prepare_draws(setup, service)
        async with self.db.read() as conn:
            taken = await bookings.places_taken(conn, service.id, days[0].day, days[-1].day, now) if days else {}
            rows = {row["office_day"]: row for row in await draws.draws_of(conn, setup, service, now, first, last)} \
                if drawn else {}
            upcoming = await draws.next_draw(conn, service) if drawn else None
        listed = []
        for d in days:
            # A booking whose day the office closed may take a draw day's place before its draw.
            draw = _day_draw(setup, schedule, d.day, rows.get(d.day), now) \
                if drawn and not d.closed and not ahead_days else None
            listed.append({
                "date": d.day.isoformat(), "closed": d.closed,
                "holiday": holiday_name(d.day, language) if d.closed and d.closed != "closure" else None,
                "draw": draw,
                "slots": [] if draw else [{"start": s.starts_at.isoformat(), "end": s.ends_at.isoformat(),
                                          "places": s.places, "free": max(0, s.places - taken.get(s.starts_at, 0))}
                                         for s in d.slots]})
        return {
            "service": service.code, "timezone": setup.timezone.key, "from": first.isoformat(),
            "to": last.isoformat(), "places_per_slot": schedule.places, "slot_minutes": schedule.slot_minutes,
            "next_release_at": next_release(setup, schedule, now).isoformat(),
            "release_mode": "draw" if drawn else "first_come",
            "next_draw": None if upcoming is None else {
                key: value for key, value in draws.draw_json(setup, upcoming, now).items()
                if key in ("id", "day", "opens_at", "closes_at", "status", "commitment")},
            "days": listed,
        }

    def _freed(self, service_id: int) -> None:
        """Places of the service may have come free (cancel, move, expired holds): no process
        refuses its slots from memory any more."""
        self.hints.freed(service_id)   # recounts this process's listings too (`_recount`)
        self.outbox.wake()

    def places_changed(self, service_id: int) -> None:
        """After the office changed a service's bookings or hours (okienko/office/days.py, booking/desk.py):
        its listings are recounted, no process refuses its slots from memory, messages go now."""
        self._freed(service_id)

    def _changed(self, service_id: int) -> None:
        """After a commit that changed bookings of a service: its listings are due for a recount
        and its messages go now."""
        self._recount(service_id)
        self.outbox.wake()

    def _recount(self, service_id: int) -> None:
        """The service's cached listings are due for a recount (one request counts, the others get
        the previous listing meanwhile)."""
        for key, (_, listing) in list(self._listings.items()):
            if key[1] == service_id:
                self._listings[key] = (0.0, listing)

    # --- booking -----------------------------------------------------------------------------
    async def _limit(self, setup: OfficeSetup, client: str, contacts: list[str]) -> None:
        """Count one attempt for the client's address and each contact, in one statement of its own
        transaction (a refused attempt still counts); `rate_limited` past any limit."""
        policy, now = setup.booking_policy, self.clock.now()
        if policy.per_address_per_hour <= 0 and policy.per_contact_per_day <= 0:
            return
        limits = [(f"addr:{client}"[:100], policy.per_address_per_hour, timedelta(hours=1))]
        limits += [(f"contact:{contact_key(self.secret_key, contact)}", policy.per_contact_per_day, timedelta(days=1))
                   for contact in contacts if contact]
        async with self.locks.write_transaction() as conn:
            await hit_all(conn, limits, now)

    async def _applicant(self, setup: OfficeSetup, service_code: str, details: dict[str, Any],
                         client: str) -> tuple[ServiceSetup, Person, str | None, datetime]:
        """The service, the checked person and case key of a booking or waiting-list request,
        counted for rate limits."""
        service, person, case, now = self._checked(setup, service_code, details)
        await self._limit(setup, client, [person.email, person.phone])
        return service, person, case, now

    def _checked(self, setup: OfficeSetup, service_code: str, details: dict[str, Any],
                 by_phone: bool = False) -> tuple[ServiceSetup, Person, str | None, datetime]:
        """The service, the person and, where the service asks for one, the case number's keyed hash.
        `by_phone` (the call centre): a mobile number alone will do where the office sends SMS."""
        service = setup.service(service_code)
        now = self.clock.now()
        pattern = setup.booking_policy.case_number_pattern if service.booking and service.booking.case_number \
            else None
        email_optional = by_phone and setup.booking_policy.sms and self.notifier.can_sms
        person, case_number = check_applicant(details, office_day(setup, now), pattern,
                                              email_optional=email_optional)
        case = case_key(self.secret_key, case_number) if case_number else None
        return service, person, case, now

    async def hold(self, setup: OfficeSetup, service_code: str, starts_at: datetime, details: dict[str, Any], *,
                   language: str, client: str, by: str | None = None) -> Held:
        """Hold a place for the person in `details` and send the one-time code (see bookings.hold).

        Every attempt counts against the address and contact limits first, whatever its answer
        (too early, not a slot, full): a script learns nothing for free. Details that do not
        pass the checks count for the address alone. The count is one statement; after it, a
        crowd's retries for a slot seen full are answered from memory, without queueing.

        `by`: a call-centre operator booking for a caller (okienko/booking/call_centre.py, which
        counts the operator's own limit instead of the address's): confirmed at once, no code."""
        try:
            service, person, case, now = self._checked(setup, service_code, details, by_phone=by is not None)
        except DomainError:
            if by is None:
                await self._limit(setup, client, [])
            raise
        if by is None:
            await self._limit(setup, client, [person.email, person.phone])
        self._refuse_if_seen_full(service.id, starts_at)
        slot = check_bookable(setup, schedule_of(service, language), starts_at, now)
        if draws.is_draw_service(setup, service):
            await self._prepare_draws(setup, service)   # a draw just due runs now, not at the next sweep
        async with self._admission.enter((service.id, slot.starts_at)):
            self._refuse_if_seen_full(service.id, slot.starts_at)   # it may have filled while this one queued
            return await self._hold(setup, service, slot, person, language=language, case=case, by=by)

    async def _hold(self, setup: OfficeSetup, service: ServiceSetup, slot: Slot, person: Person, *,
                    language: str, case: str | None = None, by: str | None = None) -> Held:
        starts_at = slot.starts_at
        # Most of a crowd finds the slot full: say so from a plain count, without queueing on its lock.
        await self._refuse_if_full(service.id, slot, self.clock.now())
        arrived = time.monotonic()
        async with self._slot_gate.hold((service.id, slot.starts_at)) as gate:
            # Found full by someone served after this request arrived: it may be told so at once.
            if gate.get("full_at", -1.0) >= arrived:
                raise DomainError("slot_full")
            try:
                await self._refuse_if_full(service.id, slot, self.clock.now())
                async with self.locks.write_transaction() as conn:
                    held = await bookings.hold(conn, setup, service, starts_at, person, language=language,
                                               secret_key=self.secret_key, now=self.clock.now(),
                                               notifier=self.notifier, case_key=case, by=by)
            except IntegrityError as error:
                raise _lost_race(error, service.name(language)) from None
            except DomainError as error:
                if error.code == "slot_full":
                    gate["full_at"] = time.monotonic()
                    self.hints.full((service.id, slot.starts_at))
                raise
            if held.slot_now_full:
                gate["full_at"] = time.monotonic()
                self.hints.full((service.id, slot.starts_at))
        self._changed(service.id)
        return held

    def _refuse_if_seen_full(self, service_id: int, starts_at: datetime) -> None:
        """`slot_full` for a slot found full (by any process) less than `cache_seconds` ago, without
        asking the database: as stale as a listing can be (a place freed anywhere is forgotten at
        once). Aware datetimes hash by their moment, so any UTC offset of the same start finds it."""
        if self.hints.is_full((service_id, starts_at)):
            raise DomainError("slot_full")

    async def _refuse_if_full(self, service_id: int, slot: Slot, now: datetime) -> None:
        """`slot_full` when every place is taken at this moment (the lock re-counts before a hold)."""
        async with self.db.read() as conn:
            full = await bookings.is_full(conn, service_id, slot, now)
        if full:
            self.hints.full((service_id, slot.starts_at))
            raise DomainError("slot_full")

    def _show_full(self, key: tuple[int, datetime]) -> None:
        """A slot was found full (here or in another process): answer the attempts parked for it, and
        show it full in this process's cached listings at once, so that visitors stop trying it (the
        listing is recounted when it expires)."""
        self._admission.turn_away(key, lambda: DomainError("slot_full"))
        service_id, starts_at = key
        start = starts_at.isoformat()   # the slot's local time, as listed (hints carry it so)
        for listing_key, (expires, listing) in list(self._listings.items()):
            if listing_key[1] == service_id:
                self._listings[listing_key] = (expires, _shown_full(listing, start))

    async def confirm(self, setup: OfficeSetup, booking_id: str, code: str) -> Confirmed:
        now = self.clock.now()
        ended_in: list[int] = []

        async def pass_on(conn: Any, ended: dict[str, Any]) -> None:
            ended_in.append(ended["service_id"])
            await booking_changes.pass_on_ended_hold(conn, setup, ended, secret_key=self.secret_key, now=now,
                                                     notifier=self.notifier)

        async with self.locks.write_transaction() as conn:
            outcome = await bookings.confirm(conn, setup, booking_id, code, now=now, notifier=self.notifier,
                                             pass_on=pass_on)
        if isinstance(outcome, DomainError):
            for service_id in ended_in:   # a waiting-list offer may be on its way
                self._changed(service_id)
            raise outcome
        self._changed(outcome.booking["service_id"])
        return outcome

    async def find(self, setup: OfficeSetup, code: str, secret: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            return await bookings.find(conn, setup, code, secret)

    async def cancel(self, setup: OfficeSetup, code: str, secret: str) -> dict[str, Any]:
        async with self.locks.write_transaction() as conn:
            booking = await bookings.find(conn, setup, code, secret)
            done = await booking_changes.cancel(conn, setup, booking, secret_key=self.secret_key,
                                                now=self.clock.now(), notifier=self.notifier)
        self._freed(done["service_id"])
        return done

    async def reschedule(self, setup: OfficeSetup, code: str, secret: str, starts_at: datetime,
                         language: str) -> dict[str, Any]:
        async with self.locks.write_transaction() as conn:
            booking = await bookings.find(conn, setup, code, secret)
            done = await booking_changes.reschedule(conn, setup, booking, starts_at, secret_key=self.secret_key,
                                                    now=self.clock.now(), notifier=self.notifier, language=language)
        self._freed(done["service_id"])
        return done

    async def join_waitlist(self, setup: OfficeSetup, service_code: str, details: dict[str, Any], *, language: str,
                            client: str) -> tuple[dict[str, Any], int, str]:
        service, person, case, now = await self._applicant(setup, service_code, details, client)
        try:
            async with self.locks.write_transaction() as conn:
                return await waitlist.join(conn, setup, service, person, language=language,
                                           secret_key=self.secret_key, now=now, case_key=case)
        except IntegrityError:
            raise DomainError("already_waiting", service=service.name(language)) from None

    async def leave_waitlist(self, setup: OfficeSetup, entry_id: int, secret: str) -> None:
        async with self.locks.write_transaction() as conn:
            await waitlist.leave(conn, setup, entry_id, secret)

    async def sweep(self) -> dict[str, int]:
        """Expire holds, pass lapsed offers on, mark no-shows, flag bookings on closed days; make the
        next 24 hours' draws (their commitments public before the windows open) and run those due."""
        totals: dict[str, int] = {}
        async with self.db.read() as conn:
            codes = (await conn.execute(sa.select(Office.__table__.c.code))).scalars().all()
        for code in codes:
            setup = await self.offices.get(code)
            async with self.locks.write_transaction() as conn:
                counts = await booking_changes.sweep(conn, setup, secret_key=self.secret_key, now=self.clock.now(),
                                                     notifier=self.notifier)
                await forget_old(conn, self.clock.now())
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + value
            for service in setup.services:   # holds passed on, withheld places back: recount
                self._freed(service.id)
            if any(draws.is_draw_service(setup, service) for service in setup.services):
                async with self.locks.write_transaction() as conn:
                    totals["draws_made"] = totals.get("draws_made", 0) + await draws.ensure_draws(
                        conn, setup, self.clock.now())
                    totals["entries_erased"] = totals.get("entries_erased", 0) + await draws.erase_old_entries(
                        conn, setup, self.clock.now())
                totals["draws_run"] = totals.get("draws_run", 0) + len(await self._run_due(setup))
        return totals

    async def warm_up(self) -> None:
        """Work out at start-up what a process's first bookings would otherwise work out while a crowd
        waits on them (measured: 120-500 ms for the first hold, ~20 ms for the first confirmation):
        this year's and next year's public holidays and calendar time zone rules, and the date formats
        of every language. Without an office loaded yet there is nothing to prepare.

        The work (a few hundred milliseconds, mostly importing the holiday tables) runs in a thread,
        so that the event loop answers meanwhile: the app starts it once it is serving. A booking
        that comes before it is done works out what it needs itself, as it would without it."""
        try:
            setup = await self.offices.get()
        except DomainError:
            return
        await asyncio.to_thread(_prepare_first_bookings, setup, self.clock.now())

    # --- draws -------------------------------------------------------------------------------
    async def _prepare_draws(self, setup: OfficeSetup, service: ServiceSetup | None = None) -> None:
        """Make the draws that should exist by now (a read first: usually they do), and run those
        whose window has closed, so that nobody waits for the sweeper to see a result."""
        now = self.clock.now()
        services = [service] if service is not None else [s for s in setup.services
                                                          if draws.is_draw_service(setup, s)]
        if not services:
            return
        async with self.db.read() as conn:
            missing = any([await draws.draws_missing(conn, setup, s, now) for s in services])
            due = await draw_run.due_draws(conn, setup, now)
        if missing:
            async with self.locks.write_transaction() as conn:
                await draws.ensure_draws(conn, setup, now, services)
        if due:
            await self._run_due(setup)

    async def _run_due(self, setup: OfficeSetup) -> list[draw_run.DrawRun]:
        runs = await draw_run.run_due_draws(self.locks.write_transaction, setup, now=self.clock.now(),
                                            secret_key=self.secret_key, notifier=self.notifier)
        for run in runs:
            log.info("draw %s ran: %s entries, %s places, %s won", run.draw_id, run.entries, run.places, run.won)
            self._freed(run.service_id)
        return runs

    async def draws_for(self, setup: OfficeSetup, service: ServiceSetup) -> list[dict[str, Any]]:
        """The service's draws for the public list: upcoming, open, closed and done in the last 14 days."""
        await self._prepare_draws(setup, service)
        now = self.clock.now()
        async with self.db.read() as conn:
            return [draws.draw_json(setup, row, now) for row in await draws.draws_of(conn, setup, service, now)]

    async def draw(self, setup: OfficeSetup, draw_id: Any) -> dict[str, Any]:
        """One draw with its published result (once run) and how to check it."""
        async with self.db.read() as conn:
            row = await draws.draw_row(conn, setup, draw_id)
        if row["status"] != "done" and row["closes_at"] <= self.clock.now():
            await self._run_due(setup)
            async with self.db.read() as conn:
                row = await draws.draw_row(conn, setup, draw_id)
        return draws.draw_detail_json(setup, row, self.clock.now())

    async def enter_draw(self, setup: OfficeSetup, service_code: str | None, draw_id: Any, details: dict[str, Any],
                         preferences: Any, *, language: str, client: str,
                         by: str | None = None) -> tuple[draws.Entered, dict[str, Any]]:
        """Enter the person in `details` into the draw and send the one-time code (see draws.enter);
        counted against the rate limits like a hold, refused attempts too. `by`: a call-centre
        operator (as for `hold`): in at once, not counted against the address's limits."""
        async with self.db.read() as conn:
            draw = await draws.draw_row(conn, setup, draw_id)
        service = setup.service_by_id(draw["service_id"])
        if service_code is not None and service_code != service.code:
            raise DomainError("draw_not_found")
        try:
            _service, person, case, _now = self._checked(setup, service.code, details, by_phone=by is not None)
            ranges = draws.parse_preferences(preferences)
        except DomainError:
            if by is None:
                await self._limit(setup, client, [])
            raise
        if by is None:
            await self._limit(setup, client, [person.email, person.phone])
        try:
            async with self.locks.write_transaction() as conn:
                entered = await draws.enter(conn, setup, service, draw, person, ranges, language=language,
                                            secret_key=self.secret_key, now=self.clock.now(), notifier=self.notifier,
                                            case_key=case, by=by)
        except IntegrityError:
            raise draws.already_entered(service, draw, language) from None
        self.outbox.wake()
        return entered, draw

    async def confirm_entry(self, setup: OfficeSetup, entry_id: str,
                            code: str) -> tuple[dict[str, Any], dict[str, Any], str]:
        """Confirm an entry with its code: (entry, draw, receipt); the receipt is shown once."""
        async with self.locks.write_transaction() as conn:
            outcome = await draws.confirm_entry(conn, setup, entry_id, code, self.clock.now())
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    async def entry_status(self, setup: OfficeSetup, entry_id: str, receipt: str, language: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            entry = await draws.entry_with_receipt(conn, setup, entry_id, receipt)
            draw = await draws.draw_row(conn, setup, entry["draw_id"])
        if draw["status"] != "done" and draw["closes_at"] <= self.clock.now():
            await self._run_due(setup)
        async with self.db.read() as conn:
            return await draws.entry_status(conn, setup, entry_id, receipt, self.clock.now(), language)

    async def withdraw_entry(self, setup: OfficeSetup, entry_id: str, receipt: str) -> dict[str, Any]:
        async with self.locks.write_transaction() as conn:
            return await draws.withdraw_entry(conn, setup, entry_id, receipt, self.clock.now())

    async def run_sweeper(self, every_seconds: float = 30.0) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as error:  # keep sweeping after a database hiccup
                log.warning("booking sweep failed: %s", loggable(error))
            await asyncio.sleep(every_seconds)


def _prepare_first_bookings(setup: OfficeSetup, now: datetime) -> None:
    """Fill the caches a process's first bookings read (OnlineBooking.warm_up)."""
    today = office_day(setup, now)
    for year in (today.year, today.year + 1):
        new_year = date(year, 1, 1)
        closed_reason(setup, new_year)
        timezone_lines(setup.timezone, year)
        for language in LANGUAGES:
            holiday_name(new_year, language)
    for language in LANGUAGES:
        format_date(today, format="full", locale=language)
        format_time(now.astimezone(setup.timezone), "HH:mm", locale=language)


def _day_draw(setup: OfficeSetup, schedule: Any, day: date, row: dict[str, Any] | None,
              now: datetime) -> dict[str, Any] | None:
    """A listed day's draw while its places are the draw's (its slots are then not offered);
    None once it has run, or for a day whose window closed without a draw (given out first come)."""
    if row is not None:
        if row["status"] == "done":
            return None
        return {"id": row["id"], "status": draws.public_status(row, now),
                "opens_at": row["opens_at"].astimezone(setup.timezone).isoformat(),
                "closes_at": row["closes_at"].astimezone(setup.timezone).isoformat()}
    window = draw_window(setup, schedule, day)
    if window is None or window[1] <= now:
        return None
    return {"id": None, "status": "upcoming" if now < window[0] else "open", "opens_at": window[0].isoformat(),
            "closes_at": window[1].isoformat()}


def _shown_full(listing: dict[str, Any], start: str) -> dict[str, Any]:
    """A copy of the listing with the slot starting at `start` (its ISO text) shown without places."""
    if not any(slot["start"] == start and slot["free"] for day in listing["days"] for slot in day["slots"]):
        return listing
    days = [{**day, "slots": [{**slot, "free": 0} if slot["start"] == start else slot for slot in day["slots"]]}
            for day in listing["days"]]
    return {**listing, "days": days}


def _lost_race(error: IntegrityError, service_name: str) -> DomainError:
    """Another process won a race the lock did not cover (the person's or the case's second hold)."""
    text = str(error.orig)
    if "case_key" in text or "uq_bookings_case" in text:
        return DomainError("case_already_booked", service=service_name)
    if "person" in text or "person_key" in text:
        return DomainError("already_booked", service=service_name)
    return DomainError("slot_full")

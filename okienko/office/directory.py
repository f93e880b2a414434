"""A snapshot of one office's set-up (services, hours, windows, categories), cached per process.

The hot path (issuing tickets) reads this snapshot instead of the database; it is read again
after `refresh_seconds`, or at once after `invalidate()`. Loading an office file (`okienko office
load`, another process) tells every server process through the live broker (`announce_office_loaded`),
and each drops its snapshots at once; a message the broker loses is caught by the expiry.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.rules import BookingPolicy, SlotSchedule
from okienko.i18n import text_in
from okienko.storage.db import Database
from okienko.errors import DomainError
from okienko.live import HINTS_CHANNEL, Broker
from okienko.office.addresses import read_host_map
from okienko.office.notices import clean_notices, ticker_text
from okienko.storage.models import (Closure, ClosureSource, DayHours, Event, Office, PriorityCategory, Service,
                                    ServiceHours, SourceDay, Window, WindowService)

REFRESH_SECONDS = 30.0          # the longest a process serves a set-up older than the database's
OFFICE_LOADED = "office_loaded"  # the hint that an office file was loaded (docs/office-config.md)


@dataclass(frozen=True)
class ServiceSetup:
    id: int
    code: str
    prefix: str
    names: dict[str, str]
    average_service_minutes: float
    daily_limit: int | None
    last_ticket_minutes_before_close: int
    walk_in: bool
    hours: dict[int, tuple[tuple[int, int], ...]]
    window_ids: tuple[int, ...]
    booking: SlotSchedule | None = None
    number_digits: int = 3      # ticket numbers A001…A999, or with 4: A0001…A9999 (numbering.py)
    active: bool = True         # False: switched off (OfficeSetup.switched_off)
    # A date's own walk-in hours (the office's `[[day]]`), over `hours` and the public holidays;
    # () closes the date. The booking hours of a date are the schedule's (`booking.dates`).
    dates: dict[date, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    event_only: bool = False    # offered only on the days of the published events that list it

    def name(self, language: str) -> str:
        return text_in(self.names, language) or self.code


@dataclass(frozen=True)
class DayRule:
    """One date's own hours (table day_hours; the office file's `[[day]]`): `ranges` () closes the
    date; `services` None: every service; `walk_in` / `booking`: what the hours are for."""

    day: date
    ranges: tuple[tuple[int, int], ...]
    services: tuple[str, ...] | None = None
    walk_in: bool = True
    booking: bool = True
    reason: str = ""
    source: str = ""    # the external calendar that set it (closure_sources.name); "": a manager did

    def covers(self, service_code: str) -> bool:
        return self.services is None or service_code in self.services


@dataclass(frozen=True)
class EventSetup:
    """A published information Saturday (table events; okienko/office/events.py manages them): on its
    day the office offers its services only, in its hours; their slots open at `booking_opens_at`
    (None: walk-in tickets only)."""

    id: int
    day: date
    opens_minute: int
    closes_minute: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    services: tuple[str, ...]
    booking_opens_at: datetime | None
    sequence: int = 0

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return ((self.opens_minute, self.closes_minute),)

    def title(self, language: str) -> str:
        return text_in(self.titles, language)

    def description(self, language: str) -> str:
        return text_in(self.descriptions, language)


@dataclass(frozen=True)
class WindowSetup:
    id: int
    number: str
    is_open: bool
    service_ids: tuple[int, ...]


@dataclass(frozen=True)
class CategorySetup:
    code: str
    mark: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        return text_in(self.names, language) or self.code


@dataclass(frozen=True)
class OfficeSetup:
    id: int
    code: str
    name: str
    timezone: ZoneInfo
    default_language: str
    always_open: bool
    closed_on_public_holidays: bool
    priority_mode: str
    ticket_footer: dict[str, str]
    recalls_before_no_show: int
    transfer_position: str
    ticker: str     # the board's running line, every language's (notices.ticker_text)
    services: tuple[ServiceSetup, ...]
    windows: tuple[WindowSetup, ...]
    categories: tuple[CategorySetup, ...]
    closures: frozenset[date] = field(default_factory=frozenset)
    booking_policy: BookingPolicy = field(default_factory=BookingPolicy)
    notices: dict[str, dict[str, str]] = field(default_factory=dict)   # okienko/office/notices.py
    board_languages: tuple[str, ...] = ("pl", "en")   # config_file.board_languages: boards take turns in them
    public_url: str = ""    # the office's own public address (addresses.py); empty: the installation's
    # Services switched off (back office, or left out of the office file): no new tickets or bookings,
    # but the tickets, bookings and calls made with them are still shown (service_by_id).
    switched_off: tuple[ServiceSetup, ...] = ()
    day_rules: dict[date, DayRule] = field(default_factory=dict)
    events: dict[date, EventSetup] = field(default_factory=dict)   # the published ones, by day

    def offered(self, day: date) -> tuple[ServiceSetup, ...]:
        """The services a kiosk offers on `day`: a published event's own, in the order of the office's
        services; else every service that is not for events only."""
        event = self.events.get(day)
        if event is not None:
            return tuple(service for service in self.services if service.code in event.services)
        return tuple(service for service in self.services if not service.event_only)

    def events_from(self, day: date) -> list[EventSetup]:
        """The published events on `day` and after, soonest first."""
        return [self.events[d] for d in sorted(self.events) if d >= day]

    def service(self, code: str) -> ServiceSetup:
        """The service by code (or by prefix); `unknown_service` when there is none."""
        for service in self.services:
            if service.code == code or service.prefix == code:
                return service
        raise DomainError("unknown_service")

    def service_by_id(self, service_id: int) -> ServiceSetup:
        """The service of a ticket, booking or call by id: switched on or off."""
        for service in (*self.services, *self.switched_off):
            if service.id == service_id:
                return service
        raise DomainError("unknown_service")

    def category(self, code: str) -> CategorySetup:
        for category in self.categories:
            if category.code == code:
                return category
        raise DomainError("unknown_priority")

    def windows_for(self, service_id: int, staffed: frozenset[int] = frozenset()) -> tuple[WindowSetup, ...]:
        """Windows serving the service: those with a clerk now, or, before any clerk has
        signed in to one of them, all that are configured for it."""
        serving = [w for w in self.windows if w.is_open and service_id in w.service_ids]
        with_clerk = [w for w in serving if w.id in staffed]
        return tuple(with_clerk or serving)

    def open_windows_for(self, service_id: int, staffed: frozenset[int] = frozenset()) -> int:
        return len(self.windows_for(service_id, staffed))

    def window_id(self, number: str) -> int:
        for window in self.windows:
            if window.number == number:
                return window.id
        raise DomainError("unknown_window", window=number)

    def window_number(self, window_id: int | None) -> str | None:
        for window in self.windows:
            if window.id == window_id:
                return window.number
        return None


async def read_setup(conn: AsyncConnection, office_code: str | None) -> OfficeSetup:
    """Read an office's set-up; with no code, the only (or first) office."""
    offices = Office.__table__
    query = sa.select(offices).order_by(offices.c.id).limit(1)
    if office_code:
        query = sa.select(offices).where(offices.c.code == office_code)
    office = (await conn.execute(query)).mappings().first()
    if office is None:
        raise DomainError("unknown_office")
    oid = office["id"]
    services_t, hours_t, windows_t, links_t = (Service.__table__, ServiceHours.__table__, Window.__table__,
                                               WindowService.__table__)
    hours: dict[int, dict[int, list[tuple[int, int]]]] = {}
    hour_rows = await conn.execute(
        sa.select(hours_t).join(services_t, services_t.c.id == hours_t.c.service_id)
        .where(services_t.c.office_id == oid).order_by(hours_t.c.opens_minute))
    for row in hour_rows.mappings():
        hours.setdefault(row["service_id"], {}).setdefault(row["weekday"], []).append(
            (row["opens_minute"], row["closes_minute"]))
    links = (await conn.execute(
        sa.select(links_t).join(windows_t, windows_t.c.id == links_t.c.window_id)
        .where(windows_t.c.office_id == oid, windows_t.c.active).order_by(links_t.c.position))).mappings().all()
    windows = tuple(
        WindowSetup(id=w["id"], number=w["number"], is_open=w["is_open"],
                    service_ids=tuple(link["service_id"] for link in links if link["window_id"] == w["id"]))
        for w in (await conn.execute(sa.select(windows_t).where(windows_t.c.office_id == oid, windows_t.c.active)
                                     .order_by(windows_t.c.id))).mappings())
    rules = await read_day_rules(conn, oid)
    rules += await read_source_rules(conn, oid, {rule.day for rule in rules})
    events = await read_published_events(conn, oid, ZoneInfo(office["timezone"]))
    every = tuple(
        with_dates(ServiceSetup(id=s["id"], code=s["code"], prefix=s["prefix"], names=dict(s["names"]),
                     average_service_minutes=s["average_service_minutes"], daily_limit=s["daily_limit"],
                     last_ticket_minutes_before_close=s["last_ticket_minutes_before_close"], walk_in=s["walk_in"],
                     hours={day: tuple(r) for day, r in hours.get(s["id"], {}).items()},
                     window_ids=tuple(w.id for w in windows if s["id"] in w.service_ids),
                     booking=SlotSchedule.from_mapping(s["booking"]), number_digits=s["number_digits"],
                     active=s["active"], event_only=s["event_only"]), rules, events)
        for s in (await conn.execute(sa.select(services_t).where(services_t.c.office_id == oid)
                                     .order_by(services_t.c.sort_order, services_t.c.id))).mappings())
    services = tuple(service for service in every if service.active)
    cats_t = PriorityCategory.__table__
    categories = tuple(
        CategorySetup(code=c["code"], mark=c["mark"], names=dict(c["names"]))
        for c in (await conn.execute(sa.select(cats_t).where(cats_t.c.office_id == oid, cats_t.c.active)
                                     .order_by(cats_t.c.sort_order))).mappings())
    notices = clean_notices(office["notices"])
    closures_t = Closure.__table__
    closures = frozenset((await conn.execute(sa.select(closures_t.c.day).where(closures_t.c.office_id == oid)))
                         .scalars())
    return OfficeSetup(id=oid, code=office["code"], name=office["name"], timezone=ZoneInfo(office["timezone"]),
                       default_language=office["default_language"], always_open=office["always_open"],
                       closed_on_public_holidays=office["closed_on_public_holidays"],
                       priority_mode=office["priority_mode"], ticket_footer=dict(office["ticket_footer"] or {}),
                       recalls_before_no_show=office["recalls_before_no_show"],
                       transfer_position=office["transfer_position"],
                       ticker=ticker_text(notices, office["default_language"], office["default_language"]),
                       services=services, windows=windows, categories=categories, closures=closures,
                       booking_policy=BookingPolicy.from_mapping(office["booking_policy"]),
                       day_rules={rule.day: rule for rule in rules}, notices=notices,
                       board_languages=tuple(office["board_languages"] or ("pl", "en")),
                       public_url=office["public_url"] or "",
                       events={event.day: event for event in events},
                       switched_off=tuple(service for service in every if not service.active))


async def read_published_events(conn: AsyncConnection, office_id: int, zone: ZoneInfo) -> list[EventSetup]:
    """The office's published events, by day (their moments in the office's zone)."""
    table = Event.__table__
    rows = (await conn.execute(sa.select(table).where(table.c.office_id == office_id, table.c.status == "published")
                               .order_by(table.c.day))).mappings()
    return [EventSetup(id=row["id"], day=row["day"], opens_minute=row["opens_minute"],
                       closes_minute=row["closes_minute"], titles=dict(row["titles"] or {}),
                       descriptions=dict(row["descriptions"] or {}), services=tuple(row["services"] or ()),
                       booking_opens_at=None if row["booking_opens_at"] is None
                       else row["booking_opens_at"].astimezone(zone), sequence=row["sequence"]) for row in rows]


async def read_day_rules(conn: AsyncConnection, office_id: int) -> list[DayRule]:
    """The office's dates with their own hours, by date (the rows of one date make one rule: a row
    for every service, or one with no service for all)."""
    days_t, services_t = DayHours.__table__, Service.__table__
    rows = (await conn.execute(
        sa.select(days_t, services_t.c.code).outerjoin(services_t, services_t.c.id == days_t.c.service_id)
        .where(days_t.c.office_id == office_id).order_by(days_t.c.day, services_t.c.sort_order))).mappings().all()
    rules: dict[date, DayRule] = {}
    for row in rows:
        known = rules.get(row["day"])
        codes = None if row["code"] is None else ((known.services or ()) if known else ()) + (row["code"],)
        rules[row["day"]] = DayRule(day=row["day"], ranges=tuple((int(a), int(b)) for a, b in row["ranges"]),
                                    services=codes, walk_in=row["walk_in"], booking=row["booking"],
                                    reason=row["reason"])
    return list(rules.values())


async def read_source_rules(conn: AsyncConnection, office_id: int, own: set[date]) -> list[DayRule]:
    """The dates the office's external calendars set (okienko/office/closure_sources.py), except the
    `own` dates a manager set (the manager wins). Two calendars on one date: a closure wins over
    hours; hours against hours, the calendar added first."""
    days_t, sources_t = SourceDay.__table__, ClosureSource.__table__
    rows = (await conn.execute(
        sa.select(days_t.c.day, days_t.c.ranges, days_t.c.reason, sources_t.c.name)
        .join(sources_t, sources_t.c.id == days_t.c.source_id)
        .where(days_t.c.office_id == office_id).order_by(days_t.c.day, sources_t.c.id))).mappings().all()
    rules: dict[date, DayRule] = {}
    for row in rows:
        if row["day"] in own:
            continue
        ranges = tuple((int(a), int(b)) for a, b in row["ranges"])
        known = rules.get(row["day"])
        if known is None or (ranges == () and known.ranges != ()):
            rules[row["day"]] = DayRule(day=row["day"], ranges=ranges, reason=row["reason"], source=row["name"])
    return list(rules.values())


def with_dates(service: ServiceSetup, rules: list[DayRule], events: Iterable[EventSetup] = ()) -> ServiceSetup:
    """The service with the dates' own hours that cover it, for walk-ins and for its slots: resolved
    once per snapshot, so that the hot path looks a date up and reads no table.

    A published event's day belongs to the event: its services open in its hours (their slots from
    `booking_opens_at`), every other service is closed. An event-only service has no weekly hours."""
    covering = [rule for rule in rules if rule.covers(service.code)]
    walk_in = {rule.day: rule.ranges for rule in covering if rule.walk_in}
    booked = {rule.day: rule.ranges for rule in covering if rule.booking}
    releases = {}
    for event in events:
        offered = service.code in event.services
        walk_in[event.day] = event.ranges if offered else ()
        booked[event.day] = event.ranges if offered and event.booking_opens_at is not None else ()
        if offered and event.booking_opens_at is not None:
            releases[event.day] = event.booking_opens_at
    hours = {} if service.event_only else service.hours
    booking = service.booking
    if booking is not None:
        booking = dataclasses.replace(booking, dates=booked, releases=releases,
                                      days={} if service.event_only else booking.days)
    return dataclasses.replace(service, dates=walk_in, booking=booking, hours=hours)


class OfficeDirectory:
    """Cached office set-ups for this process."""

    def __init__(self, db: Database, default_office: str = "", refresh_seconds: float = REFRESH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.default_office = default_office
        self.refresh_seconds = refresh_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, OfficeSetup]] = {}
        self._hosts: tuple[float, dict[str, str]] | None = None   # addresses.read_host_map, as `_cache`
        self._dropped = 0   # how many times the cache was dropped; a read that overlaps a drop is not kept

    async def get(self, code: str | None = None) -> OfficeSetup:
        """The office's set-up (by code; else the default office), read at most `refresh_seconds` ago
        and never before the last `invalidate()`."""
        key = code or self.default_office or ""
        cached = self._cache.get(key)
        if cached and self.monotonic() - cached[0] < self.refresh_seconds:
            return cached[1]
        dropped = self._dropped
        async with self.db.read() as conn:
            setup = await read_setup(conn, key or None)
        if dropped == self._dropped:  # else it may have been read before the reload: the next request reads again
            self._cache[key] = (self.monotonic(), setup)
        return setup

    async def code_for_host(self, host: str) -> str | None:
        """The code of the office whose address `host` is (addresses.py), None for a host no office
        names; read like the set-ups (at most `refresh_seconds` old, never before `invalidate()`)."""
        cached = self._hosts
        if cached is None or self.monotonic() - cached[0] >= self.refresh_seconds:
            dropped = self._dropped
            async with self.db.read() as conn:
                hosts = await read_host_map(conn)
            cached = (self.monotonic(), hosts)
            if dropped == self._dropped:
                self._hosts = cached
        return cached[1].get(host)

    async def by_id(self, office_id: int) -> OfficeSetup:
        for key, (_, setup) in list(self._cache.items()):
            if setup.id == office_id:
                return await self.get(key)  # refreshed like any other read
        async with self.db.read() as conn:
            code = (await conn.execute(sa.select(Office.__table__.c.code)
                                       .where(Office.__table__.c.id == office_id))).scalar()
        if code is None:
            raise DomainError("unknown_office")
        return await self.get(code)

    def invalidate(self) -> None:
        """Read every office's set-up again at its next use."""
        self._dropped += 1
        self._cache.clear()
        self._hosts = None

    def receive(self, hint: str) -> None:
        """A hint from the broker (okienko.live): an office file was loaded, so drop the set-ups
        at once; other hints (slot hints) are not this directory's."""
        try:
            message = json.loads(hint)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("kind") == OFFICE_LOADED:
            self.invalidate()


async def announce_office_loaded(broker: Broker, office_code: str) -> None:
    """Tell every server process listening on `broker` that `office_code` was loaded again: each drops
    its cached set-ups at once (`OfficeDirectory.receive`). Send it after the load has committed."""
    await broker.publish(HINTS_CHANNEL, json.dumps({"kind": OFFICE_LOADED, "office": office_code}))

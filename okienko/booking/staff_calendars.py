"""Booked visits in the staff's own calendars: what a visit looks like there (`visit_of`, for the
feeds and for CalDAV alike) and the feeds' links (`StaffFeeds`, the back office's front door).

A feed covers one service, or one window (the visits of every service it serves), from
FEED_DAYS_BEFORE days ago to FEED_DAYS_AFTER days ahead; a visit cancelled within
CANCELLED_DAYS stays listed as STATUS:CANCELLED so that subscribed calendars drop it.

Who sees names: a link is made by a manager or an administrator (the roles that see a booking's
person in the back office); they choose `with_names` or not. Without it an entry says only the
booking code and the service: a subscribed calendar is copied to phones and shared, so a link
without names is the default. No entry ever carries a document number, a birth date, an email
address or a phone number. The token is shown once, in the link; only its SHA-256 is kept, and a
revoked link answers `feed_not_found` at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from calendar_sync.staff_calendar import Visit, staff_feed
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.i18n import Translator, _
from okienko.notify.booking_mail import calendar_uid
from okienko.office.audit import record_change
from okienko.office.directory import OfficeDirectory, OfficeSetup, ServiceSetup
from okienko.staff.roles import Actor
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import Booking, CalendarFeed

FEED_DAYS_BEFORE = 7
FEED_DAYS_AFTER = 30
CANCELLED_DAYS = 7
# A booking in these states is a visit in the staff's calendars; a cancelled one leaves them.
VISIBLE_STATUSES = ("confirmed", "checked_in", "no_show")
SCOPES = ("service", "window")
CREATING_ROLES = ("manager", "admin")


def visit_of(translator: Translator, setup: OfficeSetup, service: ServiceSetup, booking: dict[str, Any], *,
             with_names: bool, modified: datetime) -> Visit:
    """A booking as a staff calendar entry, in the office's language: the same UID as the visitor's
    invitation, the booking's SEQUENCE; the person's name only `with_names`."""
    language = setup.default_language
    who = booking["person_name"] if with_names else booking["code"]
    lines = [translator.format(language, _("Booking code: {code}"), code=booking["code"])]
    return Visit(uid=calendar_uid(booking), sequence=booking["sequence"], start=booking["starts_at"],
                 end=booking["ends_at"], summary=f"{who} — {service.name(language)}", description="\n".join(lines),
                 location=setup.name, modified=modified, cancelled=booking["status"] == "cancelled")


def service_ids_of(setup: OfficeSetup, scope: str, target: str) -> tuple[int, ...]:
    """The services whose visits a calendar of `scope` `target` shows; `unknown_service` or
    `unknown_window` when the office has no such one."""
    if scope == "service":
        return tuple(service.id for service in (*setup.services, *setup.switched_off) if service.code == target) \
            or _unknown("unknown_service")
    for window in setup.windows:
        if window.number == target:
            return window.service_ids
    raise DomainError("unknown_window", window=target)


def _unknown(code: str) -> tuple[int, ...]:
    raise DomainError(code)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffFeeds:
    """The staff feeds: links made and revoked in the back office (audited), feeds served by token."""

    def __init__(self, db: Database, locks: Locks, clock: Clock, offices: OfficeDirectory,
                 translator: Translator) -> None:
        self.db = db
        self.locks = locks
        self.clock = clock
        self.offices = offices
        self.translator = translator

    async def create(self, setup: OfficeSetup, actor: Actor, *, scope: str, target: str, with_names: bool,
                     label: str) -> tuple[dict[str, Any], str]:
        """A new link; returns its row and its token (shown once, never stored)."""
        if actor.role not in CREATING_ROLES:
            raise DomainError("forbidden")
        if scope not in SCOPES:
            raise DomainError("invalid_feed")
        service_ids_of(setup, scope, target)
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        row = {"office_id": setup.id, "token_hash": _hash(token), "scope": scope, "target": target,
               "with_names": bool(with_names), "label": label.strip()[:100], "created_by": actor.username,
               "created_at": now, "revoked_at": None}
        async with self.locks.write_transaction() as conn:
            feed_id = (await conn.execute(sa.insert(CalendarFeed.__table__).values(**row)
                                          .returning(CalendarFeed.__table__.c.id))).scalar_one()
            await record_change(conn, office_id=setup.id, actor=actor.username, action="calendar_feed.add",
                                target=str(feed_id), before=None,
                                after={"scope": scope, "target": target, "with_names": bool(with_names),
                                       "label": row["label"]}, now=now)
        return {**row, "id": feed_id}, token

    async def listing(self, setup: OfficeSetup) -> list[dict[str, Any]]:
        """The office's links, newest first (revoked ones too, marked)."""
        table = CalendarFeed.__table__
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(table).where(table.c.office_id == setup.id)
                                       .order_by(table.c.id.desc()))).mappings().all()
        return [dict(row) for row in rows]

    async def revoke(self, setup: OfficeSetup, actor: Actor, feed_id: int) -> dict[str, Any]:
        """The link stops working at once; revoking it again changes nothing."""
        table = CalendarFeed.__table__
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.id == feed_id, table.c.office_id == setup.id))
                   ).mappings().first()
            if row is None:
                raise DomainError("feed_not_found")
            if row["revoked_at"] is None:
                await conn.execute(sa.update(table).where(table.c.id == feed_id).values(revoked_at=now))
                await record_change(conn, office_id=setup.id, actor=actor.username, action="calendar_feed.revoke",
                                    target=str(feed_id), before={"revoked": False}, after={"revoked": True},
                                    now=now)
                row = {**row, "revoked_at": now}
        return dict(row)

    async def feed(self, token: str) -> tuple[OfficeSetup, bytes]:
        """The feed a link names, as iCalendar bytes; `feed_not_found` for a revoked or unknown token."""
        table = CalendarFeed.__table__
        now = self.clock.now()
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.token_hash == _hash(token),
                                                             table.c.revoked_at.is_(None)))).mappings().first()
            if row is None:
                raise DomainError("feed_not_found")
            setup = await self.offices.by_id(row["office_id"])
            try:
                service_ids = service_ids_of(setup, row["scope"], row["target"])
            except DomainError:   # the service or window is gone since: an empty calendar, not an error
                service_ids = ()
            bookings = await feed_bookings(conn, service_ids, now)
        visits = [visit_of(self.translator, setup, setup.service_by_id(booking["service_id"]), booking,
                           with_names=row["with_names"], modified=_modified(booking)) for booking in bookings]
        name = f"{setup.name} — {self.feed_title(setup, row)}"
        return setup, staff_feed(name=name, tz=setup.timezone, visits=visits, stamp=now)

    def feed_title(self, setup: OfficeSetup, row: dict[str, Any]) -> str:
        language = setup.default_language
        if row["scope"] == "window":
            return self.translator.format(language, _("Window {number}"), number=row["target"])
        try:
            return next(service.name(language) for service in (*setup.services, *setup.switched_off)
                        if service.code == row["target"])
        except StopIteration:
            return row["target"]


async def feed_bookings(conn: AsyncConnection, service_ids: tuple[int, ...], now: datetime) -> list[dict[str, Any]]:
    """The bookings a feed lists: visits from FEED_DAYS_BEFORE days ago to FEED_DAYS_AFTER ahead,
    and those cancelled in the last CANCELLED_DAYS, soonest first."""
    if not service_ids:
        return []
    table = Booking.__table__
    shown = sa.or_(table.c.status.in_(VISIBLE_STATUSES),
                   sa.and_(table.c.status == "cancelled", table.c.ended_at >= now - timedelta(days=CANCELLED_DAYS)))
    rows = (await conn.execute(sa.select(table).where(
        table.c.service_id.in_(service_ids), shown, table.c.starts_at >= now - timedelta(days=FEED_DAYS_BEFORE),
        table.c.starts_at < now + timedelta(days=FEED_DAYS_AFTER + 1)).order_by(table.c.starts_at, table.c.id)
    )).mappings().all()
    return [dict(row) for row in rows]


def _modified(booking: dict[str, Any]) -> datetime:
    return max(moment for moment in (booking["created_at"], booking["confirmed_at"], booking["ended_at"]) if moment)

"""The database tables, as SQLModel classes.

Every table carries `office_id` (directly or through its parent) so that one database can
serve many offices. Numbers that must never repeat are guarded by UNIQUE constraints, so a
bug in the code becomes an error, never a duplicate ticket.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Datetimes stored in UTC and always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


OPEN_TICKET_STATUSES = ("waiting", "called", "serving")


class Office(SQLModel, table=True):
    __tablename__ = "offices"
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Warsaw", max_length=64)
    default_language: str = Field(default="pl", max_length=8)
    always_open: bool = Field(default=False, description="demo: open at any hour")
    closed_on_public_holidays: bool = True
    priority_mode: str = Field(default="first", max_length=20)
    ticket_footer: dict = Field(default_factory=dict, sa_type=sa.JSON)
    recalls_before_no_show: int = Field(default=1, description="recalls needed before no-show is allowed")
    transfer_position: str = Field(default="end", max_length=20, description="end | original")
    ticker: str = Field(default="", max_length=500, description="the hall board's ticker line")
    booking_policy: dict = Field(default_factory=dict, sa_type=sa.JSON,
                                 description="online booking rules of the office (bookings.BookingPolicy)")


class Service(SQLModel, table=True):
    __tablename__ = "services"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "code"),
        sa.UniqueConstraint("office_id", "prefix"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    code: str = Field(max_length=20)
    prefix: str = Field(max_length=3)
    names: dict = Field(default_factory=dict, sa_type=sa.JSON)
    average_service_minutes: float = 10.0
    daily_limit: Optional[int] = None
    last_ticket_minutes_before_close: int = 15
    walk_in: bool = True
    number_digits: int = Field(default=3, description="digits of the ticket numbers: 3 (A001…A999) or 4 (A0001…A9999)")
    sort_order: int = 0
    active: bool = True
    booking: dict = Field(default_factory=dict, sa_type=sa.JSON,
                          description="the service's slot schedule (slots.SlotSchedule); empty: not bookable")


class ServiceHours(SQLModel, table=True):
    __tablename__ = "service_hours"
    __table_args__ = (sa.UniqueConstraint("service_id", "weekday", "opens_minute"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="services.id", index=True)
    weekday: int = Field(description="0 = Monday")
    opens_minute: int = Field(description="minutes after local midnight")
    closes_minute: int


class Window(SQLModel, table=True):
    __tablename__ = "windows"
    __table_args__ = (sa.UniqueConstraint("office_id", "number"),
                      sa.UniqueConstraint("clerk_session_id", name="uq_windows_clerk_session_id"))
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    number: str = Field(max_length=10)
    name: str = Field(default="", max_length=100)
    is_open: bool = True
    active: bool = True
    paused: bool = False
    clerk_session_id: Optional[str] = Field(default=None, max_length=64,
                                            description="the signed-in clerk holding the window")
    held_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class WindowService(SQLModel, table=True):
    __tablename__ = "window_services"
    window_id: int = Field(foreign_key="windows.id", primary_key=True)
    service_id: int = Field(foreign_key="services.id", primary_key=True)
    position: int = 0


class PriorityCategory(SQLModel, table=True):
    __tablename__ = "priority_categories"
    __table_args__ = (sa.UniqueConstraint("office_id", "code"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    code: str = Field(max_length=40)
    names: dict = Field(default_factory=dict, sa_type=sa.JSON)
    mark: str = Field(default="*", max_length=8)
    sort_order: int = 0
    active: bool = True


class Closure(SQLModel, table=True):
    __tablename__ = "closures"
    __table_args__ = (sa.UniqueConstraint("office_id", "day"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    day: date
    reason: str = Field(default="", max_length=200)


class Device(SQLModel, table=True):
    """A kiosk or a board: configured in the office file, given a bearer token by the CLI."""

    __tablename__ = "devices"
    __table_args__ = (sa.UniqueConstraint("office_id", "kind", "name"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id", index=True)
    kind: str = Field(max_length=20)
    name: str = Field(max_length=100)
    token_hash: Optional[str] = Field(default=None, max_length=64, unique=True)
    printer: dict = Field(default_factory=dict, sa_type=sa.JSON)
    printer_status: str = Field(default="unknown", max_length=20)
    printer_checked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    active: bool = True


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    office_id: Optional[int] = Field(default=None, foreign_key="offices.id")
    disabled: bool = False


class StaffSession(SQLModel, table=True):
    """A signed-in clerk's browser; the cookie's SHA-256 is the id."""

    __tablename__ = "staff_sessions"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class StaffToken(SQLModel, table=True):
    __tablename__ = "staff_tokens"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Counter(SQLModel, table=True):
    """Every "take the next number" goes through one of these rows (see locking.py)."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=200)
    value: int = 0


class Ticket(SQLModel, table=True):
    """A walk-in (or checked-in) visitor's place in a queue. Never deleted."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "office_day", "prefix", "seq"),
        sa.Index("ix_tickets_queue", "office_id", "office_day", "status", "service_id"),
        sa.Index("ix_tickets_service_finished", "service_id", "finished_at"),
        sa.Index("uq_tickets_open_number", "office_id", "office_day", "number", unique=True,
                 sqlite_where=sa.text("status IN ('waiting', 'called', 'serving')"),
                 postgresql_where=sa.text("status IN ('waiting', 'called', 'serving')")),
    )
    id: str = Field(primary_key=True, max_length=32, description="unguessable; the tracking page's secret")
    office_id: int = Field(foreign_key="offices.id")
    office_day: date
    service_id: int = Field(foreign_key="services.id")
    prefix: str = Field(max_length=3)
    seq: int = Field(description="the day's running count for this prefix; never repeats")
    number: str = Field(max_length=8, description="what is printed and called: prefix + 3 or 4 digits")
    priority: Optional[str] = Field(default=None, max_length=40)
    language: str = Field(default="pl", max_length=8)
    status: str = Field(default="waiting", max_length=20)
    device_id: Optional[int] = Field(default=None, foreign_key="devices.id")
    window_id: Optional[int] = Field(default=None, foreign_key="windows.id")
    issued_at: datetime = Field(sa_type=UTCDateTime)
    queued_at: datetime = Field(sa_type=UTCDateTime, description="when it joined its current service's queue")
    called_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    started_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    finished_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    recalls: int = 0
    appointment_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime,
                                               description="a booked visit's slot start (online booking)")


class TicketEvent(SQLModel, table=True):
    """Append-only facts: every transition of every ticket, with its moment."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.UniqueConstraint("office_id", "seq", name="uq_ticket_events_office_id_seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id")
    seq: int = Field(description="office-wide, in commit order: what boards follow")
    ticket_id: Optional[str] = Field(default=None, foreign_key="tickets.id", index=True, max_length=32)
    kind: str = Field(max_length=20)
    at: datetime = Field(sa_type=UTCDateTime)
    service_id: Optional[int] = Field(default=None, foreign_key="services.id")
    window_id: Optional[int] = Field(default=None, foreign_key="windows.id")
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    device_id: int = Field(foreign_key="devices.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=100)
    ticket_id: str = Field(foreign_key="tickets.id", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class PrintJob(SQLModel, table=True):
    __tablename__ = "print_jobs"
    __table_args__ = (sa.Index("ix_print_jobs_device_status", "device_id", "status"),)
    id: str = Field(primary_key=True, max_length=32)
    office_id: int = Field(foreign_key="offices.id")
    device_id: int = Field(foreign_key="devices.id")
    ticket_id: str = Field(foreign_key="tickets.id", max_length=32)
    payload: bytes = Field(sa_type=sa.LargeBinary)
    status: str = Field(default="pending", max_length=20)
    error: Optional[str] = Field(default=None, max_length=40)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    printed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


ACTIVE_BOOKING_STATUSES = ("held", "confirmed")


class Booking(SQLModel, table=True):
    """A visitor's booked slot, bound to one person. Never deleted; its status tells its story.

    `held` (waiting for the one-time code, until `hold_expires_at`) -> `confirmed` -> `checked_in`
    or `no_show`; `held` -> `expired`; `confirmed` -> `cancelled`. Two partial UNIQUE indexes make a
    bug an error, not an over-booking: one active booking per place of a slot, and one active
    booking per person per service.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "code", name="uq_bookings_office_id_code"),
        sa.Index("ix_bookings_slot", "service_id", "starts_at", "status"),
        sa.Index("ix_bookings_office_day", "office_id", "office_day", "status"),
        sa.Index("uq_bookings_slot_place", "service_id", "starts_at", "place", unique=True,
                 sqlite_where=sa.text("status IN ('held', 'confirmed')"),
                 postgresql_where=sa.text("status IN ('held', 'confirmed')")),
        sa.Index("uq_bookings_person_service", "service_id", "person_key", unique=True,
                 sqlite_where=sa.text("status IN ('held', 'confirmed')"),
                 postgresql_where=sa.text("status IN ('held', 'confirmed')")),
        sa.Index("uq_bookings_case_service", "service_id", "case_key", unique=True,
                 sqlite_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL"),
                 postgresql_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL")),
    )
    id: str = Field(primary_key=True, max_length=32, description="the hold's id, used to confirm it")
    office_id: int = Field(foreign_key="offices.id")
    service_id: int = Field(foreign_key="services.id")
    office_day: date = Field(description="the slot's local day")
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    place: int = Field(description="which of the slot's places (1..places) this booking holds")
    status: str = Field(default="held", max_length=20)
    code: str = Field(max_length=8, description="the 6-character booking code typed at the kiosk")
    secret_hash: str = Field(max_length=64, description="SHA-256 of the manage link's secret")
    person_key: str = Field(max_length=64, description="keyed hash of name + date of birth + document")
    person_name: str = Field(max_length=200)
    birth_date: date
    document_hash: str = Field(max_length=64, description="keyed hash of the travel document number")
    document_masked: str = Field(max_length=40)
    document_country: str = Field(default="", max_length=2, description="ISO 3166 code of the issuing country")
    case_key: Optional[str] = Field(default=None, max_length=64, description="keyed hash of the case number")
    email: str = Field(max_length=254)
    phone: str = Field(default="", max_length=20)
    language: str = Field(default="pl", max_length=8)
    confirm_code_hash: Optional[str] = Field(default=None, max_length=64)
    confirm_attempts: int = 0
    hold_expires_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    sequence: int = Field(default=0, description="iCalendar SEQUENCE: raised on every move or cancel")
    flag: Optional[str] = Field(default=None, max_length=40, description="for the office to handle, e.g. day_closed")
    waitlist_entry_id: Optional[int] = Field(default=None, foreign_key="waitlist_entries.id")
    ticket_id: Optional[str] = Field(default=None, foreign_key="tickets.id", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    ended_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime,
                                         description="when it was cancelled, expired, checked in or missed")


class BookingEvent(SQLModel, table=True):
    """Append-only facts of every booking's life: held, confirmed, moved, cancelled, expired,
    checked_in, no_show, offered, flagged, document_checked (the desk's check: matched, by whom). Statistics
    read these."""

    __tablename__ = "booking_events"
    __table_args__ = (sa.Index("ix_booking_events_office_at", "office_id", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id")
    booking_id: str = Field(foreign_key="bookings.id", index=True, max_length=32)
    kind: str = Field(max_length=20)
    at: datetime = Field(sa_type=UTCDateTime)
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)


class WaitlistEntry(SQLModel, table=True):
    """A person waiting for a freed place of a service, in the order they joined."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        sa.Index("ix_waitlist_service_status", "service_id", "status", "joined_at"),
        sa.Index("uq_waitlist_person_service", "service_id", "person_key", unique=True,
                 sqlite_where=sa.text("status IN ('waiting', 'offered')"),
                 postgresql_where=sa.text("status IN ('waiting', 'offered')")),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id")
    service_id: int = Field(foreign_key="services.id")
    status: str = Field(default="waiting", max_length=20, description="waiting | offered | booked | lapsed | left")
    person_key: str = Field(max_length=64)
    person_name: str = Field(max_length=200)
    birth_date: date
    document_hash: str = Field(max_length=64)
    document_masked: str = Field(max_length=40)
    document_country: str = Field(default="", max_length=2)
    case_key: Optional[str] = Field(default=None, max_length=64)
    email: str = Field(max_length=254)
    phone: str = Field(default="", max_length=20)
    language: str = Field(default="pl", max_length=8)
    joined_at: datetime = Field(sa_type=UTCDateTime)
    secret_hash: str = Field(max_length=64, description="SHA-256 of the secret that lets the person leave")


class WithheldPlace(SQLModel, table=True):
    """A place freed by a cancellation, an expired hold or a lapsed offer, kept out of the calendar
    until `release_at`: a moment nobody who freed it can know, so a booking cannot be passed on
    by cancelling it while a buyer books."""

    __tablename__ = "withheld_places"
    __table_args__ = (sa.UniqueConstraint("service_id", "starts_at", "place", name="uq_withheld_places_slot_place"),
                      sa.Index("ix_withheld_places_release", "office_id", "release_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id")
    service_id: int = Field(foreign_key="services.id")
    starts_at: datetime = Field(sa_type=UTCDateTime)
    place: int
    freed_at: datetime = Field(sa_type=UTCDateTime)
    release_at: datetime = Field(sa_type=UTCDateTime)


class Draw(SQLModel, table=True):
    """The draw that releases one day of a service: entries during [opens_at, closes_at), then
    places allocated in an order derived from `seed`, whose SHA-256 (`commitment`) is public
    before the window opens. Runs once (`status` open -> done, under the draw's lock)."""

    __tablename__ = "draws"
    __table_args__ = (sa.UniqueConstraint("service_id", "office_day", name="uq_draws_service_day"),
                      sa.Index("ix_draws_office_status", "office_id", "status", "closes_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="offices.id")
    service_id: int = Field(foreign_key="services.id")
    office_day: date = Field(description="the day whose places are drawn")
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="open", max_length=20, description="open | done")
    seed: str = Field(max_length=64, description="secret until the draw has run, then published")
    commitment: str = Field(max_length=64, description="SHA-256 of the seed, published in advance")
    created_at: datetime = Field(sa_type=UTCDateTime)
    ran_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    places: int = Field(default=0, description="free places when the draw ran")
    entries: int = Field(default=0, description="confirmed entries when the draw ran")
    result: list = Field(default_factory=list, sa_type=sa.JSON,
                         description="the published order: ticket, preferences and outcome per entry")


class DrawEntry(SQLModel, table=True):
    """A person's entry into a draw, confirmed by a one-time code like a hold; one per person
    (and per case number) in each draw."""

    __tablename__ = "draw_entries"
    __table_args__ = (
        sa.Index("ix_draw_entries_draw_status", "draw_id", "status"),
        sa.Index("uq_draw_entries_person", "draw_id", "person_key", unique=True,
                 sqlite_where=sa.text("status IN ('pending', 'entered')"),
                 postgresql_where=sa.text("status IN ('pending', 'entered')")),
        sa.Index("uq_draw_entries_case", "draw_id", "case_key", unique=True,
                 sqlite_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL"),
                 postgresql_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL")),
    )
    id: str = Field(primary_key=True, max_length=32, description="unguessable; used to confirm the entry")
    office_id: int = Field(foreign_key="offices.id")
    draw_id: int = Field(foreign_key="draws.id")
    service_id: int = Field(foreign_key="services.id")
    status: str = Field(default="pending", max_length=20,
                        description="pending | entered | won | not_drawn | expired | withdrawn")
    person_key: str = Field(max_length=64)
    person_name: str = Field(max_length=200)
    birth_date: date
    document_hash: str = Field(max_length=64)
    document_masked: str = Field(max_length=40)
    document_country: str = Field(default="", max_length=2)
    case_key: Optional[str] = Field(default=None, max_length=64)
    email: str = Field(max_length=254)
    phone: str = Field(default="", max_length=20)
    language: str = Field(default="pl", max_length=8)
    preferences: list = Field(default_factory=list, sa_type=sa.JSON,
                              description="up to three [from, to] local minute ranges, in order; empty: any time")
    confirm_code_hash: Optional[str] = Field(default=None, max_length=64)
    confirm_attempts: int = 0
    pending_expires_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    secret_hash: str = Field(default="", max_length=64, description="SHA-256 of the receipt that shows the entry")
    ticket: Optional[str] = Field(default=None, max_length=64, description="the public keyed hash in the draw's list")
    rank: Optional[int] = Field(default=None, description="place in the drawn order, from 1")
    booking_id: Optional[str] = Field(default=None, foreign_key="bookings.id", max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    entered_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class OpenCase(SQLModel, table=True):
    """A case number the office has open (loaded from its CSV), stored only as a keyed hash, so
    that follow-up visits for made-up cases are refused."""

    __tablename__ = "open_cases"
    office_id: int = Field(foreign_key="offices.id", primary_key=True)
    case_key: str = Field(primary_key=True, max_length=64)
    loaded_at: datetime = Field(sa_type=UTCDateTime)


class RateLimitHit(SQLModel, table=True):
    """Requests counted per key (a hashed client address or contact) and fixed time window."""

    __tablename__ = "rate_limit_hits"
    key: str = Field(primary_key=True, max_length=100)
    window_start: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    hits: int = 0


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the change it reports (transactional
    outbox): it is sent after commit, retried until it goes, and never sent twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)
    id: str = Field(primary_key=True, max_length=32)
    office_id: int = Field(foreign_key="offices.id")
    channel: str = Field(max_length=10, description="email | sms")
    recipient: str = Field(max_length=254)
    subject: str = Field(default="", max_length=300)
    body: str = Field(sa_type=sa.Text)
    calendar: Optional[bytes] = Field(default=None, sa_type=sa.LargeBinary, description="an .ics attachment")
    calendar_method: Optional[str] = Field(default=None, max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: Optional[str] = Field(default=None, max_length=300)


metadata = SQLModel.metadata

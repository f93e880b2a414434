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
    sort_order: int = 0
    active: bool = True


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
    failed_logins: int = 0
    locked_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


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
    number: str = Field(max_length=8, description="what is printed and called: prefix + 3 digits")
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


metadata = SQLModel.metadata

"""The database tables, as plain SQLAlchemy Core tables.

Every table carries `office_id` (directly or through its parent) so that one database can
serve many offices. Numbers that must never repeat are guarded by UNIQUE constraints, so a
bug in the code becomes an error, never a duplicate ticket.

The tables were SQLModel classes until issue 10; the code only ever used them as tables, and
building them through SQLModel and pydantic cost every server start about 0.3 s. Each table is
still reached as `<Name>.__table__`, so the rest of the code did not change. A column is NOT NULL
unless it says `nullable=True`; `doc` keeps what a column means out of the database, as before.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import util as sa_util
from sqlalchemy.types import TypeDecorator


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
ACTIVE_BOOKING_STATUSES = ("held", "confirmed")

metadata = sa.MetaData()


def column(name: str, type_: Any, *args: Any, nullable: bool = False, **kwargs: Any) -> sa.Column:
    """A column, NOT NULL unless `nullable=True` says otherwise."""
    return sa.Column(name, type_, *args, nullable=nullable, **kwargs)


def id_column() -> sa.Column:
    """The integer primary key the database numbers by itself."""
    return sa.Column("id", sa.Integer, primary_key=True)


def foreign_key(name: str, target: str, *args: Any, nullable: bool = False, **kwargs: Any) -> sa.Column:
    """An integer column pointing at `target` ("table.column")."""
    return column(name, sa.Integer, sa.ForeignKey(target), *args, nullable=nullable, **kwargs)


def utc_column(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column:
    """A moment, in UTC."""
    return column(name, UTCDateTime, nullable=nullable, **kwargs)


def json_column(name: str, default: Any = dict, **kwargs: Any) -> sa.Column:
    """A JSON document, empty (`{}` or `[]`) unless given."""
    return column(name, sa.JSON, default=default, **kwargs)


class _PartialIndex(sa.Index):
    """A UNIQUE index over the rows `where` holds, on SQLite and PostgreSQL alike.

    The condition is handed to a database's DDL when that database asks for its options, not given
    as `sqlite_where=`/`postgresql_where=` arguments: those make SQLAlchemy import both dialects
    to check them as the tables are defined, and PostgreSQL's costs a SQLite server about 0.1 s
    of start-up."""

    def __init__(self, name: str, *columns: str, where: str) -> None:
        super().__init__(name, *columns, unique=True)
        self.where = where

    @sa_util.memoized_property
    def dialect_options(self) -> Any:
        def options(dialect_name: str) -> Any:
            found = self._kw_reg_for_dialect_cls(dialect_name)
            if dialect_name in WHERE_DIALECTS:
                found["where"] = sa.text(self.where)
            return found

        return sa_util.PopulateDict(options)


WHERE_DIALECTS = ("sqlite", "postgresql")


def partial_index(name: str, *columns: str, where: str) -> sa.Index:
    """A UNIQUE index over the rows `where` holds, on SQLite and PostgreSQL alike."""
    return _PartialIndex(name, *columns, where=where)


class Office:
    __table__ = sa.Table(
        "offices", metadata,
        id_column(),
        column("code", sa.String(40), unique=True),
        column("name", sa.String(200)),
        column("timezone", sa.String(64), default="Europe/Warsaw"),
        column("default_language", sa.String(8), default="pl"),
        column("always_open", sa.Boolean, default=False, doc="demo: open at any hour"),
        column("closed_on_public_holidays", sa.Boolean, default=True),
        column("priority_mode", sa.String(20), default="first"),
        json_column("ticket_footer"),
        json_column("board_languages", default=lambda: ["pl", "en"],
                    doc="the languages the boards take turns in and speak, in order (config_file.board_languages)"),
        column("recalls_before_no_show", sa.Integer, default=1, doc="recalls needed before no-show is allowed"),
        column("transfer_position", sa.String(20), default="end", doc="end | original"),
        json_column("notices", doc='lines shown to visitors, per language: {"ticker": {lang: text}, "kiosk": {…}}'),
        json_column("booking_policy", doc="online booking rules of the office (bookings.BookingPolicy)"),
        column("public_url", sa.String(300), default="", server_default="",
               doc="the office's own public address (empty: OKIENKO_PUBLIC_URL); links in its emails and QR codes"),
        json_column("hosts", default=list, server_default=sa.text("'[]'"),
                    doc="host names that reach this office's public pages (okienko/office/addresses.py)"),
    )


class Service:
    __table__ = sa.Table(
        "services", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("code", sa.String(20)),
        column("prefix", sa.String(3)),
        json_column("names"),
        column("average_service_minutes", sa.Float, default=10.0),
        column("daily_limit", sa.Integer, nullable=True),
        column("last_ticket_minutes_before_close", sa.Integer, default=15),
        column("walk_in", sa.Boolean, default=True),
        column("number_digits", sa.Integer, default=3,
               doc="digits of the ticket numbers: 3 (A001…A999) or 4 (A0001…A9999)"),
        column("sort_order", sa.Integer, default=0),
        column("active", sa.Boolean, default=True),
        json_column("booking", doc="the service's slot schedule (slots.SlotSchedule); empty: not bookable"),
        column("event_only", sa.Boolean, default=False,
               doc="offered only on the days of the events (information Saturdays) that list it"),
        sa.UniqueConstraint("office_id", "code"),
        sa.UniqueConstraint("office_id", "prefix"),
    )


class ServiceHours:
    __table__ = sa.Table(
        "service_hours", metadata,
        id_column(),
        foreign_key("service_id", "services.id", index=True),
        column("weekday", sa.Integer, doc="0 = Monday"),
        column("opens_minute", sa.Integer, doc="minutes after local midnight"),
        column("closes_minute", sa.Integer),
        sa.UniqueConstraint("service_id", "weekday", "opens_minute"),
    )


class Window:
    __table__ = sa.Table(
        "windows", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("number", sa.String(10)),
        column("name", sa.String(100), default=""),
        column("is_open", sa.Boolean, default=True),
        column("active", sa.Boolean, default=True),
        column("paused", sa.Boolean, default=False),
        column("clerk_session_id", sa.String(64), nullable=True, doc="the signed-in clerk holding the window"),
        utc_column("held_until", nullable=True),
        sa.UniqueConstraint("office_id", "number"),
        sa.UniqueConstraint("clerk_session_id", name="uq_windows_clerk_session_id"),
    )


class WindowService:
    __table__ = sa.Table(
        "window_services", metadata,
        foreign_key("window_id", "windows.id", primary_key=True),
        foreign_key("service_id", "services.id", primary_key=True),
        column("position", sa.Integer, default=0),
    )


class PriorityCategory:
    __table__ = sa.Table(
        "priority_categories", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("code", sa.String(40)),
        json_column("names"),
        column("mark", sa.String(8), default="*"),
        column("sort_order", sa.Integer, default=0),
        column("active", sa.Boolean, default=True),
        sa.UniqueConstraint("office_id", "code"),
    )


class DayHours:
    """One date's own hours, overriding the weekly hours: changed hours, or extra hours on a day that
    is normally closed (an information Saturday). `service_id` NULL: every service of the office.
    `ranges` is a list of [opens_minute, closes_minute]; empty: closed that day."""

    __table__ = sa.Table(
        "day_hours", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        column("day", sa.Date),
        foreign_key("service_id", "services.id", nullable=True),
        json_column("ranges", default=list),
        column("walk_in", sa.Boolean, default=True, doc="the hours apply to walk-in tickets"),
        column("booking", sa.Boolean, default=True, doc="the hours apply to bookable slots"),
        column("reason", sa.String(200), default=""),
        sa.Index("ix_day_hours_office_day", "office_id", "day"),
        partial_index("uq_day_hours_office", "office_id", "day", where="service_id IS NULL"),
        partial_index("uq_day_hours_service", "office_id", "day", "service_id", where="service_id IS NOT NULL"),
    )


class Event:
    """An information Saturday (or another special day): its date, hours, titles and descriptions per
    language, the services it offers and when their booking opens (okienko/office/events.py).
    At most one event that is not cancelled per office and date; `sequence` grows with every change
    people booked must hear of (the invites' and the feed's SEQUENCE)."""

    __table__ = sa.Table(
        "events", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        column("day", sa.Date),
        column("opens_minute", sa.Integer),
        column("closes_minute", sa.Integer),
        json_column("titles", doc="{language: text}"),
        json_column("descriptions", doc="{language: text}"),
        json_column("services", default=list, doc="the codes of the services it offers"),
        utc_column("booking_opens_at", nullable=True, doc="when its slots can be booked; None: walk-in only"),
        column("status", sa.String(12), default="draft", doc="draft | published | cancelled"),
        column("sequence", sa.Integer, default=0),
        utc_column("created_at"),
        utc_column("updated_at"),
        sa.Index("ix_events_office_day", "office_id", "day"),
        partial_index("uq_events_office_day", "office_id", "day", where="status != 'cancelled'"),
    )


class AuditEntry:
    """Append-only: every change made in the back office or the CLI, who made it, before and after."""

    __table__ = sa.Table(
        "audit_log", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", nullable=True),
        utc_column("at"),
        column("actor", sa.String(100), doc="the username, or cli"),
        column("action", sa.String(60), doc="e.g. service.update, day.close, user.disable"),
        column("target", sa.String(200), default=""),
        json_column("before", nullable=True, default=None),
        json_column("after", nullable=True, default=None),
        sa.Index("ix_audit_log_office_at", "office_id", "at"),
    )


class Closure:
    __table__ = sa.Table(
        "closures", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("day", sa.Date),
        column("reason", sa.String(200), default=""),
        sa.UniqueConstraint("office_id", "day"),
    )


class ClosureSource:
    """An external calendar an office takes closure days and other hours from (okienko/office/
    closure_sources.py): an .ics address or a CalDAV collection, polled; its last answer kept here.
    `url` may carry a token: it is shown and logged by its host only."""

    __table__ = sa.Table(
        "closure_sources", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("name", sa.String(100)),
        column("url", sa.String(2000)),
        column("kind", sa.String(10), default="ics", doc="ics | caldav"),
        column("etag", sa.String(200), default="", doc="the last answer's ETag (If-None-Match)"),
        column("last_modified", sa.String(100), default="", doc="the last answer's Last-Modified"),
        utc_column("polled_at", nullable=True),
        utc_column("changed_at", nullable=True, doc="when its days last changed"),
        column("status", sa.String(12), default="new", doc="new | ok | unchanged | error"),
        column("error", sa.String(200), default="", doc="the last error, without the address"),
        utc_column("created_at"),
        sa.UniqueConstraint("office_id", "name"),
    )


class SourceDay:
    """A date as an external calendar sets it (`ranges` [] closes it), kept apart from the dates the
    managers set (day_hours, closures): those win, and a source's dates go when the source drops them."""

    __table__ = sa.Table(
        "source_days", metadata,
        id_column(),
        foreign_key("source_id", "closure_sources.id"),
        foreign_key("office_id", "offices.id"),
        column("day", sa.Date),
        json_column("ranges", default=list),
        column("reason", sa.String(200), default=""),
        sa.UniqueConstraint("source_id", "day"),
        sa.Index("ix_source_days_office_day", "office_id", "day"),
    )


class Device:
    """A kiosk or a board: configured in the office file, given a bearer token by the CLI."""

    __table__ = sa.Table(
        "devices", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("kind", sa.String(20)),
        column("name", sa.String(100)),
        column("token_hash", sa.String(64), nullable=True, unique=True),
        json_column("printer"),
        column("printer_status", sa.String(20), default="unknown"),
        utc_column("printer_checked_at", nullable=True),
        utc_column("last_seen_at", nullable=True, doc="the device's last heartbeat or request"),
        column("active", sa.Boolean, default=True),
        sa.UniqueConstraint("office_id", "kind", "name"),
    )


class User:
    __table__ = sa.Table(
        "users", metadata,
        id_column(),
        column("username", sa.String(100), unique=True),
        column("role", sa.String(20)),
        column("password_hash", sa.String(200)),
        foreign_key("office_id", "offices.id", nullable=True),
        column("disabled", sa.Boolean, default=False),
        column("must_change_password", sa.Boolean, default=False,
               doc="a reset password: the user chooses a new one at the next sign-in"),
    )


class StaffSession:
    """A signed-in clerk's browser; the cookie's SHA-256 is the id."""

    __table__ = sa.Table(
        "staff_sessions", metadata,
        column("id", sa.String(64), primary_key=True),
        foreign_key("user_id", "users.id", index=True),
        column("csrf_token", sa.String(64)),
        utc_column("created_at"),
        utc_column("expires_at"),
    )


class StaffToken:
    __table__ = sa.Table(
        "staff_tokens", metadata,
        id_column(),
        foreign_key("user_id", "users.id", index=True),
        column("token_hash", sa.String(64), unique=True),
        utc_column("created_at"),
    )


class Counter:
    """Every "take the next number" goes through one of these rows (see locking.py)."""

    __table__ = sa.Table(
        "counters", metadata,
        column("name", sa.String(200), primary_key=True),
        column("value", sa.Integer, default=0),
    )


class Ticket:
    """A walk-in (or checked-in) visitor's place in a queue. Never deleted."""

    __table__ = sa.Table(
        "tickets", metadata,
        column("id", sa.String(32), primary_key=True, doc="unguessable; the tracking page's secret"),
        foreign_key("office_id", "offices.id"),
        column("office_day", sa.Date),
        foreign_key("service_id", "services.id"),
        column("prefix", sa.String(3)),
        column("seq", sa.Integer, doc="the day's running count for this prefix; never repeats"),
        column("number", sa.String(8), doc="what is printed and called: prefix + 3 or 4 digits"),
        column("priority", sa.String(40), nullable=True),
        column("language", sa.String(8), default="pl"),
        column("status", sa.String(20), default="waiting"),
        foreign_key("device_id", "devices.id", nullable=True),
        foreign_key("window_id", "windows.id", nullable=True),
        utc_column("issued_at"),
        utc_column("queued_at", doc="when it joined its current service's queue"),
        utc_column("called_at", nullable=True),
        utc_column("started_at", nullable=True),
        utc_column("finished_at", nullable=True),
        column("recalls", sa.Integer, default=0),
        utc_column("appointment_at", nullable=True, doc="a booked visit's slot start (online booking)"),
        sa.UniqueConstraint("office_id", "office_day", "prefix", "seq"),
        sa.Index("ix_tickets_queue", "office_id", "office_day", "status", "service_id"),
        sa.Index("ix_tickets_service_finished", "service_id", "finished_at"),
        partial_index("uq_tickets_open_number", "office_id", "office_day", "number",
                      where="status IN ('waiting', 'called', 'serving')"),
    )


class TicketPhone:
    """A walk-in's mobile number for the SMS before its turn and when it is called
    (okienko/hall/ticket_phones.py). One row per ticket (UNIQUE): the two flags, set in the
    transaction that writes each SMS, are what makes each go once. Removing the number blanks it and
    keeps the row (its flags and how often a number was set, so removing and adding again sends
    nothing twice); the row goes when the ticket's day is over."""

    __table__ = sa.Table(
        "ticket_phones", metadata,
        id_column(),
        column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id")),
        foreign_key("office_id", "offices.id"),
        column("office_day", sa.Date, doc="the ticket's day: the number is erased once it is over"),
        column("phone", sa.String(20), doc="E.164 (+48...); '' once the visitor removed it"),
        column("times_set", sa.Integer, default=1, doc="how often a number was given (a few at most)"),
        utc_column("added_at"),
        utc_column("near_sent_at", nullable=True, doc="the 'your turn is near' SMS was written"),
        utc_column("called_sent_at", nullable=True, doc="the 'please go to window' SMS was written"),
        column("near_message_id", sa.String(32), nullable=True, doc="its outbox message"),
        column("called_message_id", sa.String(32), nullable=True, doc="its outbox message"),
        sa.UniqueConstraint("ticket_id", name="uq_ticket_phones_ticket"),
        sa.Index("ix_ticket_phones_office_day", "office_id", "office_day"),
    )


class TicketEvent:
    """Append-only facts: every transition of every ticket, with its moment."""

    __table__ = sa.Table(
        "ticket_events", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        column("seq", sa.Integer, doc="office-wide, in commit order: what boards follow"),
        column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=True, index=True),
        column("kind", sa.String(20)),
        utc_column("at"),
        foreign_key("service_id", "services.id", nullable=True),
        foreign_key("window_id", "windows.id", nullable=True),
        json_column("detail"),
        foreign_key("clerk_id", "users.id", nullable=True,
                    doc="the staff account seated at `window_id` when it happened (statistics per clerk)"),
        sa.UniqueConstraint("office_id", "seq", name="uq_ticket_events_office_id_seq"),
    )


def _archive_of(name: str, hot: sa.Table, *indexes: tuple[str, ...], extra: tuple[sa.Column, ...] = ()) -> sa.Table:
    """A table with `hot`'s columns (no foreign keys, no UNIQUE but the key): where rows of days long
    over are moved to (okienko/stats/archive.py), read by the statistics with the hot ones."""
    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False)
               for c in hot.columns]
    return sa.Table(name, metadata, *columns, *extra,
                    *(sa.Index(f"ix_{name}_{'_'.join(cols)}", *cols) for cols in indexes))


class ArchivedTicket:
    """Tickets of days older than `archive_after_days`, moved out of `tickets` (never deleted)."""

    __table__ = _archive_of("archived_tickets", Ticket.__table__, ("office_id", "office_day"),
                            extra=(column("booking_id", sa.String(32), nullable=True,
                                          doc="the booking it was checked in from (bookings.ticket_id is cleared)"),))


class ArchivedTicketEvent:
    """The events of the archived tickets, as they were."""

    __table__ = _archive_of("archived_ticket_events", TicketEvent.__table__, ("ticket_id",))


class StatsDay:
    """One office day's statistics (okienko/stats/day_summary.py), kept once the day is over: a
    month's report reads 31 of these instead of replaying every ticket. `version` changes when what
    a summary holds does; an older one is made again."""

    __table__ = sa.Table(
        "stats_days", metadata,
        foreign_key("office_id", "offices.id", primary_key=True),
        column("day", sa.Date, primary_key=True),
        column("version", sa.Integer),
        utc_column("made_at"),
        json_column("summary"),
    )


class IdempotencyKey:
    __table__ = sa.Table(
        "idempotency_keys", metadata,
        foreign_key("device_id", "devices.id", primary_key=True),
        column("key", sa.String(100), primary_key=True),
        column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id")),
        utc_column("created_at"),
    )


class PrintJob:
    __table__ = sa.Table(
        "print_jobs", metadata,
        column("id", sa.String(32), primary_key=True),
        foreign_key("office_id", "offices.id"),
        foreign_key("device_id", "devices.id"),
        column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id")),
        column("payload", sa.LargeBinary),
        column("status", sa.String(20), default="pending"),
        column("error", sa.String(40), nullable=True),
        column("attempts", sa.Integer, default=0),
        utc_column("created_at"),
        utc_column("printed_at", nullable=True),
        sa.Index("ix_print_jobs_device_status", "device_id", "status"),
    )


class Booking:
    """A visitor's booked slot, bound to one person. Never deleted; its status tells its story.

    `held` (waiting for the one-time code, until `hold_expires_at`) -> `confirmed` -> `checked_in`
    or `no_show`; `held` -> `expired`; `confirmed` -> `cancelled`. Two partial UNIQUE indexes make a
    bug an error, not an over-booking: one active booking per place of a slot, and one active
    booking per person per service.
    """

    __table__ = sa.Table(
        "bookings", metadata,
        column("id", sa.String(32), primary_key=True, doc="the hold's id, used to confirm it"),
        foreign_key("office_id", "offices.id"),
        foreign_key("service_id", "services.id"),
        column("office_day", sa.Date, doc="the slot's local day"),
        utc_column("starts_at"),
        utc_column("ends_at"),
        column("place", sa.Integer, doc="which of the slot's places (1..places) this booking holds"),
        column("status", sa.String(20), default="held"),
        column("code", sa.String(8), doc="the 6-character booking code typed at the kiosk"),
        column("secret_hash", sa.String(64), doc="SHA-256 of the manage link's secret"),
        column("person_key", sa.String(64), doc="keyed hash of name + date of birth + document"),
        column("person_name", sa.String(200)),
        column("birth_date", sa.Date),
        column("document_hash", sa.String(64), doc="keyed hash of the travel document number"),
        column("document_masked", sa.String(40)),
        column("document_country", sa.String(2), default="", doc="ISO 3166 code of the issuing country"),
        column("case_key", sa.String(64), nullable=True, doc="keyed hash of the case number"),
        column("email", sa.String(254)),
        column("phone", sa.String(20), default=""),
        column("language", sa.String(8), default="pl"),
        column("confirm_code_hash", sa.String(64), nullable=True),
        column("confirm_attempts", sa.Integer, default=0),
        utc_column("hold_expires_at", nullable=True),
        column("sequence", sa.Integer, default=0, doc="iCalendar SEQUENCE: raised on every move or cancel"),
        column("flag", sa.String(40), nullable=True, doc="for the office to handle, e.g. day_closed"),
        foreign_key("waitlist_entry_id", "waitlist_entries.id", nullable=True),
        column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=True),
        utc_column("created_at"),
        utc_column("confirmed_at", nullable=True),
        utc_column("ended_at", nullable=True, doc="when it was cancelled, expired, checked in or missed"),
        sa.UniqueConstraint("office_id", "code", name="uq_bookings_office_id_code"),
        sa.Index("ix_bookings_slot", "service_id", "starts_at", "status"),
        sa.Index("ix_bookings_office_day", "office_id", "office_day", "status"),
        partial_index("uq_bookings_slot_place", "service_id", "starts_at", "place",
                      where="status IN ('held', 'confirmed')"),
        partial_index("uq_bookings_person_service", "service_id", "person_key",
                      where="status IN ('held', 'confirmed')"),
        partial_index("uq_bookings_case_service", "service_id", "case_key",
                      where="status IN ('held', 'confirmed') AND case_key IS NOT NULL"),
    )


class BookingEvent:
    """Append-only facts of every booking's life: held, confirmed, moved, cancelled, expired,
    checked_in, no_show, offered, flagged, document_checked (the desk's check: matched, by whom). Statistics
    read these."""

    __table__ = sa.Table(
        "booking_events", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        column("booking_id", sa.String(32), sa.ForeignKey("bookings.id"), index=True),
        column("kind", sa.String(20)),
        utc_column("at"),
        json_column("detail"),
        sa.Index("ix_booking_events_office_at", "office_id", "at"),
    )


class BookingReminder:
    """A reminder before a visit, written once per booking, visit time and hours ahead
    (okienko/notify/reminders.py). The UNIQUE constraint makes a second writer (another server
    process) a no-op, never a second reminder; a moved booking's new time gets rows of its own."""

    __table__ = sa.Table(
        "booking_reminders", metadata,
        id_column(),
        column("booking_id", sa.String(32), sa.ForeignKey("bookings.id")),
        utc_column("starts_at", doc="the visit's start the reminder is for"),
        column("hours", sa.Integer, doc="hours before the visit, as in the office's `reminders`"),
        utc_column("written_at"),
        column("message_id", sa.String(32), nullable=True,
               doc="the outbox email; NULL when a later reminder of the same visit went instead"),
        sa.UniqueConstraint("booking_id", "starts_at", "hours", name="uq_booking_reminders_once"),
    )


class WaitlistEntry:
    """A person waiting for a freed place of a service, in the order they joined."""

    __table__ = sa.Table(
        "waitlist_entries", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        foreign_key("service_id", "services.id"),
        column("status", sa.String(20), default="waiting", doc="waiting | offered | booked | lapsed | left"),
        column("person_key", sa.String(64)),
        column("person_name", sa.String(200)),
        column("birth_date", sa.Date),
        column("document_hash", sa.String(64)),
        column("document_masked", sa.String(40)),
        column("document_country", sa.String(2), default=""),
        column("case_key", sa.String(64), nullable=True),
        column("email", sa.String(254)),
        column("phone", sa.String(20), default=""),
        column("language", sa.String(8), default="pl"),
        utc_column("joined_at"),
        column("secret_hash", sa.String(64), doc="SHA-256 of the secret that lets the person leave"),
        sa.Index("ix_waitlist_service_status", "service_id", "status", "joined_at"),
        partial_index("uq_waitlist_person_service", "service_id", "person_key",
                      where="status IN ('waiting', 'offered')"),
    )


class WithheldPlace:
    """A place freed by a cancellation, an expired hold or a lapsed offer, kept out of the calendar
    until `release_at`: a moment nobody who freed it can know, so a booking cannot be passed on
    by cancelling it while a buyer books."""

    __table__ = sa.Table(
        "withheld_places", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        foreign_key("service_id", "services.id"),
        utc_column("starts_at"),
        column("place", sa.Integer),
        utc_column("freed_at"),
        utc_column("release_at"),
        sa.UniqueConstraint("service_id", "starts_at", "place", name="uq_withheld_places_slot_place"),
        sa.Index("ix_withheld_places_release", "office_id", "release_at"),
    )


class Draw:
    """The draw that releases one day of a service: entries during [opens_at, closes_at), then
    places allocated in an order derived from `seed`, whose SHA-256 (`commitment`) is public
    before the window opens. Runs once (`status` open -> done, under the draw's lock)."""

    __table__ = sa.Table(
        "draws", metadata,
        id_column(),
        foreign_key("office_id", "offices.id"),
        foreign_key("service_id", "services.id"),
        column("office_day", sa.Date, doc="the day whose places are drawn"),
        utc_column("opens_at"),
        utc_column("closes_at"),
        column("status", sa.String(20), default="open", doc="open | done"),
        column("seed", sa.String(64), doc="secret until the draw has run, then published"),
        column("commitment", sa.String(64), doc="SHA-256 of the seed, published in advance"),
        utc_column("created_at"),
        utc_column("ran_at", nullable=True),
        column("places", sa.Integer, default=0, doc="free places when the draw ran"),
        column("entries", sa.Integer, default=0, doc="confirmed entries when the draw ran"),
        json_column("result", default=list, doc="the published order: ticket, preferences and outcome per entry"),
        sa.UniqueConstraint("service_id", "office_day", name="uq_draws_service_day"),
        sa.Index("ix_draws_office_status", "office_id", "status", "closes_at"),
    )


class DrawEntry:
    """A person's entry into a draw, confirmed by a one-time code like a hold; one per person
    (and per case number) in each draw."""

    __table__ = sa.Table(
        "draw_entries", metadata,
        column("id", sa.String(32), primary_key=True, doc="unguessable; used to confirm the entry"),
        foreign_key("office_id", "offices.id"),
        foreign_key("draw_id", "draws.id"),
        foreign_key("service_id", "services.id"),
        column("status", sa.String(20), default="pending",
               doc="pending | entered | won | not_drawn | expired | withdrawn"),
        column("person_key", sa.String(64)),
        column("person_name", sa.String(200)),
        column("birth_date", sa.Date),
        column("document_hash", sa.String(64)),
        column("document_masked", sa.String(40)),
        column("document_country", sa.String(2), default=""),
        column("case_key", sa.String(64), nullable=True),
        column("email", sa.String(254)),
        column("phone", sa.String(20), default=""),
        column("language", sa.String(8), default="pl"),
        json_column("preferences", default=list,
             doc="up to three [from, to] local minute ranges, in order; empty: any time"),
        column("confirm_code_hash", sa.String(64), nullable=True),
        column("confirm_attempts", sa.Integer, default=0),
        utc_column("pending_expires_at", nullable=True),
        column("secret_hash", sa.String(64), default="", doc="SHA-256 of the receipt that shows the entry"),
        column("ticket", sa.String(64), nullable=True, doc="the public keyed hash in the draw's list"),
        column("rank", sa.Integer, nullable=True, doc="place in the drawn order, from 1"),
        column("booking_id", sa.String(32), sa.ForeignKey("bookings.id"), nullable=True),
        utc_column("created_at"),
        utc_column("entered_at", nullable=True),
        sa.Index("ix_draw_entries_draw_status", "draw_id", "status"),
        partial_index("uq_draw_entries_person", "draw_id", "person_key",
                      where="status IN ('pending', 'entered')"),
        partial_index("uq_draw_entries_case", "draw_id", "case_key",
                      where="status IN ('pending', 'entered') AND case_key IS NOT NULL"),
    )


class OpenCase:
    """A case number the office has open (loaded from its CSV), stored only as a keyed hash, so
    that follow-up visits for made-up cases are refused."""

    __table__ = sa.Table(
        "open_cases", metadata,
        foreign_key("office_id", "offices.id", primary_key=True),
        column("case_key", sa.String(64), primary_key=True),
        utc_column("loaded_at"),
    )


class RateLimitHit:
    """Requests counted per key (a hashed client address or contact) and fixed time window."""

    __table__ = sa.Table(
        "rate_limit_hits", metadata,
        column("key", sa.String(100), primary_key=True),
        utc_column("window_start", primary_key=True),
        column("hits", sa.Integer, default=0),
    )


class OutboxMessage:
    """A notification written in the same transaction as the change it reports (transactional
    outbox): it is sent after commit, retried until it goes or is marked failed, and never sent twice."""

    __table__ = sa.Table(
        "outbox_messages", metadata,
        column("id", sa.String(32), primary_key=True),
        foreign_key("office_id", "offices.id"),
        column("channel", sa.String(10), doc="email | sms"),
        column("recipient", sa.String(254)),
        column("subject", sa.String(300), default=""),
        column("body", sa.Text),
        column("calendar", sa.LargeBinary, nullable=True, doc="an .ics attachment"),
        column("calendar_method", sa.String(10), nullable=True),
        utc_column("created_at"),
        utc_column("next_attempt_at"),
        utc_column("claimed_until", nullable=True),
        column("attempts", sa.Integer, default=0),
        utc_column("sent_at", nullable=True),
        column("last_error", sa.String(300), nullable=True),
        utc_column("failed_at", nullable=True, doc="given up after MAX_ATTEMPTS; cleared by a resend"),
        column("delivery", sa.String(12), nullable=True, doc="the SMS gateway's report: delivered | failed"),
        utc_column("delivery_at", nullable=True, doc="when the gateway's delivery report came"),
        column("resent_as", sa.String(32), nullable=True,
               doc="an SMS reported undelivered and sent again: the id of its new message (one resend only)"),
        sa.Index("ix_outbox_pending", "sent_at", "next_attempt_at"),
    )


class CalendarPush:
    """A booking whose copies in the configured CalDAV calendars must follow it (okienko/notify/
    caldav_push.py): written in the booking's own transaction (`version` raised by each change,
    one row per booking, so only its latest state is pushed), done when `pushed_version` catches up."""

    __table__ = sa.Table(
        "calendar_pushes", metadata,
        column("booking_id", sa.String(32), sa.ForeignKey("bookings.id"), primary_key=True),
        foreign_key("office_id", "offices.id"),
        column("version", sa.Integer, default=1, doc="raised by every change the calendars must show"),
        column("pushed_version", sa.Integer, default=0, doc="the version the calendars show"),
        json_column("copies", doc="calendar key -> the ETag of the booking's resource there"),
        utc_column("changed_at"),
        utc_column("next_attempt_at"),
        utc_column("claimed_until", nullable=True),
        column("attempts", sa.Integer, default=0, doc="failed attempts since the last success"),
        column("last_error", sa.String(300), nullable=True),
        sa.Index("ix_calendar_pushes_due", "next_attempt_at"),
    )


class CalendarFeed:
    """A staff calendar feed's link (okienko/booking/staff_feeds.py): a service's or a window's
    booked visits; the token is in the link only, the SHA-256 here."""

    __table__ = sa.Table(
        "calendar_feeds", metadata,
        id_column(),
        foreign_key("office_id", "offices.id", index=True),
        column("token_hash", sa.String(64), unique=True),
        column("scope", sa.String(10), doc="service | window"),
        column("target", sa.String(40), doc="the service's code or the window's number"),
        column("with_names", sa.Boolean, default=False, doc="the visitors' names in the entries"),
        column("label", sa.String(100), default=""),
        column("created_by", sa.String(100)),
        utc_column("created_at"),
        utc_column("revoked_at", nullable=True),
    )

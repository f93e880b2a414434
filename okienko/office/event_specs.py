"""What an event (an information Saturday) may be: the rules a manager's form is checked by, and the
event as the back office and the audit log show it. Used by the front door, okienko/office/events.py.

One set of rules for creating, changing and publishing: `check_event` takes the whole event (a change
is applied to the stored event first), so a draft saved before a rule changed is checked again when
it is published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from okienko.errors import DomainError
from okienko.i18n import LANGUAGES
from okienko.office.directory import OfficeSetup
from okienko.office.hours import local_moment, office_day, wall_instant

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
SATURDAY = 5
DAY_MINUTES = 24 * 60
STATUSES = ("draft", "published", "cancelled")
FIELDS = ("date", "opens", "closes", "titles", "descriptions", "services", "booking_opens_at")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class EventSpec:
    """An event as a manager set it, checked: its date, hours (minutes after local midnight), texts
    per language, the codes of its services and when their booking opens (None: walk-in only)."""

    day: date
    opens_minute: int
    closes_minute: int
    titles: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    booking_opens_at: datetime | None = None

    @property
    def warnings(self) -> list[str]:
        """What is allowed but unusual: `not_saturday`."""
        return [] if self.day.weekday() == SATURDAY else ["not_saturday"]

    def row(self) -> dict[str, Any]:
        """The `events` columns this spec sets."""
        return {"day": self.day, "opens_minute": self.opens_minute, "closes_minute": self.closes_minute,
                "titles": dict(self.titles), "descriptions": dict(self.descriptions),
                "services": list(self.services), "booking_opens_at": self.booking_opens_at}


def spec_of(row: Any) -> EventSpec:
    """A stored event as a spec (not checked again)."""
    return EventSpec(day=row["day"], opens_minute=row["opens_minute"], closes_minute=row["closes_minute"],
                     titles=dict(row["titles"] or {}), descriptions=dict(row["descriptions"] or {}),
                     services=tuple(row["services"] or ()), booking_opens_at=row["booking_opens_at"])


def form_of(setup: OfficeSetup, spec: EventSpec) -> dict[str, Any]:
    """A spec in the form's words (what `check_event` reads back unchanged)."""
    return {"date": spec.day.isoformat(), "opens": hhmm(spec.opens_minute), "closes": hhmm(spec.closes_minute),
            "titles": dict(spec.titles), "descriptions": dict(spec.descriptions), "services": list(spec.services),
            "booking_opens_at": None if spec.booking_opens_at is None
            else spec.booking_opens_at.astimezone(setup.timezone).isoformat()}


def check_event(setup: OfficeSetup, form: dict[str, Any], event_only: set[str], now: datetime) -> EventSpec:
    """The event from the back office's form (every field of FIELDS), by the module's rules:
    a date after today (any weekday: not a Saturday is a warning, see `EventSpec.warnings`), hours
    within the day, a title in the office's default language, event-only services of the office
    (`event_only`: their codes), booking opening before the event starts, not on an office closure.
    A rule not met is a DomainError naming the `field`."""
    try:
        day = date.fromisoformat(str(form.get("date") or ""))
    except ValueError:
        raise DomainError("event_date_invalid", field="date") from None
    if day <= office_day(setup, now):
        raise DomainError("event_date_invalid", field="date")
    opens, closes = _minute(form.get("opens"), "opens"), _minute(form.get("closes"), "closes")
    if not 0 <= opens < closes <= DAY_MINUTES:
        raise DomainError("event_hours_invalid", field="closes")
    titles = _texts(form.get("titles"), "titles", MAX_TITLE)
    descriptions = _texts(form.get("descriptions"), "descriptions", MAX_DESCRIPTION)
    if not titles.get(setup.default_language):
        raise DomainError("event_title_missing", default=setup.default_language,
                          field=f"titles.{setup.default_language}")
    services = form.get("services") or []
    if not isinstance(services, list):
        raise DomainError("event_service_invalid", service="?", field="services")
    codes: list[str] = []
    for code in services:
        if not isinstance(code, str) or code not in event_only:
            raise DomainError("event_service_invalid", service=str(code), field="services")
        if code not in codes:
            codes.append(code)
    spec = EventSpec(day=day, opens_minute=opens, closes_minute=closes, titles=titles, descriptions=descriptions,
                     services=tuple(codes))
    starts = local_moment(setup, day, opens)
    opening = form.get("booking_opens_at")
    if opening not in (None, ""):
        booking_opens_at = _moment(setup, opening, starts)
        spec = EventSpec(**{**spec.__dict__, "booking_opens_at": booking_opens_at})
    if day in setup.closures:
        raise DomainError("event_on_closure", day=day, field="date")
    return spec


def _minute(value: Any, name: str) -> int:
    """"HH:MM" (24:00 for midnight at the end of the day) as minutes after midnight."""
    match = _HHMM.match(str(value or "").strip())
    if not match or int(match.group(2)) > 59 or int(match.group(1)) * 60 + int(match.group(2)) > DAY_MINUTES:
        raise DomainError("event_hours_invalid", field=name)
    return int(match.group(1)) * 60 + int(match.group(2))


def _texts(value: Any, name: str, most: int) -> dict[str, str]:
    """{language: text} in the office's languages, blanks left out."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError("event_text_invalid", title=MAX_TITLE, description=MAX_DESCRIPTION, field=name,
                          languages=", ".join(LANGUAGES))
    texts = {}
    for language, text in value.items():
        if language not in LANGUAGES or not isinstance(text, str) or len(text.strip()) > most:
            raise DomainError("event_text_invalid", title=MAX_TITLE, description=MAX_DESCRIPTION,
                              field=f"{name}.{language}", languages=", ".join(LANGUAGES))
        if text.strip():
            texts[language] = text.strip()
    return texts


def _moment(setup: OfficeSetup, value: Any, starts: datetime) -> datetime:
    """When booking opens: an ISO date-time (without an offset: the office's wall time), before `starts`."""
    shown = starts.astimezone(setup.timezone).strftime("%Y-%m-%d %H:%M")
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise DomainError("event_booking_opens_invalid", start=shown, field="booking_opens_at") from None
    moment = wall_instant(setup, moment) if moment.tzinfo is None else moment
    if moment >= starts:
        raise DomainError("event_booking_opens_invalid", start=shown, field="booking_opens_at")
    return moment


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def event_json(setup: OfficeSetup, row: Any, bookings: int | None = None) -> dict[str, Any]:
    """An event as the API and the back office show it (`bookings`: its confirmed bookings, where counted);
    the audit log keeps the same without the count."""
    spec = spec_of(row)
    shown = {"id": row["id"], **form_of(setup, spec), "status": row["status"], "sequence": row["sequence"],
             "warnings": spec.warnings, "created_at": row["created_at"].astimezone(setup.timezone).isoformat(),
             "updated_at": row["updated_at"].astimezone(setup.timezone).isoformat()}
    if bookings is not None:
        shown["bookings"] = bookings
    return shown


def audit_json(setup: OfficeSetup, row: Any) -> dict[str, Any]:
    shown = event_json(setup, row)
    for key in ("created_at", "updated_at", "warnings"):
        shown.pop(key)
    return shown

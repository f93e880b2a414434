"""The office as data: read an office TOML file, check it, and load it into the database.

Loading is an upsert by code/number/name, so it can be run again after an edit: tickets keep
pointing at the same services and windows, devices keep their tokens, and anything removed
from the file is switched off (never deleted: old tickets still refer to it).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from printers.connections import PrinterConfig
from okienko.booking.rules import BookingPolicy, SlotSchedule, quiet_span
from okienko.config_keys import Table, item_path, unknown_keys
from okienko.office.addresses import office_hosts, read_host_map, url_host
from okienko.storage.models import (Closure, DayHours, Device, Office, PriorityCategory, Service, ServiceHours, Window,
                                WindowService)
from okienko.hall.numbering import DEFAULT_DIGITS, DIGITS
from okienko.i18n import LANGUAGES, REQUIRED_TEXT_LANGUAGES, _

# The hall's two readerships at once: Polish for the office, English for everyone else, unless the
# office names its own (`board_languages`); boards take turns between them, and the spoken call follows.
DEFAULT_BOARD_LANGUAGES = ("pl", "en")
MAX_BOARD_LANGUAGES = 4
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RELEASE_MODES = ("first_come", "draw")
MAX_DRAW_MINUTES = 7 * 24 * 60
MAX_REMINDER_HOURS = 14 * 24   # two weeks: reminders are read near the visit
MAX_NUMBER = 1_000_000
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

# Every key the office file takes, table by table (docs/office-config.md documents each, a test
# checks); any other key stops the load with its path named (okienko/config_keys.py).
_PER_LANGUAGE = Table(tuple(LANGUAGES))
_PER_WEEKDAY = Table(WEEKDAYS)
SLOT_SCHEDULE = Table(("slot_minutes", "places", "breaks", "horizon_days", "first_day", "release_time",
                       "release_mode", "draw_minutes", "case_number"),
                      {"days": _PER_WEEKDAY, "what_to_bring": _PER_LANGUAGE})
OFFICE_FILE = Table(tables={
    "office": Table(("code", "name", "timezone", "default_language", "closed_on_public_holidays", "closures",
                     "priority_mode", "recalls_before_no_show", "transfer_position", "number_digits",
                     "board_languages", "public_url", "hosts"),
                    {"ticket_footer": _PER_LANGUAGE, "booking": Table(tuple(f.name for f in fields(BookingPolicy)))}),
    "service": Table(("code", "prefix", "number_digits", "average_service_minutes", "daily_limit",
                      "last_ticket_minutes_before_close", "walk_in", "event_only"),
                     {"names": _PER_LANGUAGE, "hours": _PER_WEEKDAY, "booking": SLOT_SCHEDULE}, named_by="code"),
    "window": Table(("number", "name", "services"), named_by="number"),
    "priority": Table(("code", "mark"), {"names": _PER_LANGUAGE}, named_by="code"),
    "kiosk": Table(("name",), {"printer": Table(tuple(f.name for f in fields(PrinterConfig)))}, named_by="name"),
    "board": Table(("name",), named_by="name"),
    "day": Table(("date", "hours", "services", "walk_in", "booking", "reason"), named_by="date"),
})
MAX_REASON = 200


class OfficeFileError(ValueError):
    """The office file has a mistake; the message says where.

    `message` is an English msgid (translated where it is shown: the CLI in the terminal's language,
    the back office's API in the user's), `field` the path of the key at fault (`service[0] (A).hours.mon`),
    `params` what the message names; str() is the English text."""

    def __init__(self, message: str, field: str = "", **params: Any) -> None:
        self.message_id = message
        self.field = field
        self.params = params
        super().__init__(message.format(field=field, **params))

    @property
    def arguments(self) -> dict[str, Any]:
        """The message's parameters, for `Translator.format(language, message_id, **arguments)`."""
        return {"field": self.field, **self.params}


@dataclass
class ServiceSpec:
    code: str
    prefix: str
    names: dict[str, str]
    average_service_minutes: float = 10.0
    daily_limit: int | None = None
    last_ticket_minutes_before_close: int = 15
    walk_in: bool = True
    event_only: bool = False    # offered only on the days of published events that list it
    number_digits: int = DEFAULT_DIGITS
    hours: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    booking: dict[str, Any] = field(default_factory=dict)


@dataclass
class DaySpec:
    """One date's own hours (`[[day]]`; the back office's days): `ranges` [] closes the date."""

    day: date
    ranges: list[tuple[int, int]] = field(default_factory=list)
    services: list[str] | None = None     # None: every service
    walk_in: bool = True
    booking: bool = True
    reason: str = ""


@dataclass
class OfficeSpec:
    code: str
    name: str
    timezone: str = "Europe/Warsaw"
    default_language: str = "pl"
    closed_on_public_holidays: bool = True
    priority_mode: str = "first"
    recalls_before_no_show: int = 1
    transfer_position: str = "end"
    ticket_footer: dict[str, str] = field(default_factory=dict)
    board_languages: tuple[str, ...] = DEFAULT_BOARD_LANGUAGES
    public_url: str = ""            # the office's own address (addresses.py); empty: OKIENKO_PUBLIC_URL
    hosts: tuple[str, ...] = ()     # more host names that reach the office's public pages
    closures: list[tuple[date, str]] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)
    windows: list[tuple[str, str, list[str]]] = field(default_factory=list)
    priorities: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    devices: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    booking_policy: dict[str, Any] = field(default_factory=dict)
    days: list[DaySpec] = field(default_factory=list)


def read_office_file(path: str | Path) -> OfficeSpec:
    """Parse and check an office file; raises OfficeFileError naming the bad key."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise OfficeFileError(_("cannot read {path}: {reason}"), path=str(path), reason=error.strerror) from None
    except tomllib.TOMLDecodeError as error:
        raise OfficeFileError(_("{path}: not valid TOML: {reason}"), path=str(path), reason=str(error)) from None
    return parse_office(raw)


def parse_office(raw: dict[str, Any]) -> OfficeSpec:
    """Check and read the office file's tables; OfficeFileError names every unknown key at once, else
    the first other mistake."""
    problems = unknown_keys(raw, OFFICE_FILE)
    if problems:
        raise OfficeFileError("{problems}", problems[0].partition(":")[0], problems="\n".join(problems))
    office = _table(raw, "office")
    spec = OfficeSpec(code=_text(office, "code", "office", 40), name=_text(office, "name", "office", 200))
    spec.timezone = str(office.get("timezone", spec.timezone))
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OfficeFileError(_("{field}: unknown time zone {value}"), "office.timezone", value=repr(spec.timezone)) from None
    spec.default_language = str(office.get("default_language", "pl"))
    if spec.default_language not in LANGUAGES:
        raise OfficeFileError(_("{field}: one of {choices}"), "office.default_language", choices=", ".join(LANGUAGES))
    spec.board_languages = board_languages(office.get("board_languages", list(DEFAULT_BOARD_LANGUAGES)),
                                           "office.board_languages")
    spec.public_url = public_url(office.get("public_url", ""), "office.public_url")
    spec.hosts = host_names(office.get("hosts", []), "office.hosts")
    spec.closed_on_public_holidays = bool(office.get("closed_on_public_holidays", True))
    spec.priority_mode = str(office.get("priority_mode", "first"))
    if spec.priority_mode not in ("first", "none"):
        raise OfficeFileError(_("{field}: {first} or {second}"), "office.priority_mode", first="'first'", second="'none'")
    spec.recalls_before_no_show = int(_number(office, "recalls_before_no_show", "office", 1))
    spec.transfer_position = str(office.get("transfer_position", "end"))
    if spec.transfer_position not in ("end", "original"):
        raise OfficeFileError(_("{field}: {first} or {second}"), "office.transfer_position", first="'end'",
                              second="'original'")
    spec.ticket_footer = {str(k): str(v) for k, v in office.get("ticket_footer", {}).items()}
    for index, value in enumerate(office.get("closures", [])):
        try:
            spec.closures.append((date.fromisoformat(str(value)), ""))
        except ValueError:
            raise OfficeFileError(_("{field}: {value} is not a date (YYYY-MM-DD)"), f"office.closures[{index}]",
                                      value=repr(value)) from None
    spec.booking_policy = _booking_policy(office.get("booking", {}), "office.booking")
    digits = _digits(office, "office", DEFAULT_DIGITS)
    spec.services = [_service(item, item_path("service", i, item, "code"), digits)
                     for i, item in enumerate(raw.get("service", []))]
    if not spec.services:
        raise OfficeFileError(_("the office has no [[service]]"), "service")
    _unique([s.code for s in spec.services], "service", _("service code {value} appears twice"))
    _unique([s.prefix for s in spec.services], "service", _("service prefix {value} appears twice"))
    codes = {s.code for s in spec.services}
    for i, item in enumerate(raw.get("window", [])):
        where = item_path("window", i, item, "number")
        served = [str(code) for code in item.get("services", [])]
        for code in served:
            if code not in codes:
                raise OfficeFileError(_("{field}: unknown service {value}"), f"{where}.services", value=repr(code))
        name = str(item.get("name", ""))
        if len(name) > 100:
            raise OfficeFileError(_("{field}: at most {most} characters"), f"{where}.name", most=100)
        spec.windows.append((_text(item, "number", where, 10), name, served))
    _unique([w[0] for w in spec.windows], "window", _("window number {value} appears twice"))
    for i, item in enumerate(raw.get("priority", [])):
        where = item_path("priority", i, item, "code")
        spec.priorities.append((_text(item, "code", where, 40), str(item.get("mark", "*"))[:8], _names(item, where)))
    _unique([p[0] for p in spec.priorities], "priority", _("priority code {value} appears twice"))
    closed = {day for day, _reason in spec.closures}
    spec.days = [parse_day(item, item_path("day", i, item, "date"), codes, closed)
                 for i, item in enumerate(raw.get("day", []))]
    _unique([d.day.isoformat() for d in spec.days], "day", _("day date {value} appears twice"))
    for kind in ("kiosk", "board"):
        for i, item in enumerate(raw.get(kind, [])):
            where = item_path(kind, i, item, "name")
            printer = dict(item.get("printer", {"kind": "none"})) if kind == "kiosk" else {}
            if printer:
                try:
                    PrinterConfig.from_mapping(printer)
                except ValueError as error:
                    raise OfficeFileError("{field}: {reason}", f"{where}.printer", reason=str(error)) from None
            spec.devices.append((kind, _text(item, "name", where, 100), printer))
    return spec


def parse_day(item: dict[str, Any], where: str, service_codes: set[str], closures: set[date]) -> DaySpec:
    """Check and read one date's own hours (a `[[day]]` of the office file, or the back office's
    form: the same rules and messages). `hours`: "HH:MM-HH:MM, ..." or a list of ranges, empty to
    close the date; `services`: codes (left out: every service); `walk_in` / `booking`: what the
    hours are for (at least one). Own hours on a date in `closures` are refused: the closure wins."""
    try:
        day = date.fromisoformat(str(item.get("date", "")))
    except ValueError:
        raise OfficeFileError(_("{field}: {value} is not a date (YYYY-MM-DD)"), f"{where}.date",
                              value=repr(item.get("date"))) from None
    hours = item.get("hours", "")
    parts = hours if isinstance(hours, list) else str(hours).split(",")
    ranges = sorted(_range(str(part).strip(), f"{where}.hours") for part in parts if str(part).strip())
    for (_a, closes), (opens, _b) in zip(ranges, ranges[1:]):
        if opens < closes:
            raise OfficeFileError(_("{field}: the ranges overlap"), f"{where}.hours")
    services = item.get("services")
    if services is not None:
        if not isinstance(services, list) or not services:
            raise OfficeFileError(_("{field}: a list of service codes (left out: every service)"), f"{where}.services")
        services = [str(code) for code in services]
        for code in services:
            if code not in service_codes:
                raise OfficeFileError(_("{field}: unknown service {value}"), f"{where}.services", value=repr(code))
        _unique(services, f"{where}.services", _("service code {value} appears twice"), indexed=False)
    spec = DaySpec(day=day, ranges=ranges, services=services, walk_in=_flag(item, "walk_in", where, True),
                   booking=_flag(item, "booking", where, True), reason=str(item.get("reason", "")).strip())
    if not (spec.walk_in or spec.booking):
        raise OfficeFileError(_("{field}: the hours are for walk_in, booking or both (both are false)"), where)
    if len(spec.reason) > MAX_REASON:
        raise OfficeFileError(_("{field}: at most {most} characters"), f"{where}.reason", most=MAX_REASON)
    if ranges and day in closures:
        raise OfficeFileError(_("{field}: {day} is in office.closures (closed): remove it there to open the date"),
                              f"{where}.hours", day=day.isoformat())
    return spec


def _service(item: dict[str, Any], where: str, default_digits: int = DEFAULT_DIGITS) -> ServiceSpec:
    service = ServiceSpec(code=_text(item, "code", where, 20), prefix=_text(item, "prefix", where),
                          names=_names(item, where))
    if not re.fullmatch(r"[A-Z]{1,2}", service.prefix):
        raise OfficeFileError(_("{field}: one or two capital letters, got {value}"), f"{where}.prefix",
                              value=repr(service.prefix))
    service.average_service_minutes = _number(item, "average_service_minutes", where, 10.0)
    limit = item.get("daily_limit")
    service.daily_limit = None if limit is None else int(_number(item, "daily_limit", where, 0))
    service.last_ticket_minutes_before_close = int(_number(item, "last_ticket_minutes_before_close", where, 15))
    service.walk_in = bool(item.get("walk_in", True))
    service.event_only = _flag(item, "event_only", where)
    service.number_digits = _digits(item, where, default_digits)
    for day, ranges in item.get("hours", {}).items():
        service.hours[WEEKDAYS.index(day)] = [_range(part.strip(), f"{where}.hours.{day}")
                                              for part in str(ranges).split(",") if part.strip()]
    if "booking" in item:
        # An event-only service's slots follow its events' hours: it needs no weekly booking days.
        service.booking = _slot_schedule(item["booking"], f"{where}.booking", days_required=not service.event_only)
    return service


def _booking_policy(raw: dict[str, Any], where: str) -> dict[str, Any]:
    policy = BookingPolicy()
    values: dict[str, Any] = {}
    for key, value in raw.items():   # only known keys: parse_office checked
        default = getattr(policy, key)
        if key == "reminders":
            values[key] = _reminders(value, f"{where}.{key}")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise OfficeFileError(_("{field}: expected true or false"), f"{where}.{key}")
            values[key] = value
        elif isinstance(default, int):
            values[key] = int(_number(raw, key, where, default))
        else:
            values[key] = str(value)
    if values.get("booked_order", "first") not in ("first", "service"):
        raise OfficeFileError(_("{field}: {first} or {second}"), f"{where}.booked_order", first="'first'",
                              second="'service'")
    _release_mode(values.get("release_mode"), f"{where}.release_mode")
    if "draw_minutes" in values:
        _draw_minutes(values, where)
    if values.get("freed_places", "random") not in ("random", "next_release"):
        raise OfficeFileError(_("{field}: {first} or {second}"), f"{where}.freed_places", first="'random'",
                              second="'next_release'")
    try:
        quiet_span(values.get("quiet_hours", ""))
    except ValueError:
        raise OfficeFileError(_("{field}: {value} is not HH:MM-HH:MM"), f"{where}.quiet_hours",
                              value=repr(values["quiet_hours"])) from None
    try:
        re.compile(values.get("case_number_pattern", ""))
    except re.error as error:
        raise OfficeFileError(_("{field}: not a regular expression ({reason})"), f"{where}.case_number_pattern",
                              reason=str(error)) from None
    return BookingPolicy(**values).to_mapping()


def _reminders(value: Any, where: str) -> tuple[int, ...]:
    """Hours before a visit, each from 1 to MAX_REMINDER_HOURS, none twice; [] for no reminders."""
    if not isinstance(value, list) or any(isinstance(hours, bool) or not isinstance(hours, int)
                                          or not 1 <= hours <= MAX_REMINDER_HOURS for hours in value):
        raise OfficeFileError(_("{field}: a list of whole hours from 1 to {most}, e.g. [24, 2]"), where,
                              most=MAX_REMINDER_HOURS)
    return tuple(sorted(set(value), reverse=True))


def _slot_schedule(raw: dict[str, Any], where: str, days_required: bool = True) -> dict[str, Any]:
    slot_minutes = int(_number(raw, "slot_minutes", where, 15))
    places = int(_number(raw, "places", where, 1))
    if slot_minutes < 5 or places < 1:
        raise OfficeFileError(_("{field}: slot_minutes must be at least 5 and places at least 1"), where)
    days: dict[int, list[tuple[int, int]]] = {}
    for day, ranges in raw.get("days", {}).items():
        days[WEEKDAYS.index(day)] = [_range(part.strip(), f"{where}.days.{day}")
                                     for part in str(ranges).split(",") if part.strip()]
    if not days and days_required:
        raise OfficeFileError(_("{field}: at least one day with hours"), f"{where}.days")
    breaks = [_range(str(text).strip(), f"{where}.breaks[{i}]") for i, text in enumerate(raw.get("breaks", []))]
    release = _RANGE.match(f"{raw.get('release_time', '06:00')}-23:59")
    if not release or int(release.group(1)) > 23 or int(release.group(2)) > 59:
        raise OfficeFileError(_("{field}: HH:MM, got {value}"), f"{where}.release_time",
                              value=repr(raw.get("release_time")))
    bring = {str(k): str(v) for k, v in raw.get("what_to_bring", {}).items()}
    missing = [language for language in REQUIRED_TEXT_LANGUAGES if bring and not bring.get(language)]
    if missing:
        raise OfficeFileError(_("{field}: missing {languages}"), f"{where}.what_to_bring", languages=", ".join(missing))
    schedule = SlotSchedule(
        slot_minutes=slot_minutes, places=places, days={d: tuple(r) for d, r in days.items()},
        breaks=tuple(breaks), horizon_days=int(_number(raw, "horizon_days", where, 30)),
        first_day=int(_number(raw, "first_day", where, 1)),
        release_minute=int(release.group(1)) * 60 + int(release.group(2)),
        what_to_bring=bring, release_mode=_release_mode(raw.get("release_mode"), f"{where}.release_mode"),
        draw_minutes=None if "draw_minutes" not in raw else _draw_minutes(raw, where),
        case_number=_flag(raw, "case_number", where))
    return schedule.to_mapping()


def _digits(item: dict[str, Any], where: str, default: int) -> int:
    value = item.get("number_digits", default)
    if isinstance(value, bool) or value not in DIGITS:
        raise OfficeFileError(_("{field}: {first} or {second}, got {value}"), f"{where}.number_digits",
                              first=str(DIGITS[0]), second=str(DIGITS[1]), value=repr(value))
    return int(value)


def _release_mode(value: Any, where: str) -> str | None:
    if value is not None and value not in RELEASE_MODES:
        raise OfficeFileError(_("{field}: one of {choices}"), where, choices=", ".join(RELEASE_MODES))
    return value


def _draw_minutes(raw: dict[str, Any], where: str) -> int:
    minutes = int(_number(raw, "draw_minutes", where, 60))
    if not 1 <= minutes <= MAX_DRAW_MINUTES:
        raise OfficeFileError(_("{field}: from 1 to {most} (one week)"), f"{where}.draw_minutes", most=MAX_DRAW_MINUTES)
    return minutes


def _flag(raw: dict[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise OfficeFileError(_("{field}: expected true or false"), f"{where}.{key}")
    return value


def _range(text: str, where: str) -> tuple[int, int]:
    match = _RANGE.match(text)
    if not match:
        raise OfficeFileError(_("{field}: {value} is not HH:MM-HH:MM"), where, value=repr(text))
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    opens, closes = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= opens < closes <= 24 * 60 and m1 < 60 and m2 < 60):
        raise OfficeFileError(_("{field}: {value} must open before it closes, within one day"), where, value=repr(text))
    return opens, closes


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise OfficeFileError(_("[{field}] is missing"), key)
    return value


def _text(item: dict[str, Any], key: str, where: str, most: int = 200) -> str:
    value = item.get(key)
    if value is None or str(value).strip() == "":
        raise OfficeFileError(_("{field} is missing"), f"{where}.{key}")
    if len(str(value).strip()) > most:   # what the database column holds
        raise OfficeFileError(_("{field}: at most {most} characters"), f"{where}.{key}", most=most)
    return str(value).strip()


def _number(item: dict[str, Any], key: str, where: str, default: float) -> float:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise OfficeFileError(_("{field}: expected a number >= 0, got {value}"), f"{where}.{key}", value=repr(value))
    if value > MAX_NUMBER:   # no count, limit or minutes of an office comes near; the database's columns hold it
        raise OfficeFileError(_("{field}: at most {most}"), f"{where}.{key}", most=MAX_NUMBER)
    return float(value)


def _names(item: dict[str, Any], where: str) -> dict[str, str]:
    names = {str(k): str(v) for k, v in item.get("names", {}).items()}
    missing = [lang for lang in REQUIRED_TEXT_LANGUAGES if not names.get(lang)]
    if missing:
        raise OfficeFileError(_("{field}: missing {languages}"), f"{where}.names", languages=", ".join(missing))
    return names


def _unique(values: list[str], where: str, message: str, indexed: bool = True) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            field = f"{where}[{values.index(value)}] ({value})" if indexed else where
            raise OfficeFileError(message, field, value=repr(value))
        seen.add(value)


def board_languages(value: Any, where: str) -> tuple[str, ...]:
    """The languages boards take turns in and speak, in order: one to four of LANGUAGES, each once;
    OfficeFileError names the entry at fault (`office.board_languages[1]`)."""
    # Four at most of the nine: each label takes its turn (6 s) and each call is said in every one.
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_BOARD_LANGUAGES:
        raise OfficeFileError(_("{field}: a list of one to four of {choices}"), where, choices=", ".join(LANGUAGES))
    for index, code in enumerate(value):
        if code not in LANGUAGES:
            raise OfficeFileError(_("{field}: {value} is not one of {choices}"), f"{where}[{index}]",
                                  value=repr(code), choices=", ".join(LANGUAGES))
        if code in value[:index]:
            raise OfficeFileError(_("{field}: {value} appears twice"), f"{where}[{index}]", value=repr(code))
    return tuple(str(code) for code in value)


def public_url(value: Any, where: str) -> str:
    """`https://host[:port]` (or http), no path: the office's own public address, '' for none."""
    if not isinstance(value, str):
        raise OfficeFileError(_("{field}: expected text, got {value}"), where, value=repr(value))
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        parts = parts._replace(netloc="")
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query
            or parts.fragment or "@" in parts.netloc or len(value) > 300):
        raise OfficeFileError(_("{field}: {value} is not an address like https://kolejka.example.gov.pl"),
                              where, value=repr(value))
    return value


def host_names(value: Any, where: str) -> tuple[str, ...]:
    """Host names (`kolejka.example.gov.pl`), each once, without scheme, port or path."""
    if not isinstance(value, list):
        raise OfficeFileError(_("{field}: expected a list, got {value}"), where, value=repr(value))
    names: list[str] = []
    for index, item in enumerate(value):
        name = str(item).strip().lower().rstrip(".")
        if not isinstance(item, str) or not _HOST.match(name):
            raise OfficeFileError(_("{field}: {value} is not a host name like kolejka.example.gov.pl"),
                                  f"{where}[{index}]", value=repr(item))
        if name in names:
            raise OfficeFileError(_("{field}: {value} appears twice"), f"{where}[{index}]", value=repr(item))
        names.append(name)
    return tuple(names)


async def _check_hosts_free(conn: AsyncConnection, spec: OfficeSpec) -> None:
    """A host reaches one office: another office's host is refused, by the key that names it."""
    taken = await read_host_map(conn)
    for host in office_hosts(spec.public_url, spec.hosts):
        if taken.get(host, spec.code) != spec.code:
            where = "office.public_url" if host == url_host(spec.public_url) else f"office.hosts[{spec.hosts.index(host)}]"
            raise OfficeFileError(_("{field}: {value} already reaches office {office}"), where, value=repr(host),
                                  office=taken[host])


async def load_office(conn: AsyncConnection, spec: OfficeSpec, *, always_open: bool | None = None) -> int:
    """Write the office into the database (upsert); returns the office id. A host name (its
    `public_url`'s or in `hosts`) another office already has stops the load."""
    await _check_hosts_free(conn, spec)
    office_id = await _upsert(conn, Office, {"code": spec.code}, {
        "public_url": spec.public_url, "hosts": list(spec.hosts),
        "name": spec.name, "timezone": spec.timezone, "default_language": spec.default_language,
        "closed_on_public_holidays": spec.closed_on_public_holidays, "priority_mode": spec.priority_mode,
        "ticket_footer": spec.ticket_footer, "board_languages": list(spec.board_languages),
        "recalls_before_no_show": spec.recalls_before_no_show,
        "transfer_position": spec.transfer_position, "booking_policy": spec.booking_policy,
        **({} if always_open is None else {"always_open": always_open}),
    })
    service_ids: dict[str, int] = {}
    await _deactivate(conn, Service, office_id)
    for order, service in enumerate(spec.services):
        service_ids[service.code] = await _upsert(conn, Service, {"office_id": office_id, "code": service.code}, {
            "prefix": service.prefix, "names": service.names, "active": True, "sort_order": order,
            "average_service_minutes": service.average_service_minutes, "daily_limit": service.daily_limit,
            "last_ticket_minutes_before_close": service.last_ticket_minutes_before_close,
            "walk_in": service.walk_in, "booking": service.booking, "number_digits": service.number_digits,
            "event_only": service.event_only,
        })
        hours = ServiceHours.__table__
        await conn.execute(sa.delete(hours).where(hours.c.service_id == service_ids[service.code]))
        rows = [{"service_id": service_ids[service.code], "weekday": day, "opens_minute": o, "closes_minute": c}
                for day, ranges in service.hours.items() for o, c in ranges]
        if rows:
            await conn.execute(sa.insert(hours), rows)
    await _deactivate(conn, Window, office_id)
    links = WindowService.__table__
    for number, name, served in spec.windows:
        window_id = await _upsert(conn, Window, {"office_id": office_id, "number": number},
                                  {"name": name, "active": True})
        await conn.execute(sa.delete(links).where(links.c.window_id == window_id))
        if served:
            await conn.execute(sa.insert(links), [{"window_id": window_id, "service_id": service_ids[code],
                                                   "position": pos} for pos, code in enumerate(served)])
    await _deactivate(conn, PriorityCategory, office_id)
    for order, (code, mark, names) in enumerate(spec.priorities):
        await _upsert(conn, PriorityCategory, {"office_id": office_id, "code": code},
                      {"mark": mark, "names": names, "sort_order": order, "active": True})
    closures = Closure.__table__
    await conn.execute(sa.delete(closures).where(closures.c.office_id == office_id))
    if spec.closures:
        await conn.execute(sa.insert(closures), [{"office_id": office_id, "day": day, "reason": reason}
                                                 for day, reason in spec.closures])
    await write_days(conn, office_id, spec.days, service_ids)
    await _deactivate(conn, Device, office_id)
    for kind, name, printer in spec.devices:
        await _upsert(conn, Device, {"office_id": office_id, "kind": kind, "name": name},
                      {"printer": printer, "active": True})
    return office_id


async def write_days(conn: AsyncConnection, office_id: int, days: list[DaySpec], service_ids: dict[str, int],
                     only: date | None = None) -> None:
    """Replace the office's dates with their own hours by `days` (with `only`: that date's alone)."""
    table = DayHours.__table__
    await conn.execute(sa.delete(table).where(table.c.office_id == office_id,
                                              *(() if only is None else (table.c.day == only,))))
    rows = [{"office_id": office_id, "day": spec.day, "service_id": None if code is None else service_ids[code],
             "ranges": [list(r) for r in spec.ranges], "walk_in": spec.walk_in, "booking": spec.booking,
             "reason": spec.reason}
            for spec in days for code in (spec.services or [None])]
    if rows:
        await conn.execute(sa.insert(table), rows)


async def _upsert(conn: AsyncConnection, model: Any, keys: dict[str, Any], values: dict[str, Any]) -> int:
    table = model.__table__
    where = sa.and_(*(table.c[k] == v for k, v in keys.items()))
    existing = (await conn.execute(sa.select(table.c.id).where(where))).scalar()
    if existing is not None:
        await conn.execute(sa.update(table).where(table.c.id == existing).values(**values))
        return int(existing)
    # the columns' defaults fill in what the office file leaves out
    result = await conn.execute(sa.insert(table).values(**keys, **values).returning(table.c.id))
    return int(result.scalar_one())


async def _deactivate(conn: AsyncConnection, model: Any, office_id: int) -> None:
    table = model.__table__
    await conn.execute(sa.update(table).where(table.c.office_id == office_id).values(active=False))

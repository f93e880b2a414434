"""What each JSON request body may hold: its fields and their JSON types, in one place.

The OpenAPI document shows these schemas as they are (`additionalProperties: false`), and
`read_json` holds every request to them: a field not listed is `unknown_field`, a value of
another JSON type `wrong_type`. What a value must be beyond its type (a service that exists, a
date, a language we speak) the handlers and the core check, with their own errors.
"""

from __future__ import annotations

from typing import Any

from okienko.errors import DomainError
from okienko.i18n import LANGUAGES

MAX_NAMED_FIELD = 40   # an unknown field's name is quoted back at most this long
STR = {"type": "string"}
SERVICE = {"type": "string", "description": "service code (or its prefix)", "example": "A"}
TIME = {"type": "string", "format": "date-time", "description": "local time with its UTC offset",
        "example": "2026-12-03T10:00:00+01:00"}
LANGUAGE = {"type": "string", "enum": list(LANGUAGES), "description": "the language of the answer "
            "(and of the messages that follow)"}
RANGE = {"type": "object", "required": ["from", "to"], "properties": {
    "from": {"type": "string", "example": "08:00"}, "to": {"type": "string", "example": "10:00"}}}


def closed_object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A body's schema: these fields and no other."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


PERSON_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "description": "full name as in the travel document", "example": "Olena Kovalenko"},
    "birth_date": {"type": "string", "format": "date", "example": "1990-04-12"},
    "document_number": {"type": "string", "description": "5-20 letters and digits; stored as a keyed hash",
                        "example": "FE 123456"},
    "document_country": {"type": "string", "description": "the document's issuing country, ISO 3166-1 "
                         "alpha-2 (e.g. UA); with the number, what makes the same person. Optional (\"\": unknown)",
                         "example": "UA"},
    "case_number": {"type": "string", "description": "the case number (znak sprawy), required by services "
                    "with case_number = true; upper-cased, spaces removed, matched against the office's pattern; "
                    "stored as a keyed hash"},
    "phone": {"type": "string", "description": "with country code; 9 digits alone are taken as Polish",
              "example": "+48 600 700 800"},
    "email": {"type": "string", "format": "email", "example": "olena@example.com"},
    "language": LANGUAGE,
}
PERSON_REQUIRED = ("name", "birth_date", "document_number", "email")
PERSON = closed_object(PERSON_PROPERTIES, PERSON_REQUIRED)

# The kiosk's and the clerk's bodies.
TICKET = closed_object({
    "service": SERVICE, "language": LANGUAGE,
    "priority": {"type": "string", "nullable": True, "description": "a priority category code"}}, ("service",))
CHECK_IN = closed_object({"code": {**STR, "description": "the booking code", "example": "K7M3QD"},
                          "language": LANGUAGE}, ("code",))
TICKET_PHONE = closed_object({"phone": {**STR, "description": "a mobile number with its country code (a 9-digit "
                                                          "number is taken as Polish)", "example": "+48 600 700 800"}},
                             ("phone",))
TICKET_ACTION = closed_object({"service": {**SERVICE, "description": "transfer: the service to join (the other "
                                                                     "actions take no body)"}})
DOCUMENT_CHECK = closed_object({
    "document_number": {"type": "string", "description": "any case, spaces or dashes", "example": "FE 123456"},
    "document_country": {"type": "string", "description": "ISO 3166-1 alpha-2; optional", "example": "UA"}},
    ("document_number",))
LEAVE = closed_object({"ticket": {"type": "string", "enum": ["return", "no_show", "finish"], "nullable": True,
                                  "description": "what becomes of the ticket in hand: back to its place in the "
                                                 "queue, not present, or the visit finished (required when "
                                                 "there is one)"}})
CALL = closed_object({"number": {"type": "string", "description": "a ticket waiting in a queue of this window",
                                 "example": "A004"}}, ("number",))
PAUSE = closed_object({"paused": {"type": "boolean"}}, ("paused",))
TICKER = closed_object({"text": {"type": "string", "maxLength": 500}}, ("text",))

# The back office's office set-up (booking_api/admin_office.py): the office file's keys and values
# (docs/office-config.md); hours may be given as a list of ranges or as the file's one text.
NAMES = {"type": "object", "additionalProperties": False, "description": "per language (pl, en, uk, ru)",
         "properties": {language: {"type": "string", "maxLength": 200} for language in LANGUAGES}}
RANGES = {"anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 12}, STR],
          "description": "opening ranges, e.g. [\"08:00-12:00\", \"13:00-15:00\"]; [] for none",
          "example": ["08:00-15:00"]}
WEEK = {"type": "object", "additionalProperties": False,
        "properties": {day: RANGES for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
SLOT_SCHEDULE = {"type": "object", "nullable": True, "additionalProperties": False,
                 "description": "the online booking schedule ([service.booking]); null: not bookable online",
                 "properties": {
                     "slot_minutes": {"type": "integer"}, "places": {"type": "integer"}, "days": WEEK,
                     "breaks": {"type": "array", "items": {"type": "string"}}, "horizon_days": {"type": "integer"},
                     "first_day": {"type": "integer"}, "release_time": {"type": "string", "example": "06:00"},
                     "release_mode": {"type": "string", "enum": ["first_come", "draw"]},
                     "draw_minutes": {"type": "integer"}, "case_number": {"type": "boolean"},
                     "what_to_bring": NAMES}}
SERVICE_FIELDS: dict[str, Any] = {
    "prefix": {"type": "string", "maxLength": 2, "example": "A"}, "names": NAMES,
    "number_digits": {"type": "integer", "enum": [3, 4]},
    "average_service_minutes": {"type": "number"}, "daily_limit": {"type": "integer", "nullable": True},
    "last_ticket_minutes_before_close": {"type": "integer"}, "walk_in": {"type": "boolean"},
    "event_only": {"type": "boolean", "description": "offered only on the days of published events that list it "
                                                    "(information Saturdays); needs no weekly hours"},
    "hours": WEEK, "booking": SLOT_SCHEDULE}
SERVICE_NEW = closed_object({"code": {"type": "string", "maxLength": 20, "example": "A"}, **SERVICE_FIELDS},
                            ("code", "prefix", "names"))
CONFIRM_CUT = {"confirm": {"type": "boolean", "description": "go ahead although booked visits lose their slot "
                                                             "(`bookings_cut_off`); their people are told"}}
SERVICE_EDIT = closed_object({**SERVICE_FIELDS, **CONFIRM_CUT})
OFFICE_EDIT = closed_object({
    "name": {"type": "string", "maxLength": 200}, "timezone": {"type": "string", "example": "Europe/Warsaw"},
    "default_language": {"type": "string", "enum": list(LANGUAGES)},
    "closed_on_public_holidays": {"type": "boolean"}, "priority_mode": {"type": "string", "enum": ["first", "none"]},
    "recalls_before_no_show": {"type": "integer"},
    "transfer_position": {"type": "string", "enum": ["end", "original"]},
    "number_digits": {"type": "integer", "enum": [3, 4]},
    "closures": {"type": "array", "items": {"type": "string", "format": "date"}},
    "ticket_footer": NAMES,
    "board_languages": {"type": "array", "items": {"type": "string"},
                        "description": "the languages the boards take turns in and speak, in order"},
    "booking": {"type": "object", "description": "the office's booking rules ([office.booking])"}, **CONFIRM_CUT})
WINDOW_FIELDS: dict[str, Any] = {"name": {"type": "string", "maxLength": 100},
                                 "services": {"type": "array", "items": {"type": "string"},
                                              "description": "service codes, in the order the window calls them"}}
WINDOW_NEW = closed_object({"number": {"type": "string", "maxLength": 10, "example": "7"}, **WINDOW_FIELDS},
                           ("number",))
WINDOW_EDIT = closed_object(WINDOW_FIELDS)
PRIORITY_FIELDS: dict[str, Any] = {"mark": {"type": "string", "maxLength": 8, "example": "♿"}, "names": NAMES}
PRIORITY_NEW = closed_object({"code": {"type": "string", "maxLength": 40, "example": "disability"},
                              **PRIORITY_FIELDS}, ("code", "names"))
PRIORITY_EDIT = closed_object(PRIORITY_FIELDS)
SWITCH = closed_object({"confirm": {"type": "boolean", "description": "switch a service off even though people "
                                                                     "wait for it (their tickets are cancelled)"}})
NOTICE_LINES = {**NAMES, "properties": {language: {"type": "string", "maxLength": 500} for language in LANGUAGES}}
NOTICES = closed_object({"ticker": NOTICE_LINES, "kiosk": NOTICE_LINES})

# The back office's bodies: today, devices, staff.
HAND = closed_object({"window": {"type": "string", "description": "the window to call the ticket to",
                                 "example": "2"}}, ("window",))
DEVICE_NAME = {"type": "string", "maxLength": 100, "description": "1-100 letters, digits, spaces, . - _",
               "example": "hall-north"}
NEW_DEVICE = closed_object({"kind": {"type": "string", "enum": ["kiosk", "board"]}, "name": DEVICE_NAME},
                           ("kind", "name"))
NEW_CALENDAR_FEED = closed_object({
    "scope": {"type": "string", "enum": ["service", "window"], "description": "a service's visits, or those of "
              "every service a window serves"},
    "target": {"type": "string", "maxLength": 40, "description": "the service's code or the window's number",
               "example": "A"},
    "with_names": {"type": "boolean", "description": "the visitors' names in the entries (default false: the "
                   "booking code and the service only)"},
    "label": {"type": "string", "maxLength": 100, "description": "what the link is for, e.g. whose phone",
              "example": "Okno 3, Anna"}}, ("scope", "target"))
RENAME_DEVICE = closed_object({"name": DEVICE_NAME}, ("name",))
ROLE = {"type": "string", "enum": ["clerk", "operator", "manager", "admin"],
        "description": "only an administrator gives the role admin"}
NEW_USER = closed_object({"username": {"type": "string", "maxLength": 100, "example": "anna.nowak"}, "role": ROLE},
                         ("username", "role"))
USER_ROLE = closed_object({"role": ROLE}, ("role",))

# The public's bodies: booking, the waiting list, draws.
ONE_TIME_CODE = closed_object({"code": {"anyOf": [STR, {"type": "integer"}], "example": "123456",
                                        "description": "the code sent by email (text or a number)"},
                               "language": LANGUAGE}, ("code",))
HOLD = closed_object({**PERSON_PROPERTIES, "service": SERVICE, "start": TIME}, (*PERSON_REQUIRED, "service", "start"))
WAITLIST = closed_object({**PERSON_PROPERTIES, "service": SERVICE}, (*PERSON_REQUIRED, "service"))
LINK_SECRET = closed_object({"secret": STR, "language": LANGUAGE}, ("secret",))
RESCHEDULE = closed_object({"secret": STR, "start": TIME, "language": LANGUAGE}, ("secret", "start"))
DRAW_ENTRY = closed_object({**PERSON_PROPERTIES, "preferences": {
    "type": "array", "nullable": True, "maxItems": 3, "items": RANGE,
    "description": "up to three time ranges, the preferred first; none or null: any time that day"}}, PERSON_REQUIRED)
DRAW_RECEIPT = closed_object({"receipt": STR, "language": LANGUAGE}, ("receipt",))

# The back office's bodies (/api/v1/admin/, docs/api.md): days and bookings.
DAY_HOURS = closed_object({
    "hours": {"type": "array", "items": {"type": "string", "example": "08:00-12:00"}, "maxItems": 12,
              "description": "the date's own hours, HH:MM-HH:MM each; [] closes the date"},
    "services": {"type": "array", "items": STR, "nullable": True, "maxItems": 100,
                 "description": "the services the hours are for; null or left out: every service"},
    "walk_in": {"type": "boolean", "description": "the hours are for walk-in tickets (default true)"},
    "booking": {"type": "boolean", "description": "the hours are for booked slots (default true)"},
    "reason": {"type": "string", "maxLength": 200, "description": "shown to staff, e.g. “staff training”"},
    "language": LANGUAGE}, ("hours",))
CLOSURE_CALENDAR = closed_object({
    "name": {"type": "string", "maxLength": 100, "description": "how the back office names it",
             "example": "Zamknięcia urzędu"},
    "url": {"type": "string", "maxLength": 2000, "description": "an http(s) address of an .ics file, or of a "
            "CalDAV collection (kind caldav); may carry a token: it is shown and logged by its host only",
            "example": "https://cloud.example.gov.pl/remote.php/dav/public-calendars/AbC123?export"},
    "kind": {"type": "string", "enum": ["ics", "caldav"], "description": "ics (GET, default) or caldav "
             "(a calendar-query REPORT)"},
    "language": LANGUAGE}, ("name", "url"))
CLOSURE_IMPORT = closed_object({
    "ics": {"type": "string", "description": "the .ics file's text (UTF-8), at most max_body_bytes in all"},
    "language": LANGUAGE}, ("ics",))
ADMIN_CANCEL = closed_object({"reason": {"type": "string", "maxLength": 200,
                                         "description": "kept in the audit log (not sent to the visitor)"},
                              "language": LANGUAGE})
ADMIN_MOVE = closed_object({"starts_at": TIME, "language": LANGUAGE}, ("starts_at",))

# The back office's events (information Saturdays; booking_api/admin_events.py, okienko/office/events.py).
EVENT_TEXTS = {"type": "object", "additionalProperties": False, "description": "per language (pl, en, uk, ru)",
               "properties": {language: {"type": "string", "maxLength": 2000} for language in LANGUAGES}}
EVENT_FIELDS: dict[str, Any] = {
    "date": {"type": "string", "format": "date", "example": "2027-03-13",
             "description": "after today; not a Saturday is allowed with the warning `not_saturday`"},
    "opens": {"type": "string", "example": "08:00", "description": "HH:MM, 24-hour"},
    "closes": {"type": "string", "example": "15:00", "description": "HH:MM, after `opens` (24:00 at most)"},
    "titles": {**EVENT_TEXTS, "description": "per language; required in the office's default language, "
                                             "at most 200 characters each"},
    "descriptions": {**EVENT_TEXTS, "description": "per language, at most 2000 characters each"},
    "services": {"type": "array", "items": STR, "maxItems": 50,
                 "description": "codes of the office's event-only services"},
    "booking_opens_at": {"type": "string", "nullable": True, "example": "2027-02-27T08:00:00+01:00",
                         "description": "when its slots can be booked (without an offset: the office's "
                                        "time), before the event starts; null: walk-in only"},
    "language": LANGUAGE}
EVENT_NEW = closed_object(EVENT_FIELDS, ("date", "opens", "closes", "titles"))
EVENT_EDIT = closed_object({**EVENT_FIELDS, "preview": {
    "type": "boolean", "description": "only say who would be told (nothing is changed)"}})
EVENT_CANCEL = closed_object({"preview": {"type": "boolean", "description": "only say who would be told "
                                                                           "(nothing is changed)"},
                              "language": LANGUAGE})

# The call centre's bodies (/api/v1/call-centre/, docs/call-centre.md).
CALL_CENTRE_BOOKING = closed_object({**PERSON_PROPERTIES, "service": SERVICE, "start": TIME, "language": LANGUAGE,
                                     "caller_language": {"type": "string", "enum": list(LANGUAGES),
                                                         "description": "the language of the caller's messages "
                                                                        "(SMS, email); default: `language`"}},
                                    ("name", "birth_date", "document_number", "service", "start"))
CALL_CENTRE_DRAW_ENTRY = closed_object({
    **PERSON_PROPERTIES, "language": LANGUAGE, "caller_language": CALL_CENTRE_BOOKING["properties"]["caller_language"],
    "preferences": DRAW_ENTRY["properties"]["preferences"]}, ("name", "birth_date", "document_number"))
IDENTITY_PROPERTIES: dict[str, Any] = {
    "name": {**STR, "description": "the caller's full name as in the travel document", "example": "Olena Kovalenko"},
    "birth_date": {"type": "string", "format": "date", "example": "1990-04-12"},
    "document_end": {**STR, "description": "the last characters of the travel document's number (at least two; "
                     "the last two are what a booking keeps)", "example": "56"},
}
IDENTITY_REQUIRED = ("name", "birth_date", "document_end")
CALL_CENTRE_LOOKUP = closed_object({**IDENTITY_PROPERTIES, "language": LANGUAGE}, IDENTITY_REQUIRED)
CALL_CENTRE_MOVE = closed_object({**IDENTITY_PROPERTIES, "starts_at": TIME, "language": LANGUAGE},
                                 (*IDENTITY_REQUIRED, "starts_at"))
CALL_CENTRE_CANCEL = closed_object({**IDENTITY_PROPERTIES, "reason": {
    "type": "string", "maxLength": 200, "description": "kept in the audit log (not sent to the caller)"},
    "language": LANGUAGE}, IDENTITY_REQUIRED)

_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,), "array": (list,),
                                            "object": (dict,), "integer": (int,), "number": (int, float)}


def check_body(body: dict[str, Any], schema: dict[str, Any]) -> None:
    """`unknown_field` naming the fields `schema` does not list (a misspelt field is an error,
    never silently ignored), else `wrong_type` for the first field whose value has another JSON
    type than `schema` gives it."""
    properties = schema["properties"]
    unknown = sorted(name for name in body if name not in properties)
    if unknown:
        named = ", ".join(f"“{name[:MAX_NAMED_FIELD]}”" for name in unknown[:3])
        raise DomainError("unknown_field", names=named + (", …" if len(unknown) > 3 else ""))
    for name in sorted(body):
        _check_value(body[name], properties[name], name)


def _check_value(value: Any, schema: dict[str, Any], field: str) -> None:
    """`wrong_type` unless `value` has a JSON type `schema` allows; inside a closed object (one that
    lists its keys, `additionalProperties: false`) each listed key's value too, and each item of a
    list of plain values. Keys such an object does not list are left to the handler (the office
    file's own check names them with their path)."""
    expected = json_types(schema)
    if not any(_is(value, kind) for kind in expected):
        raise DomainError("wrong_type", field=field[:MAX_NAMED_FIELD * 2], expected=expected)
    options = schema.get("anyOf", [schema])
    if isinstance(value, dict):
        inner = next((option for option in options if option.get("type") == "object"), {})
        if inner.get("additionalProperties") is False:
            for name, item in value.items():
                if name in inner.get("properties", {}):
                    _check_value(item, inner["properties"][name], f"{field}.{name}")
    elif isinstance(value, list):
        inner = next((option for option in options if option.get("type") == "array"), {})
        items = inner.get("items", {})
        if "type" in items and "properties" not in items:
            for index, item in enumerate(value):
                _check_value(item, items, f"{field}[{index}]")


def json_types(schema: dict[str, Any]) -> tuple[str, ...]:
    """The JSON types a property's schema allows ("null" where it is nullable)."""
    if "anyOf" in schema:
        return tuple(kind for option in schema["anyOf"] for kind in json_types(option))
    return (schema["type"], "null") if schema.get("nullable") else (schema["type"],)


def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if isinstance(value, bool):   # JSON's true is no number, though Python's True is an int
        return kind == "boolean"
    return isinstance(value, _JSON_TYPES[kind])

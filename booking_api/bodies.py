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

# The back office's bodies: today, devices, staff.
HAND = closed_object({"window": {"type": "string", "description": "the window to call the ticket to",
                                 "example": "2"}}, ("window",))
DEVICE_NAME = {"type": "string", "maxLength": 100, "description": "1-100 letters, digits, spaces, . - _",
               "example": "hall-north"}
NEW_DEVICE = closed_object({"kind": {"type": "string", "enum": ["kiosk", "board"]}, "name": DEVICE_NAME},
                           ("kind", "name"))
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
ADMIN_CANCEL = closed_object({"reason": {"type": "string", "maxLength": 200,
                                         "description": "kept in the audit log (not sent to the visitor)"},
                              "language": LANGUAGE})
ADMIN_MOVE = closed_object({"starts_at": TIME, "language": LANGUAGE}, ("starts_at",))

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
        expected = json_types(properties[name])
        if not any(_is(body[name], kind) for kind in expected):
            raise DomainError("wrong_type", field=name, expected=expected)


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

"""The online-booking part of the OpenAPI document (merged into booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies

STR = {"type": "string"}
TIME = {"type": "string", "format": "date-time", "description": "local time with its UTC offset"}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "example": "K7M3QD"},
        "description": "the 6-character booking code"}
SECRET = {"name": "secret", "in": "query", "required": True, "schema": STR,
          "description": "the secret of the booking's link (also accepted as the X-Booking-Secret header)"}
OFFICE = {"name": "office", "in": "query", "required": False, "schema": STR,
          "description": "office code; default: the server's office"}

SCHEMAS: dict[str, Any] = {
    "SlotListing": {"type": "object", "properties": {
        "service": STR, "timezone": STR, "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"}, "places_per_slot": {"type": "integer"},
        "slot_minutes": {"type": "integer"}, "next_release_at": TIME,
        "release_mode": {"type": "string", "enum": ["first_come", "draw"]},
        "next_draw": {"type": "object", "nullable": True, "description": "the service's current or next draw",
                      "properties": {"id": {"type": "integer"}, "day": {"type": "string", "format": "date"},
                                     "opens_at": TIME, "closes_at": TIME, "status": STR, "commitment": STR}},
        "days": {"type": "array", "items": {"type": "object", "properties": {
            "date": {"type": "string", "format": "date"},
            "draw": {"type": "object", "nullable": True,
                     "description": "a day whose places are the draw's until it has run (its slots are then "
                                    "empty); null otherwise",
                     "properties": {"id": {"type": "integer", "nullable": True},
                                    "status": {"type": "string", "enum": ["upcoming", "open", "closed"]},
                                    "opens_at": TIME, "closes_at": TIME}},
            "closed": {"type": "string", "nullable": True, "description": "\"holiday: <name>\" or \"closure\""},
            "holiday": {"type": "string", "nullable": True, "description": "the holiday's name in the "
                                                                          "request's language (English for ru)"},
            "slots": {"type": "array", "items": {"type": "object", "properties": {
                "start": TIME, "end": TIME, "places": {"type": "integer"}, "free": {"type": "integer"}}}}}}}}},
    "Person": bodies.PERSON,
    "Booking": {"type": "object", "properties": {
        "code": STR, "status": {"type": "string", "enum": ["confirmed", "cancelled", "checked_in", "no_show"]},
        "service": STR, "service_name": STR, "start": TIME, "end": TIME, "timezone": STR, "office": STR,
        "person": {"type": "object", "properties": {"name": STR, "birth_date": STR,
                                                    "document": {"type": "string", "description": "masked"}}},
        "email": {"type": "string", "description": "masked"}, "what_to_bring": STR,
        "change_until": {**TIME, "description": "moving is possible until this moment"},
        "cancel_until": {**TIME, "description": "cancelling is possible until this moment (the visit's start)"},
        "check_in_from": {**TIME, "description": "the kiosk takes the booking code from this moment"},
        "check_in_until": {**TIME, "description": "... until this moment; later the booking is a no-show"},
        "flag": {"type": "string", "nullable": True, "description": "day_closed: the office closed that day"},
        "calendar_uid": STR, "sequence": {"type": "integer"}}},
}



def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body (its schema from booking_api/bodies.py, as the API holds it)."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The booking paths, built with openapi.py's helpers."""
    body = json_body
    return {
        "/api/v1/slots": {"get": {
            "summary": "Bookable slots of a service with their free places (closed days listed with the reason). "
                       "Served from a cache of about a second; a booking always checks the real count.",
            "parameters": [{"name": "service", "in": "query", "required": True, "schema": STR, "example": "A"},
                           {"name": "from", "in": "query", "required": False,
                            "schema": {"type": "string", "format": "date"}},
                           {"name": "to", "in": "query", "required": False,
                            "schema": {"type": "string", "format": "date"}, "description": "at most 62 days"},
                           {"name": "booking", "in": "query", "required": False, "schema": STR,
                            "description": "with `secret`: the code of a booking of this service whose day the "
                                           "office closed (flag day_closed): the listing also holds the days "
                                           "it may move to before the public can (rebook_ahead_days)"},
                           {"name": "secret", "in": "query", "required": False, "schema": STR,
                            "description": "the secret of that booking's link"},
                           OFFICE, lang],
            "responses": {"200": json(ref("SlotListing"), "the slots"), **errors(400, 404, 409, 429)}}},
        "/api/v1/bookings": {"post": {
            "summary": "Hold a slot for a person; a one-time code goes to their email (and SMS where configured). "
                       "The hold frees itself after the office's hold_minutes.",
            "parameters": [OFFICE, lang],
            "requestBody": body(bodies.HOLD),
            "responses": {"202": json({"type": "object", "properties": {
                "id": STR, "status": STR, "expires_at": TIME, "start": TIME, "confirm_url": STR,
                "sent_to": {"type": "object", "properties": {"email": STR, "sms": STR}}}}, "held"),
                **errors(400, 404, 409, 422, 429, 503)}}},
        "/api/v1/bookings/{booking_id}/confirm": {"post": {
            "summary": "Confirm a hold with the one-time code: the booking and its code, the link secret (shown "
                       "once) and the manage link",
            "parameters": [{"name": "booking_id", "in": "path", "required": True, "schema": STR}, lang],
            "requestBody": body(bodies.ONE_TIME_CODE),
            "responses": {"201": json({"allOf": [ref("Booking"), {"type": "object", "properties": {
                "secret": STR, "manage_url": STR}}]}, "confirmed"), **errors(400, 404, 409, 410, 422)}}},
        "/api/v1/bookings/{code}": {"get": {
            "summary": "The booking, for whoever holds its link", "parameters": [CODE, SECRET, OFFICE, lang],
            "responses": {"200": json(ref("Booking"), "the booking"), **errors(404)}}},
        "/api/v1/bookings/{code}/calendar.ics": {"get": {
            "summary": "The booking as an iCalendar file (METHOD:REQUEST; METHOD:CANCEL once cancelled)",
            "parameters": [CODE, SECRET, OFFICE],
            "responses": {"200": {"description": "RFC 5545", "content": {"text/calendar": {"schema": STR}}},
                          **errors(404)}}},
        "/api/v1/bookings/{code}/cancel": {"post": {
            "summary": "Cancel (until cancel_until); the place goes to the waiting list or is withheld until a random moment",
            "parameters": [CODE, OFFICE, lang], "requestBody": body(bodies.LINK_SECRET),
            "responses": {"200": json(ref("Booking"), "cancelled"), **errors(400, 404, 409)}}},
        "/api/v1/bookings/{code}/reschedule": {"post": {
            "summary": "Move to another slot of the same service (same code, same calendar UID, SEQUENCE + 1)",
            "parameters": [CODE, OFFICE, lang],
            "requestBody": body(bodies.RESCHEDULE),
            "responses": {"200": json(ref("Booking"), "moved"), **errors(400, 404, 409)}}},
        "/api/v1/waiting-list": {"post": {
            "summary": "Join a service's waiting list (where the office runs one): freed places are offered "
                       "in the order people joined",
            "parameters": [OFFICE, lang],
            "requestBody": body(bodies.WAITLIST),
            "responses": {"201": json({"type": "object", "properties": {
                "id": {"type": "integer"}, "position": {"type": "integer"}, "secret": STR, "service": STR,
                "email": STR}}, "on the list"), **errors(400, 404, 409, 422, 429)}}},
        "/api/v1/waiting-list/{entry_id}/leave": {"post": {
            "summary": "Leave the waiting list",
            "parameters": [{"name": "entry_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           OFFICE, lang],
            "requestBody": body(bodies.LINK_SECRET),
            "responses": {"200": json({"type": "object"}, "left"), **errors(404)}}},
        "/api/v1/check-in": {"post": {
            "summary": "The kiosk's \"I have a booking\": the booking becomes a ticket of its service, called at "
                       "its slot time, printed like any ticket. Asked again by the same kiosk with the same "
                       "Idempotency-Key, it returns that ticket (200, replayed: true).",
            "security": [{"bearer": []}],
            "parameters": [lang, {"name": "Idempotency-Key", "in": "header", "required": False,
                                  "schema": {"type": "string", "maxLength": 100}}],
            "requestBody": body(bodies.CHECK_IN),
            "responses": {"201": json(ref("IssuedTicket"), "the ticket"),
                          "200": json(ref("IssuedTicket"), "a retried request: the ticket issued before"),
                          **errors(400, 401, 403, 404, 409, 429, 503)}}},
        "/api/v1/staff/bookings": {"get": {
            "summary": "The day's bookings for the desk (name, date of birth, masked document), or every "
                       "flagged booking with ?flagged=1",
            "security": [{"bearer": []}, {"session": []}],
            "parameters": [{"name": "day", "in": "query", "required": False,
                            "schema": {"type": "string", "format": "date"}},
                           {"name": "flagged", "in": "query", "required": False, "schema": {"type": "string",
                                                                                          "enum": ["1"]}},
                           {"name": "name", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "only bookings whose name has every word given, in any order, "
                                           "whatever the case, accents or letters such as Ł, ß, ø"}, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "day": STR, "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "bookings": {"type": "array", "items": ref("Booking")}}}, "bookings"),
                **errors(400, 401, 403)}}},
    }

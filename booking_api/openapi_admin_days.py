"""The back office's days, bookings and failed messages in the OpenAPI document (merged into
booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_booking import CODE, OFFICE, STR, TIME, json_body

DAY = {"type": "string", "format": "date"}
DATE = {"name": "date", "in": "path", "required": True, "schema": DAY, "example": "2026-12-05"}
STAFF = [{"bearer": []}, {"session": []}]
BOOL = {"type": "boolean"}
HOURS = {"type": "array", "items": {"type": "string", "example": "08:00-12:00"}}

SCHEMAS: dict[str, Any] = {
    "Day": {"type": "object", "properties": {
        "date": DAY, "kind": {"type": "string", "enum": ["closed", "hours", "holiday"]}, "hours": HOURS,
        "services": {"type": "array", "items": STR, "nullable": True, "description": "null: every service"},
        "walk_in": BOOL, "booking": BOOL, "reason": STR,
        "own": {"type": "boolean", "description": "the date's own hours (DELETE takes them away); false: a "
                                                  "closure of the office file, a public holiday or a closure calendar's date"},
        "source": {"type": "string", "description": "the closure calendar that set the date (only then present)"},
        "bookings": {"type": "integer", "description": "confirmed bookings that day"}}},
    "AffectedBooking": {"type": "object", "properties": {
        "code": STR, "service": STR, "service_name": STR, "starts_at": TIME, "name": STR, "language": STR,
        "contact": {"type": "string", "enum": ["email", "email+sms"]}}},
    "AdminBooking": {"type": "object", "properties": {
        "code": STR, "service": STR, "service_name": STR, "starts_at": TIME,
        "status": {"type": "string", "enum": ["confirmed", "checked_in", "no_show", "cancelled"]},
        "name": STR, "language": STR, "flag": {"type": "string", "nullable": True, "enum": ["day_closed"]},
        "ends_at": TIME, "email": STR, "phone": STR, "birth_date": {**DAY, "nullable": True},
        "document": {"type": "string", "description": "masked"}, "sequence": {"type": "integer"},
        "created_at": TIME, "confirmed_at": {**TIME, "nullable": True}, "ended_at": {**TIME, "nullable": True},
        "can_cancel": BOOL, "can_move": BOOL, "visitor_may_move": BOOL}},
    "OutboxMessage": {"type": "object", "properties": {
        "id": STR, "channel": {"type": "string", "enum": ["email", "sms"]},
        "recipient": {"type": "string", "description": "masked"}, "created_at": TIME,
        "sent_at": {**TIME, "nullable": True, "description": "when the mail server or the SMS gateway took it"},
        "failed_at": {**TIME, "nullable": True, "description": "given up after its last attempt, or reported "
                                                                "undelivered by the SMS gateway"},
        "attempts": {"type": "integer"}, "reason": {"type": "string", "description": "the last error"},
        "delivery": {"type": "string", "nullable": True, "enum": ["delivered", "undelivered", "pending", None],
                     "description": "a sent SMS: what the gateway's delivery report said (pending: none yet); "
                                    "null for an email or a message not sent"},
        "delivery_at": {**TIME, "nullable": True, "description": "when the delivery report came"},
        "resent_as": {"type": "string", "nullable": True,
                      "description": "the id it was sent again as (an undelivered SMS goes as a new message)"}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The /api/v1/admin/days and /api/v1/admin/bookings paths, built with openapi.py's helpers."""
    told = json({"type": "object", "properties": {
        "day": {"allOf": [ref("Day")], "nullable": True}, "told": {"type": "integer"},
        "affected": {"type": "array", "items": ref("AffectedBooking")}}},
        "saved; `told` people were flagged and told (`affected`)")
    one = json({"type": "object", "properties": {"booking": ref("AdminBooking")}}, "the booking")
    return {
        "/api/v1/admin/days": {"get": {
            "summary": "The dates that are not plain weekly days (their own hours, closures, public holidays), "
                       "each with its confirmed bookings (manager)",
            "security": STAFF,
            "parameters": [{"name": "from", "in": "query", "required": False, "schema": DAY},
                           {"name": "to", "in": "query", "required": False, "schema": DAY}, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "days": {"type": "array", "items": ref("Day")}}}, "the days"), **errors(400, 401, 403)}}},
        "/api/v1/admin/days/{date}/preview": {"post": {
            "summary": "Who saving these hours would leave without a visit, and how each would be told",
            "security": STAFF, "parameters": [DATE, OFFICE, lang], "requestBody": json_body(bodies.DAY_HOURS),
            "responses": {"200": json({"type": "object", "properties": {
                "affected": {"type": "array", "items": ref("AffectedBooking")}, "count": {"type": "integer"}}},
                "the people affected"), **errors(400, 401, 403, 422)}}},
        "/api/v1/admin/days/{date}": {
            "put": {"summary": "Set the date's own hours ([] closes it); the bookings it cuts off are flagged "
                               "day_closed and their people told, with a link to choose another time first",
                    "security": STAFF, "parameters": [DATE, OFFICE, lang],
                    "requestBody": json_body(bodies.DAY_HOURS),
                    "responses": {"200": told, **errors(400, 401, 403, 422)}},
            "delete": {"summary": "Back to the weekly hours on the date (bookings it cuts off: as PUT)",
                       "security": STAFF, "parameters": [DATE, OFFICE, lang],
                       "responses": {"200": told, **errors(400, 401, 403)}}},
        "/api/v1/admin/bookings": {"get": {
            "summary": "The day's bookings, searched by code, name or start time (HH:MM), or the flagged ones",
            "security": STAFF,
            "parameters": [{"name": "day", "in": "query", "required": False, "schema": DAY,
                            "description": "default: today (a code searched without a day: any day)"},
                           {"name": "q", "in": "query", "required": False, "schema": STR,
                            "description": "a booking code (its first characters), a name (any word order, "
                                           "case or accents) or a start time HH:MM"},
                           {"name": "flag", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["day_closed"]}}, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "bookings": {"type": "array", "items": ref("AdminBooking")}}}, "bookings"),
                **errors(400, 401, 403)}}},
        "/api/v1/admin/bookings/{code}": {"get": {
            "summary": "One booking and its history", "security": STAFF, "parameters": [CODE, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "booking": ref("AdminBooking"), "history": {"type": "array", "items": {"type": "object", "properties": {
                    "kind": STR, "at": TIME, "detail": {"type": "object"}}}}}}, "the booking"),
                **errors(401, 403)}}},
        "/api/v1/admin/bookings/{code}/cancel": {"post": {
            "summary": "Cancel on the visitor's behalf (until the visit starts); the visitor is told by email",
            "security": STAFF, "parameters": [CODE, OFFICE, lang], "requestBody": json_body(bodies.ADMIN_CANCEL),
            "responses": {"200": one, **errors(400, 401, 403, 409, 422)}}},
        "/api/v1/admin/bookings/{code}/move": {"post": {
            "summary": "Move on the visitor's behalf to a free place of another slot (the visitor's deadline "
                       "does not bind the office); the visitor is told by email",
            "security": STAFF, "parameters": [CODE, OFFICE, lang], "requestBody": json_body(bodies.ADMIN_MOVE),
            "responses": {"200": one, **errors(400, 401, 403, 409)}}},
        "/api/v1/admin/messages": {"get": {
            "summary": "The office's failed messages (the outbox gave up on them, or the SMS gateway reported "
                       "them undelivered), newest first, with the reason; or (status=sent) the latest 200 sent, "
                       "with each SMS's delivery report. Never their text; the recipient masked", "security": STAFF,
            "parameters": [{"name": "status", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["failed", "sent"], "default": "failed"}},
                           {"name": "channel", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["email", "sms"]}}, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "messages": {"type": "array", "items": ref("OutboxMessage")}}}, "the messages"),
                **errors(400, 401, 403)}}},
        "/api/v1/admin/messages/{id}/resend": {"post": {
            "summary": "Send a failed message again from now: with a fresh count of attempts, or (an SMS "
                       "reported undelivered) as a new message, `resent_as`", "security": STAFF,
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": STR}, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {"message": ref("OutboxMessage")}},
                                      "the message, queued again"), **errors(401, 403, 404, 409)}}},
    }

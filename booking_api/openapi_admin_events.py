"""The back office's events (information Saturdays) in the OpenAPI document (merged into
booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_booking import OFFICE, STR, TIME, json_body

STAFF = [{"bearer": []}, {"session": []}]
EVENT_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "example": 1}
TEXTS = {"type": "object", "additionalProperties": {"type": "string"}, "description": "{language: text}"}
WARNINGS = {"type": "array", "items": {"type": "string", "enum": ["not_saturday"]},
            "description": "allowed, but worth a second look"}

SCHEMAS: dict[str, Any] = {
    "Event": {"type": "object", "properties": {
        "id": {"type": "integer"}, "date": {"type": "string", "format": "date"},
        "opens": {"type": "string", "example": "08:00"}, "closes": {"type": "string", "example": "15:00"},
        "titles": TEXTS, "descriptions": TEXTS, "services": {"type": "array", "items": STR},
        "booking_opens_at": {**TIME, "nullable": True, "description": "null: walk-in only"},
        "status": {"type": "string", "enum": ["draft", "published", "cancelled"]},
        "sequence": {"type": "integer", "description": "the invites' and the feed's SEQUENCE: grows with every "
                                                       "change of a published event"},
        "warnings": WARNINGS, "created_at": TIME, "updated_at": TIME,
        "bookings": {"type": "integer", "description": "confirmed bookings of its services on its date"}}},
    "EventChange": {"type": "object", "properties": {
        "event": {"$ref": "#/components/schemas/Event"}, "warnings": WARNINGS,
        "told": {"type": "integer", "description": "how many people are (or, in a preview, would be) told"},
        "affected": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/AffectedBooking"}, {
            "type": "object", "properties": {"outcome": {
                "type": "string", "enum": ["moved", "cut_off", "cancelled"],
                "description": "moved to the same time on the new date; cut_off: flagged day_closed, told to "
                               "choose another time; cancelled with the event"}}}]}}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The /api/v1/admin/events paths, built with openapi.py's helpers."""
    change = json(ref("EventChange"), "the event after the change and the people it tells")
    return {
        "/api/v1/admin/events": {
            "get": {"summary": "The office's events (information Saturdays), drafts and cancelled ones too, the "
                               "latest date first, each with its confirmed bookings; and the office's event-only "
                               "services (manager)", "security": STAFF, "parameters": [OFFICE, lang],
                    "responses": {"200": json({"type": "object", "properties": {
                        "events": {"type": "array", "items": ref("Event")},
                        "event_only_services": {"type": "array", "items": STR}}}, "the events"),
                        **errors(401, 403)}},
            "post": {"summary": "A new draft event (nobody sees it until it is published)", "security": STAFF,
                     "parameters": [OFFICE, lang], "requestBody": json_body(bodies.EVENT_NEW),
                     "responses": {"201": change, **errors(400, 401, 403, 409, 422)}}},
        "/api/v1/admin/events/{id}": {
            "get": {"summary": "One event", "security": STAFF, "parameters": [EVENT_ID, OFFICE, lang],
                    "responses": {"200": json({"type": "object", "properties": {
                        "event": ref("Event"), "warnings": WARNINGS}}, "the event"), **errors(401, 403, 404)}},
            "put": {"summary": "Change an event's fields. A published event's SEQUENCE grows; when its date, hours or "
                               "services change, its bookings move to the same time on the new date where that "
                               "slot has a place, else are flagged day_closed; each person is told with an updated "
                               "invite. `preview`: only who would be told", "security": STAFF,
                    "parameters": [EVENT_ID, OFFICE, lang], "requestBody": json_body(bodies.EVENT_EDIT),
                    "responses": {"200": change, **errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/admin/events/{id}/publish": {"post": {
            "summary": "Publish a draft (checked again by the same rules): its services are offered on its date",
            "security": STAFF, "parameters": [EVENT_ID, OFFICE, lang],
            "responses": {"200": change, **errors(400, 401, 403, 404, 409, 422)}}},
        "/api/v1/admin/events/{id}/cancel": {"post": {
            "summary": "Cancel an event; a published one's bookings are cancelled and each person told (a "
                       "METHOD:CANCEL invite). `preview`: only who would be told", "security": STAFF,
            "parameters": [EVENT_ID, OFFICE, lang],
            "requestBody": {**json_body(bodies.EVENT_CANCEL), "required": False},
            "responses": {"200": change, **errors(400, 401, 403, 404)}}},
    }

"""The draws part of the OpenAPI document (merged into booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.bodies import RANGE
from booking_api.openapi_booking import OFFICE, STR, TIME, json_body

INT_OR_NULL = {"type": "integer", "nullable": True}
DAY = {"type": "string", "format": "date"}
ENTRY_ID = {"name": "entry_id", "in": "path", "required": True, "schema": STR}
DRAW_ID = {"name": "draw_id", "in": "path", "required": True, "schema": {"type": "integer"}}
RECEIPT = {"name": "receipt", "in": "query", "required": True, "schema": STR,
           "description": "the receipt shown once when the entry was confirmed (also the X-Draw-Receipt header)"}

SCHEMAS: dict[str, Any] = {
    "Draw": {"type": "object", "properties": {
        "id": {"type": "integer"}, "service": STR, "day": DAY, "opens_at": TIME, "closes_at": TIME,
        "status": {"type": "string", "enum": ["upcoming", "open", "closed", "done"]},
        "commitment": {"type": "string", "description": "SHA-256 (hex) of the seed, published before the window"},
        "seed": {"type": "string", "nullable": True, "description": "published once the draw has run"},
        "places": INT_OR_NULL, "entries": INT_OR_NULL}},
    "DrawResult": {"type": "object", "properties": {
        "rank": {"type": "integer"}, "ticket": STR, "preferences": {"type": "array", "items": RANGE},
        "outcome": {"type": "string", "enum": ["won", "not_drawn"]},
        "start": {"type": "string", "format": "date-time", "nullable": True}}},
    "DrawEntryStatus": {"type": "object", "properties": {
        "id": STR, "status": {"type": "string", "enum": ["entered", "won", "not_drawn", "withdrawn"]},
        "service": STR, "service_name": STR, "day": DAY, "draw": {"$ref": "#/components/schemas/Draw"},
        "ticket": STR, "rank": INT_OR_NULL, "preferences": {"type": "array", "items": RANGE},
        "person": {"type": "object", "properties": {"name": STR, "document": {"type": "string",
                                                                               "description": "masked"}}},
        "booking": {"type": "object", "nullable": True, "properties": {
            "code": STR, "status": STR, "start": TIME, "end": TIME,
            "manage_url": {"type": "string", "nullable": True, "description": "null: the link went by email"}}},
        "waitlist_position": INT_OR_NULL}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The draw paths, built with openapi.py's helpers."""
    body = json_body
    return {
        "/api/v1/draws": {"get": {
            "summary": "A service's draws by day: upcoming (with the seed's commitment), open, closed, and done in "
                       "the last 14 days (with the seed). Services released first come have none.",
            "parameters": [{"name": "service", "in": "query", "required": True, "schema": STR, "example": "F"},
                           OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "service": STR, "release_mode": {"type": "string", "enum": ["first_come", "draw"]},
                "draws": {"type": "array", "items": ref("Draw")}}}, "the draws"), **errors(400, 404)}}},
        "/api/v1/draws/{draw_id}": {"get": {
            "summary": "One draw; once it has run, its seed and the published order (each entry as its ticket, "
                       "a keyed hash its holder recomputes from the receipt) and how to check it",
            "parameters": [DRAW_ID, OFFICE, lang],
            "responses": {"200": json({"allOf": [ref("Draw"), {"type": "object", "properties": {
                "result": {"type": "array", "items": ref("DrawResult")}, "verify": STR}}]}, "the draw"),
                **errors(404)}}},
        "/api/v1/draws/{draw_id}/entries": {"post": {
            "summary": "Enter a person into an open draw, with up to three time ranges in order (none: any time); "
                       "a one-time code goes to their email. Entering early gives no advantage.",
            "parameters": [DRAW_ID, OFFICE, lang],
            "requestBody": body(bodies.DRAW_ENTRY),
            "responses": {"202": json({"type": "object", "properties": {
                "id": STR, "status": {"type": "string", "enum": ["pending"]}, "expires_at": TIME, "confirm_url": STR,
                "sent_to": {"type": "object", "properties": {"email": STR}}}}, "pending, code sent"),
                **errors(400, 404, 409, 422, 429, 503)}}},
        "/api/v1/draw-entries/{entry_id}/confirm": {"post": {
            "summary": "Confirm an entry with the one-time code while the window is open: the receipt (shown once), "
                       "the entry's ticket and its status page",
            "parameters": [ENTRY_ID, OFFICE, lang],
            "requestBody": body(bodies.ONE_TIME_CODE),
            "responses": {"201": json({"type": "object", "properties": {
                "id": STR, "status": {"type": "string", "enum": ["entered"]}, "receipt": STR, "ticket": STR,
                "draw": ref("Draw"), "status_url": STR}}, "entered"), **errors(400, 404, 409, 410, 422)}}},
        "/api/v1/draw-entries/{entry_id}": {"get": {
            "summary": "Where the entry stands (entered, won with its booking, not drawn with its waiting-list "
                       "position, withdrawn), for whoever holds the receipt",
            "parameters": [ENTRY_ID, RECEIPT, OFFICE, lang],
            "responses": {"200": json(ref("DrawEntryStatus"), "the entry"), **errors(404)}}},
        "/api/v1/draw-entries/{entry_id}/withdraw": {"post": {
            "summary": "Take the entry out of the draw while its window is open",
            "parameters": [ENTRY_ID, OFFICE, lang],
            "requestBody": body(bodies.DRAW_RECEIPT),
            "responses": {"200": json({"type": "object", "properties": {"status": {"type": "string",
                                                                                    "enum": ["withdrawn"]}}},
                                      "withdrawn"), **errors(400, 404, 409)}}},
    }

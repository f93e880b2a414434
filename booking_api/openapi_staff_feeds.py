"""The staff calendar feeds' paths and schemas (back office, managers; the feed by its token), for
openapi.py."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_admin import OFFICE, STAFF
from booking_api.openapi_booking import json_body

SCHEMAS: dict[str, Any] = {
    "CalendarFeed": {"type": "object", "required": ["id", "scope", "target", "with_names", "label", "created_by",
                                                    "created_at", "revoked_at"], "properties": {
        "id": {"type": "integer"},
        "scope": {"type": "string", "enum": ["service", "window"]},
        "target": {"type": "string", "description": "the service's code or the window's number"},
        "with_names": {"type": "boolean", "description": "the visitors' names in the entries"},
        "label": {"type": "string"}, "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": "string", "format": "date-time", "nullable": True},
        "url": {"type": "string", "description": "the feed's address with its token: only in the answer that "
                                                 "makes it (the token is not kept)"},
        "webcal_url": {"type": "string", "description": "the same as `webcal://`, which opens a calendar app"}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The staff feeds' paths, built with openapi.py's helpers."""
    one = json({"type": "object", "properties": {"feed": ref("CalendarFeed")}}, "the link")
    feed_id = {"name": "feed_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/calendar/staff/{feed_token}.ics": {"get": {
            "summary": "A staff calendar feed (RFC 5545): a service's or a window's booked visits from 7 days ago "
                       "to 30 days ahead, the booking's UID and SEQUENCE, visits cancelled in the last 7 days as "
                       "STATUS:CANCELLED; the token in the address is the key (docs/calendar.md)",
            "parameters": [{"name": "feed_token", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the feed", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                          **errors(404)}}},
        "/api/v1/admin/calendar-feeds": {
            "get": {"summary": "The office's staff calendar links (revoked ones too; never their tokens)",
                    "security": STAFF, "parameters": [lang, OFFICE], "responses": {
                        "200": json({"type": "object", "properties": {"feeds": {"type": "array",
                                                                                "items": ref("CalendarFeed")}}},
                                    "the links"), **errors(401, 403)}},
            "post": {"summary": "A new staff calendar link for a service or a window (its address shown once)",
                     "security": STAFF, "parameters": [lang, OFFICE],
                     "requestBody": json_body(bodies.NEW_CALENDAR_FEED),
                     "responses": {"201": one, **errors(400, 401, 403, 404, 422)}}},
        "/api/v1/admin/calendar-feeds/{feed_id}/revoke": {"post": {
            "summary": "Revoke a staff calendar link: it answers `feed_not_found` at once",
            "security": STAFF, "parameters": [feed_id, lang, OFFICE],
            "responses": {"200": one, **errors(401, 403, 404)}}},
    }

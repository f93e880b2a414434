"""The back office's closure calendars and the .ics import in the OpenAPI document (merged into
booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_admin_days import DAY, STAFF
from booking_api.openapi_booking import OFFICE, STR, TIME, json_body

ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
NULLABLE_TIME = {**TIME, "nullable": True}
DATES = {"type": "array", "items": DAY}

SCHEMAS: dict[str, Any] = {
    "ClosureCalendar": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": STR, "kind": {"type": "string", "enum": ["ics", "caldav"]},
        "host": {"type": "string", "description": "the address's host only (the address may carry a token)"},
        "status": {"type": "string", "enum": ["new", "ok", "unchanged", "error"],
                   "description": "the last fetch: its days taken, nothing changed since (304), or failed"},
        "error": {"type": "string", "description": "why the last fetch failed (\"\" if it did not): e.g. "
                                                  "`HTTP 404`, `no answer in time`, `cannot connect (ConnectError)`, "
                                                  "`not a readable iCalendar file (ValueError)`"},
        "days": {"type": "integer", "description": "the dates from today on that it closes or gives other hours"},
        "polled_at": NULLABLE_TIME, "changed_at": NULLABLE_TIME}},
    "ClosurePoll": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["ok", "unchanged", "error"]}, "error": STR,
        "changed": {**DATES, "description": "the dates whose closure or hours changed"},
        "told": {"type": "integer", "description": "people whose booking lost its time: flagged and told"},
        "affected": {"type": "array", "items": {"$ref": "#/components/schemas/AffectedBooking"}}}},
    "ClosureImportDay": {"type": "object", "properties": {
        "date": DAY,
        "before": {"type": "object", "description": "the date now, as GET /api/v1/admin/days shows it (kind "
                                                    "`weekly`: its weekly hours; `source`: a calendar's)"},
        "after": {"$ref": "#/components/schemas/Day"}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The /api/v1/admin/closure-calendars and /api/v1/admin/closure-import paths."""
    one = json({"type": "object", "properties": {"calendar": ref("ClosureCalendar"), "poll": ref("ClosurePoll")}},
               "the calendar and what its fetch did")
    skipped = {"type": "array", "items": {"type": "object", "properties": {
        "date": DAY, "why": {"type": "string", "enum": ["office_closure", "same"],
                             "description": "closed by the office file, or already so"}}}}
    plan = {"changes": {"type": "array", "items": ref("ClosureImportDay")}, "skipped": skipped,
            "affected": {"type": "array", "items": ref("AffectedBooking")}}
    return {
        "/api/v1/admin/closure-calendars": {
            "get": {"summary": "The office's closure calendars (.ics or CalDAV, polled every closure_poll_seconds) "
                               "and their last fetch (manager)",
                    "security": STAFF, "parameters": [OFFICE, lang],
                    "responses": {"200": json({"type": "object", "properties": {
                        "calendars": {"type": "array", "items": ref("ClosureCalendar")}}}, "the calendars"),
                        **errors(401, 403)}},
            "post": {"summary": "Add a closure calendar and fetch it at once: the dates it closes or gives other "
                                "hours apply where no manager set the date; the bookings they cut off are flagged "
                                "day_closed and their people told, as on the Days page",
                     "security": STAFF, "parameters": [OFFICE, lang],
                     "requestBody": json_body(bodies.CLOSURE_CALENDAR),
                     "responses": {"201": one, **errors(400, 401, 403, 409, 422)}}},
        "/api/v1/admin/closure-calendars/{id}/poll": {"post": {
            "summary": "Fetch the calendar now (If-None-Match / If-Modified-Since: an unchanged one is not read "
                       "again); a calendar that cannot be fetched or read changes nothing",
            "security": STAFF, "parameters": [ID, OFFICE, lang],
            "responses": {"200": one, **errors(401, 403, 404)}}},
        "/api/v1/admin/closure-calendars/{id}": {"delete": {
            "summary": "Take the calendar away: the dates only it set go back to the weekly hours",
            "security": STAFF, "parameters": [ID, OFFICE, lang],
            "responses": {"200": json({"type": "object", "properties": {
                "told": {"type": "integer"}, "affected": {"type": "array", "items": ref("AffectedBooking")}}},
                "taken away"), **errors(401, 403, 404)}}},
        "/api/v1/admin/closure-import/preview": {"post": {
            "summary": "What importing this .ics file (e.g. next year's closure plan) would change: the dates it "
                       "sets, before and after, the dates it leaves, the bookings it would cut off. Nothing is "
                       "written",
            "security": STAFF, "parameters": [OFFICE, lang], "requestBody": json_body(bodies.CLOSURE_IMPORT),
            "responses": {"200": json({"type": "object", "properties": {**plan, "count": {"type": "integer"}}},
                                      "the plan"), **errors(400, 401, 403, 413, 422)}}},
        "/api/v1/admin/closure-import": {"post": {
            "summary": "Import the .ics file: its dates become the office's own days (as if set on the Days "
                       "page); the bookings they cut off are flagged day_closed and their people told",
            "security": STAFF, "parameters": [OFFICE, lang], "requestBody": json_body(bodies.CLOSURE_IMPORT),
            "responses": {"200": json({"type": "object", "properties": {**plan, "told": {"type": "integer"}}},
                                      "imported"), **errors(400, 401, 403, 413, 422)}}},
    }

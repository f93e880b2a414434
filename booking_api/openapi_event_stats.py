"""The event statistics' paths and schemas (back office, managers), for openapi.py."""

from __future__ import annotations

from typing import Any, Callable

from booking_api.openapi_admin import OFFICE, STAFF

COUNT = {"type": "integer"}
SECONDS = {"type": "integer", "nullable": True, "description": "whole seconds; null when nothing was measured"}
IDS = {"name": "ids", "in": "query", "required": False, "schema": {"type": "string", "pattern": "^[0-9, ]*$"},
       "description": "the events to compare, e.g. `1,2,3` (at most 12: `too_many_events`); "
                      "default: the last 5 published events on or before today"}

SCHEMAS: dict[str, Any] = {
    "EventFigures": {"type": "object", "description": "what an event made for a service (or in total); "
                                                     "docs/back-office.md, \"Event statistics\"", "properties": {
        "bookings_made": {**COUNT, "description": "confirmed ones, whatever became of them"},
        "bookings_confirmed": {**COUNT, "description": "still confirmed: not (yet) checked in nor missed"},
        "bookings_checked_in": COUNT, "bookings_no_show": COUNT, "bookings_cancelled": COUNT,
        "tickets_issued": COUNT, "tickets_walk_in": COUNT,
        "tickets_booked": {**COUNT, "description": "issued at a booking's check-in"},
        "served": {**COUNT, "description": "visits finished"},
        "no_shows": {**COUNT, "description": "tickets called and marked as not present"},
        "tickets_cancelled": {**COUNT, "description": "cancelled by the visitor"},
        "transferred_out": {**COUNT, "description": "sent on to another service"},
        "waiting_at_close": {**COUNT, "description": "waiting in the queue at the event's closing time (before "
                                                     "it: now)"},
        "wait_median_seconds": SECONDS, "wait_p90_seconds": SECONDS,
        "service_median_seconds": SECONDS, "service_p90_seconds": SECONDS,
        "waits_measured": {**COUNT, "description": "how many waits the wait times are of"},
        "services_measured": {**COUNT, "description": "how many visits the service times are of"}}},
    "EventStats": {"type": "object", "required": ["events", "choices"], "properties": {
        "events": {"type": "array", "description": "oldest first", "items": {"type": "object", "properties": {
            "id": COUNT, "day": {"type": "string", "format": "date"}, "title": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "published", "cancelled"]},
            "opens": {"type": "string", "example": "09:00"}, "closes": {"type": "string", "example": "14:00"},
            "over": {"type": "boolean", "description": "its closing time has passed: the figures are final"},
            "services": {"type": "array", "description": "a row per service the event offers", "items": {
                "allOf": [{"$ref": "#/components/schemas/EventFigures"}, {"type": "object", "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}}}]}},
            "total": {"$ref": "#/components/schemas/EventFigures"}}}},
        "choices": {"type": "array", "description": "the office's events that are not drafts, newest first (50)",
                    "items": {"type": "object", "properties": {
                        "id": COUNT, "day": {"type": "string", "format": "date"}, "title": {"type": "string"},
                        "status": {"type": "string"}}}}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The event statistics' paths, built with openapi.py's helpers."""
    fmt = {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "csv"]},
           "description": "`csv`: the same as /stats.csv"}
    return {
        "/api/v1/admin/events/stats": {"get": {
            "summary": "Events side by side (manager): per service and in total, bookings, tickets, served, "
                       "no-shows, waiting at close, waiting and service times (median, 90th percentile)",
            "security": STAFF, "parameters": [IDS, fmt, lang, OFFICE],
            "responses": {"200": _with_csv(json(ref("EventStats"), "the events (`format=csv`: the CSV)")),
                          **errors(400, 401, 403, 404)}}},
        "/api/v1/admin/events/stats.csv": {"get": {
            "summary": "The same table as a CSV download: a row per event and service, a total row per event "
                       "(its `service` empty); durations in seconds",
            "security": STAFF, "parameters": [IDS, lang, OFFICE],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **errors(400, 401, 403, 404)}}},
    }


def _with_csv(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "content": {**answer["content"], "text/csv": {"schema": {"type": "string"}}}}

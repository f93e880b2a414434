"""The OpenAPI 3 document of the JSON API, served at /openapi.json.

Written out by hand, since it is the contract kiosks and integrators rely on; a test checks
that every route of the app is documented here and every error code is listed.
"""

from __future__ import annotations

from typing import Any

from okienko import __version__
from okienko.i18n import LANGUAGES
from booking_api import openapi_admin_office
from booking_api import openapi_admin
from booking_api import openapi_admin_closures
from booking_api import openapi_admin_days
from booking_api import openapi_admin_events
from booking_api import openapi_event_stats
from booking_api import openapi_stats
from booking_api import openapi_staff_feeds
from booking_api import openapi_call_centre
from booking_api import openapi_booking
from booking_api import openapi_draws
from booking_api import bodies
from booking_api.openapi_booking import json_body
from okienko.errors import ERRORS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in statuses:
        codes = sorted(code for code, (s, _m) in ERRORS.items() if s == status)
        out[str(status)] = {"description": "Error codes: " + ", ".join(f"`{c}`" for c in codes),
                            "content": {"application/json": {"schema": _ref("Error")}}}
        if status in (429, 503):
            out[str(status)]["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                                           "schema": {"type": "integer"}}}
    return out


_READINESS = {"type": "object", "required": ["status", "checks"], "properties": {
    "status": {"type": "string", "enum": ["ready", "not_ready"]},
    "checks": {"type": "object", "properties": {name: {"type": "string"} for name in ("database", "broker", "outbox")}},
    "outbox_oldest_due_seconds": {"type": "number"},
    "failed": {"type": "array", "items": {"type": "string"}}}}


def _add_common_errors(path: str, operation: dict[str, Any]) -> None:
    """What any operation may answer besides its own errors, one rule each, so that none forgets one:
    a body that is not its documented JSON object (400) or is past `max_body_bytes` (413); nothing
    at the address's id or no such `office` (404); the database away or overloaded (503 `busy`)."""
    statuses = set()
    if "requestBody" in operation:
        statuses |= {400, 413}
    if "{" in path or any(parameter["name"] == "office" for parameter in operation.get("parameters", [])):
        statuses.add(404)
    if path not in ("/openapi.json", "/healthz", "/readyz"):   # the document needs no database; the probes say their own 503
        statuses.add(503)
    for status, response in _errors(*sorted(statuses)).items():
        operation["responses"].setdefault(status, response)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


LANG_PARAM = {"name": "lang", "in": "query", "required": False, "description": f"{', '.join(LANGUAGES)}; "
              "otherwise Accept-Language, otherwise the office default", "schema": {"type": "string",
                                                                                  "enum": list(LANGUAGES)}}
TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}
TICKET_SMS = {"type": "object", "required": ["sms"], "properties": {"sms": {
    "type": "object", "required": ["offered", "phone", "near_turn_ahead", "near_sent", "called_sent"], "properties": {
        "offered": {"type": "boolean", "description": "the office sends SMS (an SMS gateway is configured)"},
        "phone": {"type": "string", "nullable": True, "description": "the number given, masked (+48******800)"},
        "near_turn_ahead": {"type": "integer", "description": "the SMS goes when this many or fewer are ahead"},
        "near_sent": {"type": "boolean"}, "called_sent": {"type": "boolean"}}}}}
WINDOW = {"name": "window", "in": "path", "required": True, "schema": {"type": "string"}, "example": "7"}
NULLABLE_STR = {"type": "string", "nullable": True}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "enum": sorted(ERRORS)},
        "message": {"type": "string", "description": "in the request's language"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "invalid_details: what is wrong with each form field"},
        "field": {"type": "string", "description": "office_invalid: the office file's path of the key at fault, "
                                                   "e.g. `service[0] (A).hours.mon`"},
        "waiting": {"type": "integer", "description": "service_has_waiting: people waiting for the service today"},
        "count": {"type": "integer", "description": "bookings_cut_off: booked visits the change takes the slot from"},
        "bookings": {"type": "array", "description": "bookings_cut_off: the first of them (at most 20)",
                     "items": {"type": "object", "properties": {"code": {"type": "string"},
                                                                "starts_at": {"type": "string", "format": "date-time"}}}}}},
    "Service": {"type": "object", "properties": {
        "code": {"type": "string"}, "prefix": {"type": "string"}, "name": {"type": "string"},
        "names": {"type": "object", "additionalProperties": {"type": "string"}},
        "walk_in": {"type": "boolean"}, "open_now": {"type": "boolean"},
        "closed_reason": {"allOf": [_ref("Error")], "nullable": True},
        "waiting": {"type": "integer"}, "estimated_wait_minutes": {"type": "integer"},
        "daily_limit": {"type": "integer", "nullable": True}, "issued_today": {"type": "integer"},
        "closes_at": {"type": "string", "format": "date-time", "nullable": True}}},
    "PublicEvent": {"type": "object", "properties": {
        "id": {"type": "integer"}, "uid": {"type": "string", "description": "the feed's UID, stable for good"},
        "sequence": {"type": "integer"}, "date": {"type": "string", "format": "date"},
        "starts_at": {"type": "string", "format": "date-time"}, "ends_at": {"type": "string", "format": "date-time"},
        "title": {"type": "string"}, "description": {"type": "string"},
        "booking_opens_at": {"type": "string", "format": "date-time", "nullable": True,
                             "description": "null: walk-in tickets only"},
        "booking_open": {"type": "boolean"},
        "services": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "name_pl": {"type": "string"},
            "walk_in": {"type": "boolean"}, "bookable": {"type": "boolean"},
            "book_url": {"type": "string", "nullable": True}}}}}},
    "Priority": {"type": "object", "nullable": True, "properties": {
        "code": {"type": "string"}, "mark": {"type": "string"}, "name": {"type": "string"}}},
    "Ticket": {"type": "object", "required": ["id", "number", "service", "status", "position",
                                              "estimated_wait_minutes", "issued_at", "track_url"], "properties": {
        "id": {"type": "string", "description": "unguessable; holding it is enough to follow the ticket"},
        "number": {"type": "string", "example": "A023"}, "service": {"type": "string"},
        "service_name": {"type": "string"}, "service_name_pl": {"type": "string"},
        "priority": _ref("Priority"),
        "status": {"type": "string", "enum": ["waiting", "called", "serving", "done", "no_show", "transferred",
                                              "cancelled"]},
        "status_text": {"type": "string"},
        "returned": {"type": "boolean", "description": "waiting again after it was called: sent back to its "
                                                       "place in the queue (the clerk left, or the console "
                                                       "went away)"},
        "window": {"type": "string", "nullable": True, "description": "where to go, once called"},
        "position": {"type": "integer", "description": "people ahead: how many the windows serving the ticket "
                                                       "would call before it now (the call-next order)"},
        "estimated_wait_minutes": {"type": "integer", "description": "minutes until it is called (a checked-in "
                                                                     "booking: until `expected_at`)"},
        "issued_at": {"type": "string", "format": "date-time"}, "office_day": {"type": "string", "format": "date"},
        "language": {"type": "string"}, "track_url": {"type": "string", "format": "uri"},
        "appointment_at": {"type": "string", "format": "date-time", "nullable": True,
                           "description": "a checked-in booking's slot; null for a walk-in ticket"},
        "expected_at": {"type": "string", "format": "date-time", "nullable": True,
                        "description": "a checked-in booking still waiting: about when it is called (its slot, "
                                       "later only if the visitors due before it keep the windows busy); "
                                       "null for a walk-in ticket and once called"}}},
    "IssuedTicket": {"allOf": [_ref("Ticket"), {"type": "object", "properties": {
        "printed": {"type": "boolean"}, "replayed": {"type": "boolean"},
        "print_problem": {"type": "object", "nullable": True, "properties": {
            "error": {"type": "string", "enum": ["no_printer", "printer_offline", "paper_out",
                                                 "printer_timeout", "printer_error", "agent_offline",
                                                 "agent_pending"]},
            "message": {"type": "string"}}}}}]},
    "TicketRequest": bodies.TICKET,
    "WindowState": {"type": "object", "properties": {
        "window": {"type": "string"}, "paused": {"type": "boolean"},
        "ticket": {"allOf": [_ref("Ticket")], "nullable": True},
        "queues": {"type": "array", "items": {"type": "object", "properties": {
            "service": {"type": "string"}, "name": {"type": "string"}, "waiting": {"type": "integer"},
            "longest_wait_minutes": {"type": "integer"}}}},
        "waiting": {"type": "array", "description": "the waiting tickets in the order this window calls them "
                                                    "(at most 60)", "items": {"type": "object", "properties": {
            "number": {"type": "string"}, "service": {"type": "string"}, "priority": {"type": "boolean"},
            "booked": {"type": "boolean"}, "returned": {"type": "boolean"}, "language": {"type": "string"},
            "language_name": {"type": "string", "description": "the visitor's language named in itself"},
            "queued_at": {"type": "string", "format": "date-time"}}}},
        "transfer_to": {"type": "array", "items": {"type": "object"}},
        "recalls_before_no_show": {"type": "integer"}}},
    "Printer": {"type": "object", "properties": {
        "kiosk": {"type": "string"}, "kind": {"type": "string"}, "attached_to_kiosk": {"type": "boolean"},
        "status": {"type": "string", "enum": ["online", "paper_low", "paper_out", "offline", "unknown", "none"]},
        "checked_at": NULLABLE_STR, "agent_connected": {"type": "boolean"}}},
}


def openapi_document() -> dict[str, Any]:
    document = _document()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            _add_common_errors(path, operation)
    return document


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Okienko API", "version": __version__,
                 "description": "Queue tickets, services and printers of an Okienko office. Errors are "
                                "`{\"error\": code, \"message\": text}` in the request's language."},
        "components": {"schemas": {**SCHEMAS, **openapi_booking.SCHEMAS, **openapi_draws.SCHEMAS,
                                              **openapi_admin.SCHEMAS, **openapi_admin_days.SCHEMAS, **openapi_admin_closures.SCHEMAS,
                                              **openapi_admin_events.SCHEMAS, **openapi_event_stats.SCHEMAS, **openapi_stats.SCHEMAS,
                                              **openapi_staff_feeds.SCHEMAS,
                                              **openapi_admin_office.SCHEMAS}, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "okienko_session",
                        "description": "the clerk console's session (sign in at /console/login); changes also "
                                       "need the X-CSRF-Token header"},
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a kiosk's device token (`okienko device add kiosk NAME`) or a staff "
                                      "token (`okienko token create USER`)"}}},
        "paths": {
            "/healthz": {"get": {"summary": "Liveness and database check", "responses": {
                "200": _json({"type": "object"}, "ok"), "503": _json({"type": "object"}, "database unreachable")}}},
            "/readyz": {"get": {"summary": "Readiness: database and live-event broker reachable, outbox not stuck "
                                           "(docs/monitoring.md)", "responses": {
                "200": _json(_READINESS, "ready"), "503": _json(_READINESS, "not ready: `failed` names the checks")}}},
            "/metrics": {"get": {
                "summary": "Prometheus metrics, for the monitoring server only: the `metrics_token` as a bearer "
                           "token and/or an address in `metrics_allow`; refused to everyone while neither is set "
                           "(docs/monitoring.md)",
                "responses": {"200": {"description": "the Prometheus text format",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}},
                              **_errors(401, 403)}}},
            "/api/v1/services": {"get": {
                "summary": "Services of the office with queue length, wait estimate and whether open now",
                "parameters": [LANG_PARAM, {"name": "office", "in": "query", "required": False,
                                            "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "office": {"type": "object"}, "language": {"type": "string"},
                    "services": {"type": "array", "items": _ref("Service")},
                    "priority_categories": {"type": "array", "items": _ref("Priority")}}}, "the services"),
                    **_errors(404)}}},
            "/api/v1/events": {"get": {
                "summary": "The office's published information Saturdays from today on: date, hours, title, "
                           "description, services, and whether and from when they can be booked",
                "parameters": [LANG_PARAM, {"name": "office", "in": "query", "required": False,
                                            "schema": {"type": "string"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "office": {"type": "object"}, "language": {"type": "string"}, "feed_url": {"type": "string"},
                    "events": {"type": "array", "items": _ref("PublicEvent")}}}, "the events"),
                    **_errors(404)}}},
            "/calendar/events.ics": {"get": {
                "summary": "The information Saturdays as an iCalendar feed to subscribe to (RFC 5545; stable "
                           "UIDs, SEQUENCE on changes, cancelled events as STATUS:CANCELLED)",
                "parameters": [LANG_PARAM, {"name": "office", "in": "query", "required": False,
                                            "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the feed",
                                      "content": {"text/calendar": {"schema": {"type": "string"}}}},
                              **_errors(404)}}},
            "/api/v1/tickets": {"post": {
                "summary": "Issue a ticket (kiosk token). Retrying with the same Idempotency-Key returns "
                           "the same ticket (200, replayed: true).",
                "security": [{"bearer": []}],
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 100}}],
                "requestBody": json_body(_ref("TicketRequest")),
                "responses": {"201": _json(_ref("IssuedTicket"), "issued"),
                              "200": _json(_ref("IssuedTicket"), "a retried request: the ticket issued before"),
                              **_errors(400, 401, 403, 404, 409, 503)}}},
            "/api/v1/tickets/{ticket_id}": {"get": {
                "summary": "A ticket now: status, people ahead, estimated wait", "parameters": [TICKET_ID, LANG_PARAM],
                "responses": {"200": _json(_ref("Ticket"), "the ticket"), **_errors(404)}}},
            "/api/v1/tickets/{ticket_id}/cancel": {"post": {
                "summary": "The visitor gives up their place", "parameters": [TICKET_ID, LANG_PARAM],
                "responses": {"200": _json(_ref("Ticket"), "cancelled"), **_errors(404, 409)}}},
            "/api/v1/tickets/{ticket_id}/phone": {
                "put": {"summary": "A walk-in's mobile number: one SMS when few people are ahead (the office's "
                                   "`near_turn_ahead`), one when called, in the ticket's language. Only while the "
                                   "ticket waits, where the server has an SMS gateway (else `sms_not_offered`)",
                        "parameters": [TICKET_ID, LANG_PARAM], "requestBody": json_body(bodies.TICKET_PHONE),
                        "responses": {"200": _json(TICKET_SMS, "the ticket's SMS now"),
                                      **_errors(400, 404, 409, 422, 429)}},
                "delete": {"summary": "Remove the number: no more SMS for this ticket",
                           "parameters": [TICKET_ID, LANG_PARAM],
                           "responses": {"200": _json(TICKET_SMS, "the ticket's SMS now"), **_errors(404, 409)}}},
            "/api/v1/printers": {"get": {
                "summary": "Printer health of the office's kiosks (a kiosk token sees its own)",
                "security": [{"bearer": []}], "parameters": [LANG_PARAM],
                "responses": {"200": _json({"type": "object", "properties": {
                    "printers": {"type": "array", "items": _ref("Printer")}}}, "printers"), **_errors(401, 403)}}},
            "/api/v1/tickets/{ticket_id}/{action}": {"post": {
                "summary": "A clerk's action on a ticket: recall, start, finish, no-show, transfer "
                           "(body {\"service\": code}: the ticket keeps its number and joins that queue), or "
                           "return (a called or served ticket goes back to its place in its own queue)",
                "security": [{"bearer": []}, {"session": []}],
                "parameters": [TICKET_ID, LANG_PARAM, {"name": "action", "in": "path", "required": True, "schema": {
                    "type": "string", "enum": ["recall", "start", "finish", "no-show", "transfer", "return"]}}],
                "requestBody": {**json_body(bodies.TICKET_ACTION), "required": False},
                "responses": {"200": _json(_ref("Ticket"), "the ticket after the action"),
                              **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/tickets/{ticket_id}/document-check": {"post": {
                "summary": "The desk's document check: is the document number typed or scanned the one the "
                           "ticket's booking was made with? (clerk at the ticket's window, or a manager; recorded "
                           "as a `document_checked` booking event, without the number)",
                "security": [{"bearer": []}, {"session": []}], "parameters": [TICKET_ID, LANG_PARAM],
                "requestBody": json_body(bodies.DOCUMENT_CHECK),
                "responses": {"200": _json({"type": "object", "required": ["matched", "message"], "properties": {
                    "matched": {"type": "boolean"},
                    "message": {"type": "string", "description": "what the clerk should do, in their language"}}},
                    "the outcome"), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/windows": {"get": {
                "summary": "The office's windows and who sits at each now (the console's window chooser)",
                "security": [{"bearer": []}, {"session": []}], "parameters": [LANG_PARAM],
                "responses": {"200": _json({"type": "object", "required": ["windows"], "properties": {
                    "windows": {"type": "array", "items": {
                        "type": "object", "required": ["number", "services", "taken_by", "yours"], "properties": {
                            "number": {"type": "string"},
                            "services": {"type": "array", "items": {"type": "string"},
                                         "description": "the services' names in the requested language"},
                            "taken_by": {"type": "string", "nullable": True,
                                         "description": "user name of the clerk sitting there now; null: free"},
                            "yours": {"type": "boolean", "description": "this session sits there"}}}}}},
                    "the windows"), **_errors(401, 403)}}},
            "/api/v1/windows/{window}": {"get": {
                "summary": "The clerk's window: ticket in hand, queues, pause state (renews the clerk's hold)",
                "security": [{"bearer": []}, {"session": []}], "parameters": [WINDOW, LANG_PARAM],
                "responses": {"200": _json(_ref("WindowState"), "the window"), **_errors(401, 403, 404, 409)}}},
            "/api/v1/windows/{window}/sign-in": {"post": {
                "summary": "Sit at this window (one clerk per window)", "security": [{"bearer": []}, {"session": []}],
                "parameters": [WINDOW, LANG_PARAM],
                "responses": {"200": _json(_ref("WindowState"), "the window"), **_errors(401, 403, 404, 409)}}},
            "/api/v1/windows/{window}/sign-out": {"post": {
                "summary": "Leave the window; `ticket` says what becomes of the ticket in hand (required when "
                           "there is one: `ticket_in_hand`)", "security": [{"bearer": []}, {"session": []}],
                "parameters": [WINDOW, LANG_PARAM], "requestBody": {**json_body(bodies.LEAVE), "required": False},
                "responses": {"204": {"description": "left"}, **_errors(400, 401, 403, 409)}}},
            "/api/v1/windows/{window}/call": {"post": {
                "summary": "Call this waiting ticket out of turn (one waiting in a queue the window serves; a "
                           "ticket being served is finished first)", "security": [{"bearer": []}, {"session": []}],
                "parameters": [WINDOW, LANG_PARAM], "requestBody": json_body(bodies.CALL),
                "responses": {"200": _json(_ref("Ticket"), "the called ticket"),
                              **_errors(400, 401, 403, 404, 409, 503)}}},
            "/api/v1/windows/{window}/pause": {"post": {
                "summary": "Pause or resume the window", "security": [{"bearer": []}, {"session": []}],
                "parameters": [WINDOW, LANG_PARAM],
                "requestBody": json_body(bodies.PAUSE),
                "responses": {"200": _json(_ref("WindowState"), "the window"), **_errors(400, 401, 403, 409)}}},
            "/api/v1/windows/{window}/call-next": {"post": {
                "summary": "Call the next visitor (order: checked-in bookings due now when booked_order is "
                           "'first', priority, the window's service order, waiting time; docs/api.md). A ticket "
                           "being served is finished first.",
                "security": [{"bearer": []}, {"session": []}], "parameters": [WINDOW, LANG_PARAM],
                "responses": {"200": _json(_ref("Ticket"), "the called ticket"),
                              "204": {"description": "nobody waits for this window's services"},
                              **_errors(401, 403, 404, 409, 503)}}},
            "/api/v1/board": {"get": {
                "summary": "The board snapshot (the first message of /ws/board; docs/live.md)",
                "security": [{"bearer": []}, {"session": []}],
                "responses": {"200": _json({"type": "object"}, "snapshot"), **_errors(401, 403)}}},
            "/api/v1/board/ticker": {"put": {
                "summary": "Set the hall board's running line (manager)", "security": [{"bearer": []}, {"session": []}],
                "requestBody": json_body(bodies.TICKER),
                "responses": {"200": _json({"type": "object"}, "the new line"), **_errors(400, 401, 403)}}},
            "/api/v1/sms/delivery-report": {"post": {
                "summary": "The SMS gateway reports a message delivered or failed (`id`: the `{id}` it was sent "
                           "with); other statuses are acknowledged and not recorded",
                "parameters": [{"name": "X-Okienko-Secret", "in": "header", "required": False,
                                "schema": {"type": "string"}, "description": "the setting sms_delivery_secret"},
                               {"name": "secret", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "the same, for gateways that can only be given an address"}],
                "requestBody": {"required": True, "content": {
                    ct: {"schema": {"type": "object", "properties": {
                        "id": {"type": "string"}, "status": {"type": "string", "example": "delivered"}}}}
                    for ct in ("application/json", "application/x-www-form-urlencoded")}},
                "responses": {"200": _json({"type": "object", "properties": {"recorded": {"type": "boolean"}}},
                                           "whether a message's delivery was recorded"), **_errors(403, 404)}}},
            **openapi_booking.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_draws.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_admin.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_admin_days.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_admin_closures.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_admin_events.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_admin_office.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_event_stats.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_stats.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_staff_feeds.paths(_ref, _json, _errors, LANG_PARAM),
            **openapi_call_centre.paths(_ref, _json, _errors, LANG_PARAM),
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _json({"type": "object"},
                                                                                              "OpenAPI 3")}}},
        },
    }

"""The back office's office set-up and audit log in the OpenAPI document (merged into booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_booking import json_body

STR = {"type": "string"}
LINES = {"type": "object", "additionalProperties": {"type": "string"}, "description": "per language"}
WEEK_VIEW = {"type": "object", "additionalProperties": {"type": "array", "items": STR},
             "description": "per weekday (mon…sun) its opening ranges; a day left out is closed",
             "example": {"mon": ["08:00-15:00"]}}
OFFICE_QUERY = {"name": "office", "in": "query", "required": False, "schema": STR,
                "description": "an admin of no office: which office (default: the server's); a manager: their own "
                               "only (another is `forbidden`)"}
SECURITY = [{"bearer": []}, {"session": []}]

SCHEMAS: dict[str, Any] = {
    "AdminOffice": {"type": "object", "description": "the [office] table of the office file", "properties": {
        "code": STR, "name": STR, "timezone": STR, "default_language": STR,
        "closed_on_public_holidays": {"type": "boolean"}, "priority_mode": STR,
        "recalls_before_no_show": {"type": "integer"}, "transfer_position": STR,
        "closures": {"type": "array", "items": STR}, "ticket_footer": LINES, "booking": {"type": "object"},
        "board_languages": {"type": "array", "items": STR,
                            "description": "the languages the boards take turns in and speak, in order"}}},
    "AdminService": {"type": "object", "description": "a [[service]] of the office file", "properties": {
        "code": STR, "prefix": STR, "names": LINES, "number_digits": {"type": "integer"},
        "average_service_minutes": {"type": "number"}, "daily_limit": {"type": "integer", "nullable": True},
        "last_ticket_minutes_before_close": {"type": "integer"}, "walk_in": {"type": "boolean"},
        "hours": WEEK_VIEW,
        "booking": {"type": "object", "nullable": True, "description": "[service.booking]; `days` as `hours`"},
        "active": {"type": "boolean", "description": "false: switched off"},
        "waiting": {"type": "integer", "description": "people waiting today"}}},
    "AdminWindow": {"type": "object", "properties": {
        "number": STR, "name": STR, "services": {"type": "array", "items": STR}, "active": {"type": "boolean"},
        "clerk": {"type": "string", "nullable": True, "description": "who sits there now"},
        "ticket": {"type": "object", "nullable": True, "description": "the ticket called or served there",
                   "properties": {"id": STR, "number": STR, "status": STR}}}},
    "AdminPriority": {"type": "object", "properties": {"code": STR, "mark": STR, "names": LINES,
                                                       "active": {"type": "boolean"}}},
    "Notices": {"type": "object", "properties": {"ticker": LINES, "kiosk": LINES}},
    "AuditChange": {"type": "object", "properties": {
        "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": STR,
        "action": {"type": "string", "example": "service.update"}, "target": STR,
        "before": {"nullable": True, "description": "what it was (null: it did not exist)"},
        "after": {"nullable": True, "description": "what it became"}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The /api/v1/admin/ set-up paths, built with openapi.py's helpers."""
    admin = "/api/v1/admin"

    def one(name: str, key: str) -> dict[str, Any]:
        return json({"type": "object", "properties": {key: ref(name)}}, f"the {key}")

    def operation(summary: str, responses: dict[str, Any], *statuses: int, body: dict[str, Any] | None = None,
                  optional: bool = False, path: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        found: dict[str, Any] = {"summary": summary, "security": SECURITY,
                                 "parameters": [*path, OFFICE_QUERY, lang],
                                 "responses": {**responses, **errors(401, 403, *statuses)}}
        if body is not None:
            found["requestBody"] = {**json_body(body), "required": not optional}
        return found

    service = ({"name": "service", "in": "path", "required": True, "schema": STR, "example": "A"},)
    window = ({"name": "window", "in": "path", "required": True, "schema": STR, "example": "7"},)
    priority = ({"name": "priority", "in": "path", "required": True, "schema": STR, "example": "veteran"},)
    invalid = (400, 422)
    found = {
        f"{admin}/office": {
            "get": operation("The office set-up: the office, its services, windows and priority categories (those "
                             "switched off too), as the office file holds them", {"200": json({"type": "object", "properties": {
                                 "office": ref("AdminOffice"), "services": {"type": "array", "items": ref("AdminService")},
                                 "windows": {"type": "array", "items": ref("AdminWindow")},
                                 "priorities": {"type": "array", "items": ref("AdminPriority")},
                                 "languages": {"type": "array", "items": STR}}}, "the set-up")}),
            "put": operation("Change the office's own keys; each key given replaces its value",
                             {"200": one("AdminOffice", "office")}, *invalid, body=bodies.OFFICE_EDIT)},
        f"{admin}/services": {"post": operation(
            "Add a service (checked as the office file is: `office_invalid` names the key)",
            {"201": {**one("AdminService", "service"), "description": "added"}}, *invalid, body=bodies.SERVICE_NEW)},
        f"{admin}/services/{{service}}": {"put": operation(
            "Change a service; each key given replaces its value (`hours`: the whole week)",
            {"200": one("AdminService", "service")}, 404, *invalid, body=bodies.SERVICE_EDIT, path=service)},
        f"{admin}/services/{{service}}/switch-off": {"post": operation(
            "Switch a service off; with people waiting today `service_has_waiting` (409, `waiting`) unless "
            "`confirm`: true (their tickets are cancelled)", {"200": one("AdminService", "service")}, 404, 409,
            *invalid, body=bodies.SWITCH, optional=True, path=service)},
        f"{admin}/services/{{service}}/switch-on": {"post": operation(
            "Switch a service on again (with the windows that served it)", {"200": one("AdminService", "service")},
            404, *invalid, body=bodies.SWITCH, optional=True, path=service)},
        f"{admin}/windows": {"post": operation(
            "Add a window", {"201": {**one("AdminWindow", "window"), "description": "added"}}, *invalid,
            body=bodies.WINDOW_NEW)},
        f"{admin}/windows/{{window}}": {"put": operation(
            "Change a window's name or services", {"200": one("AdminWindow", "window")}, 404, *invalid,
            body=bodies.WINDOW_EDIT, path=window)},
        f"{admin}/windows/{{window}}/switch-off": {"post": operation(
            "Switch a window off; `window_in_use` (409) while a visitor is called or served there",
            {"200": one("AdminWindow", "window")}, 404, 409, *invalid, body=bodies.SWITCH, optional=True,
            path=window)},
        f"{admin}/windows/{{window}}/switch-on": {"post": operation(
            "Switch a window on again", {"200": one("AdminWindow", "window")}, 404, *invalid, body=bodies.SWITCH,
            optional=True, path=window)},
        f"{admin}/priorities": {"post": operation(
            "Add a priority category", {"201": {**one("AdminPriority", "priority"), "description": "added"}},
            *invalid, body=bodies.PRIORITY_NEW)},
        f"{admin}/priorities/{{priority}}": {"put": operation(
            "Change a priority category's mark or names", {"200": one("AdminPriority", "priority")}, *invalid,
            body=bodies.PRIORITY_EDIT, path=priority)},
        f"{admin}/priorities/{{priority}}/switch-off": {"post": operation(
            "Switch a priority category off (kiosks no longer offer it)", {"200": one("AdminPriority", "priority")},
            *invalid, body=bodies.SWITCH, optional=True, path=priority)},
        f"{admin}/priorities/{{priority}}/switch-on": {"post": operation(
            "Switch a priority category on again", {"200": one("AdminPriority", "priority")}, *invalid,
            body=bodies.SWITCH, optional=True, path=priority)},
        f"{admin}/notices": {
            "get": operation("The board's ticker and the kiosk message, per language",
                             {"200": json(ref("Notices"), "the notices")}),
            "put": operation("Set them: a kind given replaces its lines (`{}` clears them), a kind left out stays",
                             {"200": json(ref("Notices"), "the notices")}, *invalid, body=bodies.NOTICES)},
        f"{admin}/audit": {"get": operation(
            "The office's changes, newest first, 200 at a time (`older_than`: the last id of the page before)",
            {"200": json({"type": "object", "properties": {
                "changes": {"type": "array", "items": ref("AuditChange")},
                "older_than": {"type": "integer", "nullable": True, "description": "to ask for the next page"}}},
                "the changes")}, 400,
            path=({"name": "action", "in": "query", "required": False, "schema": STR,
                   "description": "only these: `service` (all of service.*) or one action, `service.update`"},
                  {"name": "actor", "in": "query", "required": False, "schema": STR,
                   "description": "only this user's changes (e.g. one call-centre operator's)"},
                  {"name": "older_than", "in": "query", "required": False, "schema": {"type": "integer"}}))},
        f"{admin}/audit.csv": {"get": operation(
            "The same as a CSV download (id, at, actor, action, target, before, after; before/after as JSON)",
            {"200": {"description": "CSV", "content": {"text/csv": {"schema": STR}}}}, 400,
            path=({"name": "action", "in": "query", "required": False, "schema": STR},
                  {"name": "actor", "in": "query", "required": False, "schema": STR},
                  {"name": "older_than", "in": "query", "required": False, "schema": {"type": "integer"}}))},
    }
    return found

"""The back office's paths (today, devices, staff) and their schemas, for openapi.py."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_booking import json_body

STAFF = [{"session": []}, {"bearer": []}]
TIME = {"type": "string", "format": "date-time", "nullable": True}
OFFICE = {"name": "office", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "the office an admin of no office acts on (a manager: their own only)"}
DEVICE_ID = {"name": "device_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Today": {"type": "object", "required": ["services", "windows", "stranded", "devices"], "properties": {
        "services": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "waiting": {"type": "integer"},
            "longest_wait_minutes": {"type": "integer"},
            "estimated_wait_minutes": {"type": "integer", "description": "the wait a new ticket is told at the kiosk"},
            "issued": {"type": "integer"}, "served": {"type": "integer"}}}},
        "windows": {"type": "array", "items": {"type": "object", "properties": {
            "number": {"type": "string"}, "name": {"type": "string"},
            "state": {"type": "string", "enum": ["open", "paused", "closed"]},
            "clerk": {"type": "string", "nullable": True},
            "ticket": {"type": "object", "nullable": True, "properties": {
                "id": {"type": "string"}, "number": {"type": "string"}}}}}},
        "stranded": {"type": "array", "description": "tickets at a window nobody holds, or whose console has not "
                                                     "been heard for a minute", "items": {
            "type": "object", "properties": {"ticket_id": {"type": "string"}, "number": {"type": "string"},
                                             "window": {"type": "string"}, "called_at": TIME}}},
        "devices": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["kiosk", "board", "printer"]}, "name": {"type": "string"},
            "silent": {"type": "boolean", "description": "not heard for over a minute"},
            "last_seen_at": TIME}}}}},
    "Device": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["kiosk", "board"]}, "name": {"type": "string"},
        "active": {"type": "boolean", "description": "has a working token"}, "last_seen_at": TIME,
        "silent": {"type": "boolean"}, "printer": {"type": "boolean"},
        "printer_status": {"type": "string", "enum": ["online", "paper_low", "paper_out", "offline", "unknown", "none"]},
        "printer_checked_at": TIME, "printer_silent": {"type": "boolean"}}},
    "User": {"type": "object", "properties": {
        "username": {"type": "string"}, "role": {"type": "string", "enum": ["clerk", "operator", "manager", "admin"]},
        "office": {"type": "string", "nullable": True}, "disabled": {"type": "boolean"}, "locked": {"type": "boolean"},
        "must_change_password": {"type": "boolean"}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The back office's paths, built with openapi.py's helpers."""
    device = {"type": "object", "properties": {"device": ref("Device")}}
    enrolment = {"type": "object", "properties": {
        "device": ref("Device"), "enrol_url": {"type": "string", "format": "uri", "description": "shown once"},
        "qr_svg": {"type": "string", "description": "the link as a QR code (SVG)"},
        "token": {"type": "string", "description": "the device token itself (a kiosk's print agent signs in with "
                                                  "it); shown once"}}}
    user = {"type": "object", "properties": {"user": ref("User")}}
    with_password = {"type": "object", "properties": {"user": ref("User"), "temporary_password": {
        "type": "string", "description": "shown once; the user chooses their own at the next sign-in"}}}

    def change(summary: str, answer: dict[str, Any], *params: dict[str, Any], body: dict[str, Any] | None = None,
               status: str = "200", refusals: tuple[int, ...] = (401, 403, 404, 409)) -> dict[str, Any]:
        operation: dict[str, Any] = {"summary": summary, "security": STAFF, "parameters": [*params, lang, OFFICE],
                                     "responses": {status: json(answer, "done"), **errors(*refusals)}}
        if body is not None:
            operation["requestBody"] = json_body(body)
        return operation

    return {
        "/api/v1/devices/heartbeat": {"post": {
            "summary": "A kiosk or board says it is still there (its token; the kiosk screen every 20 s)",
            "security": [{"bearer": []}], "parameters": [lang],
            "responses": {"204": {"description": "noted"}, **errors(401, 403)}}},
        "/api/v1/admin/today": {"get": {
            "summary": "The office now (manager): queues, windows, stranded tickets, silent devices",
            "security": STAFF, "parameters": [lang, OFFICE],
            "responses": {"200": json(ref("Today"), "the office now"), **errors(401, 403)}}},
        "/api/v1/admin/tickets/{ticket_id}/hand": {"post": change(
            "Call a stranded ticket to another window (a call: boards and the visitor's phone show it)",
            ref("Ticket"), TICKET_ID, body=bodies.HAND, refusals=(400, 401, 403, 404, 409))},
        "/api/v1/admin/devices": {
            "get": {"summary": "The office's kiosks and boards: heartbeat, silence, printer", "security": STAFF,
                    "parameters": [lang, OFFICE], "responses": {
                        "200": json({"type": "object", "properties": {"devices": {"type": "array",
                                                                                  "items": ref("Device")}}},
                                    "the devices"), **errors(401, 403)}},
            "post": change("Add a kiosk or board: its enrolment link and QR code (shown once)", enrolment,
                           body=bodies.NEW_DEVICE, status="201", refusals=(400, 401, 403, 409, 422))},
        "/api/v1/admin/devices/{device_id}": {"put": change(
            "Rename a device", device, DEVICE_ID, body=bodies.RENAME_DEVICE, refusals=(400, 401, 403, 404, 409, 422))},
        "/api/v1/admin/devices/{device_id}/revoke": {"post": change(
            "Take the device's token away: it is signed out at once", device, DEVICE_ID)},
        "/api/v1/admin/devices/{device_id}/enrol": {"post": change(
            "A new enrolment link and QR code (shown once); the old token stops working", enrolment, DEVICE_ID)},
        "/api/v1/admin/users": {
            "get": {"summary": "The office's staff accounts (never a password)", "security": STAFF,
                    "parameters": [lang, OFFICE], "responses": {
                        "200": json({"type": "object", "properties": {"users": {"type": "array", "items": ref("User")}}},
                                    "the accounts"), **errors(401, 403)}},
            "post": change("Add a staff account with a temporary password (shown once)", with_password,
                           body=bodies.NEW_USER, status="201", refusals=(400, 401, 403, 409, 422))},
        "/api/v1/admin/users/{username}": {"put": change(
            "Change an account's role", user, USERNAME, body=bodies.USER_ROLE, refusals=(400, 401, 403, 404, 409, 422))},
        "/api/v1/admin/users/{username}/disable": {"post": change(
            "Disable an account: it cannot sign in, its sessions end, its tokens are refused", user, USERNAME)},
        "/api/v1/admin/users/{username}/enable": {"post": change("Enable an account again", user, USERNAME)},
        "/api/v1/admin/users/{username}/reset-password": {"post": change(
            "A temporary password (shown once); the user's sessions end and the next sign-in asks for a new one",
            with_password, USERNAME)},
        "/api/v1/admin/users/{username}/unlock": {"post": change(
            "End the lock-out after wrong passwords, from every address", user, USERNAME)},
    }

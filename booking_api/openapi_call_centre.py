"""The call centre's paths in the OpenAPI document (merged into booking_api/openapi.py)."""

from __future__ import annotations

from typing import Any, Callable

from booking_api import bodies
from booking_api.openapi_booking import CODE, OFFICE, STR, json_body

STAFF = [{"bearer": []}, {"session": []}]
DAY = {"type": "string", "format": "date"}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """/api/v1/call-centre/...: for operators, managers and admins of the office (docs/call-centre.md)."""
    one = json({"type": "object", "properties": {"booking": ref("AdminBooking")}}, "the booking")
    return {
        "/api/v1/call-centre/slots": {"get": {
            "summary": "Free places of a service's slots, or the day's open draw, as /api/v1/slots (operator)",
            "security": STAFF,
            "parameters": [{"name": "service", "in": "query", "required": True, "schema": STR},
                           {"name": "from", "in": "query", "required": False, "schema": DAY},
                           {"name": "to", "in": "query", "required": False, "schema": DAY}, OFFICE, lang],
            "responses": {"200": json(ref("SlotListing"), "the slots"), **errors(400, 401, 403, 404)}}},
        "/api/v1/call-centre/bookings": {"post": {
            "summary": "Book a caller, confirmed at once (no one-time code: the operator speaks to them); the "
                       "booking code goes by SMS, and the confirmation by email where one is given",
            "security": STAFF, "parameters": [OFFICE, lang], "requestBody": json_body(bodies.CALL_CENTRE_BOOKING),
            "responses": {"201": json({"type": "object", "properties": {
                "booking": ref("Booking"), "sent_to": {"type": "object", "description": "channel -> masked address"}}},
                "booked"), **errors(400, 401, 403, 404, 409, 422, 429)}}},
        "/api/v1/call-centre/draws/{draw_id}/entries": {"post": {
            "summary": "Enter a caller into an open draw, in at once (no one-time code); they are told by SMS "
                       "(and email where given), and the result follows as for any entry",
            "security": STAFF, "parameters": [{"name": "draw_id", "in": "path", "required": True,
                                               "schema": {"type": "integer"}}, OFFICE, lang],
            "requestBody": json_body(bodies.CALL_CENTRE_DRAW_ENTRY),
            "responses": {"201": json({"type": "object", "properties": {
                "id": STR, "status": STR, "ticket": STR,
                "receipt": {"type": "string", "description": "shown once: checks the entry at /draw-entries/{id}"},
                "sent_to": {"type": "object"}}}, "entered"), **errors(400, 401, 403, 404, 409, 422, 429)}}},
        "/api/v1/call-centre/lookup": {"post": {
            "summary": "A caller's bookings where the name, the date of birth and the document's end all match "
                       "(an empty list otherwise)",
            "security": STAFF, "parameters": [OFFICE, lang], "requestBody": json_body(bodies.CALL_CENTRE_LOOKUP),
            "responses": {"200": json({"type": "object", "properties": {
                "bookings": {"type": "array", "items": ref("AdminBooking")}}}, "the caller's bookings"),
                **errors(400, 401, 403, 422, 429)}}},
        "/api/v1/call-centre/bookings/{code}/move": {"post": {
            "summary": "Move the identified caller's booking to a free place of another slot; they are told",
            "security": STAFF, "parameters": [CODE, OFFICE, lang], "requestBody": json_body(bodies.CALL_CENTRE_MOVE),
            "responses": {"200": one, **errors(400, 401, 403, 404, 409, 422, 429)}}},
        "/api/v1/call-centre/bookings/{code}/cancel": {"post": {
            "summary": "Cancel the identified caller's booking; they are told",
            "security": STAFF, "parameters": [CODE, OFFICE, lang],
            "requestBody": json_body(bodies.CALL_CENTRE_CANCEL),
            "responses": {"200": one, **errors(400, 401, 403, 404, 409, 422, 429)}}},
    }

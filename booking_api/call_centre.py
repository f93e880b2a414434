"""The call centre's API (/api/v1/call-centre/...): an operator (or a manager, an admin) lists free
slots, books a caller, finds a caller's booking by their identity and moves or cancels it. Thin:
the rules live in okienko/booking/call_centre.py (and the booking core behind it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, field_error, okienko, query_date, read_json, slot_start
from booking_api.presenters import admin_booking_json, booking_json
from booking_api.sessions import Clerk, require_manager
from okienko.errors import DomainError
from okienko.i18n import LANGUAGES, _
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day

CALL_CENTRE_ROLES = ("operator", "manager", "admin")
PERSON_FIELDS = ("name", "birth_date", "document_number", "document_country", "phone", "email", "case_number")
IDENTITY_FIELDS = ("name", "birth_date", "document_end")
LISTED_DAYS = 7   # what an operator reads out to a caller: a week at a time


async def _operator(request: Request) -> tuple[Clerk, OfficeSetup]:
    """An operator, manager or admin and their office (a manager's or operator's own office only)."""
    return await require_manager(request, *CALL_CENTRE_ROLES)




async def list_slots(request: Request) -> Response:
    """GET /api/v1/call-centre/slots?service=A&from=&to=: as /api/v1/slots (free places, or the
    day's draw), a week from `from` (today) unless `to` says otherwise, not counted against the
    call centre's address."""
    language = body_language(request, None)
    _clerk, setup = await _operator(request)
    code = request.query_params.get("service")
    if not code:
        raise field_error(_("the query parameter “service” is required, e.g. ?service=A"))
    service = setup.service(code)
    app = okienko(request)
    first = query_date(request.query_params.get("from"), "from") or office_day(setup, app.clock.now())
    last = query_date(request.query_params.get("to"), "to") or first + timedelta(days=LISTED_DAYS - 1)
    return JSONResponse(await app.booking.slot_listing(setup, service, first, last, language))


async def book(request: Request) -> Response:
    """POST /api/v1/call-centre/bookings: the caller booked and confirmed at once; the code by SMS."""
    body = await read_json(request, bodies.CALL_CENTRE_BOOKING)
    language = body_language(request, body)
    clerk, setup = await _operator(request)
    if not isinstance(body.get("service"), str):
        raise field_error(_("the field “service” must be a service code, e.g. “A”"))
    starts_at = slot_start(setup, body.get("start"), "start")
    details = {name: body.get(name) for name in PERSON_FIELDS}
    caller_language = body.get("caller_language") or language
    if caller_language not in LANGUAGES:
        raise DomainError("unknown_language")
    held = await okienko(request).call_centre.book(setup, body["service"], starts_at, details,
                                                   language=caller_language, operator=clerk.username)
    return JSONResponse({"booking": booking_json(setup, held.booking, language), "sent_to": held.sent_to},
                        status_code=201)


async def enter_draw(request: Request) -> Response:
    """POST /api/v1/call-centre/draws/{draw_id}/entries: the caller in the draw at once; told by SMS."""
    body = await read_json(request, bodies.CALL_CENTRE_DRAW_ENTRY)
    language = body_language(request, body)
    clerk, setup = await _operator(request)
    caller_language = body.get("caller_language") or language
    if caller_language not in LANGUAGES:
        raise DomainError("unknown_language")
    details = {name: body.get(name) for name in PERSON_FIELDS}
    entered = await okienko(request).call_centre.enter_draw(
        setup, request.path_params["draw_id"], details, body.get("preferences"), language=caller_language,
        operator=clerk.username)
    return JSONResponse({"id": entered.entry["id"], "status": "entered", "ticket": entered.entry["ticket"],
                         "receipt": entered.receipt, "sent_to": entered.sent_to}, status_code=201)


async def lookup(request: Request) -> Response:
    """POST /api/v1/call-centre/lookup {name, birth_date, document_end}: the caller's bookings where
    all three match (an empty list otherwise)."""
    body = await read_json(request, bodies.CALL_CENTRE_LOOKUP)
    language = body_language(request, body)
    clerk, setup = await _operator(request)
    app = okienko(request)
    found = await app.call_centre.find(setup, _identity(body), operator=clerk.username)
    return JSONResponse({"bookings": [admin_booking_json(setup, row, language, app.clock.now()) for row in found]})


async def move(request: Request) -> Response:
    """POST /api/v1/call-centre/bookings/{code}/move {identity…, starts_at}: moved; the caller is told."""
    body = await read_json(request, bodies.CALL_CENTRE_MOVE)
    language = body_language(request, body)
    clerk, setup = await _operator(request)
    app = okienko(request)
    done = await app.call_centre.move(setup, _identity(body), request.path_params["code"],
                                      slot_start(setup, body.get("starts_at"), "starts_at"), operator=clerk.username,
                                      language=language)
    return JSONResponse({"booking": admin_booking_json(setup, done, language, app.clock.now())})


async def cancel(request: Request) -> Response:
    """POST /api/v1/call-centre/bookings/{code}/cancel {identity…, reason}: cancelled; the caller is told."""
    body = await read_json(request, bodies.CALL_CENTRE_CANCEL)
    language = body_language(request, body)
    clerk, setup = await _operator(request)
    app = okienko(request)
    done = await app.call_centre.cancel(setup, _identity(body), request.path_params["code"],
                                        operator=clerk.username, reason=body.get("reason") or "")
    return JSONResponse({"booking": admin_booking_json(setup, done, language, app.clock.now())})


def _identity(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in IDENTITY_FIELDS}

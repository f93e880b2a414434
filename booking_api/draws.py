"""Draw endpoints: the public list of a service's draws and their results, entering a draw,
confirming the entry with the one-time code, and the entry's own status. Thin: the rules live
in okienko/booking/draws.py and okienko/booking/draw_run.py, behind OnlineBooking."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.bookings import PERSON_FIELDS, _language, _setup
from booking_api.http import client_address, field_error, link_secret, okienko, read_json
from okienko.booking.draws import draw_json, is_draw_service
from okienko.i18n import _
from okienko.links import PublicLinks


async def list_draws(request: Request) -> Response:
    """GET /api/v1/draws?service=F: the service's draws (upcoming, open, closed, done in the last 14 days)."""
    app = okienko(request)
    _language(request)
    service_code = request.query_params.get("service")
    if not service_code:
        raise field_error(_("the query parameter “service” is required, e.g. ?service=A"))
    setup = await _setup(request)
    service = setup.service(service_code)
    drawn = is_draw_service(setup, service)
    found = await app.booking.draws_for(setup, service) if drawn else []
    return JSONResponse({"service": service.code, "release_mode": "draw" if drawn else "first_come",
                         "draws": found})


async def get_draw(request: Request) -> Response:
    """GET /api/v1/draws/{draw_id}: the draw, and once it has run its seed and the ordered result."""
    app = okienko(request)
    _language(request)
    setup = await _setup(request)
    return JSONResponse(await app.booking.draw(setup, request.path_params["draw_id"]))


async def enter_draw(request: Request) -> Response:
    """POST /api/v1/draws/{draw_id}/entries: enter a person; the one-time code goes to their email."""
    app = okienko(request)
    body = await read_json(request, bodies.DRAW_ENTRY)
    language = _language(request, body)
    setup = await _setup(request)
    details = {name: body.get(name) for name in PERSON_FIELDS if name in body}
    entered, _draw = await app.booking.enter_draw(setup, None, request.path_params["draw_id"], details,
                                                  body.get("preferences"), language=language,
                                                  client=client_address(request))
    entry = entered.entry
    return JSONResponse({
        "id": entry["id"], "status": "pending", "sent_to": entered.sent_to,
        "expires_at": entry["pending_expires_at"].astimezone(setup.timezone).isoformat(),
        "confirm_url": f"/api/v1/draw-entries/{entry['id']}/confirm",
    }, status_code=202)


async def confirm_entry(request: Request) -> Response:
    """POST /api/v1/draw-entries/{entry_id}/confirm {"code"}: the entry is in; its receipt is shown once."""
    app = okienko(request)
    body = await read_json(request, bodies.ONE_TIME_CODE)
    _language(request, body)
    code = body.get("code")
    if not isinstance(code, (str, int)) or not str(code).strip():
        raise field_error(_("the field “code” must be the code from the email"))
    setup = await _setup(request)
    entry, draw, receipt = await app.booking.confirm_entry(setup, request.path_params["entry_id"], str(code))
    return JSONResponse({"id": entry["id"], "status": "entered", "receipt": receipt, "ticket": entry["ticket"],
                         "draw": draw_json(setup, draw, app.clock.now()),
                         # the entry's page; the receipt in it shows the entry to whoever holds it
                         "status_url": PublicLinks.draw_entry_path(entry["id"], receipt=receipt)},
                        status_code=201)


def _receipt(request: Request, body: dict[str, Any] | None = None) -> str:
    return link_secret(request, body, "receipt", "x-draw-receipt", "entry_not_found")


async def get_entry(request: Request) -> Response:
    """GET /api/v1/draw-entries/{entry_id}?receipt=...: where the entry stands."""
    app = okienko(request)
    language = _language(request)
    setup = await _setup(request)
    return JSONResponse(await app.booking.entry_status(setup, request.path_params["entry_id"], _receipt(request),
                                                       language))


async def withdraw_entry(request: Request) -> Response:
    """POST /api/v1/draw-entries/{entry_id}/withdraw {"receipt"}: out of the draw, while it is open."""
    app = okienko(request)
    body = await read_json(request, bodies.DRAW_RECEIPT)
    _language(request, body)
    setup = await _setup(request)
    await app.booking.withdraw_entry(setup, request.path_params["entry_id"], _receipt(request, body))
    return JSONResponse({"status": "withdrawn"})

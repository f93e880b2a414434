"""The back office's "today, live" (managers, own office): the office now, and handing a ticket left
at a window whose clerk went away to another window. Thin: the hall's front door does the work."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import language_of, okienko, public_links, read_json
from booking_api.presenters import NOWHERE, ticket_json, today_json
from booking_api.sessions import require_manager
from okienko.errors import DomainError
from okienko.i18n import _


async def get_today(request: Request) -> Response:
    """GET /api/v1/admin/today: queues, windows, stranded tickets and devices now."""
    app, language = okienko(request), language_of(request)
    _clerk, setup = await require_manager(request)
    return JSONResponse(today_json(setup, await app.hall.today(setup), language),
                        headers={"Cache-Control": "no-store"})


async def hand_ticket(request: Request) -> Response:
    """POST /api/v1/admin/tickets/{ticket_id}/hand {"window": "2"}: call a stranded ticket to that window."""
    app, language = okienko(request), language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.HAND)
    window = body.get("window")
    if not isinstance(window, str) or not window.strip() or len(window) > 10:
        raise DomainError("malformed_request", detail=_("the field “window” must be a window number, e.g. “2”"))
    handed = await app.hall.hand_over(setup, request.path_params["ticket_id"], window.strip(), actor=clerk.username)
    return JSONResponse(ticket_json(public_links(request), setup, handed, NOWHERE, language, app.translator))

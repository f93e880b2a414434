"""The clerk's buttons as API: take a window, call next, recall, start, finish, no-show, transfer,
the desk's document check. Thin: the hall's front door (okienko/hall/front_door.py) does the work."""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import language_of, office_of_staff, okienko, public_links, read_json
from booking_api.presenters import NOWHERE, ticket_json, window_choices_json, window_json
from booking_api.sessions import Clerk, require_clerk, seat_of
from okienko.container import Okienko
from okienko.errors import DomainError
from okienko.hall.front_door import Seat, WindowView
from okienko.i18n import _
from okienko.office.directory import OfficeSetup

ACTIONS = {"recall": "recall", "start": "start", "finish": "finish", "no-show": "no_show", "transfer": "transfer",
           "return": "return"}


async def _setup_for(request: Request, clerk: Clerk) -> OfficeSetup:
    return await office_of_staff(request, clerk.office_id)


def _window_answer(request: Request, setup: OfficeSetup, view: WindowView, language: str) -> Response:
    app = okienko(request)
    return JSONResponse(window_json(app.links, setup, view, language, app.translator))


async def _at_window(request: Request, change: Callable[[OfficeSetup, str, Seat], Awaitable[WindowView]]) -> Response:
    """The clerk's office and the window in the path, `change(setup, number, seat)` through the hall,
    and the window as the console shows it afterwards."""
    language = language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(request, clerk)
    view = await change(setup, request.path_params["window"], seat_of(clerk))
    return _window_answer(request, setup, view, language)


async def list_windows(request: Request) -> Response:
    """GET /api/v1/windows: the office's windows and who sits at each (the console's chooser)."""
    app = okienko(request)
    language = language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(request, clerk)
    return JSONResponse({"windows": await window_choices(app, setup, clerk, language)})


async def window_choices(app: Okienko, setup: OfficeSetup, clerk: Clerk, language: str) -> list[dict[str, object]]:
    """The chooser's windows: number, the services' names, and `taken_by` / `yours` (hall.seating)."""
    return window_choices_json(setup, await app.hall.seating(setup, seat_of(clerk)), language)


async def sign_in_window(request: Request) -> Response:
    """POST /api/v1/windows/{window}/sign-in: sit at this window."""
    return await _at_window(request, okienko(request).hall.take_window)


async def sign_out_window(request: Request) -> Response:
    """POST /api/v1/windows/{window}/sign-out {"ticket": "return"|"no_show"|"finish"}: leave the window;
    `ticket` says what becomes of the ticket in hand (required when there is one: `ticket_in_hand`)."""
    app = okienko(request)
    language_of(request)
    clerk = await require_clerk(request)
    body = await read_json(request, bodies.LEAVE, optional=True)
    await app.hall.leave_window(await _setup_for(request, clerk), seat_of(clerk), body.get("ticket"))
    return Response(status_code=204)


async def pause_window(request: Request) -> Response:
    """POST /api/v1/windows/{window}/pause {"paused": true|false}."""
    async def pause(setup: OfficeSetup, number: str, seat: Seat) -> WindowView:
        body = await read_json(request, bodies.PAUSE)
        if not isinstance(body.get("paused"), bool):
            raise DomainError("malformed_request", detail=_("the field “paused” must be true or false"))
        return await okienko(request).hall.pause(setup, number, seat, body["paused"])

    return await _at_window(request, pause)


async def get_window(request: Request) -> Response:
    """GET /api/v1/windows/{window}: the console's view (renews the clerk's hold)."""
    return await _at_window(request, okienko(request).hall.window)


async def call_next_visitor(request: Request) -> Response:
    """POST /api/v1/windows/{window}/call-next → 200 with the ticket, 204 when nobody waits."""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(request, clerk)
    called = await app.hall.call_next(setup, request.path_params["window"], seat_of(clerk))
    if called is None:
        return Response(status_code=204)
    return JSONResponse(ticket_json(public_links(request), setup, called, NOWHERE, language, app.translator))


async def call_number(request: Request) -> Response:
    """POST /api/v1/windows/{window}/call {"number": "A004"}: call that waiting ticket out of turn."""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    body = await read_json(request, bodies.CALL)
    number = body.get("number")
    if not isinstance(number, str) or not number.strip() or len(number) > 12:
        raise DomainError("malformed_request", detail=_("the field “number” must be a ticket number, e.g. “A004”"))
    setup = await _setup_for(request, clerk)
    called = await app.hall.call_number(setup, request.path_params["window"], seat_of(clerk), number)
    return JSONResponse(ticket_json(public_links(request), setup, called, NOWHERE, language, app.translator))


async def ticket_action(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/recall|start|finish|no-show|transfer|return (clerk)."""
    app, language = okienko(request), language_of(request)
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        raise DomainError("not_found")
    clerk = await require_clerk(request)
    setup = await _setup_for(request, clerk)
    body = await read_json(request, bodies.TICKET_ACTION, optional=action != "transfer")
    service = body.get("service")
    if action == "transfer" and not isinstance(service, str):
        raise DomainError("malformed_request", detail=_("the field “service” must be a service code, e.g. “A”"))
    moved = await app.hall.act(setup, request.path_params["ticket_id"], action, seat_of(clerk), service)
    return JSONResponse(ticket_json(public_links(request), setup, moved, NOWHERE, language, app.translator))


DOCUMENT_MATCHES = _("The document matches the booking.")
DOCUMENT_DIFFERS = _("The document does NOT match the booking. Do not serve: ask for the document used when booking.")


async def document_check(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/document-check {"document_number", "document_country"?}: does the
    document in hand match the booking behind the ticket? (clerk at its window, or a manager)"""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(request, clerk)
    body = await read_json(request, bodies.DOCUMENT_CHECK)
    typed, country = body.get("document_number"), body.get("document_country") or ""
    if not isinstance(typed, str) or not typed.strip() or len(typed) > 60:
        raise DomainError("malformed_request", detail=_("the field “document_number” must be the document's number"))
    if not isinstance(country, str) or len(country) > 2:
        raise DomainError("malformed_request",
                          detail=_("the field “document_country” must be a country code, e.g. “UA”"))
    matched = await app.hall.check_document(setup, request.path_params["ticket_id"], typed, country, seat_of(clerk),
                                            checked_by=clerk.username, secret_key=app.settings.secret_key)
    message = DOCUMENT_MATCHES if matched else DOCUMENT_DIFFERS
    return JSONResponse({"matched": matched, "message": app.translator.gettext(language, message)})

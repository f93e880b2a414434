"""The clerk's buttons as API: take a window, call next, recall, start, finish, no-show, transfer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.api import bodies
from booking_api.api.common import language_of, okienko, public_links, read_json
from booking_api.api.staff_auth import Clerk, require_clerk
from booking_api.api.tickets import ticket_json
from booking_api.calling import Moved, act, call_next, can_mark_no_show, desk
from booking_api.container import Okienko
from booking_api.desk_checks import check_document
from booking_api.errors import DomainError
from booking_api.i18n import _
from booking_api.office import OfficeSetup
from booking_api.windows import held_window, leave_window, set_paused, take_window, window_of

ACTIONS = {"recall": "recall", "start": "start", "finish": "finish", "no-show": "no_show", "transfer": "transfer"}


async def _setup_for(app: Okienko, clerk: Clerk) -> OfficeSetup:
    return await (app.offices.by_id(clerk.office_id) if clerk.office_id else app.offices.get())


async def window_state(app: Okienko, setup: OfficeSetup, window_id: int, language: str) -> dict[str, Any]:
    """What the console shows for one window: its ticket in hand and its queues."""
    async with app.db.read() as conn:
        state = await desk(conn, setup, window_id, app.clock.now())
    queues = []
    for queue in state.queues:
        service = setup.service_by_id(queue.service_id)
        queues.append({"service": service.code, "name": service.name(language), "waiting": queue.waiting,
                       "longest_wait_minutes": queue.longest_wait_minutes})
    ticket = None
    if state.current:
        current = state.current
        ticket = ticket_json(app.links, setup, current, 0, 0, language, app.translator)
        ticket.update(called_at=_iso(current["called_at"], setup), started_at=_iso(current["started_at"], setup),
                      recalls=current["recalls"], can_mark_no_show=can_mark_no_show(setup, current),
                      booking=_booked_person(state.booking, setup))
        ticket.pop("track_url", None)
    return {"window": setup.window_number(window_id), "paused": state.paused, "ticket": ticket, "queues": queues,
            "transfer_to": [{"service": s.code, "name": s.name(language)} for s in setup.services],
            "recalls_before_no_show": setup.recalls_before_no_show}


def _booked_person(booking: dict[str, Any] | None, setup: OfficeSetup) -> dict[str, Any] | None:
    """Who booked the visit, for the clerk to check against the document in hand (masked number only)."""
    if booking is None:
        return None
    return {"name": booking["person_name"], "birth_date": booking["birth_date"].isoformat(),
            "document": booking["document_masked"], "document_country": booking.get("document_country") or "",
            "starts_at": _iso(booking["starts_at"], setup)}


def _iso(moment: datetime | None, setup: OfficeSetup) -> str | None:
    return moment.astimezone(setup.timezone).isoformat() if moment else None


async def _publish(app: Okienko, moved: Moved | None) -> None:
    if moved and moved.events:
        await app.live.publish(moved.events)


async def _change_window(request: Request, change: Any) -> Response:
    """Run `change(conn, setup, number, session_key, now)` for the clerk; answer the window's state."""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(app, clerk)
    async with app.locks.write_transaction() as conn:
        row = await change(conn, setup, request.path_params["window"], clerk.session_key, app.clock.now())
    app.estimator.forget()  # staffed windows count in the wait estimate
    return JSONResponse(await window_state(app, setup, row["id"], language))


async def sign_in_window(request: Request) -> Response:
    """POST /api/v1/windows/{window}/sign-in: sit at this window."""
    return await _change_window(request, take_window)


async def sign_out_window(request: Request) -> Response:
    app = okienko(request)
    clerk = await require_clerk(request)
    async with app.locks.write_transaction() as conn:
        await leave_window(conn, clerk.session_key)
    app.estimator.forget()
    return Response(status_code=204)


async def pause_window(request: Request) -> Response:
    """POST /api/v1/windows/{window}/pause {"paused": true|false}."""
    body = await read_json(request, bodies.PAUSE)
    if not isinstance(body.get("paused"), bool):
        raise DomainError("malformed_request", detail=_("the field “paused” must be true or false"))
    return await _change_window(request, lambda conn, setup, number, session, now:
                                set_paused(conn, setup, number, session, body["paused"], now))


async def get_window(request: Request) -> Response:
    """GET /api/v1/windows/{window}: the console's view (renews the clerk's hold)."""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(app, clerk)
    async with app.locks.write_transaction() as conn:
        row = await window_of(conn, setup, request.path_params["window"], clerk.session_key, app.clock.now())
    return JSONResponse(await window_state(app, setup, row["id"], language))


async def call_next_visitor(request: Request) -> Response:
    """POST /api/v1/windows/{window}/call-next → 200 with the ticket, 204 when nobody waits."""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(app, clerk)
    now = app.clock.now()
    async with app.locks.write_transaction() as conn:
        window = await window_of(conn, setup, request.path_params["window"], clerk.session_key, now)
        if window["paused"]:
            raise DomainError("window_paused", window=window["number"])
        moved = await call_next(conn, setup, window["id"], now)
    await _publish(app, moved)
    if moved is None or moved.ticket is None or moved.ticket["status"] != "called":
        return Response(status_code=204)
    return JSONResponse(ticket_json(public_links(request), setup, moved.ticket, 0, 0, language, app.translator))


async def ticket_action(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/recall|start|finish|no-show|transfer (clerk)."""
    app, language = okienko(request), language_of(request)
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        raise DomainError("not_found")
    clerk = await require_clerk(request)
    setup = await _setup_for(app, clerk)
    body = await read_json(request, bodies.TICKET_ACTION, optional=action != "transfer")
    service = body.get("service")
    if action == "transfer" and not isinstance(service, str):
        raise DomainError("malformed_request", detail=_("the field “service” must be a service code, e.g. “A”"))
    now = app.clock.now()
    async with app.locks.write_transaction() as conn:
        # A clerk acts on tickets at their own window; managers may act anywhere.
        window_id = None if clerk.role in ("manager", "admin") else await held_window(conn, clerk.session_key)
        moved = await act(conn, setup, request.path_params["ticket_id"], action, now, window_id=window_id,
                          service_code=service)
    await _publish(app, moved)
    return JSONResponse(ticket_json(public_links(request), setup, moved.ticket, 0, 0, language, app.translator))


DOCUMENT_MATCHES = _("The document matches the booking.")
DOCUMENT_DIFFERS = _("The document does NOT match the booking. Do not serve: ask for the document used when booking.")


async def document_check(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/document-check {"document_number", "document_country"?}: does the
    document in hand match the booking behind the ticket? (clerk at its window, or a manager)"""
    app, language = okienko(request), language_of(request)
    clerk = await require_clerk(request)
    setup = await _setup_for(app, clerk)
    body = await read_json(request, bodies.DOCUMENT_CHECK)
    typed, country = body.get("document_number"), body.get("document_country") or ""
    if not isinstance(typed, str) or not typed.strip() or len(typed) > 60:
        raise DomainError("malformed_request", detail=_("the field “document_number” must be the document's number"))
    if not isinstance(country, str) or len(country) > 2:
        raise DomainError("malformed_request",
                          detail=_("the field “document_country” must be a country code, e.g. “UA”"))
    async with app.locks.write_transaction() as conn:
        window_id = None if clerk.role in ("manager", "admin") else await held_window(conn, clerk.session_key)
        matched = await check_document(conn, setup, request.path_params["ticket_id"], typed,
                                       secret_key=app.settings.secret_key, checked_by=clerk.username,
                                       now=app.clock.now(), document_country=country, window_id=window_id)
    message = DOCUMENT_MATCHES if matched else DOCUMENT_DIFFERS
    return JSONResponse({"matched": matched, "message": app.translator.gettext(language, message)})

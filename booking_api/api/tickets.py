"""Ticket endpoints: issue (kiosk), read and cancel (whoever holds the id), the QR image."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.api import bodies
from booking_api.api.common import field_error, language_of, okienko, public_links, read_json, require_kiosk
from booking_api.errors import DomainError
from booking_api.i18n import LANGUAGES, _, current_language
from booking_api.links import PublicLinks
from booking_api.calling import act
from booking_api.models import Ticket
from booking_api.office import OfficeSetup
from booking_api.printing import PrintOutcome, build_slip
from booking_api.call_order import place_in_queue
from booking_api.queueing import TicketRequest

MAX_KEY_LENGTH = 100


def ticket_json(links: PublicLinks, setup: OfficeSetup, ticket: dict[str, Any], people_ahead: int, wait: int,
                language: str, translator: Any, expected_at: datetime | None = None) -> dict[str, Any]:
    service = setup.service_by_id(ticket["service_id"])
    priority = None
    if ticket["priority"]:
        category = setup.category(ticket["priority"])
        priority = {"code": category.code, "mark": category.mark, "name": category.name(language)}
    return {
        "id": ticket["id"], "number": ticket["number"], "service": service.code,
        "service_name": service.name(language), "service_name_pl": service.name("pl"), "priority": priority,
        "status": ticket["status"], "status_text": translator.format(language, _status_message(ticket["status"])),
        "window": setup.window_number(ticket["window_id"]) if ticket["status"] in ("called", "serving") else None,
        "position": people_ahead, "estimated_wait_minutes": wait,
        "issued_at": ticket["issued_at"].astimezone(setup.timezone).isoformat(),
        "office_day": ticket["office_day"].isoformat(), "language": ticket["language"],
        "track_url": links.ticket(ticket["id"]),
        "appointment_at": ticket["appointment_at"].astimezone(setup.timezone).isoformat()
        if ticket.get("appointment_at") else None,
        "expected_at": expected_at.astimezone(setup.timezone).isoformat() if expected_at else None,
    }


def _status_message(status: str) -> str:
    return {
        "waiting": _("Waiting"), "called": _("Called: please go to the window"), "serving": _("Being served"),
        "done": _("Visit finished"), "no_show": _("Missed: the number was called but nobody came"),
        "transferred": _("Transferred to another service"), "cancelled": _("Cancelled"),
    }[status]


async def create_ticket(request: Request) -> Response:
    """POST /api/v1/tickets: a kiosk issues a ticket (retries with the same Idempotency-Key are safe)."""
    app = okienko(request)
    language = language_of(request)
    kiosk = await require_kiosk(request)
    body = await read_json(request, bodies.TICKET)
    if body.get("language") is not None:
        if not isinstance(body["language"], str) or body["language"] not in LANGUAGES:
            raise DomainError("unknown_language")
        language = body["language"]
        current_language.set(language)
    request.state.language = language
    service = body.get("service")
    priority = body.get("priority")
    if not isinstance(service, str) or not service.strip():
        raise field_error(_("the field “service” must be a service code, e.g. “A”"))
    if priority is not None and not isinstance(priority, str):
        raise field_error(_("the field “priority” must be a priority category code or null"))
    key = idempotency_key(request)
    setup = await app.offices.by_id(kiosk.office_id)
    issued = await app.issuer.issue(setup, TicketRequest(service.strip(), language, priority or None,
                                                         kiosk.id, key))
    return await issued_response(request, setup, issued, kiosk.id, language)


def idempotency_key(request: Request) -> str | None:
    """The kiosk's Idempotency-Key: asked again with it, a ticket or check-in answers with the first ticket."""
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
        raise field_error(_("the Idempotency-Key header must have 1 to 100 characters"))
    return key


async def issued_response(request: Request, setup: OfficeSetup, issued: Any, kiosk_id: int,
                          language: str) -> JSONResponse:
    """A kiosk's new ticket, printed (or why not): 201, or 200 for an idempotent replay."""
    app = okienko(request)
    body_out = ticket_json(public_links(request), setup, issued.ticket, issued.people_ahead,
                           issued.estimated_wait_minutes, language, app.translator, issued.expected_at)
    if issued.replayed:  # the first answer was lost: tell what happened to its print
        outcome = await app.printing.outcome_of(issued.ticket["id"])
    else:
        outcome = await _print(request, setup, issued, kiosk_id, body_out)
    body_out["printed"] = outcome.printed
    body_out["print_problem"] = None if outcome.printed else {
        "error": outcome.problem,
        "message": app.translator.format(language, _print_message(outcome.problem or "printer_error")),
    }
    body_out["replayed"] = issued.replayed
    return JSONResponse(body_out, status_code=200 if issued.replayed else 201)


async def _print(request: Request, setup: OfficeSetup, issued: Any, kiosk_id: int, body: dict[str, Any]) -> PrintOutcome:
    app = okienko(request)
    if await app.printing.printer_for(kiosk_id) is None:
        return PrintOutcome(False, "no_printer")
    slip = build_slip(setup, app.translator, issued.ticket, issued.people_ahead, issued.estimated_wait_minutes,
                      body["track_url"], issued.expected_at)
    return await app.printing.print_slip(setup.id, kiosk_id, issued.ticket["id"], slip)


def _print_message(problem: str) -> str:
    """The cause, briefly; the kiosk adds what to do (note the number, scan the QR code)."""
    return {
        "no_printer": _("This kiosk has no printer."),
        "printer_offline": _("The printer is not working."),
        "paper_out": _("The printer is out of paper."),
        "printer_timeout": _("The printer did not answer."),
        "agent_offline": _("The printer is not connected."),
        "agent_pending": _("Printing is taking longer than usual."),
    }.get(problem, _("The ticket could not be printed."))


async def load_ticket(request: Request) -> tuple[OfficeSetup, dict[str, Any]]:
    app = okienko(request)
    ticket_id = request.path_params["ticket_id"]
    if len(ticket_id) > 64:
        raise DomainError("ticket_not_found")
    tickets = Ticket.__table__
    async with app.db.read() as conn:
        row = (await conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id))).mappings().first()
    if row is None:
        raise DomainError("ticket_not_found")
    return await app.offices.by_id(row["office_id"]), dict(row)


async def ticket_view(request: Request, setup: OfficeSetup, ticket: dict[str, Any], language: str) -> dict[str, Any]:
    app = okienko(request)
    minutes = {ticket["service_id"]: await app.estimator.service_minutes(setup.service_by_id(ticket["service_id"]))}
    staffed = await app.estimator.staffed_windows(setup.id)
    async with app.db.read() as conn:
        spot = await place_in_queue(conn, setup, ticket, app.clock.now(), minutes, staffed)
    return ticket_json(public_links(request), setup, ticket, spot.people_ahead, spot.estimated_wait_minutes, language,
                       app.translator, spot.expected_at)


async def get_ticket(request: Request) -> Response:
    """GET /api/v1/tickets/{id}: the ticket now (public: the id is the secret)."""
    setup, ticket = await load_ticket(request)
    language = language_of(request, request.query_params.get("lang") or None)
    return JSONResponse(await ticket_view(request, setup, ticket, language))


async def cancel_ticket(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/cancel: the visitor gives up their place."""
    app = okienko(request)
    setup, ticket = await load_ticket(request)
    language = language_of(request)
    async with app.locks.write_transaction() as conn:
        moved = await act(conn, setup, ticket["id"], "cancel", app.clock.now())
    await app.live.publish(moved.events)
    return JSONResponse(await ticket_view(request, setup, moved.ticket, language))


async def ticket_qr(request: Request) -> Response:
    """GET /t/{id}/qr.svg: the QR code of the tracking page, drawn on the server (no outside fetch)."""
    _setup, ticket = await load_ticket(request)
    image = qrcode.make(public_links(request).ticket(ticket["id"]), image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(buffer.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})

"""Ticket endpoints: issue (kiosk), check in a booking (kiosk), read and cancel (whoever holds the
id), the QR image. Thin: the hall's front door (okienko/hall/front_door.py) does the work, the
presenters say how it looks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, field_error, language_of, okienko, public_links, read_json, \
    require_kiosk, ticket_view
from booking_api.presenters import issued_json, qr_svg, ticket_sms_json
from okienko.hall.queueing import IssuedTicket, TicketRequest
from okienko.i18n import _
from okienko.office.directory import OfficeSetup

MAX_KEY_LENGTH = 100


async def create_ticket(request: Request) -> Response:
    """POST /api/v1/tickets: a kiosk issues a ticket (retries with the same Idempotency-Key are safe)."""
    app = okienko(request)
    language = language_of(request)
    kiosk = await require_kiosk(request)
    body = await read_json(request, bodies.TICKET)
    language = body_language(request, body)
    service = body.get("service")
    priority = body.get("priority")
    if not isinstance(service, str) or not service.strip():
        raise field_error(_("the field “service” must be a service code, e.g. “A”"))
    if priority is not None and not isinstance(priority, str):
        raise field_error(_("the field “priority” must be a priority category code or null"))
    setup = await app.offices.by_id(kiosk.office_id)
    issued = await app.hall.issue(setup, TicketRequest(service.strip(), language, priority or None,
                                                         kiosk.id, idempotency_key(request)))
    return await _issued_answer(request, setup, issued, kiosk.id, language)


async def check_in(request: Request) -> Response:
    """POST /api/v1/check-in {"code"} (kiosk): the booking becomes a ticket, printed like any other."""
    app = okienko(request)
    kiosk = await require_kiosk(request)
    body = await read_json(request, bodies.CHECK_IN)
    language = body_language(request, body)
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise field_error(_("the field “code” must be the booking code"))
    setup = await app.offices.by_id(kiosk.office_id)
    issued = await app.hall.check_in(setup, code, language=language, device_id=kiosk.id,
                                     idempotency_key=idempotency_key(request))
    return await _issued_answer(request, setup, issued, kiosk.id, language)


def idempotency_key(request: Request) -> str | None:
    """The kiosk's Idempotency-Key: asked again with it, a ticket or check-in answers with the first ticket."""
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
        raise field_error(_("the Idempotency-Key header must have 1 to 100 characters"))
    return key


async def _issued_answer(request: Request, setup: OfficeSetup, issued: IssuedTicket, kiosk_id: int,
                         language: str) -> JSONResponse:
    """A kiosk's new ticket, printed (or why not): 201, or 200 for an idempotent replay."""
    app = okienko(request)
    links = public_links(request, setup)
    outcome = await app.hall.print_ticket(setup, issued, kiosk_id, links.ticket(issued.ticket["id"]))
    return JSONResponse(issued_json(links, setup, issued, outcome, language, app.translator),
                        status_code=200 if issued.replayed else 201)


async def get_ticket(request: Request) -> Response:
    """GET /api/v1/tickets/{id}: the ticket now (public: the id is the secret)."""
    setup, ticket = await okienko(request).hall.ticket(request.path_params["ticket_id"])
    language = language_of(request, request.query_params.get("lang") or None)
    return JSONResponse(await ticket_view(request, setup, ticket, language))


async def cancel_ticket(request: Request) -> Response:
    """POST /api/v1/tickets/{id}/cancel: the visitor gives up their place."""
    hall = okienko(request).hall
    setup, ticket = await hall.ticket(request.path_params["ticket_id"])
    language = language_of(request)
    cancelled = await hall.cancel(setup, ticket["id"])
    return JSONResponse(await ticket_view(request, setup, cancelled, language))


async def set_ticket_phone(request: Request) -> Response:
    """PUT /api/v1/tickets/{id}/phone {"phone"}: an SMS when the turn is near and when called (public:
    the id is the secret); 200 with the ticket's SMS state."""
    hall = okienko(request).hall
    language_of(request)
    body = await read_json(request, bodies.TICKET_PHONE)
    setup, ticket = await hall.ticket(request.path_params["ticket_id"])
    phone = body.get("phone")
    if not isinstance(phone, str):
        raise field_error(_("the field “phone” must be a phone number, e.g. “+48 600 700 800”"))
    state = await hall.set_phone(setup, ticket, phone)
    return JSONResponse({"sms": ticket_sms_json(setup, state, await hall.sms_offered(setup))})


async def remove_ticket_phone(request: Request) -> Response:
    """DELETE /api/v1/tickets/{id}/phone: no SMS for this ticket any more."""
    hall = okienko(request).hall
    setup, ticket = await hall.ticket(request.path_params["ticket_id"])
    language_of(request)
    state = await hall.remove_phone(setup, ticket)
    return JSONResponse({"sms": ticket_sms_json(setup, state, await hall.sms_offered(setup))})


async def ticket_qr(request: Request) -> Response:
    """GET /t/{id}/qr.svg: the QR code of the tracking page, drawn on the server (no outside fetch)."""
    setup, ticket = await okienko(request).hall.ticket(request.path_params["ticket_id"])
    return Response(qr_svg(public_links(request, setup).ticket(ticket["id"])), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})

"""The pages that belong to no one screen: the start page, and the ticket a visitor follows on a
phone (the QR code on every printed ticket leads there)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from booking_api.http import error_body, language_of, okienko, ticket_view
from booking_api.presenters import ticket_sms_json
from okienko.errors import DomainError
from pages.rendering import render


async def index(request: Request) -> Response:
    language_of(request)
    app = okienko(request)
    setup = await app.offices.get()
    return render(request, "index.html", office=setup, demo=request.app.state.demo_links)


async def tracking_page(request: Request) -> Response:
    """/t/{id}: the ticket followed on a phone (number, people ahead, wait, status)."""
    app = okienko(request)
    try:
        setup, ticket = await app.hall.ticket(request.path_params["ticket_id"])
    except DomainError as error:
        language_of(request)
        return render(request, "error.html", status_code=404, error=error_body(request, error))
    language = language_of(request, request.query_params.get("lang") or ticket["language"])
    view = await ticket_view(request, setup, ticket, language)
    sms = ticket_sms_json(setup, await app.hall.phone(ticket["id"]), await app.hall.sms_offered(setup))
    # Its own script and socket, nothing else: the default page CSP (security_headers.py); its
    # address is the ticket's secret: no Referer ever names it.
    return render(request, "ticket.html", office=setup, ticket=view, sms=sms)

"""Server-rendered pages of the core: the start page and the visitor's tracking page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from booking_api.api.common import KIOSK_COOKIE, error_body, language_of, okienko
from booking_api.api.tickets import load_ticket, ticket_view
from booking_api.errors import DomainError
from booking_api.i18n import current_language

DEVICE_COOKIE_SECONDS = 365 * 24 * 3600


async def enroll_device(request: Request, kind: str, home: str, signin_template: str) -> Response:
    """Sign this browser in as a kiosk or board: the token moves from the address bar into an
    HttpOnly, SameSite=Strict cookie for a year, so the screen works every day unattended."""
    token = request.query_params.get("token", "")
    language_of(request)
    try:
        identity = await okienko(request).auth.identify(token) if token else None
    except DomainError:
        identity = None
    if identity is None or getattr(identity, "kind", None) != kind:
        return render(request, signin_template, status_code=401,
                      error=error_body(request, DomainError("invalid_token")))
    response = RedirectResponse(home, status_code=303)
    response.set_cookie(KIOSK_COOKIE, token, max_age=DEVICE_COOKIE_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    app = okienko(request)
    language = current_language.get()
    html = app.templates.get_template(template).render(lang=language, request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


async def index(request: Request) -> Response:
    language_of(request)
    app = okienko(request)
    setup = await app.offices.get()
    return render(request, "index.html", office=setup, demo=request.app.state.demo_links)


async def tracking_page(request: Request) -> Response:
    """/t/{id}: the ticket followed on a phone (number, people ahead, wait, status)."""
    try:
        setup, ticket = await load_ticket(request)
    except DomainError as error:
        language_of(request)
        return render(request, "error.html", status_code=404, error=error_body(request, error))
    language = language_of(request, request.query_params.get("lang") or ticket["language"])
    view = await ticket_view(request, setup, ticket, language)
    # Its own script and socket, nothing else: the default page CSP (security_headers.py); its
    # address is the ticket's secret: no Referer ever names it.
    return render(request, "ticket.html", office=setup, ticket=view)

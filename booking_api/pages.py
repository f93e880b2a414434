"""Server-rendered pages of the core: the start page, the visitor's tracking page, and the answer
every route gives while the database cannot answer."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.websockets import WebSocket, WebSocketState

from booking_api.api.common import KIOSK_COOKIE, error_body, error_response, language_of, okienko
from booking_api.api.tickets import load_ticket, ticket_view
from booking_api.errors import DomainError, Unavailable
from booking_api.i18n import current_language
from booking_api.logs import loggable

DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
# A page shown while the database is away reloads itself after this long (and says so in
# Retry-After); the API says 1 s, and kiosks back off by themselves (kiosk.js).
BUSY_PAGE_RETRY_SECONDS = 5
TRY_AGAIN_LATER = 1013  # WebSocket close code
log = logging.getLogger("okienko")


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


async def busy_answer(connection: HTTPConnection, error: Exception) -> Response | None:
    """`503 busy` with Retry-After wherever the database could not answer (`Unavailable`, or any
    other database error that reached the app): a browser opening a page gets a page in its
    language that reloads itself, a script or the API gets `{"error": "busy", "message"}`, and a
    WebSocket is closed with 1013 (try again later), which boards and print agents reconnect after."""
    if not isinstance(error, Unavailable):  # the statement, never its parameters (names, emails, codes)
        sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) if isinstance(error, DBAPIError) else None
        log.error("database error on %s %s: %s%s", connection.scope.get("method", "WebSocket"), connection.url.path,
                  loggable(error), f" (SQLSTATE {sqlstate})" if sqlstate else "")
    if isinstance(connection, WebSocket):
        with contextlib.suppress(RuntimeError, OSError):  # the other side may be gone already
            if connection.application_state == WebSocketState.CONNECTING:
                await connection.accept()  # refused before accepting, a client would see only "403"
            await connection.close(code=TRY_AGAIN_LATER)
        return None
    assert isinstance(connection, Request)
    request = connection
    language = language_of(request, getattr(request.state, "language", None))
    if "text/html" not in request.headers.get("accept", "") or request.url.path.startswith("/api/"):
        return error_response(request, Unavailable(), language)
    response = render(request, "busy.html", status_code=503, retry_seconds=BUSY_PAGE_RETRY_SECONDS,
                      error=error_body(request, Unavailable(), language))
    response.headers.update({"Retry-After": str(BUSY_PAGE_RETRY_SECONDS), "Cache-Control": "no-store"})
    return response

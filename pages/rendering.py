"""Rendering a page in the visitor's language, signing a kiosk or board in, and the answer every
route gives while the database cannot answer: what every screen shares."""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy.exc import DBAPIError
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.websockets import WebSocket, WebSocketState

from booking_api.http import KIOSK_COOKIE, error_body, error_response, language_of, okienko
from okienko.errors import DomainError, Unavailable
from okienko.i18n import LANGUAGES, REQUIRED_TEXT_LANGUAGES, Translator, current_language, language_names, date_names
from okienko.logs import loggable

if TYPE_CHECKING:
    import jinja2

DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
# A page shown while the database is away reloads itself after this long (and says so in
# Retry-After); the API says 1 s, and kiosks back off by themselves (kiosk.js).
BUSY_PAGE_RETRY_SECONDS = 5
TRY_AGAIN_LATER = 1013  # WebSocket close code
log = logging.getLogger("okienko")
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


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


class PageTemplates:
    """The templates of every screen the app serves (the shared ones in pages/templates first), with
    `_()` in the page's language. Jinja2 is imported and the environment built with the first page
    rendered: a restarted server answers the API calls of kiosks and boards reconnecting without it."""

    def __init__(self, translator: Translator, folders: Iterable[Path]) -> None:
        self.translator = translator
        self.folders = [str(TEMPLATES), *(str(folder) for folder in folders)]

    @functools.cached_property
    def environment(self) -> jinja2.Environment:
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(self.folders),
                                 autoescape=jinja2.select_autoescape(default=True),
                                 extensions=["jinja2.ext.i18n"], enable_async=False)
        env.install_gettext_callables(self.translator.jinja_gettext, self.translator.jinja_ngettext,  # type: ignore[attr-defined]
                                      newstyle=True)
        env.globals["LANGUAGES"] = LANGUAGES
        env.globals["REQUIRED_TEXT_LANGUAGES"] = REQUIRED_TEXT_LANGUAGES
        env.globals["language_names"] = language_names
        env.globals["date_names"] = date_names
        return env

    def get_template(self, name: str) -> jinja2.Template:
        return self.environment.get_template(name)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = current_language.get()
    html = request.app.state.templates.get_template(template).render(lang=language, request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


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

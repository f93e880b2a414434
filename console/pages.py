"""Console pages: sign-in form, the console itself, sign-out.

Sign-in posts a plain form (no JavaScript needed); the session cookie is HttpOnly and
SameSite=Strict, and the console's own requests carry the session's CSRF token in a header.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.http import client_address, error_body, language_of, okienko, read_body
from booking_api.sessions import SESSION_COOKIE, Clerk, require_clerk
from okienko.errors import DomainError
from okienko.i18n import _
from pages.rendering import render
from okienko.people import countries
from okienko.staff.accounts import SESSION_LENGTH, change_own_password, session_for, sign_in, sign_out
from okienko.staff.auth import MIN_PASSWORD_LENGTH, StaffRefusal
from okienko.hall.front_door import Seat

STATIC = Path(__file__).parent / "static"
PASSWORDS_DIFFER = _("The two passwords differ: type the same new password twice.")


async def _form(request: Request) -> dict[str, str]:
    """A plain form's fields; a body past `max_body_bytes` is refused (413) like a JSON one."""
    body = (await read_body(request)).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") == str(request.base_url).rstrip("/")


async def login_page(request: Request) -> Response:
    language_of(request)
    return _secured(render(request, "console_login.html", error=None, username=""))


async def login(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    form = await _form(request)
    username = form.get("username", "").strip()
    try:
        if not _same_origin(request):
            raise DomainError("csrf_failed")
        cookie, _session = await sign_in(app.locks, username, form.get("password", ""),
                                         client=client_address(request), now=app.clock.now(),
                                         secret_key=app.settings.secret_key)
    except DomainError as error:   # login_failed 401, account_locked 429, csrf_failed 403
        refused = _secured(render(request, "console_login.html", status_code=error.http_status,
                                  error=error_body(request, error, language), username=username))
        if "retry_after" in error.params:
            refused.headers["Retry-After"] = str(error.params["retry_after"])
        return refused
    # A temporary password (a new account, a reset): nothing else until the user has chosen their own.
    home = "/console/password" if _session.must_change_password else "/console/"
    return _signed_in(request, cookie, f"{home}?lang={language}")


def _signed_in(request: Request, cookie: str, location: str) -> Response:
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LENGTH.total_seconds()), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def password_page(request: Request) -> Response:
    """GET /console/password: choose a new password (after signing in with a temporary one)."""
    language = language_of(request)
    try:
        clerk = await require_clerk(request, password_pending=True)
    except DomainError:
        return _to_sign_in(language)
    if not clerk.must_change_password:
        return RedirectResponse(f"/console/?lang={language}", status_code=303)
    return _password_form(request, clerk, None)


def _password_form(request: Request, clerk: Clerk, error: str | None, status_code: int = 200) -> Response:
    return _secured(render(request, "console_password.html", status_code=status_code, error=error,
                           csrf_token=clerk.csrf_token or "", username=clerk.username,
                           min_length=MIN_PASSWORD_LENGTH))


async def change_password(request: Request) -> Response:
    """POST /console/password (form: new_password, repeat_password, csrf_token): the temporary
    password is replaced, every other session of the user ends, and the console opens."""
    app = okienko(request)
    language = language_of(request)
    form = await _form(request)
    try:
        clerk = await require_clerk(request, csrf_token=form.get("csrf_token", ""), password_pending=True)
    except DomainError:
        return _to_sign_in(language)
    if not clerk.must_change_password:
        return RedirectResponse(f"/console/?lang={language}", status_code=303)
    new, again = form.get("new_password", ""), form.get("repeat_password", "")
    if new != again:
        return _password_form(request, clerk, app.translator.gettext(language, PASSWORDS_DIFFER), 422)
    async with app.db.read() as conn:
        session = await session_for(conn, request.cookies.get(SESSION_COOKIE, ""), app.clock.now())
    if session is None:
        return _to_sign_in(language)
    try:
        cookie = await change_own_password(app.locks, session, new, app.clock.now())
    except StaffRefusal as refusal:   # too short (auth.check_new_password: the one rule)
        return _password_form(request, clerk, app.translator.format(language, refusal.message, **refusal.params), 422)
    return _signed_in(request, cookie, f"/console/?lang={language}")


def _to_sign_in(language: str) -> Response:
    return RedirectResponse(f"/console/login?lang={language}", status_code=303)


async def logout(request: Request) -> Response:
    """A plain form POST: the session's CSRF token comes as the form field `csrf_token`."""
    app = okienko(request)
    language = language_of(request)
    form = await _form(request)
    try:
        clerk = await require_clerk(request, csrf_token=form.get("csrf_token", ""), password_pending=True)
    except DomainError:
        return _to_sign_in(language)
    # The console asks what becomes of a ticket in hand and sends it as `ticket`; a plain form
    # (no script) cannot ask: the ticket goes back to its place, as when a hold lapses.
    setup = await (app.offices.by_id(clerk.office_id) if clerk.office_id else app.offices.get())
    try:
        await app.hall.leave_window(setup, Seat(clerk.session_key), form.get("ticket") or "return")
    except DomainError:   # e.g. "no_show" before the recalls it needs: the visitor keeps their place
        await app.hall.leave_window(setup, Seat(clerk.session_key), "return")
    async with app.locks.write_transaction() as conn:
        await sign_out(conn, clerk.session_key)
    response = _to_sign_in(language)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def console_page(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    try:
        clerk = await require_clerk(request)
    except DomainError as error:
        if error.code == "password_change_required":
            return RedirectResponse(f"/console/password?lang={language}", status_code=303)
        return _to_sign_in(language)
    setup = await (app.offices.by_id(clerk.office_id) if clerk.office_id else app.offices.get())
    windows = [{"number": w.number,
                "services": [setup.service_by_id(s).name(language) for s in w.service_ids]} for w in setup.windows]
    return _secured(render(request, "console.html", office=setup, clerk=clerk, windows=windows,
                           csrf_token=clerk.csrf_token or "", countries=countries(language)))


def _secured(response: Response) -> Response:
    """The page CSP comes by default (security_headers.py); the Referrer-Policy is `same-origin`, not
    the default `no-referrer`: the sign-in form is checked by its Origin header, which a browser
    sends as `null` from a no-referrer page."""
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def console_routes() -> list[Route | Mount]:
    return [
        Route("/console/", console_page, methods=["GET"]),
        Route("/console/login", login_page, methods=["GET"]),
        Route("/console/login", login, methods=["POST"]),
        Route("/console/logout", logout, methods=["POST"]),
        Route("/console/password", password_page, methods=["GET"]),
        Route("/console/password", change_password, methods=["POST"]),
        Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"),
    ]

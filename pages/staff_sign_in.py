"""Staff sign-in, the first password and sign-out, shared by the screens staff use (the clerk console,
the back office): one session cookie, one form, one set of refusals.

Sign-in posts a plain form (no JavaScript needed); the session cookie is HttpOnly and
SameSite=Strict, and a screen's own requests carry the session's CSRF token in a header. Someone
who signed in with a temporary password (a new account, a reset) chooses their own before anything
else, on the screen they signed in to.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from booking_api.http import client_address, error_body, language_of, office_of_staff, okienko, read_body
from booking_api.sessions import SESSION_COOKIE, Clerk, require_clerk
from okienko.errors import DomainError
from okienko.hall.front_door import Seat
from okienko.i18n import _
from okienko.staff.accounts import SESSION_LENGTH, change_own_password, session_for, sign_in, sign_out
from okienko.staff.auth import MIN_PASSWORD_LENGTH, StaffRefusal
from pages.rendering import render

PASSWORDS_DIFFER = _("The two passwords differ: type the same new password twice.")


@dataclass(frozen=True)
class StaffScreen:
    """Where a staff screen's sign-in pages are: its home, sign-in form and first-password form
    (addresses), and the templates of the two forms."""

    home: str
    sign_in: str
    password: str
    sign_in_template: str
    password_template: str

    def to(self, path: str, language: str) -> Response:
        return RedirectResponse(f"{path}?lang={language}", status_code=303)


async def read_form(request: Request) -> dict[str, str]:
    """A plain form's fields; a body past `max_body_bytes` is refused (413) like a JSON one."""
    body = (await read_body(request)).decode("utf-8", errors="replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") == str(request.base_url).rstrip("/")


def secured(response: Response) -> Response:
    """The page CSP comes by default (security_headers.py); the Referrer-Policy is `same-origin`, not
    the default `no-referrer`: the sign-in form is checked by its Origin header, which a browser
    sends as `null` from a no-referrer page."""
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


async def signed_in_clerk(request: Request, screen: StaffScreen) -> Clerk | Response:
    """The signed-in staff member, or where to send a browser that is not (the sign-in form, or
    the first-password form for a temporary password)."""
    language = language_of(request)
    try:
        return await require_clerk(request)
    except DomainError as error:
        if error.code == "password_change_required":
            return screen.to(screen.password, language)
        return screen.to(screen.sign_in, language)


async def sign_in_page(request: Request, screen: StaffScreen) -> Response:
    language_of(request)
    return secured(render(request, screen.sign_in_template, error=None, username=""))


async def sign_in_form(request: Request, screen: StaffScreen) -> Response:
    """Check the posted name and password; on success the session cookie and a redirect to the
    screen's home (or its first-password form), otherwise the form again with the refusal."""
    app = okienko(request)
    language = language_of(request)
    form = await read_form(request)
    username = form.get("username", "").strip()
    try:
        if not same_origin(request):
            raise DomainError("csrf_failed")
        cookie, session = await sign_in(app.locks, username, form.get("password", ""),
                                        client=client_address(request), now=app.clock.now(),
                                        secret_key=app.settings.secret_key)
    except DomainError as error:   # login_failed 401, account_locked 429, csrf_failed 403
        refused = secured(render(request, screen.sign_in_template, status_code=error.http_status,
                                 error=error_body(request, error, language), username=username))
        if "retry_after" in error.params:
            refused.headers["Retry-After"] = str(error.params["retry_after"])
        return refused
    # A temporary password (a new account, a reset): nothing else until the user has chosen their own.
    return _signed_in(request, cookie, screen.password if session.must_change_password else screen.home, language)


def _signed_in(request: Request, cookie: str, path: str, language: str) -> Response:
    response = RedirectResponse(f"{path}?lang={language}", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LENGTH.total_seconds()), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def password_page(request: Request, screen: StaffScreen) -> Response:
    """GET: choose a new password (after signing in with a temporary one)."""
    language = language_of(request)
    try:
        clerk = await require_clerk(request, password_pending=True)
    except DomainError:
        return screen.to(screen.sign_in, language)
    if not clerk.must_change_password:
        return screen.to(screen.home, language)
    return _password_form(request, screen, clerk, None)


def _password_form(request: Request, screen: StaffScreen, clerk: Clerk, error: str | None,
                   status_code: int = 200) -> Response:
    return secured(render(request, screen.password_template, status_code=status_code, error=error,
                          csrf_token=clerk.csrf_token or "", username=clerk.username,
                          min_length=MIN_PASSWORD_LENGTH))


async def password_form(request: Request, screen: StaffScreen) -> Response:
    """POST (form: new_password, repeat_password, csrf_token): the temporary password is replaced,
    every other session of the user ends, and the screen opens."""
    app = okienko(request)
    language = language_of(request)
    form = await read_form(request)
    try:
        clerk = await require_clerk(request, csrf_token=form.get("csrf_token", ""), password_pending=True)
    except DomainError:
        return screen.to(screen.sign_in, language)
    if not clerk.must_change_password:
        return screen.to(screen.home, language)
    new, again = form.get("new_password", ""), form.get("repeat_password", "")
    if new != again:
        return _password_form(request, screen, clerk, app.translator.gettext(language, PASSWORDS_DIFFER), 422)
    async with app.db.read() as conn:
        session = await session_for(conn, request.cookies.get(SESSION_COOKIE, ""), app.clock.now())
    if session is None:
        return screen.to(screen.sign_in, language)
    try:
        cookie = await change_own_password(app.locks, session, new, app.clock.now())
    except StaffRefusal as refusal:   # too short (auth.check_new_password: the one rule)
        message = app.translator.format(language, refusal.message, **refusal.params)
        return _password_form(request, screen, clerk, message, 422)
    return _signed_in(request, cookie, screen.home, language)


async def sign_out_form(request: Request, screen: StaffScreen) -> Response:
    """A plain form POST: the session's CSRF token comes as the form field `csrf_token`. A window the
    session holds is left first: what becomes of a ticket in hand comes as `ticket` (the console
    asks); a form that cannot ask sends the ticket back to its place, as when a hold lapses."""
    app = okienko(request)
    language = language_of(request)
    form = await read_form(request)
    try:
        clerk = await require_clerk(request, csrf_token=form.get("csrf_token", ""), password_pending=True)
    except DomainError:
        return screen.to(screen.sign_in, language)
    setup = await office_of_staff(request, clerk.office_id)
    try:
        await app.hall.leave_window(setup, Seat(clerk.session_key), form.get("ticket") or "return")
    except DomainError:   # e.g. "no_show" before the recalls it needs: the visitor keeps their place
        await app.hall.leave_window(setup, Seat(clerk.session_key), "return")
    async with app.locks.write_transaction() as conn:
        await sign_out(conn, clerk.session_key)
    response = screen.to(screen.sign_in, language)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sign_in_routes(screen: StaffScreen, sign_out_path: str) -> list[Route]:
    """The screen's sign-in, first-password and sign-out routes (GET shows a form, POST sends it)."""
    def route(path: str, handler: Any, method: str) -> Route:
        return Route(path, functools.partial(handler, screen=screen), methods=[method])

    return [route(screen.sign_in, sign_in_page, "GET"), route(screen.sign_in, sign_in_form, "POST"),
            route(sign_out_path, sign_out_form, "POST"),
            route(screen.password, password_page, "GET"), route(screen.password, password_form, "POST")]

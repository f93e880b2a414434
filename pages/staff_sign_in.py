"""Staff sign-in and sign-out, shared by the screens staff use (the clerk console, the back office):
one session cookie, one form, one set of refusals.

Sign-in posts a plain form (no JavaScript needed); the session cookie is HttpOnly and
SameSite=Strict, and a screen's own requests carry the session's CSRF token in a header.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from booking_api.http import client_address, error_body, language_of, okienko, read_body
from booking_api.sessions import SESSION_COOKIE, require_clerk
from okienko.errors import DomainError
from okienko.hall.front_door import Seat
from okienko.staff.accounts import SESSION_LENGTH, sign_in, sign_out
from pages.rendering import render


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


def to_sign_in(path: str, language: str) -> Response:
    return RedirectResponse(f"{path}?lang={language}", status_code=303)


async def sign_in_page(request: Request, template: str) -> Response:
    language_of(request)
    return secured(render(request, template, error=None, username=""))


async def sign_in_form(request: Request, template: str, home: str) -> Response:
    """Check the posted name and password; on success the session cookie and a redirect to `home`
    (in the page's language), otherwise the form again with the refusal."""
    app = okienko(request)
    language = language_of(request)
    form = await read_form(request)
    username = form.get("username", "").strip()
    try:
        if not same_origin(request):
            raise DomainError("csrf_failed")
        cookie, _session = await sign_in(app.locks, username, form.get("password", ""),
                                         client=client_address(request), now=app.clock.now(),
                                         secret_key=app.settings.secret_key)
    except DomainError as error:   # login_failed 401, account_locked 429, csrf_failed 403
        refused = secured(render(request, template, status_code=error.http_status,
                                 error=error_body(request, error, language), username=username))
        if "retry_after" in error.params:
            refused.headers["Retry-After"] = str(error.params["retry_after"])
        return refused
    response = RedirectResponse(f"{home}?lang={language}", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LENGTH.total_seconds()), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def sign_out_form(request: Request, sign_in_path: str) -> Response:
    """A plain form POST: the session's CSRF token comes as the form field `csrf_token`. A window the
    session holds is left first: what becomes of a ticket in hand comes as `ticket` (the console
    asks); a form that cannot ask sends the ticket back to its place, as when a hold lapses."""
    app = okienko(request)
    language = language_of(request)
    form = await read_form(request)
    try:
        clerk = await require_clerk(request, csrf_token=form.get("csrf_token", ""))
    except DomainError:
        return to_sign_in(sign_in_path, language)
    setup = await (app.offices.by_id(clerk.office_id) if clerk.office_id else app.offices.get())
    try:
        await app.hall.leave_window(setup, Seat(clerk.session_key), form.get("ticket") or "return")
    except DomainError:   # e.g. "no_show" before the recalls it needs: the visitor keeps their place
        await app.hall.leave_window(setup, Seat(clerk.session_key), "return")
    async with app.locks.write_transaction() as conn:
        await sign_out(conn, clerk.session_key)
    response = to_sign_in(sign_in_path, language)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

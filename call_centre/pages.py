"""The call centre at /call-centre/: the operators' screen. One server-rendered page of translated
labels and forms, filled by two small scripts (book.js: free times and booking a caller; find.js:
a caller's booking found by their identity, moved or cancelled) from /api/v1/call-centre/...

Operators (and managers, admins) sign in with the staff accounts and session cookie the console
and the back office use (pages/staff_sign_in.py); a clerk who opens it is told it is for operators.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.call_centre import CALL_CENTRE_ROLES
from booking_api.http import language_of
from booking_api.sessions import Clerk, require_manager
from okienko.errors import DomainError
from pages.rendering import render
from pages.staff_sign_in import StaffScreen, secured, sign_in_routes, signed_in_clerk

STATIC = Path(__file__).parent / "static"
CALL_CENTRE = StaffScreen(home="/call-centre/", sign_in="/call-centre/login", password="/call-centre/password",
                          sign_in_template="call_centre_login.html",
                          password_template="call_centre_password.html")


async def call_centre_page(request: Request) -> Response:
    """The screen for an operator, manager or admin; anyone else signed in is told (403) that it is
    for the call centre, and a visitor without a session is sent to sign in."""
    language = language_of(request)
    clerk = await signed_in_clerk(request, CALL_CENTRE)
    if isinstance(clerk, Response):
        return clerk
    if clerk.role not in CALL_CENTRE_ROLES:
        return _forbidden(request, clerk)
    try:
        _operator, setup = await require_manager(request, *CALL_CENTRE_ROLES)
    except DomainError:   # someone naming another office (?office=)
        return _forbidden(request, clerk)
    booked = [service for service in setup.services if service.booking]
    services = [(service.code, service.name(language)) for service in booked]
    bring = {service.code: service.booking.bring(language) for service in booked}   # for the receipt
    return secured(render(request, "call_centre.html", office=setup, clerk=clerk, csrf_token=clerk.csrf_token or "",
                          office_query=request.query_params.get("office", ""), services=services, bring=bring))


def _forbidden(request: Request, clerk: Clerk) -> Response:
    return secured(render(request, "call_centre_forbidden.html", status_code=403, clerk=clerk,
                          csrf_token=clerk.csrf_token or ""))


def call_centre_routes() -> list[Route | Mount]:
    return [
        Route("/call-centre/", call_centre_page, methods=["GET"]),
        *sign_in_routes(CALL_CENTRE, "/call-centre/logout"),
        Mount("/call-centre/static", app=StaticFiles(directory=STATIC), name="call-centre-static"),
    ]

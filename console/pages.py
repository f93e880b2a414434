"""Console pages: sign-in form, the first password, the console itself, sign-out (the sign-in itself
is shared with the back office: pages/staff_sign_in.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.http import language_of, office_of_staff, okienko
from booking_api.presenters import window_choices_json
from booking_api.sessions import seat_of
from okienko.people import countries
from pages.rendering import render
from pages.staff_sign_in import StaffScreen, secured, sign_in_routes, signed_in_clerk

STATIC = Path(__file__).parent / "static"
CONSOLE = StaffScreen(home="/console/", sign_in="/console/login", password="/console/password",
                      sign_in_template="console_login.html", password_template="console_password.html")



async def console_page(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    clerk = await signed_in_clerk(request, CONSOLE)
    if isinstance(clerk, Response):
        return clerk
    setup = await office_of_staff(request, clerk.office_id)
    # Who sits where, as GET /api/v1/windows answers.
    windows = window_choices_json(setup, await app.hall.seating(setup, seat_of(clerk)), language)
    return secured(render(request, "console.html", office=setup, clerk=clerk, windows=windows,
                          csrf_token=clerk.csrf_token or "", countries=countries(language)))


def console_routes() -> list[Route | Mount]:
    return [
        Route("/console/", console_page, methods=["GET"]),
        *sign_in_routes(CONSOLE, "/console/logout"),
        Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"),
    ]

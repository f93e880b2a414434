"""Console pages: sign-in form, the console itself, sign-out (the sign-in itself is shared with the
back office: pages/staff_sign_in.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.http import language_of, okienko
from booking_api.sessions import require_clerk
from okienko.errors import DomainError
from okienko.people import countries
from pages.rendering import render
from pages.staff_sign_in import secured, sign_in_form, sign_in_page, sign_out_form, to_sign_in

STATIC = Path(__file__).parent / "static"
SIGN_IN = "/console/login"


async def login_page(request: Request) -> Response:
    return await sign_in_page(request, "console_login.html")


async def login(request: Request) -> Response:
    return await sign_in_form(request, "console_login.html", "/console/")


async def logout(request: Request) -> Response:
    return await sign_out_form(request, SIGN_IN)


async def console_page(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    try:
        clerk = await require_clerk(request)
    except DomainError:
        return to_sign_in(SIGN_IN, language)
    setup = await (app.offices.by_id(clerk.office_id) if clerk.office_id else app.offices.get())
    windows = [{"number": w.number,
                "services": [setup.service_by_id(s).name(language) for s in w.service_ids]} for w in setup.windows]
    return secured(render(request, "console.html", office=setup, clerk=clerk, windows=windows,
                          csrf_token=clerk.csrf_token or "", countries=countries(language)))


def console_routes() -> list[Route | Mount]:
    return [
        Route("/console/", console_page, methods=["GET"]),
        Route("/console/login", login_page, methods=["GET"]),
        Route("/console/login", login, methods=["POST"]),
        Route("/console/logout", logout, methods=["POST"]),
        Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"),
    ]

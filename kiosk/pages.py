"""Kiosk pages: the touch screen itself, and the one-time enrolment that signs a kiosk in.

A kiosk signs in once by opening /kiosk/enroll?token=<device token> (printed by
`okienko device add kiosk NAME`): the token goes into an HttpOnly, SameSite=Strict cookie for a
year, so the page keeps working all day, every day, with nobody logging in.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.api.common import KIOSK_COOKIE, error_body, language_of, okienko, require_kiosk
from booking_api.api.services import status_json, statuses_for
from booking_api.errors import DomainError
from booking_api.pages import render

STATIC = Path(__file__).parent / "static"
ONE_YEAR = 365 * 24 * 3600
# Everything the kiosk needs comes from this server: nothing inline, nothing from outside.
CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


async def kiosk_page(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    try:
        kiosk = await require_kiosk(request)
    except DomainError as error:
        return render(request, "kiosk_signin.html", status_code=401, error=error_body(request, error))
    setup = await app.offices.by_id(kiosk.office_id)
    # A shared kiosk starts in the office's language, whatever its browser is set to.
    language = language_of(request, request.query_params.get("lang") or setup.default_language)
    statuses = await statuses_for(app, setup, language)
    response = render(
        request, "kiosk.html", office=setup, kiosk=kiosk,
        services=[status_json(app, s, language) for s in statuses],
        priority_categories=[{"code": c.code, "mark": c.mark, "name": c.name(language)} for c in setup.categories],
        idle_seconds=app.settings.kiosk_idle_seconds,
    )
    response.headers["Content-Security-Policy"] = CSP
    return response


async def enroll(request: Request) -> Response:
    """Sign this browser in as a kiosk; the token leaves the address bar at once."""
    token = request.query_params.get("token", "")
    language_of(request)
    try:
        identity = await okienko(request).auth.identify(token) if token else None
    except DomainError:
        identity = None
    if identity is None or getattr(identity, "kind", None) != "kiosk":
        error = DomainError("invalid_token")
        return render(request, "kiosk_signin.html", status_code=401, error=error_body(request, error))
    response = RedirectResponse("/kiosk/", status_code=303)
    response.set_cookie(KIOSK_COOKIE, token, max_age=ONE_YEAR, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def kiosk_routes() -> list[Route | Mount]:
    return [
        Route("/kiosk/", kiosk_page, methods=["GET"]),
        Route("/kiosk/enroll", enroll, methods=["GET"]),
        Mount("/kiosk/static", app=StaticFiles(directory=STATIC), name="kiosk-static"),
    ]

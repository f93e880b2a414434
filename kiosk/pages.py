"""Kiosk pages: the touch screen itself, and the one-time enrolment that signs a kiosk in.

A kiosk signs in once by opening /kiosk/enroll?token=<device token> (printed by
`okienko device add kiosk NAME`): the token goes into an HttpOnly, SameSite=Strict cookie for a
year, so the page keeps working all day, every day, with nobody logging in.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from babel.dates import format_date
from markupsafe import Markup

from booking_api.http import error_body, language_of, office_of, okienko, public_links, require_kiosk
from booking_api.presenters import event_json, qr_svg, status_json
from okienko.booking.bookings import CODE_ALPHABET, CODE_LENGTH
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.office.notices import line_for
from okienko.office.public_events import announced
from pages.rendering import enroll_device, render

STATIC = Path(__file__).parent / "static"
# Everything the kiosk needs comes from this server, so the default page CSP (security_headers.py)
# fits: nothing inline, nothing from outside. The camera that scans a booking's QR code needs no
# source there: its MediaStream is given to the <video> as srcObject, never fetched, and camera
# access is allowed to the page's own origin.


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
    statuses = await app.hall.statuses(setup, language)
    return render(
        request, "kiosk.html", office=setup, kiosk=kiosk,
        services=[status_json(app.translator, s, language) for s in statuses],
        priority_categories=[{"code": c.code, "mark": c.mark, "name": c.name(language)} for c in setup.categories],
        idle_seconds=app.settings.kiosk_idle_seconds,
        bookable=any(service.booking is not None for service in setup.services),
        code_alphabet=CODE_ALPHABET, code_length=CODE_LENGTH,
        notice=line_for(setup.notices, "kiosk", language, setup.default_language),
        sms_offered=await app.hall.sms_offered(setup), near_turn_ahead=setup.booking_policy.near_turn_ahead,
        event=await _announcement(request, setup, language),
    )


async def _announcement(request: Request, setup: OfficeSetup, language: str) -> dict[str, object] | None:
    """The information Saturday the start screen announces in the days before it (public_events.py),
    with a QR code of the booking page for the visitor's phone."""
    app = okienko(request)
    now = app.clock.now()
    event = announced(setup, now)
    if event is None:
        return None
    links = public_links(request, setup)
    shown = event_json(links, setup, event, language, now)   # the one public view of an event
    # The kiosk's office, named where the address the phone opens would reach another one by itself.
    office = None if (await office_of(request)).code == setup.code else setup.code
    address = links.book(None, language, office)
    svg = qr_svg(address).decode("utf-8")
    return {"title": shown["title"], "date": format_date(event.day, format="full", locale=language),
            "hours": f"{shown['starts_at'][11:16]}–{shown['ends_at'][11:16]}",
            "services": ", ".join(service["name"] for service in shown["services"]),
            "bookable": event.booking_opens_at is not None, "address": address,
            "qr": Markup(svg[svg.index("<svg"):])}


async def enroll(request: Request) -> Response:
    """Sign this browser in as a kiosk (/kiosk/enroll?token=…)."""
    return await enroll_device(request, "kiosk", "/kiosk/", "kiosk_signin.html")


def kiosk_routes() -> list[Route | Mount]:
    return [
        Route("/kiosk/", kiosk_page, methods=["GET"]),
        Route("/kiosk/enroll", enroll, methods=["GET"]),
        Mount("/kiosk/static", app=StaticFiles(directory=STATIC), name="kiosk-static"),
    ]

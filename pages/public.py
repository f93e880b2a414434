"""The pages that belong to no one screen: the start page, the ticket a visitor follows on a
phone (the QR code on every printed ticket leads there), the live queue, the accessibility
statement, and the page of an address nobody serves."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from booking_api.http import error_body, http_error_handler, language_of, office_of, okienko, public_links, ticket_view
from booking_api.presenters import status_json, ticket_sms_json
from okienko.errors import DomainError, Unavailable
from pages.rendering import STATIC, render


async def index(request: Request) -> Response:
    language_of(request)
    setup = await office_of(request)
    return render(request, "index.html", office=setup, demo=request.app.state.demo_links)


async def tracking_page(request: Request) -> Response:
    """/t/{id}: the ticket followed on a phone (number, people ahead, wait, status)."""
    app = okienko(request)
    try:
        setup, ticket = await app.hall.ticket(request.path_params["ticket_id"])
    except DomainError as error:
        language_of(request)
        return render(request, "error.html", status_code=404, error=error_body(request, error))
    language = language_of(request, request.query_params.get("lang") or ticket["language"])
    view = await ticket_view(request, setup, ticket, language)
    sms = ticket_sms_json(setup, await app.hall.phone(ticket["id"]), await app.hall.sms_offered(setup))
    # Its own script and socket, nothing else: the default page CSP (security_headers.py); its
    # address is the ticket's secret: no Referer ever names it.
    return render(request, "ticket.html", office=setup, ticket=view, sms=sms)


FAVICON = STATIC / "favicon.ico"
QUEUE_REFRESH_SECONDS = 30
# The embeddable live queue (`/queue?embed=1`) may be framed by any site: it only shows what
# /api/v1/services already tells anyone, has no form and no action and sets no cookie, so being
# framed cannot trick a visitor into doing anything (clickjacking needs something to click). Every
# other page, /queue without `embed=1` included, stays `frame-ancestors 'none'` (security_headers.py).
EMBED_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors *; base-uri 'none'; form-action 'none'"


async def queue_page(request: Request) -> Response:
    """/queue: each service's queue now (people waiting, the wait, whether tickets are still issued
    today), the same figures as GET /api/v1/services, which the page polls to stay current;
    `?embed=1` leaves out the header and footer for a frame on the office's own website."""
    language = language_of(request)
    app = okienko(request)
    setup = await office_of(request)   # as /api/v1/services
    statuses = await app.hall.statuses(setup, language)
    services = [status_json(app.translator, status, language) for status in statuses]
    embed = request.query_params.get("embed") == "1"
    feed = f"/api/v1/services?office={quote(setup.code)}&lang={language}"
    response = render(request, "queue.html", office=setup, services=services, embed=embed, feed=feed,
                      refresh_seconds=QUEUE_REFRESH_SECONDS, updated=app.clock.now().astimezone(setup.timezone),
                      extra_query="&embed=1" if embed else "")
    response.headers["Cache-Control"] = "no-store"
    if embed:
        response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


async def accessibility_statement(request: Request) -> Response:
    """/accessibility: the accessibility statement Polish public bodies publish (ustawa z 4 kwietnia
    2019 r. o dostępności cyfrowej), in the visitor's language; the office's own facts (contact,
    dates, the building) come from the settings (docs/configuration.md)."""
    language_of(request)
    app = okienko(request)
    setup = await office_of(request)
    settings = app.settings
    statement = {
        "site": public_links(request, setup).base,
        "published": date.fromisoformat(settings.accessibility_published),
        "updated": date.fromisoformat(settings.accessibility_updated),
        "checked": date.fromisoformat(settings.accessibility_checked),
        "contact_name": settings.accessibility_contact_name,
        "contact_email": settings.accessibility_contact_email or settings.mail_from,
        "contact_phone": settings.accessibility_contact_phone,
        "building": settings.accessibility_building,
    }
    return render(request, "accessibility.html", office=setup, statement=statement)


async def favicon(request: Request) -> Response:
    """/favicon.ico: the office window, drawn by us (pages/static/favicon.ico; favicon.svg alike)."""
    return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


def wants_page(request: Request) -> bool:
    """A browser opening a page (it accepts HTML), not a script or the API (`/api/` is JSON always)."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")


async def http_error_page(request: Request, error: Exception) -> Response:
    """An address nobody serves: a page in the visitor's language for a browser, and
    `{"error": "not_found", "message"}` for everyone else (booking_api/http.py)."""
    assert isinstance(error, HTTPException)
    if error.status_code != 404 or not wants_page(request):
        return await http_error_handler(request, error)
    language_of(request)
    try:
        setup = await office_of(request)
    except (DomainError, Unavailable, SQLAlchemyError):   # no office yet, or no database: the page all the same
        setup = None
    return render(request, "not_found.html", status_code=404, office=setup,
                  error=error_body(request, DomainError("not_found")))

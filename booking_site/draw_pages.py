"""The visitor's side of a draw: where one's entry stands (/book/draw/{entry_id}?receipt=…) and
the draw's public record (/book/draws/{draw_id}): commitment, then seed, order and how to check it.

Thin, like pages.py: the page is the frame and every word (gettext); draw.js reads the JSON API
(GET /api/v1/draw-entries/{id}, GET /api/v1/draws/{id}) and keeps the page current while the
draw is near. The receipt stays in the address only (no-referrer, no-store), never in a log.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from okienko.errors import DomainError
from booking_site.site import MAX_ID_LENGTH, missing_page, office_setup, page, page_language, script_config

POLL_SECONDS = 15        # how often a page near its draw asks again
MAX_RECEIPT_LENGTH = 128


async def draw_entry_page(request: Request) -> Response:
    """GET /book/draw/{entry_id}?receipt=…: entered, won (with the booking code), not drawn, or withdrawn."""
    entry_id = request.path_params["entry_id"]
    receipt = request.query_params.get("receipt", "").strip()
    try:
        setup = await office_setup(request)
        if len(entry_id) > MAX_ID_LENGTH or len(receipt) > MAX_RECEIPT_LENGTH:
            raise DomainError("entry_not_found")
    except DomainError as error:
        return missing_page(request, error)
    language = page_language(request)
    office = request.query_params.get("office")
    if not receipt:  # the email's link: the receipt is never in an email, the visitor adds it
        return page(request, "book_draw_receipt.html", office=setup, entry_id=entry_id,
                     kept={"lang": language, **({"office": office} if office else {})}, config=None)
    config = script_config(request, setup, language, "draw-entry", entry_id=entry_id, receipt=receipt,
                     poll_seconds=POLL_SECONDS, book_path="/book?" + urlencode(
                         {**({"office": office} if office else {}), "lang": language}))
    return page(request, "book_draw_entry.html", office=setup, config=config)


async def draw_public_page(request: Request) -> Response:
    """GET /book/draws/{draw_id}: the draw's public record, the same for everyone."""
    draw_id = request.path_params["draw_id"]
    try:
        setup = await office_setup(request)
        if not draw_id.isdigit() or len(draw_id) > 18:
            raise DomainError("draw_not_found")
    except DomainError as error:
        return missing_page(request, error)
    language = page_language(request)
    ticket = request.query_params.get("ticket", "")[:64]
    names = {service.code: service.name(language) for service in setup.services}
    config = script_config(request, setup, language, "draw-public", draw_id=int(draw_id), poll_seconds=POLL_SECONDS,
                     ticket=ticket.lower() if ticket.isalnum() else "", service_names=names)
    return page(request, "book_draw_public.html", office=setup, config=config)


def draw_routes() -> list[Route]:
    return [
        Route("/book/draw/{entry_id}", draw_entry_page, methods=["GET"]),
        Route("/book/draws/{draw_id}", draw_public_page, methods=["GET"]),
    ]

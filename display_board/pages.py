"""Board pages: the hall board, the display above a window, sign-in, and the spoken call.

A board signs in once by opening /board/enroll?token=<device token> (from
`okienko device add board NAME`); the token goes into an HttpOnly cookie, as for kiosks.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from display_board.announcements import announcement
from booking_api.http import error_body, language_of, okienko
from booking_api.sessions import board_office
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.office.notices import ticker_text
from pages.rendering import enroll_device, render
from display_board.speech import SpeechUnavailable, announcement_wav

STATIC = Path(__file__).parent / "static"
CSP = "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
ROTATE_SECONDS = 6   # how long each of the board's languages stays before the next (issue 13)
# The labels the boards show, in every one of the office's board languages (the template takes turns).
LABELS = {"now_calling": _("Now calling"), "window": _("Window"), "last_calls": _("Last calls"),
          "ticket": _("Ticket"), "people_waiting": _("People waiting")}
NUMBER = re.compile(r"^[A-Z]{1,2}\d{3,4}$")  # numbering.py: 3 or 4 digits
WINDOW = re.compile(r"^[A-Za-z0-9]{1,10}$")


async def hall_board(request: Request) -> Response:
    return await _board_page(request, "board_hall.html")


async def window_display(request: Request) -> Response:
    return await _board_page(request, "board_window.html", window=request.path_params["number"])


def board_languages(setup: OfficeSetup, asked: str | None) -> list[str]:
    """The office's board languages in the order this screen shows them: `?lang=` only brings one of
    them to the front (a board cannot leave out the languages the office chose for its hall)."""
    languages = list(setup.board_languages)
    if asked in languages:
        languages.remove(asked)
        languages.insert(0, asked)
    return languages


async def _board_page(request: Request, template: str, **context: object) -> Response:
    asked = request.query_params.get("lang")
    language_of(request, asked or "pl")
    try:
        setup = await board_office(request)
    except DomainError as error:
        return render(request, "board_signin.html", status_code=401, error=error_body(request, error))
    languages = board_languages(setup, asked)
    language_of(request, languages[0])
    translator = request.app.state.templates.translator
    labels = {key: [(code, translator.gettext(code, msgid)) for code in languages] for key, msgid in LABELS.items()}
    if "window" in context and context["window"] not in [w.number for w in setup.windows]:
        return render(request, "board_signin.html", status_code=404,
                      error=error_body(request, DomainError("unknown_window", window=context["window"])))
    # The ticker in the board's language first, then the others' (notices.ticker_text).
    ticker = ticker_text(setup.notices, languages[0], setup.default_language)
    # The services of today: an information Saturday's own on its day, never the event-only ones else.
    services = setup.offered(office_day(setup, okienko(request).clock.now()))
    service_names = {service.code: [(code, service.name(code)) for code in languages] for service in services}
    response = render(request, template, office=setup, services=services, ticker=ticker, board_languages=languages,
                      labels=labels, service_names=service_names, rotate_seconds=ROTATE_SECONDS, **context)
    response.headers["Content-Security-Policy"] = CSP
    return response


async def enroll(request: Request) -> Response:
    """Sign this browser in as a board (/board/enroll?token=…); `&sound=on` or `&sound=off` is passed on
    to the board, which remembers it (a wall screen has no mouse to answer the sound prompt)."""
    sound = request.query_params.get("sound")
    home = f"/board/?sound={sound}" if sound in ("on", "off") else "/board/"
    return await enroll_device(request, "board", home, "board_signin.html")


async def spoken_call(request: Request) -> Response:
    """GET /board/announcement.wav?number=A023&window=7: chime, then the call in each of the office's
    board languages, in their order (`board_languages`)."""
    language_of(request)
    setup = await board_office(request)
    number = request.query_params.get("number", "")
    window = request.query_params.get("window", "")
    if not NUMBER.match(number) or not WINDOW.match(window):
        raise DomainError("malformed_request", detail=_("number and window are required, e.g. number=A023&window=7"))
    sentences = tuple((lang, announcement(number, window, lang)) for lang in setup.board_languages)
    try:
        audio = await asyncio.to_thread(announcement_wav, sentences)
    except SpeechUnavailable:
        return Response(status_code=204)  # the board plays its chime and flashes the call
    return Response(audio, media_type="audio/wav", headers={"Cache-Control": "private, max-age=86400"})


def board_routes() -> list[Route | Mount]:
    return [
        Route("/board/", hall_board, methods=["GET"]),
        Route("/board/window/{number}", window_display, methods=["GET"]),
        Route("/board/enroll", enroll, methods=["GET"]),
        Route("/board/announcement.wav", spoken_call, methods=["GET"]),
        Mount("/board/static", app=StaticFiles(directory=STATIC), name="board-static"),
    ]

"""What every booking-site page shares: its language (kept in the address), the office, the
page frame with the language links, the settings booking.js reads, and the friendly page for a
wrong or old link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from booking_api.http import error_body, language_of, office_of, okienko
from okienko.errors import DomainError
from okienko.i18n import LANGUAGES
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.people import FIELD_MESSAGES
from pages.rendering import render

MAX_ID_LENGTH = 64


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """Our own script, style and QR images only (the default page CSP), and the manage link's secret
    never leaves in a Referer (the default `no-referrer`): security_headers.py."""
    response = render(request, template, status_code=status_code, languages=_languages(request), **context)
    response.headers["Cache-Control"] = "no-store"  # the manage page holds a person's details
    return response


def _languages(request: Request) -> list[dict[str, Any]]:
    """This same page in each language, keeping the rest of its address (a manage link's secret)."""
    kept = {name: value for name, value in request.query_params.items() if name != "lang"}
    current = getattr(request.state, "language", None)
    return [{"code": code, "name": name, "href": f"{request.url.path}?{urlencode({**kept, 'lang': code})}",
             "current": code == current} for code, name in LANGUAGES.items()]


def page_language(request: Request, preferred: str | None = None) -> str:
    language = language_of(request, request.query_params.get("lang") or preferred)
    request.state.language = language
    return language


async def office_setup(request: Request) -> OfficeSetup:
    return await office_of(request)


def script_config(request: Request, setup: OfficeSetup, language: str, mode: str, **extra: Any) -> dict[str, Any]:
    """What booking.js needs: the API's addresses, today's date, and the field problems in words."""
    app = okienko(request)
    return {
        "mode": mode, "lang": language, "office": request.query_params.get("office") or None,
        "today": office_day(setup, app.clock.now()).isoformat(),
        "timezone": str(setup.timezone),
        "field_messages": {problem: app.translator.gettext(language, message)
                           for problem, message in FIELD_MESSAGES.items()},
        **extra,
    }


def missing_page(request: Request, error: DomainError) -> Response:
    """A friendly page for a wrong or old link: what happened and where to book again."""
    page_language(request)
    return page(request, "book_missing.html", status_code=error.http_status, error=error_body(request, error))

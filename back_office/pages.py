"""The back office at /admin/: the managers' screen. One server-rendered page per section (today,
services, office, days, closures from a calendar, events, bookings, event statistics, statistics, devices, calendars, staff, notices, messages, audit),
each a shell of translated labels and forms that a small script of its own fills from the JSON API
(/api/v1/admin/...).

Managers and admins sign in with the same staff accounts and session cookie as the console
(pages/staff_sign_in.py); a clerk who opens the back office is told it is for managers.
"""

from __future__ import annotations

import functools
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.http import error_body, language_of, okienko
from booking_api.sessions import MANAGING_ROLES, Clerk, require_manager
from okienko.booking.rules import BookingPolicy
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.office.offices import OfficeSummary, list_offices
from pages.rendering import render
from pages.staff_sign_in import StaffScreen, secured, sign_in_routes, signed_in_clerk

STATIC = Path(__file__).parent / "static"
BACK_OFFICE = StaffScreen(home="/admin/", sign_in="/admin/login", password="/admin/password",
                          sign_in_template="admin_login.html", password_template="admin_password.html")
# The sections in the order of the navigation: address, title (translated where shown).
SECTIONS: dict[str, str] = {
    "today": _("Today"),
    "services": _("Services and windows"),
    "office": _("Office and booking rules"),
    "days": _("Days and hours"),
    "closures": _("Closures from a calendar"),
    "events": _("Events"),
    "bookings": _("Bookings"),
    "event-stats": _("Event statistics"),
    "stats": _("Statistics"),
    "devices": _("Devices"),
    "calendars": _("Calendars"),
    "staff": _("Staff"),
    "notices": _("Notices"),
    "messages": _("Messages"),
    "audit": _("Audit log"),
}

async def section_page(request: Request) -> Response:
    """A section of the back office for a manager or admin; anyone else signed in is told (403)
    that it is for managers, and a visitor without a session is sent to sign in."""
    language = language_of(request)
    section = request.path_params.get("section", "today")
    clerk = await signed_in_clerk(request, BACK_OFFICE)
    if isinstance(clerk, Response):
        return clerk
    if clerk.role not in MANAGING_ROLES:
        return _forbidden(request, clerk)
    try:
        _manager, setup = await require_manager(request)
    except DomainError:   # a manager naming another office (?office=)
        return _forbidden(request, clerk)
    if section not in SECTIONS:
        return secured(render(request, "error.html", status_code=404,
                              error=error_body(request, DomainError("not_found"), language)))
    office_query = request.query_params.get("office", "")
    return secured(render(request, f"admin_{section}.html", section=section, sections=SECTIONS, office=setup,
                          clerk=clerk, csrf_token=clerk.csrf_token or "", office_query=office_query,
                          offices=await _offices_to_pick(request, clerk), extra_query=_office_param(office_query),
                          **_section_context(section, setup)))


async def _offices_to_pick(request: Request, clerk: Clerk) -> list[OfficeSummary]:
    """The offices an administrator of no office switches between (the top bar's picker): every
    office of the installation, when there are several; none for staff bound to an office, who
    see only theirs."""
    if clerk.office_id is not None:
        return []
    async with okienko(request).db.read() as conn:
        found = await list_offices(conn)
    return found if len(found) > 1 else []


def _office_param(office_query: str) -> str:
    """What the language links keep of the office picked: `&office=CODE`."""
    return "&" + urlencode({"office": office_query}) if office_query else ""


def _section_context(section: str, setup: OfficeSetup) -> dict[str, Any]:
    """What a section's form needs besides the office: the office section lists the time zones and
    shows the booking rules' defaults (BookingPolicy) where a rule is left empty; the events section
    names the services (its script lists the event-only ones the API gives)."""
    if section == "events":
        return {"service_names": {service.code: service.names for service in setup.services}}
    if section != "office":
        return {}
    return {"timezones": _timezones(), "booking_defaults": BookingPolicy().to_mapping()}


@functools.cache
def _timezones() -> list[str]:
    # Read once (it walks the tz database); "Etc/", "posix/" and the like are no office's zone.
    return sorted(zone for zone in zoneinfo.available_timezones()
                  if "/" in zone and not zone.startswith(("Etc/", "posix", "right", "SystemV", "US/")))


def _forbidden(request: Request, clerk: Clerk) -> Response:
    return secured(render(request, "admin_forbidden.html", status_code=403, clerk=clerk,
                          csrf_token=clerk.csrf_token or ""))


def admin_routes() -> list[Route | Mount]:
    return [
        Route("/admin/", section_page, methods=["GET"]),
        *sign_in_routes(BACK_OFFICE, "/admin/logout"),
        Mount("/admin/static", app=StaticFiles(directory=STATIC), name="admin-static"),
        Route("/admin/{section}", section_page, methods=["GET"]),
    ]

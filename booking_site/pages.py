"""The public booking pages: /book (service, day, time, the person, the code), the code step on its
own for a waiting-list offer, the booking's own page (print, calendar, cancel, move), its QR code.

Thin, like the API handlers: the rules live in booking_api (slots, bookings, people); these pages
render what the visitor needs to start, and booking.js talks to the JSON API for every step.
Every word is in the templates (gettext), so the catalogs pick it up with the other pages.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from booking_api.presenters import booking_json, event_json, qr_svg
from okienko.booking.changes import can_cancel, can_change, cancel_deadline, change_deadline
from okienko.booking.rules import SlotSchedule
from booking_api.http import okienko, public_links
from okienko.booking.bookings import CODE_ALPHABET, CODE_LENGTH, normalise_code, pending_hold
from okienko.errors import DomainError
from okienko.office.hours import office_day
from okienko.links import PublicLinks
from okienko.office.directory import OfficeSetup
from booking_site.draw_pages import draw_routes
from booking_site.site import MAX_ID_LENGTH, missing_page, office_setup, page, page_language, script_config
from okienko.people import countries, mask_email
from okienko.booking.slots import slots_on

STATIC = Path(__file__).parent / "static"
BOOKING_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
CASE_NUMBER_EXAMPLE = "WSC-II-S.6151.12345.2024"   # shown where it fits the office's case_number_pattern
CHANGES = ("moved", "cancelled")


async def book_page(request: Request) -> Response:
    """GET /book?service=A&lang=uk: choose a matter, a day, a time; give the person's details."""
    try:
        setup = await office_setup(request)
    except DomainError as error:
        return missing_page(request, error)
    language = page_language(request)
    now = okienko(request).clock.now()
    upcoming = setup.events_from(office_day(setup, now))
    on_events = {code for event in upcoming if event.booking_opens_at is not None for code in event.services}
    bookable = [s for s in setup.services if s.booking is not None and (not s.event_only or s.code in on_events)]
    chosen_code = request.query_params.get("service")
    chosen = next((s for s in bookable if chosen_code in (s.code, s.prefix)), None)
    if chosen is None and len(bookable) == 1:
        chosen = bookable[0]
    services = [{"code": s.code, "name": s.name(language), "name_pl": s.name("pl"),
                 "bring": s.booking.bring(language) if s.booking else "",
                 "case_number": bool(s.booking and s.booking.case_number),
                 "event_only": s.event_only} for s in bookable]
    service = next((s for s in services if chosen and s["code"] == chosen.code), None)
    pattern = setup.booking_policy.case_number_pattern
    asks_case = bool(service and service["case_number"])
    # A service released by draw: its drawn days get the draw panel (draw.js) instead of the times.
    draws = bool(chosen and chosen.booking and setup.booking_policy.release_mode_of(chosen.booking) == "draw")
    extra = {"draw_places": draw_places(setup, chosen.booking, okienko(request).clock.now())} if draws else {}
    config = script_config(request, setup, language, "book", service=service["code"] if service else None,
                     service_name=service["name"] if service else None, draws=draws,
                     case_number_pattern=pattern if asks_case else None, **extra)
    links = public_links(request, setup)
    events = [{**event_json(links, setup, event, language, now, request.query_params.get("office") or None),
               "when": format_date(event.day, format="full", locale=language),
               "opens": format_datetime(event.booking_opens_at, "d MMMM, HH:mm", tzinfo=setup.timezone,
                                         locale=language)
               if event.booking_opens_at else None} for event in upcoming]
    return page(request, "book.html", office=setup, services=services, service=service, events=events,
                feed_url=links.events_feed_path(language, request.query_params.get("office") or None),
                 unknown_service=bool(chosen_code) and chosen is None,
                 waitlist=setup.booking_policy.waitlist, hold_minutes=setup.booking_policy.hold_minutes,
                 countries=countries(language), case_number=asks_case, draws=draws,
                 case_example=CASE_NUMBER_EXAMPLE if _fits(pattern, CASE_NUMBER_EXAMPLE) else "",
                 config=config)


def draw_places(setup: OfficeSetup, schedule: SlotSchedule, now: datetime) -> dict[str, int]:
    """Places per day a draw may give out (every slot's places), from today to past the horizon."""
    today = office_day(setup, now)
    days = (today + timedelta(days=offset) for offset in range(schedule.horizon_days + 2))
    return {day.isoformat(): sum(slot.places for slot in slots_on(setup, schedule, day)) for day in days}


def _fits(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


async def confirm_page(request: Request) -> Response:
    """GET /book/confirm/{booking_id}: the code step alone (the link in the code's email: a hold's or a
    waiting-list offer's)."""
    booking_id = request.path_params["booking_id"]
    try:
        setup = await office_setup(request)
        if len(booking_id) > MAX_ID_LENGTH:
            raise DomainError("booking_not_found")
    except DomainError as error:
        return missing_page(request, error)
    language = page_language(request)
    app = okienko(request)
    try:
        async with app.db.read() as conn:
            held = await pending_hold(conn, setup, booking_id, app.clock.now())
    except DomainError as error:
        return missing_page(request, error)
    service = setup.service_by_id(held["service_id"])
    starts = held["starts_at"].astimezone(setup.timezone)
    offer = {"service": service.name(language), "email": mask_email(held["email"]),
             "when": f"{format_date(starts.date(), format='full', locale=language)}, "
                     f"{format_time(starts, 'HH:mm', locale=language)}",
             "until": format_time(held["hold_expires_at"].astimezone(setup.timezone), "HH:mm", locale=language)}
    return page(request, "book_confirm.html", office=setup, offer=offer, waitlist=held["waitlist_entry_id"] is not None,
                 config=script_config(request, setup, language, "confirm", booking_id=booking_id))


def booking_view(request: Request, setup: OfficeSetup, booking: dict[str, Any], secret: str,
                 language: str) -> dict[str, Any]:
    """The booking as its page shows it: the API's view, with dates in words and its links."""
    app = okienko(request)
    shown = booking_json(setup, booking, language)
    starts = booking["starts_at"].astimezone(setup.timezone)
    ends = booking["ends_at"].astimezone(setup.timezone)
    change_until = change_deadline(setup, booking).astimezone(setup.timezone)
    cancel_until = cancel_deadline(booking).astimezone(setup.timezone)
    check_in = [format_time(moment.astimezone(setup.timezone), "HH:mm", locale=language)
                for moment in setup.booking_policy.check_in_window(booking["starts_at"])]
    now = app.clock.now()
    office = request.query_params.get("office")
    return {
        **shown,
        "service_name_pl": setup.service_by_id(booking["service_id"]).name("pl"),
        "date": format_date(starts.date(), format="full", locale=language),
        "time": f"{format_time(starts, 'HH:mm', locale=language)}–{format_time(ends, 'HH:mm', locale=language)}",
        "change_until_text": f"{format_date(change_until.date(), format='long', locale=language)}, "
                             f"{format_time(change_until, 'HH:mm', locale=language)}",
        "cancel_until_text": f"{format_date(cancel_until.date(), format='long', locale=language)}, "
                             f"{format_time(cancel_until, 'HH:mm', locale=language)}",
        "check_in_from_text": check_in[0], "check_in_until_text": check_in[1],
        "movable": can_change(setup, booking, now),
        "cancellable": can_cancel(booking, now),
        "manage_path": PublicLinks.manage_path(booking["code"], secret, language, office),
        "calendar_path": PublicLinks.calendar_path(booking["code"], secret, language, office),
        "qr_path": PublicLinks.booking_qr_path(booking["code"]),
        "book_again_path": PublicLinks.book_path(shown["service"], language, office),
    }


async def manage_page(request: Request) -> Response:
    """GET /book/manage/{code}?secret=…: the booking (also the confirmation), to print, cancel or move."""
    app = okienko(request)
    secret = request.query_params.get("secret", "")
    try:
        setup = await office_setup(request)
        if not secret:
            raise DomainError("booking_not_found")
        booking = await app.booking.find(setup, request.path_params["code"], secret)
    except DomainError as error:
        return missing_page(request, error)
    language = page_language(request, booking["language"])
    view = booking_view(request, setup, booking, secret, language)
    changed = request.query_params.get("changed")
    config = script_config(request, setup, language, "manage", service=view["service"],
                     booking={"code": view["code"], "secret": secret, "start": view["start"],
                              "path": view["manage_path"]})
    return page(request, "book_manage.html", office=setup, booking=view, config=config,
                 done=request.query_params.get("done") == "1", changed=changed if changed in CHANGES else None)


async def booking_qr(request: Request) -> Response:
    """GET /book/qr/{code}.svg: the booking code alone as a QR code, for the kiosk's scanner."""
    code = normalise_code(request.path_params["code"])
    if not BOOKING_CODE.match(code):
        raise DomainError("not_found")
    return Response(qr_svg(code), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


def booking_routes() -> list[Route | Mount]:

    return [
        Route("/book", book_page, methods=["GET"]),
        *draw_routes(),
        Route("/book/confirm/{booking_id}", confirm_page, methods=["GET"]),
        Route("/book/manage/{code}", manage_page, methods=["GET"]),
        Route("/book/qr/{code}.svg", booking_qr, methods=["GET"]),
        Mount("/book/static", app=StaticFiles(directory=STATIC), name="booking-static"),
    ]

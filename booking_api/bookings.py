"""Online booking endpoints: slots, holds, confirmation, the booking's own page data, changes,
and the waiting list. Thin: the rules live in okienko/booking/bookings.py and
its neighbours."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, client_address, field_error, link_secret, okienko, query_date, \
    office_of, path_number, public_links, read_json, require_staff, slot_start
from booking_api.presenters import booking_json
from okienko.office.hours import office_day
from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.people import mask_email
from okienko.booking.bookings import bookings_of_day
from okienko.booking.changes import rebook_ahead_days
from okienko.booking.desk import name_matches

PERSON_FIELDS = ("name", "birth_date", "document_number", "document_country", "phone", "email", "case_number")
_encoded: dict[int, tuple[Any, bytes]] = {}


async def _setup(request: Request) -> OfficeSetup:
    return await office_of(request)


def _language(request: Request, body: dict[str, Any] | None = None) -> str:
    return body_language(request, body)



# What a visitor is told about a start that is not one: they pick times from the list, never type them.
VISITOR_START = _("the field “start” must be a slot's start time from the slot list")


async def list_slots(request: Request) -> Response:
    """GET /api/v1/slots?service=A&from=YYYY-MM-DD&to=YYYY-MM-DD: bookable slots and their free places."""
    app = okienko(request)
    language = _language(request)
    service_code = request.query_params.get("service")
    if not service_code:
        raise field_error(_("the query parameter “service” is required, e.g. ?service=A"))
    setup = await _setup(request)
    service = setup.service(service_code)
    ahead = 0
    code, secret = request.query_params.get("booking"), request.query_params.get("secret")
    if code and secret:   # a booking whose day the office closed sees the days it may move to first
        booking = await app.booking.find(setup, code, secret)
        ahead = rebook_ahead_days(setup, booking) if booking["service_id"] == service.id else 0
    listing = await app.booking.slot_listing(setup, service, query_date(request.query_params.get("from"), "from"),
                                             query_date(request.query_params.get("to"), "to"), language,
                                             client=client_address(request), ahead_days=ahead)
    cached = _encoded.get(id(listing))
    if cached is None or cached[0] is not listing:  # encode once per cached listing: bots poll this
        if len(_encoded) > 512:
            _encoded.clear()
        cached = (listing, JSONResponse(listing).body)
        _encoded[id(listing)] = cached
    return Response(cached[1], media_type="application/json", headers={"Cache-Control": "public, max-age=1"})


async def _applicant_request(request: Request, schema: dict[str, Any]) -> tuple[dict[str, Any], str, OfficeSetup]:
    """The body, language and office of a booking or waiting-list request naming a service."""
    body = await read_json(request, schema)
    language = _language(request, body)
    setup = await _setup(request)
    if not isinstance(body.get("service"), str):
        raise field_error(_("the field “service” must be a service code, e.g. “A”"))
    return body, language, setup


async def create_booking(request: Request) -> Response:
    """POST /api/v1/bookings: hold a slot for a person; the one-time code goes to their email (and SMS)."""
    app = okienko(request)
    body, language, setup = await _applicant_request(request, bodies.HOLD)
    starts_at = slot_start(setup, body.get("start"), "start", VISITOR_START)
    details = {name: body.get(name) for name in PERSON_FIELDS}
    held = await app.booking.hold(setup, body["service"], starts_at, details, language=language,
                                  client=client_address(request))
    booking = held.booking
    return JSONResponse({
        "id": booking["id"], "status": "held", "sent_to": held.sent_to,
        "expires_at": booking["hold_expires_at"].astimezone(setup.timezone).isoformat(),
        "start": booking["starts_at"].astimezone(setup.timezone).isoformat(),
        "confirm_url": f"/api/v1/bookings/{booking['id']}/confirm",
    }, status_code=202)


async def confirm_booking(request: Request) -> Response:
    """POST /api/v1/bookings/{id}/confirm {"code"}: the one-time code turns the hold into a booking."""
    app = okienko(request)
    body = await read_json(request, bodies.ONE_TIME_CODE)
    language = _language(request, body)
    code = body.get("code")
    if not isinstance(code, (str, int)) or not str(code).strip():
        raise field_error(_("the field “code” must be the code from the email"))
    setup = await _setup(request)
    confirmed = await app.booking.confirm(setup, request.path_params["booking_id"], str(code))
    out = booking_json(setup, confirmed.booking, confirmed.booking["language"] or language)
    out["secret"] = confirmed.secret
    out["manage_url"] = public_links(request, setup).manage(confirmed.booking["code"], confirmed.secret,
                                                    confirmed.booking["language"], setup.code)
    return JSONResponse(out, status_code=201)


def _secret(request: Request, body: dict[str, Any] | None = None) -> str:
    return link_secret(request, body, "secret", "x-booking-secret", "booking_not_found")


async def get_booking(request: Request) -> Response:
    """GET /api/v1/bookings/{code}?secret=...: the booking, for whoever holds its link."""
    app = okienko(request)
    language = _language(request)
    setup = await _setup(request)
    booking = await app.booking.find(setup, request.path_params["code"], _secret(request))
    return JSONResponse(booking_json(setup, booking, language))


async def booking_calendar_file(request: Request) -> Response:
    """GET /api/v1/bookings/{code}/calendar.ics?secret=...: REQUEST while active, CANCEL once cancelled."""
    app = okienko(request)
    _language(request)
    setup = await _setup(request)
    booking = await app.booking.find(setup, request.path_params["code"], _secret(request))
    service = setup.service_by_id(booking["service_id"])
    method = "CANCEL" if booking["status"] == "cancelled" else "REQUEST"
    body = app.booking.notifier.calendar(setup, service, booking, method, app.clock.now())
    return Response(body, media_type=f"text/calendar; charset=utf-8; method={method}",
                    headers={"Content-Disposition": f'attachment; filename="booking-{booking["code"]}.ics"'})


async def cancel_booking(request: Request) -> Response:
    """POST /api/v1/bookings/{code}/cancel {"secret"}."""
    return await _change(request, bodies.LINK_SECRET, lambda app, setup, code, secret, body, language:
                         app.booking.cancel(setup, code, secret))


async def reschedule_booking(request: Request) -> Response:
    """POST /api/v1/bookings/{code}/reschedule {"secret", "start"}."""
    return await _change(request, bodies.RESCHEDULE, lambda app, setup, code, secret, body, language:
                         app.booking.reschedule(setup, code, secret,
                                                slot_start(setup, body.get("start"), "start", VISITOR_START), language))


async def _change(request: Request, schema: dict[str, Any], change: Any) -> Response:
    body = await read_json(request, schema)
    language = _language(request, body)
    setup = await _setup(request)
    booking = await change(okienko(request), setup, request.path_params["code"], _secret(request, body), body,
                           language)
    return JSONResponse(booking_json(setup, booking, language))


async def join_waiting_list(request: Request) -> Response:
    """POST /api/v1/waiting-list: wait for a freed place of a service (where the office runs a list)."""
    app = okienko(request)
    body, language, setup = await _applicant_request(request, bodies.WAITLIST)
    entry, position, secret = await app.booking.join_waitlist(
        setup, body["service"], {name: body.get(name) for name in PERSON_FIELDS}, language=language,
        client=client_address(request))
    return JSONResponse({"id": entry["id"], "position": position, "secret": secret,
                         "service": body["service"], "email": mask_email(entry["email"])}, status_code=201)


async def leave_waiting_list(request: Request) -> Response:
    """POST /api/v1/waiting-list/{entry_id}/leave {"secret"}."""
    app = okienko(request)
    body = await read_json(request, bodies.LINK_SECRET)
    _language(request, body)
    setup = await _setup(request)
    entry_id = path_number(request, "entry_id", "not_found")
    await app.booking.leave_waitlist(setup, entry_id, str(body.get("secret") or ""))
    return JSONResponse({"left": True})


async def staff_bookings(request: Request) -> Response:
    """GET /api/v1/staff/bookings?day=YYYY-MM-DD[&name=…]: the day's bookings for the desk and how many
    of each status (confirmed, checked_in, no_show, cancelled): staff only."""
    app = okienko(request)
    language = _language(request)
    staff = await require_staff(request)
    setup = await app.offices.by_id(staff.office_id) if staff.office_id else await _setup(request)
    day = query_date(request.query_params.get("day"), "day") or office_day(setup, app.clock.now())
    async with app.db.read() as conn:
        rows = await bookings_of_day(conn, setup, day, flagged_only=request.query_params.get("flagged") == "1")
    searched = request.query_params.get("name") or ""
    if searched.strip():  # the desk looks a visitor up as they spell it: any order, case, accents, Ł or ß
        rows = [row for row in rows if name_matches(row["person_name"], searched)]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return JSONResponse({"day": day.isoformat(), "counts": counts, "bookings": [
        {**booking_json(setup, row, language), "email": row["email"], "phone": row["phone"]} for row in rows]})

"""The back office's bookings (/api/v1/admin/bookings): the day's list and search, one booking's
history, cancel or move on the visitor's behalf. Thin: the rules live in okienko/booking/desk.py."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, field_error, okienko, read_json, slot_start
from booking_api.presenters import admin_booking_json, booking_event_json
from booking_api.sessions import require_manager
from okienko.i18n import _

FLAGS = ("day_closed",)


async def list_bookings(request: Request) -> Response:
    """GET /api/v1/admin/bookings?day=&q=&flag=: the day's bookings (or the flagged ones), searched."""
    language = body_language(request, None)
    _clerk, setup = await require_manager(request)
    params = request.query_params
    day = None
    if params.get("day"):
        try:
            day = date.fromisoformat(params["day"])
        except ValueError:
            raise field_error(_("“{name}” must be a date as YYYY-MM-DD").format(name="day")) from None
    flag = params.get("flag") or None
    if flag is not None and flag not in FLAGS:
        raise field_error(_("“{name}” must be one of: {values}").format(name="flag", values=", ".join(FLAGS)))
    app = okienko(request)
    query = (params.get("q") or "")[:100]
    if day is None and flag is None and not query:
        day = app.clock.now().astimezone(setup.timezone).date()
    rows = await app.desk.listed(setup, day, query, flag)
    return JSONResponse({"bookings": [admin_booking_json(setup, row, language) for row in rows]})


async def get_booking(request: Request) -> Response:
    """GET /api/v1/admin/bookings/{code}: the booking and its history."""
    language = body_language(request, None)
    _clerk, setup = await require_manager(request)
    booking, history = await okienko(request).desk.one(setup, request.path_params["code"])
    return JSONResponse({"booking": admin_booking_json(setup, booking, language, okienko(request).clock.now()),
                         "history": [booking_event_json(setup, event) for event in history]})


async def cancel_booking(request: Request) -> Response:
    """POST /api/v1/admin/bookings/{code}/cancel {reason}: cancelled on the visitor's behalf; they are told."""
    body = await read_json(request, bodies.ADMIN_CANCEL, optional=True)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    done = await okienko(request).desk.cancel(setup, request.path_params["code"], reason=body.get("reason") or "",
                                              actor=clerk.username)
    return JSONResponse({"booking": admin_booking_json(setup, done, language, okienko(request).clock.now())})


async def move_booking(request: Request) -> Response:
    """POST /api/v1/admin/bookings/{code}/move {starts_at}: moved on the visitor's behalf; they are told."""
    body = await read_json(request, bodies.ADMIN_MOVE)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    starts_at = slot_start(setup, body.get("starts_at"), "starts_at")
    done = await okienko(request).desk.move(setup, request.path_params["code"], starts_at, actor=clerk.username,
                                            language=language)
    return JSONResponse({"booking": admin_booking_json(setup, done, language, okienko(request).clock.now())})

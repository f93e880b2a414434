"""The back office's days (/api/v1/admin/days): a date's own hours, who a change would cut off, and
saving it (the people cut off are told). Thin: the rules live in okienko/office/days.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, okienko, query_date, read_json
from booking_api.presenters import affected_json
from booking_api.sessions import require_manager
from okienko.office.days import day_json



def _path_date(request: Request) -> date:
    day = query_date(request.path_params["date"], "date")
    assert day is not None
    return day


async def list_days(request: Request) -> Response:
    """GET /api/v1/admin/days?from=&to=: the dates that are not plain weekly days, with their bookings."""
    language = body_language(request, None)
    _clerk, setup = await require_manager(request)
    days = await okienko(request).days.days(setup, query_date(request.query_params.get("from"), "from"),
                                            query_date(request.query_params.get("to"), "to"), language)
    return JSONResponse({"days": days})


async def preview_day(request: Request) -> Response:
    """POST /api/v1/admin/days/{date}/preview: who saving these hours would leave without a visit."""
    body = await read_json(request, bodies.DAY_HOURS)
    language = body_language(request, body)
    _clerk, setup = await require_manager(request)
    affected = await okienko(request).days.preview(setup, _path_date(request), _hours(body))
    return JSONResponse({"affected": [affected_json(setup, item.booking, item.contact, language)
                                      for item in affected], "count": len(affected)})


async def save_day(request: Request) -> Response:
    """PUT /api/v1/admin/days/{date}: set the date's own hours; the people cut off are told."""
    body = await read_json(request, bodies.DAY_HOURS)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    rule, told = await okienko(request).days.save(setup, _path_date(request), _hours(body), actor=clerk.username)
    return JSONResponse({"day": day_json(rule), "told": len(told),
                         "affected": [affected_json(setup, item.booking, item.contact, language) for item in told]})


async def remove_day(request: Request) -> Response:
    """DELETE /api/v1/admin/days/{date}: back to the weekly hours (people it cuts off are told)."""
    language = body_language(request, None)
    clerk, setup = await require_manager(request)
    told = await okienko(request).days.remove(setup, _path_date(request), actor=clerk.username)
    return JSONResponse({"day": None, "told": len(told),
                         "affected": [affected_json(setup, item.booking, item.contact, language) for item in told]})


def _hours(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "language" and value is not None}

"""The back office's closure calendars (/api/v1/admin/closure-calendars: added, listed, fetched now,
taken away) and the one-off import of an .ics file (/api/v1/admin/closure-import: preview, apply).
Thin: the rules live in okienko/office/closure_sources.py and closure_import.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, okienko, read_json
from booking_api.presenters import affected_json
from booking_api.sessions import require_manager
from okienko.errors import DomainError
from okienko.office import closure_import
from okienko.office.closure_sources import PollResult
from okienko.office.cut_off import Affected
from okienko.office.directory import OfficeSetup


def _source_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise DomainError("closure_source_not_found")
    return int(raw)


def _told(setup: OfficeSetup, told: list[Affected], language: str) -> list[dict[str, Any]]:
    return [affected_json(setup, item.booking, item.contact, language) for item in told]


async def _calendar(request: Request, setup: OfficeSetup, source_id: int) -> dict[str, Any]:
    found = [entry for entry in await okienko(request).closures.sources(setup) if entry["id"] == source_id]
    if not found:
        raise DomainError("closure_source_not_found")
    return found[0]


def _poll_json(result: PollResult, setup: OfficeSetup, language: str) -> dict[str, Any]:
    return {"status": result.status, "error": result.error, "changed": [day.isoformat() for day in result.changed],
            "told": len(result.told), "affected": _told(setup, result.told, language)}


async def list_calendars(request: Request) -> Response:
    """GET /api/v1/admin/closure-calendars: the office's closure calendars and their last fetch."""
    body_language(request, None)
    _clerk, setup = await require_manager(request)
    return JSONResponse({"calendars": await okienko(request).closures.sources(setup)})


async def add_calendar(request: Request) -> Response:
    """POST /api/v1/admin/closure-calendars: add one and fetch it at once."""
    body = await read_json(request, bodies.CLOSURE_CALENDAR)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    closures = okienko(request).closures
    source_id = await closures.add(setup, body.get("name", ""), body.get("url", ""), body.get("kind", "ics"),
                                   actor=clerk.username)
    result = await closures.poll(setup, source_id)
    return JSONResponse({"calendar": await _calendar(request, setup, source_id),
                         "poll": _poll_json(result, setup, language)}, status_code=201)


async def poll_calendar(request: Request) -> Response:
    """POST /api/v1/admin/closure-calendars/{id}/poll: fetch it now."""
    language = body_language(request, None)
    _clerk, setup = await require_manager(request)
    source_id = _source_id(request)
    result = await okienko(request).closures.poll(setup, source_id)
    return JSONResponse({"calendar": await _calendar(request, setup, source_id),
                         "poll": _poll_json(result, setup, language)})


async def remove_calendar(request: Request) -> Response:
    """DELETE /api/v1/admin/closure-calendars/{id}: the dates only it set go back to the weekly hours."""
    language = body_language(request, None)
    clerk, setup = await require_manager(request)
    told = await okienko(request).closures.remove(setup, _source_id(request), actor=clerk.username)
    return JSONResponse({"told": len(told), "affected": _told(setup, told, language)})


def _plan_json(plan: closure_import.ImportPlan, setup: OfficeSetup, language: str) -> dict[str, Any]:
    return {"changes": plan.changes, "skipped": plan.skipped, "count": len(plan.affected),
            "affected": _told(setup, plan.affected, language)}


async def preview_import(request: Request) -> Response:
    """POST /api/v1/admin/closure-import/preview: what importing this .ics would change (nothing written)."""
    body = await read_json(request, bodies.CLOSURE_IMPORT)
    language = body_language(request, body)
    _clerk, setup = await require_manager(request)
    app = okienko(request)
    plan = await closure_import.plan(app.days, setup, body.get("ics", ""), language, 2 * app.settings.closure_horizon_days)
    return JSONResponse(_plan_json(plan, setup, language))


async def apply_import(request: Request) -> Response:
    """POST /api/v1/admin/closure-import: import it (as the managers' own days; the people cut off told)."""
    body = await read_json(request, bodies.CLOSURE_IMPORT)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    app = okienko(request)
    plan, told = await closure_import.apply(app.days, setup, body.get("ics", ""), language,
                                            2 * app.settings.closure_horizon_days, actor=clerk.username)
    return JSONResponse({"changes": plan.changes, "skipped": plan.skipped, "told": len(told),
                         "affected": _told(setup, told, language)})

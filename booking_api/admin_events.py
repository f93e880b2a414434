"""The back office's events (/api/v1/admin/events): information Saturdays listed, created as drafts,
changed, published and cancelled, with a preview of who a change tells. Thin: the rules live in
okienko/office/events.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import body_language, okienko, read_json
from booking_api.presenters import affected_json
from booking_api.sessions import require_manager
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.office.event_specs import FIELDS
from okienko.office.events import EventChange


def _event_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise DomainError("event_not_found")
    return int(raw)


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key in FIELDS}


def change_json(setup: OfficeSetup, change: EventChange, language: str) -> dict[str, Any]:
    """An event after a change, its warnings and the people told (each with what became of their booking)."""
    return {"event": change.event, "warnings": change.warnings, "told": len(change.told),
            "affected": [{**affected_json(setup, item.booking, item.contact, language), "outcome": item.outcome}
                         for item in change.told]}


async def list_events(request: Request) -> Response:
    """GET /api/v1/admin/events: every event, drafts too, the latest date first, with their bookings."""
    body_language(request, None)
    _clerk, setup = await require_manager(request)
    events = okienko(request).office_events
    return JSONResponse({"events": await events.events(setup),
                         "event_only_services": await events.event_only_services(setup)})


async def get_event(request: Request) -> Response:
    """GET /api/v1/admin/events/{id}."""
    body_language(request, None)
    _clerk, setup = await require_manager(request)
    event = await okienko(request).office_events.event(setup, _event_id(request))
    return JSONResponse({"event": event, "warnings": event["warnings"]})


async def create_event(request: Request) -> Response:
    """POST /api/v1/admin/events: a new draft."""
    body = await read_json(request, bodies.EVENT_NEW)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    change = await okienko(request).office_events.create(setup, _fields(body), actor=clerk.username)
    return JSONResponse(change_json(setup, change, language), status_code=201)


async def update_event(request: Request) -> Response:
    """PUT /api/v1/admin/events/{id}: change its fields; a published event's people are told
    (`preview`: only who would be)."""
    body = await read_json(request, bodies.EVENT_EDIT)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    change = await okienko(request).office_events.update(setup, _event_id(request), _fields(body),
                                                         actor=clerk.username, preview=bool(body.get("preview")))
    return JSONResponse(change_json(setup, change, language))


async def publish_event(request: Request) -> Response:
    """POST /api/v1/admin/events/{id}/publish."""
    await read_json(request, bodies.closed_object({"language": bodies.LANGUAGE}), optional=True)
    language = body_language(request, None)
    clerk, setup = await require_manager(request)
    change = await okienko(request).office_events.publish_event(setup, _event_id(request), actor=clerk.username)
    return JSONResponse(change_json(setup, change, language))


async def cancel_event(request: Request) -> Response:
    """POST /api/v1/admin/events/{id}/cancel: its bookings are cancelled and each person told
    (`preview`: only who would be)."""
    body = await read_json(request, bodies.EVENT_CANCEL, optional=True)
    language = body_language(request, body)
    clerk, setup = await require_manager(request)
    change = await okienko(request).office_events.cancel(setup, _event_id(request), actor=clerk.username,
                                                         preview=bool(body.get("preview")))
    return JSONResponse(change_json(setup, change, language))

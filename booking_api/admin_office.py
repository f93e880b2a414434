"""/api/v1/admin/: the back office's office set-up (office, services, windows, priority categories,
notices) and its audit log. Managers act on their own office (sessions.require_manager); every change
goes through the core's OfficeEditor (okienko/office/editing.py), checked as the office file is.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import language_of, okienko, read_json
from booking_api.sessions import require_manager
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.audit import Change
from okienko.office.directory import OfficeSetup

AUDIT_CSV_COLUMNS = ("id", "at", "actor", "action", "target", "before", "after")


async def get_office(request: Request) -> Response:
    """GET /api/v1/admin/office: the office, its services, windows and priority categories."""
    language_of(request)
    _clerk, setup = await require_manager(request)
    return JSONResponse(await okienko(request).editor.view(setup))


async def put_office(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.OFFICE_EDIT)
    confirm = bool(body.pop("confirm", False))
    office = await okienko(request).editor.update_office(setup, clerk.username, body, confirm=confirm)
    return JSONResponse({"office": office})


async def add_service(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.SERVICE_NEW)
    service = await okienko(request).editor.add_service(setup, clerk.username, body)
    return JSONResponse({"service": service}, status_code=201)


async def put_service(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.SERVICE_EDIT)
    confirm = bool(body.pop("confirm", False))
    service = await okienko(request).editor.update_service(setup, clerk.username, request.path_params["service"],
                                                           body, confirm=confirm)
    return JSONResponse({"service": service})


async def switch_service_off(request: Request) -> Response:
    """POST …/services/{service}/switch-off ({"confirm": true} when people wait)."""
    return await _switch_service(request, False)


async def switch_service_on(request: Request) -> Response:
    return await _switch_service(request, True)


async def _switch_service(request: Request, on: bool) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.SWITCH, optional=True)
    service = await okienko(request).editor.switch_service(setup, clerk.username, request.path_params["service"],
                                                           on, confirm=bool(body.get("confirm")))
    return JSONResponse({"service": service})


async def add_window(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.WINDOW_NEW)
    window = await okienko(request).editor.add_window(setup, clerk.username, body)
    return JSONResponse({"window": window}, status_code=201)


async def put_window(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.WINDOW_EDIT)
    window = await okienko(request).editor.update_window(setup, clerk.username, request.path_params["window"], body)
    return JSONResponse({"window": window})


async def switch_window_off(request: Request) -> Response:
    """POST …/windows/{window}/switch-off: refused (`window_in_use`) while a visitor is there."""
    return await _switch_window(request, False)


async def switch_window_on(request: Request) -> Response:
    return await _switch_window(request, True)


async def _switch_window(request: Request, on: bool) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    await read_json(request, bodies.SWITCH, optional=True)
    window = await okienko(request).editor.switch_window(setup, clerk.username, request.path_params["window"], on)
    return JSONResponse({"window": window})


async def add_priority(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.PRIORITY_NEW)
    priority = await okienko(request).editor.add_priority(setup, clerk.username, body)
    return JSONResponse({"priority": priority}, status_code=201)


async def put_priority(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.PRIORITY_EDIT)
    priority = await okienko(request).editor.update_priority(setup, clerk.username,
                                                             request.path_params["priority"], body)
    return JSONResponse({"priority": priority})


async def switch_priority_off(request: Request) -> Response:
    return await _switch_priority(request, False)


async def switch_priority_on(request: Request) -> Response:
    return await _switch_priority(request, True)


async def _switch_priority(request: Request, on: bool) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    await read_json(request, bodies.SWITCH, optional=True)
    priority = await okienko(request).editor.switch_priority(setup, clerk.username,
                                                             request.path_params["priority"], on)
    return JSONResponse({"priority": priority})


async def get_notices(request: Request) -> Response:
    language_of(request)
    _clerk, setup = await require_manager(request)
    return JSONResponse(await okienko(request).editor.notices(setup))


async def put_notices(request: Request) -> Response:
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.NOTICES)
    return JSONResponse(await okienko(request).editor.set_notices(setup, clerk.username, body))


async def get_audit(request: Request) -> Response:
    """GET /api/v1/admin/audit?action=&actor=&older_than=: the newest 200 changes (page on with older_than)."""
    language_of(request)
    _clerk, setup = await require_manager(request)
    changes = await _changes(request, setup)
    return JSONResponse({"changes": [change_json(change, setup) for change in changes],
                         "older_than": changes[-1].id if changes else None})


async def get_audit_csv(request: Request) -> Response:
    """GET /api/v1/admin/audit.csv: the same changes as a CSV download (before/after as JSON)."""
    language_of(request)
    _clerk, setup = await require_manager(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for change in await _changes(request, setup, limit=10_000):
        row = change_json(change, setup)
        writer.writerow([row["id"], row["at"], row["actor"], row["action"], row["target"],
                         json.dumps(row["before"], ensure_ascii=False), json.dumps(row["after"], ensure_ascii=False)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="audit-{setup.code}.csv"'})


def change_json(change: Change, setup: OfficeSetup) -> dict[str, Any]:
    return {"id": change.id, "at": change.at.astimezone(setup.timezone).isoformat(), "actor": change.actor,
            "action": change.action, "target": change.target, "before": change.before, "after": change.after}


async def _changes(request: Request, setup: OfficeSetup, limit: int = 200) -> list[Change]:
    older_than = request.query_params.get("older_than") or None
    if older_than is not None and (not older_than.isdigit() or len(older_than) > 12):
        raise DomainError("malformed_request", detail=_("older_than must be the id of an entry"))
    action = (request.query_params.get("action") or "")[:60] or None
    actor = (request.query_params.get("actor") or "").strip()[:60] or None
    return await okienko(request).editor.changes(setup, action=action, limit=limit, actor=actor,
                                                 older_than=int(older_than) if older_than else None)


"""GET /api/v1/services: what a kiosk shows, what an integrator polls."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.api.common import bearer_token, identify, language_of, okienko
from booking_api.auth import DeviceIdentity
from booking_api.container import Okienko
from booking_api.errors import DomainError
from booking_api.office import OfficeSetup
from booking_api.status import ServiceStatus, service_statuses


async def statuses_for(app: Okienko, setup: OfficeSetup, language: str) -> list[ServiceStatus]:
    minutes = {s.id: await app.estimator.service_minutes(s) for s in setup.services}
    staffed = await app.estimator.staffed_windows(setup.id)
    async with app.db.read() as conn:
        return await service_statuses(conn, setup, app.clock.now(), minutes, language, staffed)


def status_json(app: Okienko, status: ServiceStatus, language: str) -> dict[str, Any]:
    state = status.availability
    closed = None
    if not state.open and state.reason:
        error = DomainError(state.reason, **state.params)
        closed = {"error": error.code, "message": app.translator.format(language, error.message_id, **error.params)}
    service = status.service
    return {
        "code": service.code, "prefix": service.prefix, "name": service.name(language), "names": service.names,
        "walk_in": service.walk_in, "open_now": state.open, "closed_reason": closed,
        "waiting": status.waiting, "estimated_wait_minutes": status.estimated_wait_minutes,
        "daily_limit": service.daily_limit, "issued_today": status.issued_today,
        "closes_at": state.closes_at.isoformat() if state.closes_at else None,
    }


async def office_of_caller(request: Request) -> OfficeSetup:
    """`?office=`, else the signed-in device's office, else the server's default office."""
    app = okienko(request)
    code = request.query_params.get("office")
    if not code and bearer_token(request):
        try:
            identity = await identify(request)
        except DomainError:
            identity = None
        if isinstance(identity, DeviceIdentity):
            return await app.offices.by_id(identity.office_id)
    return await app.offices.get(code or None)


async def list_services(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    setup = await office_of_caller(request)
    statuses = await statuses_for(app, setup, language)
    return JSONResponse({
        "office": {"code": setup.code, "name": setup.name},
        "language": language,
        "services": [status_json(app, status, language) for status in statuses],
        "priority_categories": [{"code": c.code, "mark": c.mark, "name": c.name(language)}
                                for c in setup.categories],
    })

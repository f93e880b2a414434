"""GET /api/v1/services: what a kiosk shows, what an integrator polls."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import bearer_token, identify, language_of, office_of, okienko
from booking_api.presenters import status_json
from okienko.staff.auth import DeviceIdentity
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup


async def office_of_caller(request: Request) -> OfficeSetup:
    """A device's own office (whatever host or `?office=` it came with: a kiosk shows its hall), else
    the office the request is for (`office_asked`: the host's, `?office=`, the default)."""
    app = okienko(request)
    if bearer_token(request):
        try:
            identity = await identify(request)
        except DomainError:
            identity = None
        if isinstance(identity, DeviceIdentity):
            return await app.offices.by_id(identity.office_id)
    return await office_of(request)


async def list_services(request: Request) -> Response:
    app = okienko(request)
    language = language_of(request)
    setup = await office_of_caller(request)
    statuses = await app.hall.statuses(setup, language)
    return JSONResponse({
        "office": {"code": setup.code, "name": setup.name},
        "language": language,
        "services": [status_json(app.translator, status, language) for status in statuses],
        "priority_categories": [{"code": c.code, "mark": c.mark, "name": c.name(language)}
                                for c in setup.categories],
    })

"""The back office's kiosks and boards (managers: own office; admins: the office they act on):
list with heartbeat and printer, add (the enrolment link and its QR code, shown once), rename,
revoke, enrol anew. Thin: okienko/staff/devices.py (DeviceAdmin) does the work."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.http import language_of, okienko, path_number, public_links, read_json
from booking_api.presenters import device_json, qr_svg
from booking_api.sessions import Clerk, require_manager
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.staff.devices import KIND_REQUIRED, DeviceState
from okienko.staff.roles import Actor

NO_STORE = {"Cache-Control": "no-store"}


def actor_of(clerk: Clerk) -> Actor:
    return Actor(clerk.username, clerk.role, clerk.office_id)


def _device_id(request: Request) -> int:
    return path_number(request, "device_id", "device_not_found")


REQUIRED = {"kind": KIND_REQUIRED, "name": _("the field “name” must be the device's name"),
            "username": _("the field “username” must be the user's name"),
            "role": _("the field “role” must be clerk, operator, manager or admin")}


def required_text(body: dict[str, Any], name: str) -> str:
    """A required text field of the body (REQUIRED says what it must be)."""
    value = body.get(name)
    if not isinstance(value, str):
        raise DomainError("malformed_request", detail=REQUIRED[name])
    return value


def _enrolment(request: Request, setup: OfficeSetup, device: DeviceState, token: str) -> dict[str, Any]:
    """The device with its enrolment link and QR code, and the token itself (a kiosk's print agent
    signs in with it: docs/printing.md): shown this once."""
    link = public_links(request, setup).enrol(device.kind, token)
    return {"device": device_json(setup, device), "enrol_url": link, "qr_svg": qr_svg(link).decode(),
            "token": token}


async def list_devices(request: Request) -> Response:
    """GET /api/v1/admin/devices."""
    language_of(request)
    _clerk, setup = await require_manager(request)
    devices = await okienko(request).devices.list(setup.id)
    return JSONResponse({"devices": [device_json(setup, d) for d in devices]}, headers=NO_STORE)


async def add_device(request: Request) -> Response:
    """POST /api/v1/admin/devices {"kind", "name"} → 201 with the enrolment link (shown once)."""
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.NEW_DEVICE)
    device, token = await okienko(request).devices.add(actor_of(clerk), setup.id, required_text(body, "kind"),
                                                       required_text(body, "name"))
    return JSONResponse(_enrolment(request, setup, device, token), status_code=201, headers=NO_STORE)


async def rename_device(request: Request) -> Response:
    """PUT /api/v1/admin/devices/{device_id} {"name"}."""
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.RENAME_DEVICE)
    device = await okienko(request).devices.rename(actor_of(clerk), setup.id, _device_id(request),
                                                   required_text(body, "name"))
    return JSONResponse({"device": device_json(setup, device)})


async def revoke_device(request: Request) -> Response:
    """POST /api/v1/admin/devices/{device_id}/revoke: its token is refused at once."""
    language_of(request)
    clerk, setup = await require_manager(request)
    device = await okienko(request).devices.revoke(actor_of(clerk), setup.id, _device_id(request))
    return JSONResponse({"device": device_json(setup, device)})


async def enrol_device(request: Request) -> Response:
    """POST /api/v1/admin/devices/{device_id}/enrol: a new enrolment link; the old token stops working."""
    language_of(request)
    clerk, setup = await require_manager(request)
    device, token = await okienko(request).devices.enrol(actor_of(clerk), setup.id, _device_id(request))
    return JSONResponse(_enrolment(request, setup, device, token), headers=NO_STORE)


async def heartbeat(request: Request) -> Response:
    """POST /api/v1/devices/heartbeat (a kiosk's or board's token): "still here". Identifying the
    device notes its heartbeat (staff/devices.py); nothing else happens."""
    from booking_api.http import identify
    from okienko.staff.auth import DeviceIdentity

    language_of(request)
    if not isinstance(await identify(request), DeviceIdentity):
        raise DomainError("forbidden")
    return Response(status_code=204)

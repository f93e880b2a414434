"""Health, printer status, and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from okienko import __version__
from booking_api.http import identify, language_of, office_of, okienko
from okienko.staff.auth import DeviceIdentity
from okienko.errors import DomainError
from okienko.notify.outbox import count_failed
from booking_api.openapi import openapi_document


async def healthz(request: Request) -> Response:
    app = okienko(request)
    try:
        async with app.db.read() as conn:
            failed = await count_failed(conn)
    except Exception as error:  # report, never crash the probe
        return JSONResponse({"status": "error", "database": type(error).__name__}, status_code=503)
    # Failed messages do not make the server unhealthy (a restart would not send them): they are
    # counted for monitoring to alert on, and listed in the back office.
    answer = {"status": "ok", "version": __version__, "database": app.db.dialect, "failed_messages": failed}
    if app.caldav.configured:   # bookings waiting for the CalDAV calendars (docs/calendar.md): alert on it growing
        try:
            answer["calendar_backlog"] = (await app.caldav.backlog())["pending"]
        except Exception as error:  # report, never crash the probe
            return JSONResponse({"status": "error", "database": type(error).__name__}, status_code=503)
    return JSONResponse(answer)


async def list_printers(request: Request) -> Response:
    """GET /api/v1/printers: staff see every kiosk's printer of their office (`?office=` only for
    staff of no office); a kiosk sees its own; a board none."""
    app = okienko(request)
    language_of(request)
    identity = await identify(request)
    if isinstance(identity, DeviceIdentity):
        if identity.kind != "kiosk":
            raise DomainError("forbidden")
        printers = await app.printing.statuses(identity.office_id, identity.id)
    else:
        setup = await (app.offices.by_id(identity.office_id) if identity.office_id
                       else office_of(request))
        printers = await app.printing.statuses(setup.id)
    return JSONResponse({"printers": printers})


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())

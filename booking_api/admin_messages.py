"""The back office's failed messages (/api/v1/admin/messages): those the outbox gave up on after its
last attempt, with the reason, and sending one again. Thin: the rules live in okienko/notify/outbox.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import body_language, field_error, okienko
from booking_api.presenters import failed_message_json
from booking_api.sessions import require_manager
from okienko.i18n import _

STATUSES = ("failed",)


async def list_messages(request: Request) -> Response:
    """GET /api/v1/admin/messages?status=failed: the office's failed messages, newest first."""
    body_language(request, None)
    _clerk, setup = await require_manager(request)
    status = request.query_params.get("status", "failed")
    if status not in STATUSES:
        raise field_error(_("“{name}” must be one of: {values}").format(name="status", values=", ".join(STATUSES)))
    rows = await okienko(request).outbox.failed(setup.id)
    return JSONResponse({"messages": [failed_message_json(row) for row in rows]})


async def resend_message(request: Request) -> Response:
    """POST /api/v1/admin/messages/{id}/resend: a failed message is tried again from now."""
    body_language(request, None)
    clerk, setup = await require_manager(request)
    row = await okienko(request).outbox.resend(setup.id, request.path_params["id"], clerk.username)
    return JSONResponse({"message": {**failed_message_json(row), "status": "queued"}})

"""The back office's messages (/api/v1/admin/messages): the failed ones (those the outbox gave up
on after its last attempt, with the reason, and SMS the gateway reported undelivered), sending one
again, and the latest sent ones with what the SMS gateway reported of each. Thin: the rules live in
okienko/notify/outbox.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import body_language, field_error, okienko
from booking_api.presenters import message_json
from booking_api.sessions import require_manager
from okienko.i18n import _

STATUSES = ("failed", "sent")
CHANNELS = ("email", "sms")


async def list_messages(request: Request) -> Response:
    """GET /api/v1/admin/messages?status=failed|sent&channel=: the office's failed messages (newest
    failure first), or its latest sent ones (with their delivery reports)."""
    body_language(request, None)
    _clerk, setup = await require_manager(request)
    status = request.query_params.get("status", "failed")
    if status not in STATUSES:
        raise field_error(_("“{name}” must be one of: {values}").format(name="status", values=", ".join(STATUSES)))
    channel = request.query_params.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise field_error(_("“{name}” must be one of: {values}").format(name="channel", values=", ".join(CHANNELS)))
    outbox = okienko(request).outbox
    if status == "failed":
        rows = [row for row in await outbox.failed(setup.id) if channel in (None, row["channel"])]
    else:
        rows = await outbox.sent(setup.id, channel)
    return JSONResponse({"messages": [message_json(row) for row in rows]})


async def resend_message(request: Request) -> Response:
    """POST /api/v1/admin/messages/{id}/resend: a failed message is sent again from now (an SMS
    reported undelivered as a new message: `resent_as`)."""
    body_language(request, None)
    clerk, setup = await require_manager(request)
    row = await okienko(request).outbox.resend(setup.id, request.path_params["id"], clerk.username)
    return JSONResponse({"message": {**message_json(row), "status": "queued"}})

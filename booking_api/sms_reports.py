"""The SMS gateway's delivery reports (POST /api/v1/sms/delivery-report). Thin: the record is kept by
okienko/notify/outbox.py. Authenticated by the shared secret `sms_delivery_secret`, as a header
(`X-Okienko-Secret`) or in the address (`?secret=`: many gateways can only be given a URL)."""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import okienko
from okienko.errors import DomainError

# What gateways call a final outcome (compared in lower case); anything else (queued, sent, accepted…)
# is an intermediate state: acknowledged and not recorded.
DELIVERED = {"delivered", "delivrd", "ok", "success"}
FAILED = {"failed", "undelivered", "undeliv", "rejected", "rejectd", "expired", "error", "not_delivered"}


async def delivery_report(request: Request) -> Response:
    """POST /api/v1/sms/delivery-report {"id", "status"} (JSON or a form): 200 `{"recorded": bool}`."""
    app = okienko(request)
    secret = app.settings.sms_delivery_secret
    if not secret:
        raise DomainError("not_found")
    given = request.headers.get("x-okienko-secret") or request.query_params.get("secret") or ""
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise DomainError("forbidden")
    raw = (await request.body())[:app.settings.max_body_bytes]
    if "json" in request.headers.get("content-type", ""):
        try:
            report = json.loads(raw or b"{}")
        except ValueError:
            report = {}
    else:   # a form (or a query string as the body)
        report = dict(parse_qsl(raw.decode("utf-8", "replace")))
    if not isinstance(report, dict):
        report = {}
    message_id, status = str(report.get("id") or ""), str(report.get("status") or "").lower()
    if not message_id or status not in DELIVERED | FAILED:
        return JSONResponse({"recorded": False})
    return JSONResponse({"recorded": await app.outbox.delivery_report(message_id[:32], status in DELIVERED)})

"""Each HTTP request: its id, its latency by route, and (in the JSON log format) its access line.

The request id is the caller's `X-Request-ID` when it is sane (letters, digits and `-_.:`, at most
64 of them: a proxy's or a client's own id, so one request can be followed through nginx and
here), else a new one. It is sent back in the answer's `X-Request-ID` and stamped on every log line
written while the request is answered (okienko.logs.current_request_id), whatever logger writes it.

Latency is recorded by the route's template (`/t/{ticket_id}`), never by the path: paths hold
secrets. The access line's target is redacted like every other line's (server_log.RedactSecrets).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from okienko.logs import current_request_id
from okienko.monitoring.metrics import Metrics

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "unmatched"   # no route: a 404 (never its path, which may be anything)
access_log = logging.getLogger("okienko.access")


def request_id_from(scope: Scope) -> str:
    """The caller's X-Request-ID when sane, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1").strip()
            if SANE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/v1/bookings/{code}`), never the path itself."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestLog:
    """Pure ASGI middleware, outermost of ours: the request id for HTTP and WebSocket alike; latency and
    the access line for HTTP answers."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_lines: bool = False) -> None:
        self.app, self.metrics, self.access_lines = app, metrics, access_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        token = current_request_id.set(request_id)
        try:
            if scope["type"] == "http":
                await self._answer(scope, receive, send, request_id)
            else:
                await self.app(scope, receive, send)
        finally:
            current_request_id.reset(token)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500   # unless an answer starts: an error that escapes is answered 500 by Starlette

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.request_done(scope["method"], route, status, seconds)
            if self.access_lines:
                _access_line(scope, route, status, seconds)


def _access_line(scope: Scope, route: str, status: int, seconds: float) -> None:
    target = scope.get("path", "")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    # The target is an argument starting with "/": RedactSecrets hides its secrets on every handler.
    extra: dict[str, Any] = {"method": scope["method"], "route": route, "status": status,
                             "duration_ms": round(seconds * 1000, 1)}
    access_log.info("%s %s %s", scope["method"], target, status, extra=extra)

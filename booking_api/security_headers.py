"""Headers every HTTP answer carries, whatever produced it (a page, the API, an error, a file).

`X-Content-Type-Options: nosniff`: a browser never guesses another type than the one sent (a JSON
error or an uploaded-looking text is never run as a script). Pages set their own CSP and
Referrer-Policy; this middleware only adds what is missing.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVERY_ANSWER = {"X-Content-Type-Options": "nosniff"}


class SecurityHeaders:
    """Pure ASGI middleware (WebSockets and streamed answers pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_ANSWER.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, sending)

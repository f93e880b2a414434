"""Headers every HTTP answer carries, whatever produced it (a page, the API, an error, a file).

The one home of these rules; a page that needs more (the board plays audio, the tracking page
opens a socket) sets its own Content-Security-Policy or Referrer-Policy, and this middleware only
adds what is missing:

- `X-Content-Type-Options: nosniff`: a browser never guesses another type than the one sent (a
  JSON error or an uploaded-looking text is never run as a script).
- `Content-Security-Policy` on every HTML answer without one (the start page, error and sign-in
  pages): our own scripts, styles and images only, never framed, nothing fetched from outside.
  One page may be framed: the live queue's embeddable variant, `/queue?embed=1`, which sets its own
  policy with `frame-ancestors *` (pages/public.py, `EMBED_CSP`) so that the office can show it on
  its website, whatever host that is. It is read-only (no form, no action, no cookie), so a frame
  around it can trick nobody into doing anything; `/queue` itself and every other page stay
  `frame-ancestors 'none'`.
- `Referrer-Policy: no-referrer` on every answer: many addresses are secrets (a ticket's tracking
  page, a booking's manage link, a draw receipt, a device's enrolment token), and no page needs to
  tell anyone where it came from. The console's pages say `same-origin` instead: its sign-in form
  checks the Origin header, which a browser sends as `null` from a no-referrer page.
- `Strict-Transport-Security` on answers served over HTTPS (the request's scheme, which behind a
  trusted proxy is its `X-Forwarded-Proto`, `OKIENKO_TRUSTED_PROXIES`): a browser that has seen the
  site over HTTPS never goes back to plain HTTP for it. Not on subdomains: the office's domain
  may serve other things.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
EVERY_ANSWER = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
HSTS = "max-age=31536000"


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
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, sending)

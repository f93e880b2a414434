"""`/readyz` and `/metrics` (docs/monitoring.md). Thin: okienko/monitoring does the work.

`/metrics` is for the monitoring server only: it names the office's kiosks and boards and how
busy the hall is. It answers only a request that carries the `metrics_token` (as a bearer token)
and/or comes from an address in `metrics_allow` (the client's address as `client_address` reads
it, through trusted proxies only); with neither set it is refused to everyone.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import client_address, language_of, okienko
from okienko.errors import DomainError
from okienko.monitoring.metrics import CONTENT_TYPE
from okienko.settings import metrics_networks

NO_STORE = {"Cache-Control": "no-store"}


async def readyz(request: Request) -> Response:
    """GET /readyz: 200 when this process may take traffic, else 503 naming what failed."""
    ready = await okienko(request).monitoring.ready()
    body = {"status": "ready" if ready.ready else "not_ready", "checks": ready.checks}
    if ready.outbox_oldest_due_seconds is not None:
        body["outbox_oldest_due_seconds"] = ready.outbox_oldest_due_seconds
    if not ready.ready:
        body["failed"] = ready.failed
    return JSONResponse(body, status_code=200 if ready.ready else 503, headers=NO_STORE)


async def metrics(request: Request) -> Response:
    """GET /metrics: the Prometheus text, to the monitoring server only."""
    language_of(request)
    allow_scrape(request)
    text = await okienko(request).monitoring.scrape()
    return Response(text, media_type=CONTENT_TYPE, headers=NO_STORE)


def allow_scrape(request: Request) -> None:
    """Refuse (401 `missing_token` / `invalid_token`, 403 `forbidden`) unless every configured guard passes."""
    settings = okienko(request).settings
    token, networks = settings.metrics_token, metrics_networks(settings.metrics_allow)
    if not token and not networks:
        raise DomainError("forbidden")
    if networks and not _address_in(client_address(request), networks):
        raise DomainError("forbidden")
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise DomainError("missing_token")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise DomainError("invalid_token")


def _address_in(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)

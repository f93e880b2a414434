"""The staff calendar feeds (docs/calendar.md): the back office's links (managers: own office;
admins: the office acted on) to list, make (the link shown once) and revoke, and the feed itself,
`GET /calendar/staff/{feed_token}.ics`, which its token opens. Thin: okienko/booking/
staff_calendars.py (StaffFeeds) does the work."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api import bodies
from booking_api.admin_devices import NO_STORE, actor_of
from booking_api.http import language_of, okienko, path_number, public_links, read_json
from booking_api.sessions import require_manager
from okienko.links import PublicLinks


def feed_json(links: PublicLinks, row: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """A link as the back office lists it; the address only when it is made (the token is not kept)."""
    found = {"id": row["id"], "scope": row["scope"], "target": row["target"], "with_names": row["with_names"],
             "label": row["label"], "created_by": row["created_by"], "created_at": row["created_at"].isoformat(),
             "revoked_at": row["revoked_at"].isoformat() if row["revoked_at"] else None}
    if token is not None:
        found["url"] = links.staff_feed(token)
        found["webcal_url"] = "webcal://" + found["url"].split("://", 1)[1]
    return found


async def list_feeds(request: Request) -> Response:
    """GET /api/v1/admin/calendar-feeds."""
    language_of(request)
    _clerk, setup = await require_manager(request)
    rows = await okienko(request).staff_feeds.listing(setup)
    links = public_links(request)
    return JSONResponse({"feeds": [feed_json(links, row) for row in rows]}, headers=NO_STORE)


async def add_feed(request: Request) -> Response:
    """POST /api/v1/admin/calendar-feeds {"scope", "target", "with_names", "label"} → 201 with the link."""
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.NEW_CALENDAR_FEED)
    row, token = await okienko(request).staff_feeds.create(
        setup, actor_of(clerk), scope=body.get("scope", ""), target=body.get("target", ""),
        with_names=bool(body.get("with_names", False)), label=body.get("label", ""))
    return JSONResponse({"feed": feed_json(public_links(request), row, token)}, status_code=201, headers=NO_STORE)


async def revoke_feed(request: Request) -> Response:
    """POST /api/v1/admin/calendar-feeds/{feed_id}/revoke."""
    language_of(request)
    clerk, setup = await require_manager(request)
    row = await okienko(request).staff_feeds.revoke(setup, actor_of(clerk),
                                                    path_number(request, "feed_id", "feed_not_found"))
    return JSONResponse({"feed": feed_json(public_links(request), row)}, headers=NO_STORE)


async def staff_feed(request: Request) -> Response:
    """GET /calendar/staff/{feed_token}.ics: the feed its token names (`feed_not_found` once revoked)."""
    language_of(request)
    _setup, body = await okienko(request).staff_feeds.feed(request.path_params["feed_token"])
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="okienko.ics"',
                             "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"})

"""The public side of information Saturdays: `GET /api/v1/events` (what the booking site and the
kiosks show) and the feed anyone can subscribe to, `GET /calendar/events.ics`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import language_of, office_asked, okienko, public_links
from booking_api.presenters import event_json
from calendar_sync.events_feed import PublicEvent, events_feed
from okienko.errors import DomainError
from okienko.i18n import _, text_in
from okienko.office.hours import office_day
from okienko.office.public_events import event_span, event_uid, feed_entries


async def list_events(request: Request) -> Response:
    """The published events from today on, soonest first, in the caller's language."""
    app = okienko(request)
    office = await office_asked(request)
    setup = await app.offices.get(office)
    language = language_of(request)
    now = app.clock.now()
    links = public_links(request, setup)
    return JSONResponse({
        "office": {"code": setup.code, "name": setup.name}, "language": language,
        "feed_url": links.events_feed(None, office),
        "events": [event_json(links, setup, event, language, now, office)
                   for event in setup.events_from(office_day(setup, now))],
    })


async def events_calendar(request: Request) -> Response:
    """The feed: published and recently cancelled events (public_events.feed_entries), titles and
    descriptions in `?lang=` (the office's language by default)."""
    app = okienko(request)
    office = await office_asked(request)
    setup = await app.offices.get(office)
    language = language_of(request, request.query_params.get("lang") or setup.default_language)
    now = app.clock.now()
    links = public_links(request, setup)
    async with app.db.read() as conn:
        entries = await feed_entries(conn, setup, now)
    events = []
    for entry in entries:
        row = entry.row
        starts, ends = event_span(setup, row)
        titles, descriptions = row["titles"] or {}, row["descriptions"] or {}
        names = []
        for code in row["services"] or ():
            try:
                names.append(setup.service(code).name(language))
            except DomainError:   # a service switched off since: left out of the text
                continue
        text = text_in(descriptions, language)
        offered = app.translator.format(language, _("Offered: {services}"), services=", ".join(names))
        book = app.translator.format(language, _("Book a visit: {address}"),
                                     address=links.book(None, language, office))
        events.append(PublicEvent(
            uid=event_uid(setup.code, row["id"]), sequence=row["sequence"], start=starts, end=ends,
            summary=text_in(titles, language),
            description="\n\n".join(part for part in (text, offered if names else "", book) if part),
            location=setup.name, modified=row["updated_at"], cancelled=entry.cancelled,
            url=links.book(None, language, office)))
    body = events_feed(name=setup.name, tz=setup.timezone, events=events, stamp=now)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="events.ics"',
                             "Cache-Control": "public, max-age=300"})

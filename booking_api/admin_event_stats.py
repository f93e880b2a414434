"""The back office's event statistics (managers, own office): events side by side, per service and
in total, as JSON or as a CSV download. Thin: okienko/stats/events.py computes them."""

from __future__ import annotations

import csv
import dataclasses
import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import field_error, language_of, okienko
from booking_api.presenters import event_stats_json
from booking_api.sessions import require_manager
from okienko.i18n import _
from okienko.stats.figures import Figures

FIGURE_COLUMNS = [figure.name for figure in dataclasses.fields(Figures)]
CSV_COLUMNS = ["event_id", "day", "title", "service", "service_name", *FIGURE_COLUMNS]


def _event_ids(request: Request) -> list[int] | None:
    """`?ids=1,2,3`: the events to compare; None (absent or empty): the last past ones."""
    given = request.query_params.get("ids", "").strip()
    if not given:
        return None
    parts = [part.strip() for part in given.split(",") if part.strip()]
    if not parts or any(not part.isdigit() or len(part) > 9 for part in parts):
        raise field_error(_("“ids” must be event numbers separated by commas, e.g. 1,2,3"))
    return [int(part) for part in parts]


async def get_event_stats(request: Request) -> Response:
    """GET /api/v1/admin/events/stats?ids=1,2,3 (&format=csv): the events side by side."""
    if request.query_params.get("format") == "csv":
        return await get_event_stats_csv(request)
    app, language = okienko(request), language_of(request)
    _clerk, setup = await require_manager(request)
    compared = await app.event_stats.compare(setup, _event_ids(request))
    return JSONResponse(event_stats_json(compared, await app.event_stats.choices(setup), language),
                        headers={"Cache-Control": "no-store"})


async def get_event_stats_csv(request: Request) -> Response:
    """GET /api/v1/admin/events/stats.csv?ids=...: the same table, a row per event and service and a
    total row per event (its service column empty)."""
    app, language = okienko(request), language_of(request)
    _clerk, setup = await require_manager(request)
    compared = await app.event_stats.compare(setup, _event_ids(request))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    total = app.translator.gettext(language, _("Total"))
    for event in compared:
        head = [event.id, event.day.isoformat(), event.title(language)]
        for row in event.rows:
            figures = dataclasses.asdict(row.figures)
            writer.writerow([*head, row.code, row.name(language), *(_cell(figures[c]) for c in FIGURE_COLUMNS)])
        figures = dataclasses.asdict(event.total)
        writer.writerow([*head, "", total, *(_cell(figures[c]) for c in FIGURE_COLUMNS)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="event-stats-{setup.code}.csv"',
                             "Cache-Control": "no-store"})


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)

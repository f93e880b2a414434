"""The back office's statistics (managers, own office): a day's, an ISO week's or a month's report as
JSON, its charts as SVG, its tables as CSV and the whole as XLSX. Thin: okienko/stats/ computes,
names and draws them; here the period is read from the query and the files are named.

Query: `period` = day | week | month (default day), `date` = a day in it (`2026-12-04`; a week also
`2026-W49`, a month `2026-12`; default today in the office's time).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from booking_api.http import language_of, okienko
from booking_api.sessions import Clerk, require_manager
from okienko.errors import DomainError
from okienko.office.directory import OfficeSetup
from okienko.stats.charts import CHARTS, DESCRIPTIONS, TITLES, report_charts
from okienko.stats.export import XLSX_TYPE, file_name, table_csv, workbook
from okienko.stats.report import Report
from okienko.stats.tables import TABLE_KEYS, Table, report_tables

NO_STORE = {"Cache-Control": "no-store"}


def may_name_clerks(clerk: Clerk, setup: OfficeSetup) -> bool:
    """Clerks are named only to a manager of the office itself (an admin sees them numbered)."""
    return clerk.role == "manager" and clerk.office_id == setup.id


async def _report(request: Request) -> tuple[Report, OfficeSetup, str, list[Table]]:
    app, language = okienko(request), language_of(request)
    clerk, setup = await require_manager(request)
    period = app.stats.period(setup, request.query_params.get("period"), request.query_params.get("date"))
    report = await app.stats.report(setup, period, name_clerks=may_name_clerks(clerk, setup))
    tables = report_tables(report, setup, language, lambda text: app.translator.gettext(language, text))
    return report, setup, language, tables


def _period_json(report: Report) -> dict[str, Any]:
    period = report.period
    return {"kind": period.kind, "name": period.name, "first": period.first.isoformat(),
            "last": period.last.isoformat(), "previous": period.previous().first.isoformat(),
            "next": period.next().first.isoformat()}


async def get_stats(request: Request) -> Response:
    """GET /api/v1/admin/stats?period=week&date=2026-12-04: the period's tables (a total row last in
    the services table); durations in whole seconds, null where nothing was measured."""
    report, setup, language, tables = await _report(request)
    translate = okienko(request).translator.gettext
    return JSONResponse({
        "office": setup.code, "period": _period_json(report),
        "charts": [{"key": key, "title": translate(language, TITLES[key]),
                    "description": translate(language, DESCRIPTIONS[key])} for key in CHARTS],
        "tables": [{"key": table.key, "title": table.title,
                    "columns": [{"key": column.key, "label": label, "kind": column.kind}
                                for column, label in zip(table.columns, table.labels)],
                    "rows": table.as_dicts()} for table in tables]}, headers=NO_STORE)


async def get_stats_chart(request: Request) -> Response:
    """GET /api/v1/admin/stats/charts/{chart}.svg: one chart (heat_map, services, queue) as SVG."""
    chart = request.path_params["chart"]
    if chart not in CHARTS:
        raise DomainError("not_found")
    report, setup, language, tables = await _report(request)
    app = okienko(request)
    svg = report_charts(report, setup, language, lambda text: app.translator.gettext(language, text), tables)[chart]
    return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=NO_STORE)


async def get_stats_csv(request: Request) -> Response:
    """GET /api/v1/admin/stats.csv?table=services: one table as CSV (its column keys as the header)."""
    key = request.query_params.get("table") or "services"
    if key not in TABLE_KEYS:
        raise DomainError("not_found")
    report, setup, _language, tables = await _report(request)
    table = next(table for table in tables if table.key == key)
    name = file_name(setup.code, report.period, key, "csv")
    return Response(table_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE})


async def get_stats_xlsx(request: Request) -> Response:
    """GET /api/v1/admin/stats.xlsx: every table, a sheet each."""
    report, setup, _language, tables = await _report(request)
    name = file_name(setup.code, report.period, None, "xlsx")
    return Response(workbook(tables, f"{setup.code} {report.period.name}"), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE})

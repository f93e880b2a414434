"""The period statistics' paths and schemas (back office, managers), for openapi.py."""

from __future__ import annotations

from typing import Any, Callable

from booking_api.openapi_admin import OFFICE, STAFF
from okienko.stats.charts import CHARTS
from okienko.stats.tables import TABLE_KEYS

PERIOD = {"name": "period", "in": "query", "required": False,
          "schema": {"type": "string", "enum": ["day", "week", "month"], "default": "day"},
          "description": "a day, an ISO week (Monday to Sunday) or a calendar month, in the office's days"}
DATE = {"name": "date", "in": "query", "required": False, "schema": {"type": "string", "example": "2026-12-04"},
        "description": "a day inside the period (`2026-12-04`; a week also `2026-W49`, a month `2026-12`); "
                       "default: today in the office's time"}
TABLE = {"name": "table", "in": "query", "required": False,
         "schema": {"type": "string", "enum": list(TABLE_KEYS), "default": "services"}}
CHART = {"name": "chart", "in": "path", "required": True, "schema": {"type": "string", "enum": list(CHARTS)}}

SCHEMAS: dict[str, Any] = {
    "StatsReport": {"type": "object", "required": ["office", "period", "tables", "charts"],
                    "description": "docs/back-office.md, \"Statistics\", says what every figure means", "properties": {
        "office": {"type": "string"},
        "period": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["day", "week", "month"]},
            "name": {"type": "string", "example": "2026-W49"},
            "first": {"type": "string", "format": "date"}, "last": {"type": "string", "format": "date"},
            "previous": {"type": "string", "format": "date", "description": "the first day of the period before"},
            "next": {"type": "string", "format": "date", "description": "the first day of the period after"}}},
        "charts": {"type": "array", "description": "the charts at /api/v1/admin/stats/charts/{key}.svg",
                   "items": {"type": "object", "properties": {
                       "key": {"type": "string", "enum": list(CHARTS)}, "title": {"type": "string"},
                       "description": {"type": "string", "description": "what it shows, in words"}}}},
        "tables": {"type": "array", "description": "in the page's order: " + ", ".join(TABLE_KEYS), "items": {
            "type": "object", "properties": {
                "key": {"type": "string", "enum": list(TABLE_KEYS)}, "title": {"type": "string"},
                "columns": {"type": "array", "items": {"type": "object", "properties": {
                    "key": {"type": "string"}, "label": {"type": "string"},
                    "kind": {"type": "string", "enum": ["count", "seconds", "share", "mean", "text"]}}}},
                "rows": {"type": "array", "description": "a row per service, window, clerk, hour…: column key -> "
                                                         "value (seconds whole, null where nothing was measured)",
                         "items": {"type": "object", "additionalProperties": True}}}}}}},
}


def paths(ref: Callable[[str], dict[str, str]], json: Callable[[Any, str], dict[str, Any]],
          errors: Callable[..., dict[str, Any]], lang: dict[str, Any]) -> dict[str, Any]:
    """The statistics' paths, built with openapi.py's helpers."""
    query = [PERIOD, DATE, lang, OFFICE]
    return {
        "/api/v1/admin/stats": {"get": {
            "summary": "The office's report over a day, week or month (manager): per service, window, clerk and hour, "
                       "the heat map's, the queue's, the draws' and the information Saturdays' tables",
            "security": STAFF, "parameters": query,
            "responses": {"200": json(ref("StatsReport"), "the report"), **errors(400, 401, 403)}}},
        "/api/v1/admin/stats.csv": {"get": {
            "summary": "One table of the report as CSV (header: the column keys; seconds whole)",
            "security": STAFF, "parameters": [TABLE, *query],
            "responses": {"200": {"description": "CSV, named okienko-<office>-<period>-<table>.csv",
                                  "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **errors(400, 401, 403, 404)}}},
        "/api/v1/admin/stats.xlsx": {"get": {
            "summary": "Every table of the report, a sheet each, as an XLSX workbook",
            "security": STAFF, "parameters": query,
            "responses": {"200": {"description": "XLSX, named okienko-<office>-<period>.xlsx", "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}}}}, **errors(400, 401, 403)}}},
        "/api/v1/admin/stats/charts/{chart}.svg": {"get": {
            "summary": "A chart of the report as SVG (a <title> and <desc>; its figures are in a table too)",
            "security": STAFF, "parameters": [CHART, *query],
            "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                          **errors(400, 401, 403, 404)}}},
    }

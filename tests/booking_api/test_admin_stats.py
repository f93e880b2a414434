"""The period statistics as the API gives them: a manager of the office gets the week's tables with
the clerks named, an admin the same figures with the clerks numbered; the files' names and kinds; and
the refusals (a clerk, a period or date that is not one, a table or chart that does not exist)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from okienko.staff.auth import add_user, issue_staff_token
from tests.booking_api.test_admin_today import manager
from tests.okienko.stats.test_report import FRIDAY, play_the_week

pytestmark = pytest.mark.anyio
WEEK = "period=week&date=2026-W48&lang=en"


def table(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return next(found["rows"] for found in body["tables"] if found["key"] == key)


async def test_a_manager_and_an_admin_read_the_week(office_factory: Any) -> None:
    office = await office_factory(FRIDAY)
    await play_the_week(office)
    boss = await manager(office)
    answer = await office.client.get(f"/api/v1/admin/stats?{WEEK}", headers=boss)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == {"kind": "week", "name": "2026-W48", "first": "2026-11-23", "last": "2026-11-29",
                              "previous": "2026-11-16", "next": "2026-11-30"}
    assert [chart["key"] for chart in body["charts"]] == ["heat_map", "services", "queue"]
    a = next(row for row in table(body, "services") if row["service"] == "A")
    assert (a["tickets_issued"], a["served"], a["wait_median_seconds"], a["wait_p90_seconds"]) == (5, 3, 1200, 2400)
    assert sorted(row["clerk"] for row in table(body, "clerks")) == ["anna", "bartek", "celina"]
    columns = next(found["columns"] for found in body["tables"] if found["key"] == "services")
    assert {"key": "wait_median_seconds", "label": "Waiting time, median (s)", "kind": "seconds"} in columns

    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "root", "admin", "correct horse battery", None)
        admin = {"Authorization": f"Bearer {await issue_staff_token(conn, 'root', office.clock.now())}"}
    seen = (await office.client.get(f"/api/v1/admin/stats?{WEEK}", headers=admin)).json()
    assert sorted(row["clerk"] for row in table(seen, "clerks")) == ["Clerk 1", "Clerk 2", "Clerk 3"]
    assert "anna" not in str(seen)

    exported = await office.client.get(f"/api/v1/admin/stats.csv?{WEEK}&table=windows", headers=boss)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert 'filename="okienko-demo-2026-W48-windows.csv"' in exported.headers["content-disposition"]
    rows = {row["window"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert (rows["1"]["served"], rows["1"]["wait_median_seconds"]) == ("2", "900")
    book = await office.client.get(f"/api/v1/admin/stats.xlsx?{WEEK}", headers=boss)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert 'filename="okienko-demo-2026-W48.xlsx"' in book.headers["content-disposition"]
    chart = await office.client.get(f"/api/v1/admin/stats/charts/heat_map.svg?{WEEK}", headers=boss)
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<title" in chart.text and "Waiting time by weekday and hour" in chart.text
    month = (await office.client.get("/api/v1/admin/stats?period=month&date=2026-11", headers=boss)).json()
    assert (month["period"]["first"], month["period"]["last"]) == ("2026-11-01", "2026-11-30")


@pytest.mark.parametrize(("path", "status", "error"), [
    ("/api/v1/admin/stats?period=year", 400, "malformed_request"),
    ("/api/v1/admin/stats?period=day&date=04.12.2026", 400, "malformed_request"),
    ("/api/v1/admin/stats?period=week&date=2026-W60", 400, "malformed_request"),
    ("/api/v1/admin/stats.csv?table=people", 404, "not_found"),
    ("/api/v1/admin/stats/charts/pie.svg", 404, "not_found"),
])
async def test_what_is_refused(office_factory: Any, path: str, status: int, error: str) -> None:
    office = await office_factory(FRIDAY)
    boss = await manager(office)
    answer = await office.client.get(path, headers=boss)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    clerk = await office.clerk("1")
    assert (await office.client.get("/api/v1/admin/stats", headers=clerk)).status_code == 403

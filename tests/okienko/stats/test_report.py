"""A period's report from a week played through the real front doors (the kiosk's tickets, the
clerks' buttons), with the clock standing at each moment; the figures known by hand. On SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.stats.charts import report_charts
from okienko.stats.export import file_name, table_csv, workbook
from okienko.stats.period import Period
from okienko.stats.tables import report_tables
from okienko.storage.models import StatsDay
from tests.conftest import Office, warsaw
from tests.okienko.stats.test_events import act, call

pytestmark = pytest.mark.anyio
FRIDAY = warsaw(2026, 11, 27, 16, 0)
WEEK = Period.parse("week", "2026-W48", FRIDAY.date())


async def play_the_week(office: Office) -> None:
    """Monday to Wednesday of 2026-W48 (the office opens at 10:00 on Mondays, 08:00 otherwise).
    Waits in A: 10, 20, 30, 40 and 5 minutes; in B (after a transfer): 10. Visits in A: 5, 10 and
    3 minutes; in B: 4."""
    at = office.clock.set
    at(warsaw(2026, 11, 23, 11, 0))                       # Monday, anna at window 1
    t1, t2 = [(await office.take("A")).json()["number"] for _ in range(2)]
    anna = await office.clerk("1", "anna")
    at(warsaw(2026, 11, 23, 11, 10))
    ticket = await call(office, anna, "1", t1)             # waited 10 min
    await act(office, anna, ticket, "start")
    at(warsaw(2026, 11, 23, 11, 15))
    await act(office, anna, ticket, "finish")              # served in 5 min
    at(warsaw(2026, 11, 23, 11, 20))
    ticket = await call(office, anna, "1", t2)             # waited 20 min
    await act(office, anna, ticket, "start")
    at(warsaw(2026, 11, 23, 11, 30))
    await act(office, anna, ticket, "finish")              # served in 10 min

    at(warsaw(2026, 11, 24, 10, 0))                        # Tuesday, bartek at window 2
    t3, t4 = [(await office.take("A")).json()["number"] for _ in range(2)]
    bartek = await office.clerk("2", "bartek")
    at(warsaw(2026, 11, 24, 10, 30))
    ticket = await call(office, bartek, "2", t3)           # waited 30 min
    await act(office, bartek, ticket, "start")
    at(warsaw(2026, 11, 24, 10, 33))
    await act(office, bartek, ticket, "finish")            # served in 3 min
    at(warsaw(2026, 11, 24, 10, 40))
    ticket = await call(office, bartek, "2", t4)           # waited 40 min
    at(warsaw(2026, 11, 24, 10, 41))
    await act(office, bartek, ticket, "recall")
    at(warsaw(2026, 11, 24, 10, 42))
    await act(office, bartek, ticket, "no-show")           # did not come

    at(warsaw(2026, 11, 25, 9, 0))                         # Wednesday, celina at window 3 (A and B)
    t5 = (await office.take("A")).json()["number"]
    celina = await office.clerk("3", "celina")
    at(warsaw(2026, 11, 25, 9, 5))
    ticket = await call(office, celina, "3", t5)           # waited 5 min in A
    await act(office, celina, ticket, "start")
    at(warsaw(2026, 11, 25, 9, 6))
    await act(office, celina, ticket, "transfer", service="B")
    at(warsaw(2026, 11, 25, 9, 16))
    ticket = await call(office, celina, "3", t5)           # waited 10 min in B
    await act(office, celina, ticket, "start")
    at(warsaw(2026, 11, 25, 9, 20))
    await act(office, celina, ticket, "finish")            # served in 4 min
    at(FRIDAY)


def by(table: Any, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in table.as_dicts()}


async def test_a_weeks_figures_per_service_window_clerk_and_hour(office_factory: Any) -> None:
    office = await office_factory(FRIDAY)
    await play_the_week(office)
    setup = await office.okienko.offices.get()
    report = await office.okienko.stats.report(setup, WEEK, name_clerks=True)
    tables = {table.key: table for table in report_tables(report, setup, "en", lambda text: text)}

    services = by(tables["services"], "service")
    a, b, total = services["A"], services["B"], services[""]
    assert (a["tickets_issued"], a["tickets_walk_in"], a["served"], a["no_shows"], a["transferred_out"]) == (5, 5, 3, 1, 1)
    assert (a["wait_median_seconds"], a["wait_p90_seconds"]) == (20 * 60, 40 * 60)
    assert (a["service_median_seconds"], a["service_p90_seconds"]) == (5 * 60, 10 * 60)
    assert (b["tickets_issued"], b["served"], b["wait_median_seconds"], b["service_median_seconds"]) == (0, 1, 600, 240)
    assert total["service_name"] == "Total"
    assert (total["tickets_issued"], total["served"], total["wait_median_seconds"]) == (5, 4, 15 * 60)

    windows = by(tables["windows"], "window")
    assert (windows["1"]["served"], windows["1"]["wait_median_seconds"], windows["1"]["service_p90_seconds"]) \
        == (2, 15 * 60, 10 * 60)
    assert (windows["2"]["served"], windows["2"]["no_shows"], windows["2"]["calls"]) == (1, 1, 2)
    clerks = by(tables["clerks"], "clerk")
    assert set(clerks) == {"anna", "bartek", "celina"}
    assert (clerks["bartek"]["wait_median_seconds"], clerks["celina"]["served"], clerks["celina"]["calls"]) \
        == (35 * 60, 1, 2)

    hours = by(tables["hours"], "hour")
    assert {hour: row["tickets_issued"] for hour, row in hours.items()} == {"09:00": 1, "10:00": 2, "11:00": 2}
    heat = {(row["weekday"], row["hour"]): row["wait_median_seconds"] for row in tables["heat_map"].as_dicts()}
    assert heat == {("Monday", "11:00"): 15 * 60, ("Tuesday", "10:00"): 35 * 60, ("Wednesday", "09:00"): 450}

    # Each day that is over was kept: a second look reads the summaries, with the same figures.
    async with office.okienko.db.read() as conn:
        kept = (await conn.execute(sa.select(sa.func.count()).select_from(StatsDay.__table__))).scalar_one()
    assert kept == 4              # Monday to Thursday; Friday is today, made anew on every look
    again = await office.okienko.stats.report(setup, WEEK, name_clerks=True)
    assert report_tables(again, setup, "en", lambda text: text) == list(tables.values())


async def test_a_day_shows_its_queue_and_others_do_not_see_clerks_names(office_factory: Any) -> None:
    office = await office_factory(FRIDAY)
    await play_the_week(office)
    setup = await office.okienko.offices.get()
    monday = Period.parse("day", "2026-11-23", FRIDAY.date())
    report = await office.okienko.stats.report(setup, monday, name_clerks=False)
    tables = {table.key: table for table in report_tables(report, setup, "en", lambda text: text)}
    assert [row["clerk"] for row in tables["clerks"].as_dicts()] == ["Clerk 1"]
    assert [(row["time"], row["waiting"]) for row in tables["queue"].as_dicts()] == \
        [("11:00", 2), ("11:15", 1), ("11:30", 0)]


async def test_charts_csv_and_xlsx_carry_the_figures(office_factory: Any) -> None:
    office = await office_factory(FRIDAY)
    await play_the_week(office)
    setup = await office.okienko.offices.get()
    report = await office.okienko.stats.report(setup, WEEK, name_clerks=True)
    tables = report_tables(report, setup, "ka", lambda text: text)
    charts = report_charts(report, setup, "ka", lambda text: text, tables)

    heat = charts["heat_map"]
    assert heat.startswith("<svg ") and 'role="img"' in heat and "<title" in heat and "<desc" in heat
    assert "<script" not in heat and "http" not in heat.replace("http://www.w3.org", "")
    assert heat.count('class="dot reactive') == 3                 # a cell per weekday and hour with waits
    assert "ორშაბათი" in heat                                      # Monday, in Georgian
    bars = charts["services"]
    assert bars.count('class="rect reactive') == 2 * (len(tables[0].rows) - 1)   # two bars per service
    assert "<title" in charts["queue"]

    assert file_name("demo", WEEK, "services", "csv") == "okienko-demo-2026-W48-services.csv"
    csv_text = table_csv(tables[0])
    header, *lines = csv_text.splitlines()
    assert header.startswith("service,service_name,tickets_issued,tickets_walk_in,tickets_booked,served,no_shows")
    assert lines[0].startswith("A,") and ",5,5,0,3,1,1," in lines[0]

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook(tables, "demo 2026-W48")))
    assert book.sheetnames == ["services", "windows", "clerks", "hours", "heat_map", "queue", "draws", "events"]
    sheet = book["services"]
    assert [cell.value for cell in sheet[3]][:3] == ["service", "service_name", "tickets_issued"]
    assert [cell.value for cell in sheet[4]][:6] == ["A", "A", 5, 5, 0, 3] or sheet["C4"].value == 5
    assert isinstance(sheet["C4"].value, int) and sheet["C4"].value == 5
    wait_column = [cell.value for cell in sheet[3]].index("wait_median_seconds") + 1
    assert sheet.cell(row=4, column=wait_column).value == 1200


async def test_the_draws_of_the_period(office_factory: Any) -> None:
    """A draw that released a day of the week: 3 entries for 2 places, 2 of them won."""
    from datetime import date

    from okienko.storage.models import Draw, DrawEntry

    office = await office_factory(FRIDAY)
    setup = await office.okienko.offices.get()
    now = office.clock.now()
    async with office.okienko.db.engine.begin() as conn:
        draw_id = (await conn.execute(sa.insert(Draw.__table__).values(
            office_id=setup.id, service_id=setup.service("A").id, office_day=date(2026, 11, 26), opens_at=now,
            closes_at=now, status="done", seed="s", commitment="c", created_at=now, ran_at=now, places=2, entries=3,
            result=[]).returning(Draw.__table__.c.id))).scalar_one()
        for n, status in enumerate(("won", "won", "not_drawn")):
            await conn.execute(sa.insert(DrawEntry.__table__).values(
                id=f"entry-{n}", office_id=setup.id, draw_id=draw_id, service_id=setup.service("A").id, status=status,
                person_key="", person_name="", birth_date=date(1900, 1, 1), document_hash="", document_masked="",
                email="", preferences=[], created_at=now))
    report = await office.okienko.stats.report(setup, WEEK, name_clerks=True)
    draws = next(table for table in report_tables(report, setup, "en", lambda text: text) if table.key == "draws")
    assert draws.as_dicts() == [{"day": "2026-11-26", "service": "A", "service_name": "Filing a residence application",
                                 "status": "done", "entries": 3, "places": 2, "allocated": 2, "share_allocated": 0.6667}]

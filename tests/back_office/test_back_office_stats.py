"""Statistics in the back office: a manager picks a day or a week and sees the hall's own day (tickets
taken at the kiosk, called and served at a window) in charts and tables, downloads them, in English
and in Hindi (the charts' letters in the page's fonts), with no WCAG 2.1 AA violation."""

from __future__ import annotations

import csv
import io
import os
import re
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from okienko.i18n import date_names
from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")
SCREENSHOTS = os.environ.get("OKIENKO_STATS_SHOTS")   # a folder to look at the page in


def chart_svg(page: Any, chart: str, selector: str) -> int:
    """How many `selector` the chart's own document holds, once it has loaded."""
    box = page.locator(f"#chart-{chart} object")
    page.wait_for_function("(box) => box.contentDocument && box.contentDocument.querySelector('svg')",
                           arg=box.element_handle())
    return box.evaluate("(box, selector) => box.contentDocument.querySelectorAll(selector).length", selector)


def serve_one(server: DemoServer) -> None:
    """Two walk-ins for A, one of them called and served at window 2 by the demo's clerk."""
    server.take_ticket("A")
    server.take_ticket("A")
    clerk = server.staff_token("urzednik")
    assert server.api("POST", "/api/v1/windows/2/sign-in", {}, token=clerk)[0] == 200
    status, called = server.api("POST", "/api/v1/windows/2/call-next", {}, token=clerk)
    assert status == 200, called
    for action in ("start", "finish"):
        assert server.api("POST", f"/api/v1/tickets/{called['id']}/{action}", {}, token=clerk)[0] == 200
    assert server.api("POST", "/api/v1/windows/2/sign-out", {}, token=clerk)[0] == 204


def test_a_manager_sees_the_days_charts_and_tables(browser: Browser, demo_server: DemoServer) -> None:
    boss = demo_server.staff_token("kierownik")
    status, before = demo_server.api("GET", "/api/v1/admin/stats?period=day", token=boss)
    assert status == 200, before
    issued_before = {row["service"]: row["tickets_issued"] for row in before["tables"][0]["rows"]}.get("A", 0)
    serve_one(demo_server)
    today = datetime.now(WARSAW).date()

    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/stats?lang=en")
        expect(page.locator("h1")).to_have_text("Statistics")
        expect(page.locator("nav.sections a[aria-current=page]")).to_have_text("Statistics")
        expect(page.locator("#period-title")).to_contain_text(f"Day {today.isoformat()}")
        services = page.locator('section[data-table="services"] table')
        a_row = services.locator('tbody tr[data-key="A"]')
        expect(a_row.locator("th")).to_have_text("Filing a residence application")
        expect(a_row.locator('[data-figure="tickets_issued"]')).to_have_text(str(issued_before + 2))
        expect(services.locator("tr.total-row th")).to_have_text("Total")
        clerks = page.locator('section[data-table="clerks"] table')
        expect(clerks.locator("tbody th")).to_contain_text(["urzednik"])
        # Each chart, named; the bars of the services chart are drawn.
        expect(page.locator("#chart-heat_map object")).to_have_attribute("aria-label", "Waiting time by weekday and hour")
        for chart in ("heat_map", "services", "queue"):
            assert chart_svg(page, chart, f"svg > title#chart-{chart}-title") == 1
        assert chart_svg(page, "services", "rect.rect.reactive") == 2 * (services.locator("tbody tr").count() - 1)
        assert axe_violations(page) == []
        shoot(page, "stats")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/stats-en.png", full_page=True)

        # The CSV link of a table: the file's columns and numbers.
        href = page.locator('section[data-table="services"] a.button').get_attribute("href") or ""
        assert parse_qs(urlparse(href).query)["table"] == ["services"]
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        request = urllib.request.Request(demo_server.url + href, headers={"Cookie": cookies})
        with urllib.request.urlopen(request) as answer:
            assert f"okienko-demo-{today.isoformat()}-services.csv" in answer.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO(answer.read().decode())))
        assert int(next(row for row in rows if row["service"] == "A")["tickets_issued"]) == issued_before + 2

        # The week: the address keeps it, a reload shows it again.
        page.locator("#period-week").check()
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#period-title")).to_contain_text("Week ")
        assert parse_qs(urlparse(page.url).query)["period"] == ["week"]
        page.reload()
        expect(page.locator("#period-week")).to_be_checked()
        assert errors == []
    finally:
        context.close()

    # In Hindi: the page's and the charts' words in Devanagari, drawn with the page's fonts.
    context, page = sign_in(browser, demo_server, "kierownik", "hi", errors)
    try:
        page.goto("/admin/stats?lang=hi&period=week")
        expect(page.locator("html")).to_have_attribute("lang", "hi")
        heading = page.locator("#chart-services object").get_attribute("aria-label") or ""
        assert any("\u0900" <= letter <= "\u097f" for letter in heading), heading
        assert chart_svg(page, "services", "svg > title#chart-services-title") == 1
        # The chart's own text is drawn with the app's Devanagari font, loaded into the chart's document.
        assert page.locator("#chart-services object").evaluate(
            """(box) => box.contentDocument.fonts.ready.then(() => [...box.contentDocument.fonts]
                 .some((face) => face.family.includes("Okienko Devanagari") && face.status === "loaded"))""")
        assert axe_violations(page) == []
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/stats-hi.png", full_page=True)
        assert errors == []
    finally:
        context.close()

    # In Georgian, the month: the charts' weekdays in Mkhedruli, drawn with the app's Georgian font.
    context, page = sign_in(browser, demo_server, "kierownik", "ka", errors)
    try:
        page.goto("/admin/stats?lang=ka&period=month")
        expect(page.locator("#period-title")).to_contain_text("თვე")
        # Its days in Georgian (Chromium has no Georgian dates of its own: the names come from CLDR).
        expect(page.locator("#period-title")).to_contain_text(re.compile("|".join(date_names("ka")["months"])))
        expect(page.locator("#period-title")).not_to_contain_text(
            re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|M\d"))
        assert chart_svg(page, "heat_map", "svg > title#chart-heat_map-title") == 1
        labels = page.locator("#chart-heat_map object").evaluate(
            "(box) => [...box.contentDocument.querySelectorAll('.axis.y text')].map((label) => label.textContent)")
        assert "ორშაბათი" in labels, labels
        assert page.locator("#chart-heat_map object").evaluate(
            """(box) => box.contentDocument.fonts.ready.then(() => [...box.contentDocument.fonts]
                 .some((face) => face.family.includes("Okienko Georgian") && face.status === "loaded"))""")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/stats-ka.png", full_page=True)
        assert errors == []
    finally:
        context.close()

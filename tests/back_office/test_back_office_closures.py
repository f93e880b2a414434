"""Closures from a calendar in the back office, in a real headless Chromium against `okienko demo`: a manager
adds a calendar served on loopback (fetched at once: its closure day shown taken), imports a one-off .ics
file after its preview (the dates it changes, the visit it cuts off), and the page reads in Georgian too.
WCAG 2.1 AA by axe.

With OKIENKO_SCREENSHOTS=1 the test saves docs/img/back-office/closures.png (English, the preview shown)
and closures-ka.png in the demo's data folder."""

from __future__ import annotations

import http.server
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in, wait_loaded
from tests.conftest import free_port
from tests.okienko.office.test_closure_sources import all_day, timed, vcalendar

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


def _midweek(days_ahead: int) -> str:
    """A Tuesday, Wednesday or Thursday at least `days_ahead` ahead that is no holiday (the demo's slots)."""
    import holidays

    day = datetime.now(WARSAW).date() + timedelta(days=days_ahead)
    while day.weekday() not in (1, 2, 3) or day in holidays.country_holidays("PL", years=day.year) \
            or (day.month, day.day) in ((12, 24), (12, 31)):
        day += timedelta(days=1)
    return day.isoformat()


def test_a_manager_adds_a_closure_calendar_and_imports_a_plan_after_its_preview(
        browser: Browser, demo_server: DemoServer) -> None:
    imported, short, closed = _midweek(3), _midweek(10), _midweek(17)
    served = vcalendar(all_day("inwentaryzacja@urzad", closed, "Inwentaryzacja – urząd zamknięty"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(served)))
            self.end_headers()
            self.wfile.write(served)

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    booked = demo_server.book(datetime.fromisoformat(f"{imported}T10:00:00").replace(tzinfo=WARSAW),
                              name="Олена Коваленко", email="olena.closures@example.com", language="uk")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/closures?lang=en")
        wait_loaded(page)
        expect(page.locator("#no-calendars")).to_have_text("No calendars yet.")
        form = page.locator("#calendar-form")
        form.get_by_label("Name", exact=True).fill("Zamknięcia urzędu")
        form.get_by_label("Address", exact=True).fill(f"http://127.0.0.1:{port}/zamkniecia.ics?token=secret-token")
        form.get_by_role("button", name="Add and fetch").click()
        expect(page.locator("#status")).to_contain_text("Zamknięcia urzędu: dates changed: 1")
        row = page.locator("#calendar-rows tr").first
        expect(row).to_contain_text(f"127.0.0.1:{port}")
        expect(row).to_contain_text("Taken")
        expect(page.locator("#calendar-rows")).not_to_contain_text("secret-token")

        plan = vcalendar(timed("krotko@urzad", imported, "08:00", "09:30", "Szkolenie – krócej"),
                         all_day("wolne@urzad", short, "Dzień wolny"))
        page.locator("#import-file").set_input_files(files=[{"name": "plan-2027.ics", "mimeType": "text/calendar",
                                                             "buffer": plan}])
        page.get_by_role("button", name="Show what it changes…").click()
        expect(page.locator("#plan-summary")).to_contain_text("Dates it changes: 2")
        expect(page.locator(f'#plan-rows tr[data-date="{imported}"]')).to_contain_text("08:00-09:30")
        expect(page.locator(f'#plan-rows tr[data-date="{short}"]')).to_contain_text("Closed")
        expect(page.locator("#plan-affected-rows")).to_contain_text(booked)
        expect(page.locator("#plan-affected-rows")).to_contain_text("Олена Коваленко")
        expect(page.locator("#import-apply")).to_have_text("Import and tell them (1)")
        assert axe_violations(page) == []
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        shoot(page, "closures")
        page.locator("#import-apply").click()
        expect(page.locator("#status")).to_contain_text("Imported: 2 dates. People told: 1.")
        expect(page.locator("#import-plan")).to_be_hidden()
        assert any(m["recipient"] == "olena.closures@example.com" for m in demo_server.outbox())

        # In Georgian (a script of its own) the page holds together at 1440 px.
        page.goto("/admin/closures?lang=ka")
        wait_loaded(page)
        expect(page.locator("#calendar-rows tr")).to_have_count(1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, f"the page is {width} px wide at 1440"
        if os.environ.get("OKIENKO_SCREENSHOTS") == "1":
            page.screenshot(path=str(Path(demo_server.data_dir) / "closures-ka.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()

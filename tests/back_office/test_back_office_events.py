"""Information Saturdays in the back office, in a real headless Chromium against `okienko demo`: a
manager adds a Saturday with its titles in every language side by side, the demo's consultations
(an event-only service) and a time booking opens, saves the draft, publishes it after confirming,
and the list shows it published; another weekday is saved with its warning. WCAG 2.1 AA by axe.

With OKIENKO_SCREENSHOTS=1 the test saves docs/img/back-office/events.png."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in, wait_loaded

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


def _saturday(weeks_ahead: int) -> date:
    today = datetime.now(WARSAW).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks_ahead)


def test_a_manager_creates_and_publishes_an_information_saturday(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    saturday = _saturday(1)
    opens_on = datetime.now(WARSAW).date() + timedelta(days=1)
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/events?lang=en")
        wait_loaded(page)
        expect(page.locator("#no-events")).to_have_text("No events yet. Add the first one below.")
        form = page.locator("#event-form")
        form.get_by_label("Date", exact=True).first.fill(saturday.isoformat())
        form.get_by_label("Opens (HH:MM)").fill("08:00")
        form.get_by_label("Closes (HH:MM)").fill("15:00")
        titles = {"pl": "Sobota informacyjna", "en": "Information Saturday", "uk": "Інформаційна субота",
                  "ru": "Информационная суббота"}
        for language, title in titles.items():
            page.locator(f"#event-title-{language}").fill(title)
        page.locator("#event-description-en").fill("Consultations on residence procedures, booked in advance.")
        expect(page.locator("#event-services")).to_contain_text("C · Consultations")
        page.get_by_label("C · Consultations").check()
        page.locator("#event-opens-date").fill(opens_on.isoformat())
        page.locator("#event-opens-time").fill("08:00")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Draft saved")
        row = page.locator(f'#event-rows tr[data-date="{saturday.isoformat()}"]')
        expect(row).to_contain_text("Information Saturday")
        expect(row).to_contain_text("Draft")
        expect(row).to_contain_text("08:00–15:00")

        row.get_by_role("button", name="Publish").click()
        expect(page.locator("#confirm-question")).to_contain_text("Publish the event of")
        page.locator("#confirm-yes").click()
        expect(page.locator("#status")).to_contain_text("Published")
        expect(row).to_contain_text("Published")
        expect(row.get_by_role("button", name="Publish")).to_have_count(0)
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, "events")

        # Another weekday is allowed, with its warning.
        friday = saturday + timedelta(days=6)
        form.get_by_label("Date", exact=True).first.fill(friday.isoformat())
        page.locator("#event-title-pl").fill("Piątek otwarty")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#status")).to_contain_text("is not a Saturday")
        expect(page.locator(f'#event-rows tr[data-date="{friday.isoformat()}"]')).to_contain_text("Not a Saturday")

        # The same date twice: the API's refusal, beside the date.
        form.get_by_label("Date", exact=True).first.fill(saturday.isoformat())
        page.locator("#event-title-pl").fill("Druga sobota")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#event-form .field-error").first).to_contain_text("There is already an event")

        assert axe_violations(page) == []
        assert errors == []
    finally:
        context.close()


def test_the_events_page_in_polish(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "pl", errors)
    try:
        page.goto("/admin/events?lang=pl")
        wait_loaded(page)
        expect(page.locator("#event-title-pl")).to_have_attribute("required", "")
        expect(page.locator("#event-services")).to_contain_text("C · Konsultacje")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1440, f"the page is {width} px wide at 1440"
        if os.environ.get("OKIENKO_SCREENSHOTS") == "1":
            page.screenshot(path=str(Path(demo_server.data_dir) / "events-pl.png"), full_page=True)
        assert axe_violations(page) == []
        assert errors == []
    finally:
        context.close()

"""A service's weekly hours changed in the back office change the kiosk's service list, in a real
headless Chromium against `okienko demo` of its own (the test makes the demo office keep its real
hours, which the other back-office tests must not meet)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


def _weekday_key(moment: datetime) -> str:
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[moment.weekday()]


def test_a_service_whose_hours_change_changes_on_the_kiosk(browser: Browser, demo_server: DemoServer) -> None:
    now = datetime.now(WARSAW)
    if now.hour == 23 and now.minute >= 50:
        pytest.skip("too close to midnight for a day's hours to cover the test")
    # The demo is open at any hour; this office keeps its real hours from the next change on.
    demo_server.sql("UPDATE offices SET always_open = 0")
    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920}, base_url=demo_server.url,
                                        locale="pl-PL")
    kiosk = kiosk_context.new_page()
    kiosk.goto(demo_server.enroll["hall-2"])
    kiosk_k = kiosk.locator('.service[data-service="K"]')
    expect(kiosk_k).to_be_visible()
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    today = _weekday_key(now)
    try:
        page.goto("/admin/services?lang=en")
        row = page.locator('#service-rows tr[data-service="K"]')
        expect(row).to_be_visible()
        shoot(page, "services")
        # Closed today: the kiosk shows K as closed.
        row.get_by_role("button", name="Edit K").click()
        dialog = page.locator("#service-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label("Polski")).to_have_value("Odbiór karty pobytu")
        shoot(page, "services-edit")
        dialog.locator(f'[name="hours.{today}"]').fill("")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#status")).to_contain_text("Service K saved")
        expect(kiosk_k).to_have_class(re.compile(r"\bis-closed\b"), timeout=20_000)
        # Open all day today, the last ticket up to closing: K is open on the kiosk again.
        row.get_by_role("button", name="Edit K").click()
        dialog.locator(f'[name="hours.{today}"]').fill("00:00-23:59")
        dialog.get_by_label("Last ticket, minutes before closing").fill("0")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("00:00-23:59")
        expect(kiosk_k).not_to_have_class(re.compile(r"\bis-closed\b"), timeout=20_000)
        # A mistake is refused with the office file's own words, next to the field.
        row.get_by_role("button", name="Edit K").click()
        dialog.locator(f'[name="hours.{today}"]').fill("8-15")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.locator(".field-error")).to_be_visible()
        expect(dialog.locator(f'[name="hours.{today}"]')).to_have_attribute("aria-invalid", "true")
        shoot(page, "services-invalid")
        assert axe_violations(page) == []
        dialog.get_by_role("button", name="Cancel").click()
        expect(page.locator("#error")).to_be_empty()
        assert errors == []
    finally:
        context.close()
        kiosk_context.close()

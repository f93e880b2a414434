"""axe-core (WCAG 2.1 A and AA) finds nothing wrong on any back-office page, in every shipped language
(okienko.i18n.LANGUAGES): the sign-in form, the page a clerk gets, every section with its data loaded, and the
dialogs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from okienko.i18n import LANGUAGES
from tests.back_office.screens import VIEWPORT, DemoServer, axe_violations, sign_in, wait_loaded

pytestmark = pytest.mark.browser
SECTIONS = ("today", "services", "office", "days", "closures", "events", "bookings", "event-stats", "stats", "devices",
            "calendars", "staff", "notices", "messages", "audit")


def _checked(page: Page, where: str, problems: dict[str, list[str]]) -> None:
    found = axe_violations(page)
    if found:
        problems[where] = found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_meets_wcag_21_aa(browser: Browser, demo_server: DemoServer, language: str) -> None:
    problems: dict[str, list[str]] = {}
    context, page = sign_in(browser, demo_server, "kierownik", language)
    try:
        for section in SECTIONS:
            page.goto(f"/admin/{'' if section == 'today' else section}?lang={language}")
            wait_loaded(page)
            _checked(page, section, problems)
        # A dialog open, as a manager sees it: the confirmation, and a form with fields.
        page.goto(f"/admin/services?lang={language}")
        wait_loaded(page)
        page.locator("#add-service").click()
        expect(page.locator("#service-dialog")).to_be_visible()
        _checked(page, "services: new service dialog", problems)
        page.keyboard.press("Escape")
        page.goto(f"/admin/days?lang={language}")
        wait_loaded(page)
        page.locator(".day-button:not([disabled])").last.click()
        page.locator("#day-closed").check()
        page.locator("#day-preview").click()
        wait_loaded(page)
        _checked(page, "days: a day previewed", problems)
    finally:
        context.close()
    assert problems == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_and_the_clerks_page_meet_wcag_21_aa(browser: Browser, demo_server: DemoServer,
                                                              language: str) -> None:
    problems: dict[str, list[str]] = {}
    context = browser.new_context(viewport=VIEWPORT, base_url=demo_server.url)
    page = context.new_page()
    try:
        page.goto(f"/admin/login?lang={language}")
        _checked(page, "sign-in", problems)
    finally:
        context.close()
    context, page = sign_in(browser, demo_server, "urzednik", language)
    try:
        page.goto(f"/admin/?lang={language}")
        expect(page.locator("h1")).to_be_visible()
        _checked(page, "for managers only", problems)
    finally:
        context.close()
    assert problems == {}


def test_the_check_finds_what_it_is_for(browser: Browser) -> None:
    """A field without a label and grey on grey are found: the check above can fail."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><title>t</title><main><input>'
                         '<p style="color:#aaa;background:#bbb">faint</p></main></html>')
        found = " ".join(axe_violations(page))
        assert "label" in found and "color-contrast" in found
    finally:
        page.close()

"""The visitor's ticket page (/t/<id>, the QR code's address) in a real headless Chromium against a
real `okienko demo`: after the call it says one thing, the window to go to, with nothing left over
from the wait; at the end of the visit it says the ticket is over; and the visitor can give up the
place after a confirmation. Screenshots (phone size, English and Polish) go to /tmp/ticket-page-shots/
for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import axe_violations
from tests.conftest import launched_chromium, require_chromium, running_demo
from tests.kiosk.test_walk_in_sms_browser import api

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/ticket-page-shots")
PHONE_VIEW = {"width": 390, "height": 844}
TUESDAY_MORNING = "2026-12-01T10:00:00+01:00"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # the injected clock: a Tuesday morning, the office open whenever the test runs
    with running_demo(tmp_path_factory.mktemp("ticket-page-demo"), env={"OKIENKO_CLOCK_START": TUESDAY_MORNING}) as server:
        yield server


@pytest.fixture(scope="module")
def clerk(demo: Any) -> str:
    """A clerk signed in at window 8 (service K) for the module's tests."""
    token = demo.staff_token("urzednik")
    api(demo.url, "POST", "/api/v1/windows/8/sign-in", token)
    return token


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)   # the fonts
    page.screenshot(path=str(SHOTS / name))


def phone(browser: Browser, demo: Any) -> tuple[Any, Page, list[str]]:
    context = browser.new_context(viewport=PHONE_VIEW, locale="en-GB", base_url=demo.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def visible_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_after_the_call_the_page_says_only_which_window(browser: Browser, demo: Any, clerk: str) -> None:
    kiosk = demo.token("kiosk", "hall-1")
    mine = api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "K", "language": "en"})
    context, page, errors = phone(browser, demo)
    polish = context.new_page()
    try:
        page.goto(f"/t/{mine['id']}?lang=en")
        expect(page.locator("#facts")).to_be_visible()
        expect(page.locator("#position")).to_have_text("0")
        # Nobody ahead: the kiosk's words, never "about 0 min".
        assert mine["estimated_wait_minutes"] == 0
        expect(page.locator("#wait")).to_have_text("No wait")
        expect(page.locator("#keep-open")).to_be_visible()
        expect(page.locator("#called")).to_be_hidden()
        shoot(page, "waiting-en.png")

        assert api(demo.url, "POST", "/api/v1/windows/8/call-next", clerk)["number"] == mine["number"]
        expect(page.locator("#called")).to_be_visible()
        expect(page.locator("#called-window")).to_have_text("Please go to window 8")
        # `hidden` is really hidden: the wait's figures, the note and the status line are gone.
        for stale in ("#facts", "#position", "#wait", "#keep-open", "#status"):
            expect(page.locator(stale)).to_be_hidden()
        text = visible_text(page)
        assert "People ahead" not in text and "min" not in text and "Keep this page open" not in text
        assert text.count("window") == 1, text   # one message, and it names the window
        assert "It's your turn" in text
        expect(page).to_have_title("It's your turn: 8")
        shoot(page, "called-en.png")
        assert axe_violations(page) == []

        polish.goto(f"/t/{mine['id']}?lang=pl")   # rendered by the server in the called state
        expect(polish.locator("#called")).to_be_visible()
        expect(polish.locator("#facts")).to_be_hidden()
        expect(polish.locator("#keep-open")).to_be_hidden()
        expect(polish.locator("#status")).to_be_hidden()
        assert polish.locator("#called-window").inner_text().endswith("8")
        shoot(polish, "called-pl.png")

        api(demo.url, "POST", f"/api/v1/tickets/{mine['id']}/start", clerk)
        expect(page.locator("#called")).to_be_hidden()
        expect(page.locator("#status")).to_have_text("Being served")
        expect(page.locator("#leave")).to_be_hidden()
        api(demo.url, "POST", f"/api/v1/tickets/{mine['id']}/finish", clerk)
        expect(page.locator("#status")).to_have_text("Visit finished")
        expect(page.locator("#final-done")).to_be_visible()
        for stale in ("#called", "#facts", "#keep-open", "#leave"):
            expect(page.locator(stale)).to_be_hidden()
        assert "window" not in visible_text(page)
        expect(page).not_to_have_title("It's your turn: 8")
        shoot(page, "done-en.png")
        polish.reload()
        expect(polish.locator("#final-done")).to_be_visible()
        expect(polish.locator("#called")).to_be_hidden()
        shoot(polish, "done-pl.png")
        assert errors == []
    finally:
        context.close()


def test_a_missed_call_ends_the_ticket_plainly(browser: Browser, demo: Any, clerk: str) -> None:
    kiosk = demo.token("kiosk", "hall-1")
    mine = api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "K", "language": "en"})
    context, page, errors = phone(browser, demo)
    try:
        page.goto(f"/t/{mine['id']}?lang=en")
        assert api(demo.url, "POST", "/api/v1/windows/8/call-next", clerk)["number"] == mine["number"]
        expect(page.locator("#called-window")).to_have_text("Please go to window 8")
        for _ in range(5):   # called again as often as the office wants before a no-show
            if api(demo.url, "GET", "/api/v1/windows/8", clerk)["ticket"]["can_mark_no_show"]:
                break
            api(demo.url, "POST", f"/api/v1/tickets/{mine['id']}/recall", clerk)
        api(demo.url, "POST", f"/api/v1/tickets/{mine['id']}/no-show", clerk)
        expect(page.locator("#final-no_show")).to_be_visible()
        expect(page.locator("#status")).to_have_text("Missed: the number was called but nobody came")
        for stale in ("#called", "#facts", "#keep-open", "#leave"):
            expect(page.locator(stale)).to_be_hidden()
        assert errors == []
    finally:
        context.close()


def test_the_visitor_gives_up_the_place_after_confirming(browser: Browser, demo: Any) -> None:
    kiosk = demo.token("kiosk", "hall-1")
    mine = api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "I", "language": "en"})
    context, page, errors = phone(browser, demo)
    try:
        page.goto(f"/t/{mine['id']}?lang=en")
        leave = page.get_by_role("button", name="I am leaving: give up my place")
        leave.click()
        dialog = page.get_by_role("dialog", name="Give up your place?")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(f"Number {mine['number']} will not be called.")
        expect(page.get_by_role("button", name="No, keep my place")).to_be_focused()   # the safe answer first
        shoot(page, "leave-confirm-en.png")
        assert axe_violations(page) == []
        page.keyboard.press("Escape")   # changing one's mind keeps the place
        expect(dialog).to_be_hidden()
        expect(leave).to_be_focused()
        page.get_by_role("button", name="I am leaving: give up my place").click()
        page.get_by_role("button", name="No, keep my place").click()
        expect(dialog).to_be_hidden()
        assert api(demo.url, "GET", f"/api/v1/tickets/{mine['id']}")["status"] == "waiting"

        leave.click()
        page.get_by_role("button", name="Yes, give up my place").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#status")).to_have_text("Cancelled")
        expect(page.locator("#final-cancelled")).to_be_visible()
        for stale in ("#facts", "#keep-open", "#leave", "#called"):
            expect(page.locator(stale)).to_be_hidden()
        assert api(demo.url, "GET", f"/api/v1/tickets/{mine['id']}")["status"] == "cancelled"
        shoot(page, "given-up-en.png")
        page.goto(f"/t/{mine['id']}?lang=pl")   # and so it stays, in any language
        expect(page.locator("#final-cancelled")).to_be_visible()
        expect(page.locator("#leave")).to_be_hidden()
        shoot(page, "given-up-pl.png")
        assert errors == []
    finally:
        context.close()


def test_giving_up_an_open_dialog_in_polish(browser: Browser, demo: Any) -> None:
    kiosk = demo.token("kiosk", "hall-1")
    mine = api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "I", "language": "pl"})
    context, page, errors = phone(browser, demo)
    try:
        page.goto(f"/t/{mine['id']}?lang=pl")
        page.locator("#leave-open").click()
        expect(page.locator("#leave-confirm")).to_be_visible()
        shoot(page, "leave-confirm-pl.png")
        page.locator("#leave-yes").click()
        expect(page.locator("#final-cancelled")).to_be_visible()
        assert errors == []
    finally:
        context.close()

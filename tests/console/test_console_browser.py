"""The clerk console in a real headless Chromium against a real `okienko demo` server.

A clerk's morning, with the keyboard only: sign in, sit at window 1, call, start, finish, call
again, recall, mark not present, transfer to another service; the waiting count follows a ticket
taken at the kiosk without a reload; a second clerk cannot take the same window until the first
signs out. Screenshots go to /tmp/console-shots/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import demo_office_variant, launched_chromium, overflow_problems, require_chromium, running_demo
from tests.kiosk.test_kiosk_checkin_browser import DemoServer as KioskDemo

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/console-shots")
SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}
PASSWORD = "okienko-demo"

EXTRA_ARGS: tuple[str, ...] = ()
CUT_OFF_CHECKED = "button, .ticket-number, .ticket-service, .queue-table"
OWN_FILES = ("script", "stylesheet")


@dataclass
class DemoServer:
    url: str
    kiosk_token: str
    data_dir: Path

    def take_ticket(self, service: str = "A", language: str = "pl") -> dict[str, object]:
        """What a visitor does at the kiosk: one ticket, through the kiosk's API."""
        request = urllib.request.Request(
            f"{self.url}/api/v1/tickets", method="POST",
            data=json.dumps({"service": service, "language": language}).encode(),
            headers={"Authorization": f"Bearer {self.kiosk_token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[DemoServer]:
    """`okienko demo` in a subprocess; its first kiosk's token for taking tickets."""
    with running_demo(tmp_path_factory.mktemp("console-demo")) as demo:
        yield DemoServer(demo.url, demo.token("kiosk"), demo.data_dir)


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with launched_chromium(*EXTRA_ARGS) as launched:
        yield launched


def sign_in(browser: Browser, server: DemoServer, username: str, errors: list[str]) -> tuple[BrowserContext, Page]:
    """A clerk signs in through the form, in English, and lands on the window chooser."""
    context = browser.new_context(viewport=SMALL, base_url=server.url, locale="en-GB")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Chromium logs every 4xx answer (the 409 of a taken window) as a console error: only script errors count.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    # ...so a script or style sheet of the page's own that is not served (a 404) or is blocked counts here:
    # the console is several scripts sharing window.Console, and one missing would break only part of it.
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}")
            if answer.request.resource_type in OWN_FILES and answer.status >= 400 else None)
    page.on("requestfailed", lambda request: errors.append(f"{request.failure} {request.url}")
            if request.resource_type in OWN_FILES else None)
    page.goto("/console/login?lang=en")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/console/\?lang=en$"))
    expect(page.locator("#chooser")).to_be_visible()
    return context, page


def settled(page: Page) -> None:
    """Wait until the console no longer waits for the clerk's last request: the live update may show
    the new ticket before that request has returned, and the console ignores a key or a button
    pressed meanwhile (as it should: one request at a time), so the test would lose its next step."""
    expect(page.locator("body.is-busy")).to_have_count(0)


def press(page: Page, key: str) -> None:
    """The clerk presses a letter, once the console is ready for it."""
    settled(page)
    page.keyboard.press(key)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def test_a_clerk_serves_the_queue_with_the_keyboard(browser: Browser, demo_server: DemoServer) -> None:
    for _ in range(3):
        demo_server.take_ticket("A")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "urzednik", errors)
    shoot(page, "chooser-1366x768.png")

    # The chooser puts the focus on the first window (no window remembered yet); Enter takes it.
    first = page.locator('.window-choice[data-window="1"]')
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    desk = page.locator("#desk")
    expect(desk).to_be_visible()
    expect(page.locator("#window-badge")).to_contain_text("1")
    queue_a = page.locator('#queue-rows tr[data-service="A"] .queue-waiting')
    expect(queue_a).to_have_text("3")
    page.evaluate("window.notReloaded = true")

    number = page.locator("#ticket-number")
    status = page.locator("#ticket-status")
    call, no_show = page.locator("#action-call"), page.locator("#action-no-show")
    expect(call).to_contain_text("N")

    press(page, "n")
    expect(number).to_have_text("A001")
    expect(status).to_have_text("Called")
    expect(call).to_be_disabled()  # called but not started: the server would refuse the next call
    expect(queue_a).to_have_text("2")

    press(page, "s")
    expect(status).to_have_text("Being served")
    timer = page.locator("#ticket-timer")
    expect(timer).to_have_text(re.compile(r"^0:0\d$"))
    expect(timer).not_to_have_text("0:00", timeout=3000)  # it runs, second by second
    shoot(page, "serving-1366x768.png")
    assert overflow_problems(page, CUT_OFF_CHECKED) == []

    press(page, "f")
    expect(page.locator("#ticket-empty")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("A001")

    press(page, "n")
    expect(number).to_have_text("A002")
    expect(no_show).to_be_disabled()  # not present only after the visitor was called again
    press(page, "x")
    expect(number).to_have_text("A002")
    press(page, "r")
    expect(page.locator("#ticket-recalls")).to_have_text("1")
    expect(no_show).to_be_enabled()
    press(page, "x")
    expect(page.locator("#ticket-empty")).to_be_visible()

    press(page, "n")
    expect(number).to_have_text("A003")
    press(page, "t")
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".transfer-choice").first).to_be_focused()
    shoot(page, "transfer-1366x768.png")
    dialog.locator('.transfer-choice[data-service="K"]').click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#ticket-empty")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("A003")
    expect(queue_a).to_have_text("0")

    # A visitor takes a ticket at the kiosk: the count moves over the WebSocket, long before the 15 s poll.
    demo_server.take_ticket("A")
    expect(queue_a).to_have_text("1", timeout=5000)
    assert page.evaluate("window.notReloaded") is True

    page.set_viewport_size(LARGE)
    press(page, "n")
    expect(number).to_have_text("A004")
    shoot(page, "called-1920x1080.png")
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    page.set_viewport_size(SMALL)
    shoot(page, "called-1366x768.png")

    # A second clerk cannot sit at the same window…
    other_context, other = sign_in(browser, demo_server, "urzedniczka", errors)
    other.locator('.window-choice[data-window="1"]').click()
    expect(other.locator("#error")).to_contain_text("already taken")
    expect(other.locator("#chooser")).to_be_visible()
    shoot(other, "taken-1366x768.png")

    # …until the first signs out, which frees it (A004 still called: the console asks what becomes of it).
    settled(page)
    page.get_by_role("button", name="Sign out").click()
    page.locator("#leave-dialog").get_by_role("button", name="Return to the queue").click()
    page.wait_for_url(re.compile(r"/console/login\?lang=en$"))
    other.locator('.window-choice[data-window="1"]').click()
    expect(other.locator("#desk")).to_be_visible()
    expect(other.locator("#error")).to_be_empty()

    other_context.close()
    context.close()
    assert errors == []


def test_the_clerk_sees_who_booked_the_visit_in_hand(browser: Browser, demo_server: DemoServer) -> None:
    kiosk = KioskDemo(demo_server.url, demo_server.data_dir, {}, demo_server.kiosk_token)
    booked = kiosk.book(minutes_ahead=3, name="Olena Kovalenko", document_number="FE123456",
                        document_country="UA")  # due: called before any walk-in
    ticket = kiosk.check_in_answer(booked.code, "uk")
    demo_server.take_ticket("A")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", errors)
    page.locator('.window-choice[data-window="2"]').click()
    expect(page.locator("#desk")).to_be_visible()

    press(page, "n")
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
    card = page.locator("#ticket-booking")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Booked visit: check the document")
    expect(page.locator("#booking-name")).to_have_text("Olena Kovalenko")
    expect(page.locator("#booking-birth-date")).to_have_text("April 12, 1990")  # never 04/12/1990
    expect(page.locator("#booking-document")).to_have_text("FE****56 · UA")
    expect(page.locator("#booking-starts-at")).to_have_text(booked.at)

    # The document in hand, typed (or scanned: a scanner types and presses Enter) and checked.
    number, result = page.locator("#document-check-number"), page.locator("#document-check-result")
    number.fill("FE 123457")
    number.press("Enter")
    expect(result).to_have_text("The document does NOT match the booking. Do not serve: ask for the document "
                                "used when booking.")
    expect(result).to_have_class(re.compile(r"\bis-mismatch\b"))
    expect(page.locator("#ticket-status")).to_have_text(re.compile("Called"))  # typing "F" (finish) was no shortcut
    country = page.locator("#document-check-country")
    expect(country).to_have_value("UA")   # as booked; the clerk may pick what the document in hand says
    number.fill("fe-123456")
    country.select_option("BY")
    number.press("Enter")
    expect(result).to_have_class(re.compile(r"\bis-mismatch\b"))
    country.select_option("UA")
    page.locator("#document-check-submit").click()
    expect(result).to_have_text("The document matches the booking.")
    expect(result).to_have_class(re.compile(r"\bis-match\b"))
    shoot(page, "booked-1366x768.png")
    assert overflow_problems(page, CUT_OFF_CHECKED + ", .ticket-booking") == []
    page.set_viewport_size(LARGE)
    shoot(page, "booked-1920x1080.png")
    assert overflow_problems(page, CUT_OFF_CHECKED + ", .ticket-booking") == []

    page.locator("#document-check-number").blur()
    press(page, "s")
    expect(page.locator("#ticket-status")).to_have_text("Being served")
    expect(card).to_be_visible()  # still there while serving
    expect(page.locator("#document-check-result")).to_have_text("The document matches the booking.")
    press(page, "n")  # the walk-in: nobody booked
    expect(page.locator("#ticket-number")).not_to_have_text(ticket["number"])
    expect(card).to_be_hidden()
    context.close()
    assert errors == []


def test_a_four_digit_number_fits_the_desk(browser: Browser, tmp_path: Path) -> None:
    office = demo_office_variant(tmp_path, {"number_digits": 4}, {"I": {"prefix": "IW"}})
    with running_demo(tmp_path, office) as demo:
        server = DemoServer(demo.url, demo.token("kiosk"), demo.data_dir)
        assert server.take_ticket("I")["number"] == "IW0001"
        with sqlite3.connect(tmp_path / "demo.db") as db:   # as if 1,232 more had come and gone today
            db.execute("UPDATE counters SET value = 1233 WHERE name LIKE 'tickets/%/IW'")
        assert server.take_ticket("I")["number"] == "IW1234"
        errors: list[str] = []
        context, page = sign_in(browser, server, "urzednik", errors)
        try:
            page.locator('.window-choice[data-window="11"]').click()
            expect(page.locator("#desk")).to_be_visible()
            for expected in ("IW0001", "IW1234"):
                press(page, "n")
                expect(page.locator("#ticket-number")).to_have_text(expected)
                press(page, "s")
                expect(page.locator("#ticket-status")).to_have_text("Being served")
            for viewport in (SMALL, LARGE):
                page.set_viewport_size(viewport)
                page.wait_for_timeout(100)
                shoot(page, f"four-digits-{viewport['width']}x{viewport['height']}.png")
                assert overflow_problems(page, CUT_OFF_CHECKED) == [], viewport
            assert errors == []
        finally:
            context.close()


STRANDED_SHOTS = Path("/tmp/stranded-shots")


def test_signing_out_with_a_visitor_called_returns_the_ticket_to_its_place(browser: Browser,
                                                                          demo_server: DemoServer) -> None:
    """The clerk signs out with a visitor called: the console asks, the clerk returns the ticket to the
    queue, and the visitor's phone stops saying "go to window 4" and says it keeps its place."""
    first, second = demo_server.take_ticket("B"), demo_server.take_ticket("B", "uk")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "urzednik", errors)
    phone = context.new_page()
    try:
        page.locator('.window-choice[data-window="4"]').click()   # serves A, then B
        expect(page.locator("#desk")).to_be_visible()
        # Called out of turn, from the list of waiting numbers (in the order the window calls them).
        waiting = page.locator("#waiting-list .waiting-number")
        expect(waiting.filter(has_text=second["number"])).to_be_visible()
        numbers = waiting.evaluate_all("buttons => buttons.map(b => b.dataset.number)")
        assert numbers.index(first["number"]) < numbers.index(second["number"])
        # A visitor of another language: the chip shows the code, a screen reader hears the name.
        chip = waiting.filter(has_text=second["number"])
        expect(chip.locator(".waiting-marks")).to_have_text("UK")
        expect(chip).to_have_attribute("aria-label", re.compile("Українська"))
        STRANDED_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(STRANDED_SHOTS / "waiting-list-1366x768.png"))
        waiting.filter(has_text=first["number"]).click()
        expect(page.locator("#ticket-number")).to_have_text(first["number"])
        expect(page.locator("#ticket-language")).to_have_text("Polski")
        expect(waiting.filter(has_text=first["number"])).to_have_count(0)
        expect(waiting.filter(has_text=second["number"])).to_be_disabled()   # called, not started: no other call

        phone.goto(f"/t/{first['id']}?lang=en")
        expect(phone.locator("#called")).to_be_visible()
        expect(phone.locator("#called-window")).to_have_text("Please go to window 4")

        settled(page)
        page.get_by_role("button", name="Sign out").click()
        dialog = page.locator("#leave-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(f"Ticket {first['number']} is still called to your window.")
        expect(dialog.locator('[data-choice="no_show"]')).to_be_disabled()   # not called again yet
        expect(dialog.locator('[data-choice="return"]')).to_be_focused()
        page.screenshot(path=str(STRANDED_SHOTS / "leave-dialog-1366x768.png"))
        dialog.get_by_role("button", name="Return to the queue").click()
        page.wait_for_url(re.compile(r"/console/login\?lang=en$"))

        expect(phone.locator("#called")).to_be_hidden()
        expect(phone.locator("#status")).to_have_text(
            "Back in the queue: you keep your place. Please wait to be called again.")
        expect(phone.locator("#position")).to_have_text("0")
        phone.screenshot(path=str(STRANDED_SHOTS / "phone-returned.png"))
        ticket = json.load(urllib.request.urlopen(f"{demo_server.url}/api/v1/tickets/{first['id']}", timeout=5))
        assert (ticket["status"], ticket["window"], ticket["returned"]) == ("waiting", None, True)
    finally:
        context.close()
    assert errors == []


def test_leaving_the_window_asks_too_and_stay_keeps_the_visitor(browser: Browser, demo_server: DemoServer) -> None:
    ticket = demo_server.take_ticket("I")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "urzedniczka", errors)
    try:
        page.locator('.window-choice[data-window="11"]').click()
        expect(page.locator("#desk")).to_be_visible()
        press(page, "n")
        expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
        press(page, "s")
        expect(page.locator("#ticket-status")).to_have_text("Being served")
        settled(page)
        page.locator("#leave-window").click()
        dialog = page.locator("#leave-dialog")
        expect(dialog).to_contain_text(f"You are still serving ticket {ticket['number']}.")
        expect(dialog.locator('[data-choice="no_show"]')).to_be_hidden()   # the visitor came
        dialog.get_by_role("button", name="Stay at the window").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
        page.locator("#leave-window").click()
        dialog.get_by_role("button", name="Finish the visit").click()
        expect(page.locator("#chooser")).to_be_visible()
        expect(page.locator("#status")).to_contain_text("You have left window 11.")
        seen = json.load(urllib.request.urlopen(f"{demo_server.url}/api/v1/tickets/{ticket['id']}", timeout=5))
        assert seen["status"] == "done"
    finally:
        context.close()
    assert errors == []


def test_the_chooser_shows_who_sits_where_and_a_tab_hears_its_window_left_elsewhere(
        browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "urzednik", errors)
    other_context, other = sign_in(browser, demo_server, "urzedniczka", errors)
    try:
        page.locator('.window-choice[data-window="4"]').click()
        expect(page.locator("#desk")).to_be_visible()
        seat = other.locator('.window-choice[data-window="4"] .window-choice-seat')
        # The other clerk's chooser, open already, learns it over the WebSocket (no reload, no click).
        expect(seat).to_have_text("Taken by urzednik", timeout=5000)
        expect(other.locator('.window-choice[data-window="5"] .window-choice-seat')).to_have_text("Free")
        shoot(other, "chooser-taken-en-1366x768.png")
        other.goto("/console/?lang=pl")
        expect(seat).to_have_text(re.compile(r"urzednik"))
        shoot(other, "chooser-taken-pl-1366x768.png")
        other.goto("/console/?lang=en")

        # The same clerk in a second tab of the same browser: the window is theirs there too.
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto("/console/?lang=en")
        expect(tab.locator("#desk")).to_be_visible()
        expect(tab.locator("#desk-window")).to_have_text("4")
        expect(tab.locator("#live-state")).to_have_text("Live")
        settled(page)
        page.locator("#leave-window").click()
        expect(page.locator("#chooser")).to_be_visible()
        # The second tab says so at once (long before its 15 s poll) and offers the chooser.
        expect(tab.locator("#chooser")).to_be_visible(timeout=5000)
        expect(tab.locator("#error")).to_have_text("You are not signed in at window 4. Choose your window again.")
        expect(tab.locator('.window-choice[data-window="4"] .window-choice-seat')).to_have_text("Free")
        shoot(tab, "window-left-elsewhere-en-1366x768.png")
        expect(seat).to_have_text("Free", timeout=5000)
    finally:
        other_context.close()
        context.close()
    assert errors == []

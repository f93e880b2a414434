"""The whole hall in one headless Chromium: a kiosk, a clerk's console, the hall board and a phone.

A visitor takes a ticket at the kiosk; the clerk calls it; the board shows the call and the
phone says where to go. Then the board's connection drops, the clerk calls the next visitor,
and the board catches up by itself.
"""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import Demo, launched_chromium, require_chromium, running_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_chromium()
    with running_demo(tmp_path_factory.mktemp("hall-demo")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium("--autoplay-policy=no-user-gesture-required") as launched:
        yield launched


def test_a_call_reaches_the_board_and_the_phone_and_the_board_catches_up(demo: Demo, browser: Browser) -> None:
    kiosk = browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
    console = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    board_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = board_context.new_page()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()

    board.goto(demo.url + demo.links("board")["hall"] + "&lang=en")
    expect(board.locator("#current-number")).to_have_text("—")

    kiosk.goto(demo.url + demo.links("kiosk")["hall-1"])
    with kiosk.expect_response(re.compile(r".*/api/v1/tickets$")) as answer:
        kiosk.locator('button.service[data-service="F"]').click()
    ticket = answer.value.json()
    expect(kiosk.locator("#ticket-number")).to_have_text(ticket["number"])
    phone.goto(ticket["track_url"])
    expect(phone.locator(".ticket-number")).to_have_text(ticket["number"])

    console.goto(f"{demo.url}/console/login?lang=en")
    console.fill("#username", "urzednik")
    console.fill("#password", "okienko-demo")
    console.click("button[type=submit]")
    console.locator('.window-choice[data-window="5"]').click()  # window 5 serves fingerprints
    expect(console.locator("#desk")).to_be_visible()
    expect(console.locator("#action-call")).to_be_enabled()
    console.keyboard.press("n")
    expect(console.locator("#ticket-number")).to_have_text(ticket["number"])

    expect(board.locator("#current-number")).to_have_text(ticket["number"])
    expect(board.locator("#current-call")).to_contain_text("5")
    expect(phone.locator("#called")).to_be_visible()
    expect(phone.locator("#called-window")).to_contain_text("5")

    # The board's connection drops; meanwhile the next visitor is called; the board catches up.
    with kiosk.expect_response(re.compile(r".*/api/v1/tickets$")) as answer:
        kiosk.goto(demo.url + "/kiosk/")
        kiosk.locator('button.service[data-service="F"]').click()
    second = answer.value.json()
    board_context.set_offline(True)
    board.evaluate("window.okienkoBoard.socket.close()")
    console.keyboard.press("s")
    expect(console.locator("#ticket-timer-label")).not_to_be_empty()
    console.locator("#action-call").click()
    expect(console.locator("#ticket-number")).to_have_text(second["number"])
    board_context.set_offline(False)
    expect(board.locator("#current-number")).to_have_text(second["number"], timeout=15_000)
    expect(board.locator("#connection")).to_be_hidden()
    for context in {kiosk.context, console.context, board_context, phone.context}:
        context.close()

"""The public pages in Chromium, on a phone (390x844) and a desktop (1920x1080): the live queue
follows the hall without a reload, and the queue and the accessibility statement meet WCAG 2.1 AA
(axe-core). Screenshots go to /tmp/public-shots."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import axe_violations
from tests.conftest import Demo, launched_chromium, require_chromium, running_demo

SHOTS = Path("/tmp/public-shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_chromium()
    with running_demo(tmp_path_factory.mktemp("public-demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def take_ticket(demo: Demo, service: str) -> None:
    request = urllib.request.Request(f"{demo.url}/api/v1/tickets", method="POST",
                                     data=json.dumps({"service": service, "language": "pl"}).encode(),
                                     headers={"Authorization": f"Bearer {demo.token('kiosk', 'hall-1')}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


def open_page(browser: Browser, demo: Demo, path: str, viewport: dict[str, int], errors: list[str]) -> Page:
    context = browser.new_context(viewport=viewport, base_url=demo.url)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every answer that failed (the favicon's too), but the not-found page asked for on purpose.
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 and "/no/such/page" not in answer.url else None)
    page.goto(path)
    return page


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["pl", "uk"])
def test_the_statement_and_the_queue_meet_wcag_21_aa(browser: Browser, demo: Demo, viewport: dict[str, int],
                                                      language: str) -> None:
    errors: list[str] = []
    size = f"{viewport['width']}x{viewport['height']}"
    for path, name in [(f"/accessibility?lang={language}", "accessibility"), (f"/queue?lang={language}", "queue"),
                       (f"/queue?embed=1&lang={language}", "queue-embed"), (f"/no/such/page?lang={language}", "404")]:
        page = open_page(browser, demo, path, viewport, errors)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"{path} scrolls sideways"
        assert axe_violations(page) == [], path
        shoot(page, f"{name}-{language}-{size}")
        page.context.close()
    # The favicon is found: no answer failed (a missing one is a 404 in the console).
    assert errors == []


def test_the_queue_follows_the_hall_without_a_reload(browser: Browser, demo: Demo) -> None:
    errors: list[str] = []
    page = open_page(browser, demo, "/queue?lang=en", PHONE, errors)
    page.clock.install()   # the page polls every 30 s; the test moves its clock on instead of waiting
    page.reload()
    waiting = page.locator('.queue-service[data-code="K"] [data-field="waiting"]')
    before = int(waiting.inner_text())
    take_ticket(demo, "K")
    take_ticket(demo, "K")
    page.clock.run_for(31_000)
    expect(waiting).to_have_text(str(before + 2))
    expect(page.locator("#queue-updated")).to_contain_text("Updated at")
    assert errors == []
    page.context.close()

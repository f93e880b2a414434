"""A manager's change in the back office reaches a kiosk in a real Chromium at once: the kiosk message
in the visitor's language, a renamed or switched-off matter, with no one touching the kiosk."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Demo, launched_chromium, require_chromium, running_demo

pytestmark = pytest.mark.browser
LANDSCAPE = {"width": 1920, "height": 1080}
SHOTS = Path("/tmp/kiosk-shots")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_chromium()
    with running_demo(tmp_path_factory.mktemp("kiosk-setup-demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def open_kiosk(browser: Browser, demo: Demo, errors: list[str]) -> Page:
    context = browser.new_context(viewport=LANDSCAPE, locale="pl-PL", base_url=demo.url)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo.links("kiosk")["hall-1"])
    assert page.url.endswith("/kiosk/")
    return page


def change(demo: Demo, token: str, method: str, path: str, body: Any = None) -> None:
    answer = httpx.request(method, demo.url + path, json=body, headers={"Authorization": f"Bearer {token}"},
                           timeout=10)
    assert answer.status_code < 300, answer.text


def test_the_back_office_s_changes_reach_an_untouched_kiosk(browser: Browser, demo: Demo) -> None:
    errors: list[str] = []
    page = open_kiosk(browser, demo, errors)
    manager = demo.staff_token("kierownik")
    notice = page.locator("#kiosk-notice")
    expect(notice).to_be_hidden()
    expect(page.locator('.service[data-service="I"]')).to_be_visible()
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(500)   # the kiosk's live channel opens right after the page has loaded
    started = time.monotonic()
    change(demo, manager, "PUT", "/api/v1/admin/notices",
           {"kiosk": {"pl": "Stanowisko 3 dziś nieczynne", "en": "Window 3 is closed today"}})
    expect(notice).to_have_text("Stanowisko 3 dziś nieczynne", timeout=3000)
    assert time.monotonic() - started < 2.5
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "kiosk-notice.png"))
    # A matter renamed, then one switched off: the kiosk reloads itself once nobody touches it.
    names = {"pl": "Informacja ogólna", "en": "General information", "uk": "Загальна інформація",
             "ru": "Общая информация"}
    change(demo, manager, "PUT", "/api/v1/admin/services/I", {"names": names})
    expect(page.locator('.service[data-service="I"] .service-name')).to_have_text("Informacja ogólna", timeout=15000)
    expect(notice).to_have_text("Stanowisko 3 dziś nieczynne")   # after the reload too
    change(demo, manager, "POST", "/api/v1/admin/services/I/switch-off", {"confirm": True})
    expect(page.locator('.service[data-service="I"]')).to_have_count(0, timeout=15000)
    # In English, the English line.
    page.goto("/kiosk/?lang=en")
    expect(notice).to_have_text("Window 3 is closed today")
    change(demo, manager, "PUT", "/api/v1/admin/notices", {"kiosk": {}})
    expect(notice).to_be_hidden(timeout=3000)
    assert errors == []

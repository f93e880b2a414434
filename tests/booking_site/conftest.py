"""What the booking site's browser tests share: one Chromium per module, and pages opened in it
on which no script may fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import launched_chromium, require_chromium

PHONE = {"width": 390, "height": 844}
OpenPage = Callable[..., Page]


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """open_page(server, path, viewport=PHONE, locale="pl-PL") -> a page; no script may fail on it."""
    contexts = []
    errors: list[str] = []

    def open_it(server: Any, path: str, viewport: dict[str, int] = PHONE, locale: str = "pl-PL") -> Page:
        context = browser.new_context(viewport=viewport, locale=locale, base_url=server.url, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Chromium logs every 4xx answer (a refused code, a missing favicon) as a console error.
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        page.goto(path)
        return page

    yield open_it
    for context in contexts:
        context.close()
    assert errors == []

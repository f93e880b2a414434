"""The back office's browser tests: `okienko demo` in a subprocess (SQLite), Debian's Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser

from tests.back_office.screens import DemoServer
from tests.conftest import launched_chromium, require_chromium, running_demo


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("back-office-demo")
    with running_demo(data_dir) as demo:
        yield DemoServer(demo.url, data_dir, {**demo.links("kiosk"), **demo.links("board")},
                         demo.token("kiosk", "hall-1"), demo.staff_token)


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched

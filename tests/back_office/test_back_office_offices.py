"""The back office of an installation with two offices, in a real headless Chromium against
`okienko demo` with Łódź loaded beside it (config/lodz-office.toml): an administrator of no office
picks the office in the sections' bar, and every section, language switch included, stays on it;
Łódź's manager sees Łódź alone and is refused the demo office; the demo's manager sees no picker
and nothing of Łódź (docs/back-office.md, docs/office-config.md "Several offices")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import PASSWORD, DemoServer, axe_violations, sign_in, wait_loaded
from tests.conftest import ROOT, launched_chromium, running_demo

pytestmark = pytest.mark.browser
LODZ_NAME = "Łódzki Urząd Wojewódzki — Oddział Spraw Cudzoziemców (demo)"
DEMO_NAME = "Urząd Wojewódzki — Wydział Spraw Cudzoziemców (demo)"
SHOTS = Path(os.environ.get("OKIENKO_OFFICE_SHOTS", "")) if os.environ.get("OKIENKO_OFFICE_SHOTS") else None


def okienko(data_dir: Path, *args: str, password: str | None = None) -> str:
    """`okienko ARGS` on the demo's database; what it printed."""
    env = {**os.environ, "OKIENKO_DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir}/demo.db"}
    done = subprocess.run([sys.executable, "-m", "okienko_server.cli", *args], cwd=data_dir, env=env, text=True,
                          input=password, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """Chromium that finds Łódź's host on this computer, as a visitor's browser finds it on the net."""
    with launched_chromium("--host-resolver-rules=MAP cudzoziemcy.lodz.example 127.0.0.1, "
                           "MAP kolejka.lodz.example 127.0.0.1") as launched:
        yield launched


@pytest.fixture(scope="module")
def two_offices(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("two-offices")
    with running_demo(data_dir) as demo:
        okienko(data_dir, "office", "load", str(ROOT / "config" / "lodz-office.toml"))
        okienko(data_dir, "user", "add", "wszystkie", "--role", "admin", password=PASSWORD)
        okienko(data_dir, "user", "add", "lodz-kierownik", "--role", "manager", "--office", "lodz", password=PASSWORD)
        yield DemoServer(demo.url, data_dir, {}, "", demo.staff_token)


def test_an_administrator_picks_the_office_and_every_section_stays_on_it(browser: Browser,
                                                                        two_offices: DemoServer) -> None:
    context, page = sign_in(browser, two_offices, "wszystkie", "pl")
    try:
        picker = page.locator("#office-picker")
        expect(picker).to_have_value("demo")
        expect(page.locator(".brand-office")).to_have_text(DEMO_NAME)
        page.goto("/admin/services?lang=pl")
        wait_loaded(page)
        picker.select_option("lodz")
        page.get_by_role("button", name="Przełącz urząd").click()
        page.wait_for_url("**/admin/services?lang=pl&office=lodz")
        wait_loaded(page)
        expect(page.locator(".brand-office")).to_have_text(LODZ_NAME)
        expect(page.locator("main")).to_contain_text("Karta pobytu")
        expect(page.locator("main")).not_to_contain_text("Złożenie wniosku o pobyt")
        assert axe_violations(page) == []
        # Another section, then another language: still Łódź.
        page.locator("nav.sections a[href*='/admin/staff']").click()
        wait_loaded(page)
        expect(page.locator("main")).to_contain_text("lodz-kierownik")
        expect(page.locator("main")).not_to_contain_text("urzednik")
        page.locator("nav.languages").get_by_role("link", name="ქართული").click()
        wait_loaded(page)
        assert "office=lodz" in page.url
        expect(page.locator(".brand-office")).to_have_text(LODZ_NAME)
        expect(page.locator("main")).to_contain_text("lodz-kierownik")
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=str(SHOTS / "picker-ka.png"))
            page.goto("/admin/?lang=pl&office=lodz")
            wait_loaded(page)
            page.screenshot(path=str(SHOTS / "picker-pl.png"))
    finally:
        context.close()


def test_a_manager_of_one_office_sees_it_alone(browser: Browser, two_offices: DemoServer) -> None:
    context, page = sign_in(browser, two_offices, "lodz-kierownik", "en")
    try:
        expect(page.locator(".office-picker")).to_have_count(0)
        expect(page.locator(".brand-office")).to_have_text(LODZ_NAME)
        page.goto("/admin/devices?lang=en")
        wait_loaded(page)
        expect(page.locator("main")).to_contain_text("hall-1")
        expect(page.locator("main")).not_to_contain_text("hall-2")   # the demo office's second kiosk
        answer = page.goto("/admin/devices?lang=en&office=demo")
        assert answer is not None and answer.status == 403
    finally:
        context.close()
    context, page = sign_in(browser, two_offices, "kierownik", "en")
    try:
        expect(page.locator(".office-picker")).to_have_count(0)
        page.goto("/admin/staff?lang=en")
        wait_loaded(page)
        expect(page.locator("main")).to_contain_text("urzednik")
        expect(page.locator("main")).not_to_contain_text("lodz-kierownik")
        answer = page.goto("/admin/staff?lang=en&office=lodz")
        assert answer is not None and answer.status == 403
    finally:
        context.close()


@pytest.mark.parametrize("language", ["pl", "hi"])
def test_a_visitor_at_the_offices_own_address_gets_its_booking_site(browser: Browser, two_offices: DemoServer,
                                                                   language: str) -> None:
    port = two_offices.url.rsplit(":", 1)[1]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"http://cudzoziemcy.lodz.example:{port}/book?lang={language}")
        expect(page.locator("body")).to_contain_text("Łódzki Urząd Wojewódzki")
        expect(page.locator("body")).not_to_contain_text(DEMO_NAME)
        assert axe_violations(page) == []
        if SHOTS:
            page.screenshot(path=str(SHOTS / f"lodz-book-{language}.png"), full_page=True)
        page.goto(f"http://127.0.0.1:{port}/book?lang={language}")   # the installation's address: the default
        expect(page.locator("body")).to_contain_text(DEMO_NAME)
        page.goto(f"http://kolejka.lodz.example:{port}/queue?lang={language}")
        expect(page.locator("body")).to_contain_text("Łódzki Urząd Wojewódzki")
    finally:
        context.close()

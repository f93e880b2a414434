"""The back office's office form sets the hall boards' languages (`board_languages`): a code it cannot
have marks the field with the office file's own message; a good list is saved and reaches the board."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import DemoServer, sign_in

SHOTS = Path("/tmp/boards-back-office")


@pytest.mark.parametrize("language", ["pl", "uk"])
def test_the_boards_languages_are_set_in_the_office_form(browser: Browser, demo_server: DemoServer,
                                                          language: str) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", language, errors)
    try:
        page.goto(f"/admin/office?lang={language}")
        field = page.locator("#office-board-languages")
        expect(field).to_have_value("pl, uk, en")   # the demo office's
        SHOTS.mkdir(parents=True, exist_ok=True)
        field.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"office-form-{language}.png"))
        field.fill("pl, de, en")
        page.locator("#office-save").click()
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("body")).to_contain_text("office.board_languages[1]")
        status, office = demo_server.api("GET", "/api/v1/admin/office", token=demo_server.staff_token("kierownik"))
        assert office["office"]["board_languages"] == ["pl", "uk", "en"]   # nothing saved
        field.fill("uk, pl, en")
        page.locator("#office-save").click()
        expect(page.locator("#status")).to_be_visible()
        page.reload()
        expect(page.locator("#office-board-languages")).to_have_value("uk, pl, en")
        status, office = demo_server.api("GET", "/api/v1/admin/office", token=demo_server.staff_token("kierownik"))
        assert office["office"]["board_languages"] == ["uk", "pl", "en"]
    finally:
        demo_server.api("PUT", "/api/v1/admin/office", {"board_languages": ["pl", "uk", "en"]},
                        token=demo_server.staff_token("kierownik"))
        context.close()
    assert [e for e in errors if "422" not in e] == []

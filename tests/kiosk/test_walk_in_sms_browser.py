"""A walk-in's SMS before the turn, in a real headless Chromium against a real `okienko demo` with an
SMS gateway on loopback (the call centre's: tests/call_centre/test_call_centre_browser.py).

On the ticket's page a visitor gives a mobile number; a clerk calls the tickets ahead, and the
gateway receives one SMS when few are ahead and one when the ticket is called. On the kiosk, after
the ticket, the number is typed on the on-screen keys. Screenshots (Polish and English, landscape
and portrait) go to /tmp/walk-in-sms-shots/ for a person to look at.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import axe_violations
from tests.call_centre import test_call_centre_browser as call_centre
from tests.conftest import launched_chromium, require_chromium, running_demo

pytestmark = pytest.mark.browser
gateway = call_centre.gateway   # the loopback SMS gateway (a module fixture); what it got: sms_to
sms_to = call_centre.sms_to

SHOTS = Path("/tmp/walk-in-sms-shots")
LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
PHONE_VIEW = {"width": 390, "height": 844}
TUESDAY_MORNING = "2026-12-01T10:00:00+01:00"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, gateway: str) -> Iterator[Any]:
    with running_demo(tmp_path_factory.mktemp("walk-in-sms-demo"),
                      env={"OKIENKO_SMS_GATEWAY_URL": gateway, "OKIENKO_OUTBOX_POLL_SECONDS": "0.5",
                           # the injected clock: a Tuesday morning, the office open whenever the test runs
                           "OKIENKO_CLOCK_START": TUESDAY_MORNING}) as server:
        yield server


def api(url: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{url}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer) if answer.status != 204 else None


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)   # the fonts and the QR image
    page.screenshot(path=str(SHOTS / name))


def test_a_number_given_on_the_ticket_page_gets_the_near_and_the_called_sms(browser: Browser, demo: Any) -> None:
    kiosk = demo.token("kiosk", "hall-1")
    clerk = demo.staff_token("urzednik")
    ahead = [api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "K"}) for _ in range(4)]
    mine = api(demo.url, "POST", "/api/v1/tickets", kiosk, {"service": "K", "language": "en"})
    assert mine["issued_at"].startswith("2026-12-01T10:")   # on the injected clock
    number = "+48601444555"
    context = browser.new_context(viewport=PHONE_VIEW, locale="en-GB", base_url=demo.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"/t/{mine['id']}?lang=pl")
        expect(page.locator("#sms h2")).to_have_text("SMS, gdy zbliża się Twoja kolej")
        shoot(page, "ticket-page-pl.png")
        page.goto(f"/t/{mine['id']}?lang=en")
        form = page.locator("#sms-form")
        form.get_by_label("Mobile number").fill("12 34")
        form.get_by_role("button", name="Send me SMS").click()
        expect(page.locator("#sms-problem")).to_have_text(
            "Give a phone number with the country code, e.g. +48 600 700 800.")
        form.get_by_label("Mobile number").fill("601 444 555")
        form.get_by_role("button", name="Send me SMS").click()
        expect(page.locator("#sms-phone")).to_have_text("+48******555")
        expect(form).to_be_hidden()
        shoot(page, "ticket-page-en.png")
        assert axe_violations(page) == []

        api(demo.url, "POST", "/api/v1/windows/8/sign-in", clerk)

        def call_next() -> dict[str, Any]:
            called = api(demo.url, "POST", "/api/v1/windows/8/call-next", clerk)
            api(demo.url, "POST", f"/api/v1/tickets/{called['id']}/start", clerk)
            return called

        assert call_next()["number"] == ahead[0]["number"]   # 3 ahead now: the first SMS
        assert sms_to(number, 1) == [f"DEMO: your turn is near. Ticket {mine['number']}, people ahead of you: 3. "
                                     "Please stay in the waiting hall."]
        for ticket in ahead[1:]:
            assert call_next()["number"] == ticket["number"]
        assert api(demo.url, "POST", "/api/v1/windows/8/call-next", clerk)["number"] == mine["number"]
        assert sms_to(number, 2) == sms_to(number, 1)[:1] + [f"DEMO: ticket {mine['number']}, please go to "
                                                             "window 8 now."]
        expect(page.locator("#called-window")).to_have_text("Please go to window 8")
        expect(page.locator("#sms")).to_be_visible()              # the number given stays shown, with its removal
        page.get_by_role("button", name="Remove the number").click()
        expect(page.locator("#sms")).to_be_hidden()               # called: nothing more to give
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("language", "viewport"), [("en", LANDSCAPE), ("pl", PORTRAIT)])
def test_the_kiosk_offers_the_sms_after_the_ticket_on_large_keys(browser: Browser, demo: Any, language: str,
                                                                   viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="pl-PL", base_url=demo.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    shape = "landscape" if viewport is LANDSCAPE else "portrait"
    try:
        page.goto(demo.links("kiosk")["hall-1"])
        page.goto(f"/kiosk/?lang={language}")
        page.locator('.service[data-service="K"]').click()
        offer = page.locator("#ticket-sms-open")
        expect(offer).to_be_visible()                 # the ticket is out first; the offer below it
        expect(page.locator("#ticket-number")).not_to_be_empty()
        shoot(page, f"kiosk-ticket-{language}-{shape}.png")
        offer.click()
        expect(page.locator("#screen-sms")).to_be_visible()
        submit = page.locator("#sms-submit")
        expect(submit).to_be_disabled()
        for key in "601777888":
            page.locator(f'.phone-key[data-key="{key}"]').click()
        page.locator("#phone-delete").click()
        page.locator('.phone-key[data-key="8"]').click()
        expect(page.locator("#sms-phone")).to_have_value("601777888")
        boxes = [page.locator(".phone-key").nth(i).bounding_box() for i in range(12)]
        assert min(box["height"] for box in boxes if box) >= 80 and min(box["width"] for box in boxes if box) >= 80
        shoot(page, f"kiosk-sms-{language}-{shape}.png")
        assert axe_violations(page) == []
        submit.click()
        expect(page.locator("#screen-ticket")).to_be_visible()
        expect(page.locator("#ticket-sms-phone")).to_have_text("+48******888")
        expect(offer).to_be_hidden()
        shoot(page, f"kiosk-sms-given-{language}-{shape}.png")
        page.locator("#ticket-done").click()
        expect(page.locator("#screen-start")).to_be_visible()
        assert page.locator("#sms-phone").input_value() == ""   # nothing of this visitor stays
        assert errors == []
    finally:
        context.close()

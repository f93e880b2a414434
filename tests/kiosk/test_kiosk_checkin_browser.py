"""A booked visitor checks in at the kiosk: real headless Chromium against a real `okienko demo`.

The demo takes bookings only from the next day, so each test puts a confirmed booking straight into
the demo's database, its slot starting in a few minutes. What a visitor sees: the code typed on the
on-screen keys (or on a keyboard, or read by the camera), the ticket with its number and the booked
time, the server's refusal in their language with the code kept for correcting it, a second
check-in naming the ticket already issued, the way back to the start, and no overflow at
1920x1080 or 1080x1920. Screenshots go to /tmp/kiosk-shots/ for a person to look at.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, Route, expect

from okienko.booking.bookings import CODE_ALPHABET
from okienko.i18n import Translator
from okienko.storage.models import Booking, Office, Service
from okienko.people import document_hash
from tests.conftest import launched_chromium, overflow_problems, require_chromium, running_demo
from tests.kiosk.test_kiosk_browser import shoot

pytestmark = pytest.mark.browser

LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
CUT_OFF_CHECKED = (".have-booking, .service, .language, .button, .booking-code, .booking-error, .code-key, "
                   ".ticket, .ticket-booked, .print-note")
# A refusal as long as the longest one is in Russian, to see that it fits beside the keys.
LONG_MESSAGE = ("Ваш визит был в 10:20: регистрироваться уже слишком поздно. Пожалуйста, обратитесь "
                "в справочное окно на первом этаже, там вам помогут.")
# Every visible button or link at least 44x44 CSS pixels (WCAG 2.5.5 as the kiosk holds itself to).
SMALL_TARGETS_JS = """() => [...document.querySelectorAll('button, a[href]')]
  .filter((e) => e.getClientRects().length)
  .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44).map(([name]) => name)"""
# A camera the page can use and a QR reader that finds `code` in it: Chromium on Linux has no
# BarcodeDetector, so the test gives the page one; the camera is Chromium's fake device.
FAKE_QR_READER_JS = """(code) => {
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
    constructor(options) { this.formats = options.formats; }
    async detect(video) {
      window.framesRead = (window.framesRead || 0) + 1;
      // Nothing in the first frames, as when the paper is still on its way to the camera.
      return window.framesRead < 3 || !(video.srcObject instanceof MediaStream) ? [] : [{rawValue: code}];
    }
  };
}"""
_places = itertools.count(1)
OpenKiosk = Callable[..., Page]


@dataclass
class Booked:
    code: str
    at: str  # the slot's start as the office's wall clock shows it, "10:20"


@dataclass
class DemoServer:
    url: str
    data_dir: Path
    enroll: dict[str, str]  # kiosk name -> sign-in path
    kiosk_token: str  # hall-1's, for asking the API what it answers

    def book(self, *, minutes_ahead: int = 10, name: str = "Olena Kovalenko",
             document_number: str | None = None, document_country: str = "") -> Booked:
        """A confirmed booking of service A whose slot starts in `minutes_ahead` minutes (made with
        `document_number`, hashed with the demo's secret key, where given)."""
        hashed = secrets.token_hex(32)
        if document_number:
            key = os.environ.get("OKIENKO_SECRET_KEY") or (self.data_dir / "secret.key").read_text().strip()
            hashed = document_hash(key, document_number)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        now = datetime.now(timezone.utc).replace(microsecond=0)
        starts_at = now + timedelta(minutes=minutes_ahead)
        engine = sa.create_engine(f"sqlite:///{self.data_dir / 'demo.db'}")
        try:
            with engine.begin() as conn:
                office = conn.execute(sa.select(Office.__table__.c.id, Office.__table__.c.timezone)).one()
                zone = ZoneInfo(office.timezone)
                services = Service.__table__
                service_id = conn.execute(sa.select(services.c.id).where(services.c.office_id == office.id,
                                                                         services.c.code == "A")).scalar_one()
                place = next(_places)  # a place of its own: the slot's UNIQUE index never trips
                conn.execute(sa.insert(Booking.__table__).values(
                    id=secrets.token_urlsafe(16), office_id=office.id, service_id=service_id,
                    office_day=starts_at.astimezone(zone).date(), starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=20), place=place, status="confirmed", code=code,
                    secret_hash="", person_key=secrets.token_hex(32), person_name=name,
                    birth_date=date(1990, 4, 12), document_hash=hashed, document_masked="FE****56",
                    document_country=document_country,
                    email="olena@example.com", phone="", language="uk", confirm_attempts=0, sequence=0,
                    created_at=now, confirmed_at=now))
        finally:
            engine.dispose()
        return Booked(code, starts_at.astimezone(zone).strftime("%H:%M"))

    def check_in_answer(self, code: str, language: str) -> dict[str, Any]:
        """What the API itself answers a kiosk for `code` (the oracle for the translated message)."""
        return self.kiosk_post("/api/v1/check-in", {"code": code, "language": language})

    def kiosk_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """What the API answers hall-1 for `body` at `path`."""
        request = urllib.request.Request(
            f"{self.url}{path}", method="POST", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.kiosk_token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as refusal:
            return json.load(refusal)


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("kiosk-checkin-demo")
    with running_demo(data_dir) as demo:
        yield DemoServer(demo.url, data_dir, demo.links("kiosk"), demo.token("kiosk", "hall-1"))


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    # A fake camera, allowed without asking: what a kiosk's Chromium is set up with by its administrator.
    with launched_chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream") as launched:
        yield launched


@pytest.fixture
def kiosk(browser: Browser, demo_server: DemoServer) -> Iterator[OpenKiosk]:
    """kiosk(viewport, name="hall-1", qr=None) -> a signed-in kiosk page (Polish office, Polish browser).

    With `qr`, the page has a camera and a QR reader that finds that text.
    """
    contexts = []
    script_errors: list[str] = []

    def open_kiosk(viewport: dict[str, int], name: str = "hall-1", qr: str | None = None) -> Page:
        context = browser.new_context(viewport=viewport, locale="pl-PL", base_url=demo_server.url,
                                      has_touch=True)
        contexts.append(context)
        if qr is not None:
            context.grant_permissions(["camera"], origin=demo_server.url)
            context.add_init_script(f"({FAKE_QR_READER_JS})({json.dumps(qr)})")
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(demo_server.enroll[name])
        assert page.url.endswith("/kiosk/")
        return page

    yield open_kiosk
    for context in contexts:
        context.close()
    assert script_errors == []



def tap_code(page: Page, code: str) -> None:
    """Type `code` the way a visitor does: one tap per on-screen key."""
    for character in code:
        page.locator(f'.code-key[data-key="{character}"]').tap()


def test_a_booked_visitor_types_the_code_and_gets_a_ticket_with_the_booked_time(
        kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    booked = demo_server.book(minutes_ahead=10)
    code = booked.code
    page = kiosk(LANDSCAPE)
    page.locator("#have-booking").tap()
    expect(page.locator("#screen-booking")).to_be_visible()
    expect(page.locator("#screen-start")).to_be_hidden()
    field, submit = page.locator("#booking-code"), page.locator("#booking-submit")
    expect(field).to_be_focused()  # a keyboard, where there is one, types straight into it
    expect(page.locator(".code-key[data-key]")).to_have_count(len(CODE_ALPHABET))
    expect(page.locator("#booking-scan")).to_be_hidden()  # no QR reader in this browser: typing only

    tap_code(page, code[:5])
    expect(field).to_have_value(code[:5])
    expect(submit).to_be_disabled()
    page.locator(".code-key-delete").tap()
    expect(field).to_have_value(code[:4])
    tap_code(page, code[4:] + "A")  # a seventh character does not fit
    expect(field).to_have_value(code)
    expect(field).to_be_focused()  # the keys never take the focus away from the field
    expect(submit).to_be_enabled()
    with page.expect_request("**/api/v1/check-in") as sent:
        submit.tap()
    assert sent.value.post_data_json == {"code": code, "language": "pl"}

    expect(page.locator("#screen-ticket")).to_be_visible()
    number = page.locator("#ticket-number")
    expect(number).to_have_text(re.compile(r"^A\d{3}$"))
    issued = number.inner_text()
    expect(page.locator("#ticket-booked")).to_be_visible()
    expect(page.locator("#ticket-booked")).to_have_text(f"Wizyta zarezerwowana na godz. {booked.at}")
    # Called at its slot: when, instead of a walk-in's people ahead and wait.
    expect(page.locator("#ticket-expected-fact")).to_be_visible()
    expect(page.locator("#ticket-expected")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
    assert page.locator("#ticket-expected").inner_text() >= booked.at
    expect(page.locator("#ticket-ahead-fact")).to_be_hidden()
    expect(page.locator("#ticket-wait-fact")).to_be_hidden()
    expect(page.locator("#print-ok")).to_be_visible()  # printed like any ticket
    expect(page.locator("#announcer")).to_contain_text(booked.at)
    shoot(page, "checkin-ticket-1920x1080.png")

    # A walk-in ticket afterwards shows no booked time.
    expect(page.locator("#ticket-done")).to_have_attribute("aria-disabled", "false")   # after its first second
    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    page.locator(".service").first.tap()
    expect(page.locator("#screen-ticket")).to_be_visible()
    expect(page.locator("#ticket-booked")).to_be_hidden()
    expect(page.locator("#ticket-expected-fact")).to_be_hidden()
    expect(page.locator("#ticket-ahead-fact")).to_be_visible()
    expect(page.locator("#ticket-done")).to_have_attribute("aria-disabled", "false")
    page.locator("#ticket-done").tap()

    # The same code again: refused, naming the ticket already issued; the code stays for correcting.
    page.locator("#have-booking").tap()
    expect(field).to_have_value("")  # the next visitor never finds the last one's code
    tap_code(page, code)
    submit.tap()
    error = page.locator("#booking-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(issued)
    expect(error).to_contain_text(demo_server.check_in_answer(code, "pl")["message"])
    expect(field).to_have_value(code)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#screen-booking")).to_be_visible()


def test_a_wrong_code_is_refused_in_ukrainian_and_can_be_corrected(kiosk: OpenKiosk,
                                                                    demo_server: DemoServer) -> None:
    code = demo_server.book(minutes_ahead=5).code
    wrong = ("C" if code[0] != "C" else "D") + code[1:]
    page = kiosk(PORTRAIT)
    page.locator("#have-booking").tap()
    # Switching language on the code screen stays on the code screen.
    page.locator('.language[lang="uk"]').tap()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#screen-booking")).to_be_visible()
    field = page.locator("#booking-code")
    tap_code(page, wrong)
    with page.expect_request("**/api/v1/check-in") as sent:
        page.locator("#booking-submit").tap()
    assert sent.value.post_data_json == {"code": wrong, "language": "uk"}
    refusal = demo_server.check_in_answer(wrong, "uk")
    assert refusal["error"] == "booking_not_found"
    error = page.locator("#booking-error")
    expect(error).to_have_text(refusal["message"])
    expect(field).to_have_value(wrong)
    expect(field).to_be_focused()
    shoot(page, "checkin-refused-1080x1920.png")

    # Correcting the first character clears the message; the right code checks in.
    for _ in range(6):
        page.locator(".code-key-delete").tap()
    expect(error).to_be_hidden()
    tap_code(page, code)
    page.locator("#booking-submit").tap()
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))
    expect(page.locator("#ticket-booked")).to_be_visible()


def test_a_keyboard_types_the_code_even_on_a_cyrillic_layout(kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    code = demo_server.book(minutes_ahead=15).code
    page = kiosk(LANDSCAPE)
    page.locator("#have-booking").click()
    field = page.locator("#booking-code")
    page.keyboard.type(code[:3].lower())  # lower case becomes upper case
    expect(field).to_have_value(code[:3])
    # A Ukrainian layout: the key where "K" is sends "л"; the code gets the Latin letter on the key.
    field.dispatch_event("keydown", {"key": "л", "code": "KeyK"})
    expect(field).to_have_value(code[:3] + "K")
    page.keyboard.press("Backspace")
    page.keyboard.type(f" {code[3:]}-")  # spaces and dashes from a copied code are dropped
    expect(field).to_have_value(code)
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))

    page.goto("/kiosk/")
    page.locator("#have-booking").click()
    page.keyboard.press("Escape")
    expect(page.locator("#screen-start")).to_be_visible()


def test_the_camera_reads_the_qr_code_and_checks_in(kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    code = demo_server.book(minutes_ahead=20).code
    page = kiosk(PORTRAIT, qr=code)
    page.locator("#have-booking").tap()
    scan = page.locator("#booking-scan")
    expect(scan).to_be_visible()
    with page.expect_request("**/api/v1/check-in") as sent:
        scan.tap()
    assert sent.value.post_data_json == {"code": code, "language": "pl"}
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))
    expect(page.locator("#ticket-booked")).to_be_visible()
    # The camera is off again once the code was read.
    assert page.evaluate("document.getElementById('booking-video').srcObject") is None

    # Stopped by hand, the keys come back; nothing is sent.
    page.goto("/kiosk/")
    page.evaluate("window.framesRead = -1000")  # a paper that never shows up
    page.locator("#have-booking").tap()
    scan.tap()
    expect(page.locator("#booking-scanner")).to_be_visible()
    expect(page.locator("#code-keys")).to_be_hidden()
    shoot(page, "checkin-scanning-1080x1920.png")
    page.locator("#booking-scan-stop").tap()
    expect(page.locator("#booking-scanner")).to_be_hidden()
    expect(page.locator("#code-keys")).to_be_visible()
    expect(page.locator("#booking-code")).to_have_value("")


def test_the_visitors_phone_shows_the_booked_time_and_when_it_is_called(browser: Browser,
                                                                        demo_server: DemoServer) -> None:
    """The QR code of a checked-in booking's ticket opens a page with its slot and about when it is
    called, not a walk-in's people ahead and wait, as served and after every live update."""
    booked = demo_server.book(minutes_ahead=20)
    ticket = demo_server.check_in_answer(booked.code, "pl")
    assert ticket["appointment_at"] and ticket["expected_at"], ticket
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, locale="pl-PL",
                                  base_url=demo_server.url)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"/t/{ticket['id']}")
        expect(page.locator("#booked-at")).to_have_text(booked.at)
        expect(page.locator("#expected-at")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
        assert page.locator("#expected-at").inner_text() >= booked.at
        for walk_in_fact in ("#position", "#wait"):
            expect(page.locator(walk_in_fact)).to_be_hidden()
        page.evaluate("document.getElementById('expected-at').textContent = ''")
        walk_in = demo_server.kiosk_post("/api/v1/tickets", {"service": "A", "language": "pl"})
        assert walk_in["number"].startswith("A"), walk_in   # its queue moved: the phone is told at once
        expect(page.locator("#expected-at")).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
        expect(page.locator("#booked-at")).to_be_visible()
        expect(page.locator("#position")).to_be_hidden()
        shoot(page, "checkin-phone-390x844.png")
    finally:
        context.close()
    assert errors == []


def test_the_code_screen_goes_back_to_the_start_when_left_alone(kiosk: OpenKiosk) -> None:
    page = kiosk(PORTRAIT)
    page.clock.install()
    page.reload()
    idle = json.loads(page.locator("#kiosk-config").inner_text())["idle_seconds"]
    page.locator("#have-booking").tap()
    tap_code(page, "KM3")
    page.clock.run_for(max(60, idle * 4) * 1000 + 6000)
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator("#screen-booking")).to_be_hidden()
    expect(page.locator("#booking-code")).to_have_value("")

    page.locator("#have-booking").tap()
    page.locator("#booking-back").tap()
    expect(page.locator("#screen-start")).to_be_visible()


@pytest.mark.parametrize(("viewport", "accessible"), [
    (LANDSCAPE, False), (PORTRAIT, False), (LANDSCAPE, True), (PORTRAIT, True),
], ids=["1920x1080", "1080x1920", "1920x1080-accessible", "1080x1920-accessible"])
def test_the_code_screen_fits_at_both_sizes(kiosk: OpenKiosk, demo_server: DemoServer,
                                             viewport: dict[str, int], accessible: bool) -> None:
    code = demo_server.book(minutes_ahead=25).code
    page = kiosk(viewport)
    size = f"{viewport['width']}x{viewport['height']}" + ("-a11y" if accessible else "")
    if accessible:  # every control of the start screen in the lower half, this button too
        page.goto("/kiosk/?lang=pl&a11y=1")
        tops = page.locator(".service, .language, .toolbar .button, #have-booking").evaluate_all(
            "els => els.filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect().y)")
        assert len(tops) >= 10 and min(tops) >= viewport["height"] / 2, tops
        assert overflow_problems(page, CUT_OFF_CHECKED) == []
    page.goto("/kiosk/?lang=ru" + ("&a11y=1" if accessible else ""))
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    shoot(page, f"checkin-start-{size}.png")

    page.locator("#have-booking").tap()
    tap_code(page, code[:4])
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    assert page.evaluate(SMALL_TARGETS_JS) == []
    shoot(page, f"checkin-code-{size}.png")

    def refuse(route: Route) -> None:
        route.fulfill(status=409, json={"error": "check_in_too_late", "message": LONG_MESSAGE})

    page.route("**/api/v1/check-in", refuse)
    tap_code(page, "CC")
    page.locator("#booking-submit").tap()
    expect(page.locator("#booking-error")).to_have_text(LONG_MESSAGE)
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    assert page.evaluate(SMALL_TARGETS_JS) == []  # the keys shrink for the message, not below 44 px
    shoot(page, f"checkin-refused-{size}.png")
    page.unroute("**/api/v1/check-in")

    page.locator(".code-key-delete").tap()
    page.locator(".code-key-delete").tap()
    tap_code(page, code[4:])
    page.locator("#booking-submit").tap()
    expect(page.locator("#ticket-booked")).to_be_visible()
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    shoot(page, f"checkin-ticket-{size}.png")


def test_a_check_in_whose_answer_is_lost_during_a_restart_still_gives_its_ticket(
        kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    """The first answer is lost after the check-in committed, then the database is away for 3 s: the
    kiosk keeps asking with the same Idempotency-Key and shows the ticket, not "already checked in"."""
    code = demo_server.book(minutes_ahead=8).code
    page = kiosk(LANDSCAPE)
    keys: list[str] = []
    started: list[float] = []

    def restarting(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the check-in is done on the server; its answer never reaches the kiosk
            started.append(time.monotonic())
            route.abort("connectionreset")
        elif time.monotonic() - started[0] < 3:
            route.fulfill(status=503, json={"error": "busy", "message": "busy"}, headers={"Retry-After": "1"})
        else:
            route.continue_()

    page.route("**/api/v1/check-in", restarting)
    page.locator("#have-booking").tap()
    tap_code(page, code)
    page.locator("#booking-submit").tap()
    still_trying = Translator().gettext("pl", "Please wait a little longer: the system is busy and we are still trying.")
    expect(page.locator("#busy-message")).to_have_text(still_trying, timeout=5000)
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"), timeout=15000)
    expect(page.locator("#booking-error")).to_be_hidden()
    assert len(keys) >= 3 and len(set(keys)) == 1 and keys[0]
    assert demo_server.check_in_answer(code, "pl")["error"] == "already_checked_in"   # one ticket, taken

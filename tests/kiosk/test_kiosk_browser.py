"""The kiosk touch page in a real headless Chromium against a real `okienko demo` server.

What a visitor sees: the number and the service name in their language, a retried request that never
makes a second ticket, closed matters that cannot be tapped, the accessibility mode with every
control in the lower half of a portrait screen, and no overflow at 1920x1080 or 1080x1920.
Screenshots go to /tmp/kiosk-shots/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from okienko.errors import ERRORS
from okienko.i18n import Translator
from tests.conftest import (demo_office_variant, launched_chromium, overflow_problems, require_chromium,
                            running_demo)
from tests.servers import okienko_servers, prepare_hall, private_postgres, serve_env

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/kiosk-shots")
LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
CONTROLS = ".service, .language, #priority-toggle, #a11y-toggle"
OpenKiosk = Callable[..., Page]  # kiosk(viewport, name="hall-1") -> a signed-in kiosk page

# The WCAG contrast ratio of each visible element's text against the first opaque background behind it.
CONTRASTS_JS = """(selector) => {
  const rgb = (css) => css.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (; element; element = element.parentElement) {
      const colour = rgb(getComputedStyle(element).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].filter((e) => e.getClientRects().length && e.textContent.trim())
    .map((e) => {
      const a = luminance(rgb(getComputedStyle(e).color)), b = luminance(background(e));
      return [e.className || e.id || e.tagName, e.textContent.trim().slice(0, 30),
              (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
    });
}"""

EXTRA_ARGS: tuple[str, ...] = ()
CUT_OFF_CHECKED = ".service, .category, .ticket, .print-note, .language, .button"

SMALL_TARGETS_JS = """() => [...document.querySelectorAll('button, a[href]')]
  .filter((e) => e.getClientRects().length)
  .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44).map(([name]) => name)"""


@dataclass
class DemoServer:
    url: str
    enroll: dict[str, str]  # kiosk name -> sign-in path

    def services(self, language: str = "en") -> dict[str, dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v1/services?lang={language}", timeout=5) as answer:
            return {s["code"]: s for s in json.load(answer)["services"]}


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`okienko demo` in a subprocess; its kiosk sign-in links."""
    with running_demo(tmp_path_factory.mktemp("kiosk-demo")) as demo:
        enroll = demo.links("kiosk")
        assert {"hall-1", "hall-2"} <= enroll.keys()
        yield DemoServer(demo.url, enroll)


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with launched_chromium(*EXTRA_ARGS) as launched:
        yield launched


@pytest.fixture
def kiosk(browser: Browser, demo_server: DemoServer) -> Iterator[OpenKiosk]:
    """kiosk(viewport, name) -> a page signed in as that kiosk, in a browser set to Polish."""
    contexts = []
    script_errors: list[str] = []

    def open_kiosk(viewport: dict[str, int], name: str = "hall-1") -> Page:
        context = browser.new_context(viewport=viewport, locale="pl-PL", base_url=demo_server.url)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(demo_server.enroll[name])
        assert page.url.endswith("/kiosk/")
        return page

    yield open_kiosk
    for context in contexts:
        context.close()
    assert script_errors == []


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)  # let the QR image and the countdown bar settle
    page.screenshot(path=str(SHOTS / name))


def test_a_ukrainian_visitor_takes_a_ticket(kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    page = kiosk(LANDSCAPE)
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.locator('.language[lang="uk"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator('.language[aria-current="true"]')).to_have_text("Українська")
    waiting_before = demo_server.services()["A"]["waiting"]

    page.locator('.service[data-service="A"]').click()

    number = page.locator("#ticket-number")
    expect(page.locator("#screen-ticket")).to_be_visible()
    expect(number).to_have_text(re.compile(r"^A\d{3}$"))
    expect(page.locator("#ticket-service")).to_have_text(demo_server.services("uk")["A"]["name"])
    expect(page.locator("#ticket-service-pl")).to_have_text("Złożenie wniosku o pobyt")
    expect(page.locator("#print-ok")).to_be_visible()  # hall-1 prints (into a file in the demo)
    expect(page.locator("#ticket-qr")).to_have_js_property("complete", True)
    assert page.locator("#ticket-qr").evaluate("img => img.naturalWidth") > 0
    expect(page.locator("#announcer")).to_contain_text(number.inner_text())
    assert demo_server.services()["A"]["waiting"] == waiting_before + 1


def test_a_retry_after_a_lost_answer_and_a_double_tap_make_one_ticket(kiosk: OpenKiosk,
                                                                       demo_server: DemoServer) -> None:
    page = kiosk(LANDSCAPE)
    waiting_before = demo_server.services()["F"]["waiting"]
    keys: list[str] = []
    issued: list[dict[str, Any]] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        answer = route.fetch()  # the server issues the ticket...
        if len(keys) == 1:
            issued.append(answer.json())
            route.abort("connectionreset")  # ...but the kiosk never hears of it
        else:
            route.fulfill(response=answer)

    page.route("**/api/v1/tickets", lose_first_answer)
    page.locator('.service[data-service="F"]').dblclick()

    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^F\d{3}$"), timeout=8000)
    assert len(keys) == 2 and keys[0] == keys[1], keys
    assert page.locator("#ticket-number").inner_text() == issued[0]["number"]
    assert demo_server.services()["F"]["waiting"] == waiting_before + 1


def test_a_kiosk_waits_out_a_database_restart_and_gives_one_ticket(kiosk: OpenKiosk,
                                                                   demo_server: DemoServer) -> None:
    """The first answer is lost after the ticket was issued; then the server says `busy` for as long as
    a PostgreSQL restart took (5.3 s measured); the kiosk keeps asking with the same key, tells the
    visitor to wait, and shows the ticket issued first."""
    page = kiosk(LANDSCAPE)
    waiting_before = demo_server.services()["K"]["waiting"]
    keys: list[str] = []
    issued: list[dict[str, Any]] = []
    pl = Translator().gettext
    busy = {"error": "busy", "message": pl("pl", "The system is very busy. Please try again in a moment.")}

    def restarting(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            issued.append(route.fetch().json())
            route.abort("connectionreset")
        elif time.monotonic() - started < 5.3:
            route.fulfill(status=503, json=busy, headers={"Retry-After": "1"})
        else:
            route.fulfill(response=route.fetch())

    page.route("**/api/v1/tickets", restarting)
    started = time.monotonic()
    page.locator('.service[data-service="K"]').click()
    expect(page.locator("#busy-message")).to_have_text(
        pl("pl", "Please wait a little longer: the system is busy and we are still trying."))
    expect(page.locator("#busy")).to_be_visible()

    expect(page.locator("#ticket-number")).to_have_text(issued[0]["number"] if issued else "?", timeout=15000)
    assert len(keys) >= 4 and set(keys) == {keys[0]}, keys
    assert demo_server.services()["K"]["waiting"] == waiting_before + 1
    expect(page.locator("#busy")).to_be_hidden()
    expect(page.locator("#busy-message")).to_have_text(pl("pl", "Please wait. Your ticket is being issued."))


def test_closed_matters_refusals_and_a_lost_connection(kiosk: OpenKiosk) -> None:
    page = kiosk(LANDSCAPE)
    page.clock.install()
    page.reload()
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)

    def close_a(route: Route) -> None:
        body = route.fetch().json()
        for service in body["services"]:
            if service["code"] == "A":
                service.update(open_now=False, closed_reason={"error": "service_cutoff_passed",
                                                               "message": "No more tickets for A today."})
            if service["code"] == "K":
                service["waiting"] = 42
        route.fulfill(json=body)

    page.route("**/api/v1/services?*", close_a)
    page.clock.run_for(10_000)  # the next poll
    closed = page.locator('.service[data-service="A"]')
    expect(closed).to_have_attribute("aria-disabled", "true")
    expect(closed).to_contain_text("No more tickets for A today.")
    expect(page.locator('.service[data-service="K"] [data-field="waiting"]')).to_have_text("42")
    closed.click(force=True)
    page.wait_for_timeout(300)
    assert posted == [] and page.locator("#screen-ticket").is_hidden()

    page.unroute("**/api/v1/services?*")
    page.route("**/api/v1/services?*", lambda route: route.abort("connectionrefused"))
    page.clock.run_for(10_000)
    expect(page.locator("#connection")).to_be_visible()
    expect(page.locator('.service[data-service="K"] [data-field="waiting"]')).to_have_text("42")  # last state kept

    message = "No more tickets for Fingerprints today: the daily limit has been reached."
    page.route("**/api/v1/tickets", lambda route: route.fulfill(
        status=409, json={"error": "daily_limit_reached", "message": message}))
    page.locator('.service[data-service="F"]').click()
    dialog = page.locator("#notice")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(message)
    expect(page.locator("#notice-ok")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#screen-start")).to_be_visible()


def test_a_visitor_with_priority_gets_a_marked_ticket(kiosk: OpenKiosk) -> None:
    page = kiosk(PORTRAIT)
    toggle = page.locator("#priority-toggle")
    toggle.click()
    expect(page.locator("#screen-priority")).to_be_visible()
    page.locator('.category[data-category="disability"]').click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#priority-banner")).to_contain_text("Osoba z niepełnosprawnością")
    with page.expect_request("**/api/v1/tickets") as request:
        page.locator('.service[data-service="K"]').click()
    assert request.value.post_data_json == {"service": "K", "language": "pl", "priority": "disability"}
    expect(page.locator("#ticket-priority")).to_be_visible()
    expect(page.locator("#ticket-priority-mark")).to_have_text("N")
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^K\d{3}$"))


def test_accessibility_mode_puts_every_control_in_the_lower_half(kiosk: OpenKiosk) -> None:
    page = kiosk(PORTRAIT)
    page.clock.install()
    half = PORTRAIT["height"] / 2
    tops = [box["y"] for box in page.locator(CONTROLS).evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().toJSON())")]
    assert min(tops) < half  # the standard layout uses the whole screen

    toggle = page.locator("#a11y-toggle")
    toggle.click()
    expect(page.locator("body")).to_have_class(re.compile(r"\ba11y\b"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    boxes = page.locator(CONTROLS).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")
    assert len(boxes) >= 8 and all(box["y"] >= half for box in boxes), boxes
    low = [c for c in page.evaluate(CONTRASTS_JS, ".lead, .service-name, .stat-label, .stat-value, .language, "
                                                  ".toolbar .button, .office-name, .clock-time") if c[2] < 7]
    assert low == [], low  # AAA in this mode

    # The same visitor keeps the mode in another language; the next visitor starts afresh.
    page.locator('.language[lang="ru"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("body")).to_have_class(re.compile(r"\ba11y\b"))
    for _ in range(12):  # by keyboard alone: Tab to the first matter, Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.service')"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    expect(page.locator("#ticket-done")).to_be_visible()
    assert page.locator("#ticket-done").bounding_box()["y"] >= half
    page.clock.fast_forward(1100)  # "Done" ignores taps in the first second (a double tap on a matter)
    page.locator("#ticket-done").click()
    page.wait_for_url("**/kiosk/?lang=pl")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\ba11y\b"))
    expect(page.locator("#screen-start")).to_be_visible()


@pytest.mark.parametrize(("viewport", "name", "accessible"), [
    (LANDSCAPE, "hall-1", False), (PORTRAIT, "hall-2", False), (PORTRAIT, "hall-1", True), (LANDSCAPE, "hall-2", True),
], ids=["1920x1080", "1080x1920-no-printer", "1080x1920-accessible", "1920x1080-accessible-no-printer"])
def test_layout_fits_reads_and_reaches(kiosk: OpenKiosk, viewport: dict[str, int], name: str, accessible: bool) -> None:
    page = kiosk(viewport, name)
    page.goto("/kiosk/?lang=uk" + ("&a11y=1" if accessible else ""))
    size = f"{viewport['width']}x{viewport['height']}" + ("-a11y" if accessible else "")
    minimum = 7 if accessible else 4.5
    text = (".lead, h1, .service-name, .service-name-pl, .stat-label, .stat-value, .language, .toolbar .button, "
            ".office-name, .clock-time, .clock-date")
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    assert page.evaluate(SMALL_TARGETS_JS) == []
    assert [c for c in page.evaluate(CONTRASTS_JS, text) if c[2] < minimum] == []
    shoot(page, f"start-{size}.png")

    page.locator(".service").first.click()
    expect(page.locator("#screen-ticket")).to_be_visible()
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    if name == "hall-2":  # no printer: the problem is said, and the number must be noted
        expect(page.locator("#print-problem")).to_be_visible()
        expect(page.locator("#print-problem-message")).not_to_be_empty()
        expect(page.locator("#screen-ticket")).to_have_class(re.compile(r"\bnot-printed\b"))
    expect(page.locator("#countdown")).to_contain_text(re.compile(r"\d+"))
    assert overflow_problems(page, CUT_OFF_CHECKED) == []
    ticket_text = (".ticket-label, .ticket-number, .ticket-service, .ticket-facts dt, .ticket-facts dd, "
                   ".print-note p, .countdown")
    assert [c for c in page.evaluate(CONTRASTS_JS, ticket_text) if c[2] < minimum] == []
    shoot(page, f"ticket-{size}.png")


def test_the_ticket_screen_goes_back_to_the_start_by_itself(kiosk: OpenKiosk) -> None:
    page = kiosk(PORTRAIT)
    page.clock.install()
    page.reload()
    idle = json.loads(page.locator("#kiosk-config").inner_text())["idle_seconds"]
    page.locator(".service").first.click()
    expect(page.locator("#countdown")).to_contain_text(str(idle))
    page.clock.run_for(idle * 1000 + 500)
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator("#screen-ticket")).to_be_hidden()


@dataclass
class NumberingDemo:
    url: str
    enroll: str        # hall-1's sign-in path
    kiosk_token: str
    database: Path

    def take(self, service: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"{self.url}/api/v1/tickets", method="POST",
                                         data=json.dumps({"service": service, "language": "pl"}).encode(),
                                         headers={"Authorization": f"Bearer {self.kiosk_token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def open_every_number(self, service: str) -> None:
        """Every number of `service` taken and still open, as if 999 visitors had taken one at other
        kiosks: one real ticket, then its 998 twins written straight into the demo's database (the
        racing of 999 real requests is tests/okienko/storage/test_concurrency.py's; here it would only
        cost half a minute)."""
        status, first = self.take(service)
        assert status == 201, first
        with contextlib.closing(sqlite3.connect(self.database, timeout=10)) as conn, conn:
            columns = [row[1] for row in conn.execute("PRAGMA table_info(tickets)")]
            copied = ", ".join(c for c in columns if c not in ("id", "seq", "number"))
            conn.execute(f"""
                WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
                INSERT INTO tickets (id, seq, number, {copied})
                SELECT id || '-' || i, i, prefix || printf('%03d', i), {copied} FROM tickets, n WHERE id = ?""",
                         (first["id"],))
            prefix = first["number"].rstrip("0123456789")
            conn.execute("UPDATE counters SET value = 999 WHERE name LIKE ?", (f"tickets/%/{prefix}",))


@pytest.fixture(scope="module")
def numbering_demo(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[NumberingDemo]:
    """The demo with F on four digits and a two-letter prefix (FW1234, the widest number), I on three."""
    folder = tmp_path_factory.mktemp("kiosk-numbers")
    office = demo_office_variant(folder, service_keys={"F": {"prefix": "FW", "number_digits": 4, "daily_limit": None}})
    with running_demo(folder, office) as demo:
        yield NumberingDemo(demo.url, demo.links("kiosk")["hall-1"], demo.token("kiosk", "hall-1"), folder / "demo.db")


def test_a_four_digit_number_fits_the_ticket_screen(browser: Browser, numbering_demo: NumberingDemo) -> None:
    assert numbering_demo.take("F")[1]["number"] == "FW0001"
    with sqlite3.connect(numbering_demo.database) as db:   # as if 1,232 more had come and gone today
        db.execute("UPDATE counters SET value = 1233 WHERE name LIKE 'tickets/%/FW'")
    for viewport, number in ((LANDSCAPE, "FW1234"), (PORTRAIT, "FW1235")):
        context = browser.new_context(viewport=viewport, locale="pl-PL", base_url=numbering_demo.url)
        try:
            page = context.new_page()
            page.goto(numbering_demo.enroll)
            page.locator('.service[data-service="F"]').click()
            expect(page.locator("#ticket-number")).to_have_text(number)
            shoot(page, f"ticket-four-digits-{viewport['width']}x{viewport['height']}.png")
            assert overflow_problems(page, CUT_OFF_CHECKED) == []
        finally:
            context.close()


def test_a_service_with_every_number_open_says_so(browser: Browser, numbering_demo: NumberingDemo) -> None:
    context = browser.new_context(viewport=PORTRAIT, locale="pl-PL", base_url=numbering_demo.url)
    try:
        page = context.new_page()
        page.clock.install()   # the figures on screen stay as they were until the visitor taps
        page.goto(numbering_demo.enroll)
        tile = page.locator('.service[data-service="I"]')
        expect(tile).not_to_have_attribute("aria-disabled", "true")

        numbering_demo.open_every_number("I")   # meanwhile 999 visitors take I at other kiosks
        full = Translator().format("pl", ERRORS["numbers_exhausted"][1], service="Informacja")

        tile.click()
        dialog = page.locator("#notice")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(full)
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(tile).to_have_attribute("aria-disabled", "true")   # the figures were read again
        expect(tile).to_contain_text(full)
        shoot(page, "numbers-exhausted-1080x1920.png")
        assert overflow_problems(page, CUT_OFF_CHECKED) == []
        for language, name in (("uk", "Інформація"), ("ru", "Информация"), ("en", "Information")):
            reason = Translator().format(language, ERRORS["numbers_exhausted"][1], service=name)
            for viewport in (PORTRAIT, LANDSCAPE):
                page.set_viewport_size(viewport)
                page.goto(f"/kiosk/?lang={language}")
                expect(page.locator('.service[data-service="I"]')).to_contain_text(reason)
                shoot(page, f"numbers-exhausted-{language}-{viewport['width']}x{viewport['height']}.png")
                assert overflow_problems(page, CUT_OFF_CHECKED) == [], (language, viewport)
    finally:
        context.close()


@pytest.mark.postgres
def test_a_kiosk_tapped_while_postgresql_restarts_gets_one_ticket(browser: Browser, tmp_path: Path) -> None:
    """The real thing: a kiosk in Chromium, `okienko serve`, and a PostgreSQL of the test's own that is
    stopped before the tap and started again a few seconds later."""
    with private_postgres() as postgres:
        tokens = prepare_hall(postgres.url, tmp_path, {"kiosk": "kiosk:hall-2"})
        with okienko_servers(serve_env(postgres.url, tmp_path), tmp_path) as (server,):
            context = browser.new_context(viewport=LANDSCAPE, locale="pl-PL", base_url=server.url)
            try:
                page = context.new_page()
                page.goto(f"/kiosk/enroll?token={tokens['kiosk']}")
                expect(page.locator('.service[data-service="K"]')).to_be_visible()
                postgres.stop("fast")
                page.locator('.service[data-service="K"]').click()
                still_trying = Translator().gettext("pl", "Please wait a little longer: the system is busy and we "
                                                          "are still trying.")
                expect(page.locator("#busy-message")).to_have_text(still_trying)
                page.wait_for_timeout(3000)  # a restart's worth of outage
                postgres.start()
                expect(page.locator("#ticket-number")).to_have_text("K001", timeout=30000)
            finally:
                context.close()
            assert DemoServer(server.url, {}).services()["K"]["waiting"] == 1   # one ticket, not two


SCRIPT_FACES = """family => [...document.fonts].filter(face => face.family.replaceAll('"', '') === family)
                                              .map(face => face.status)"""


def test_hindi_and_georgian_are_drawn_with_the_fonts_the_app_serves(kiosk: OpenKiosk, demo_server: DemoServer) -> None:
    """A kiosk may be offline with DejaVu Sans alone: Devanagari and Georgian come from the app
    (okienko_server/web_fonts.py), nothing from anywhere else."""
    page = kiosk(PORTRAIT)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    for language, family, letters in [("hi", "Okienko Devanagari", "नमस्ते हिन्दी"),
                                      ("ka", "Okienko Georgian", "გამარჯობა ქართული")]:
        page.goto(f"/kiosk/?lang={language}")
        expect(page.locator(f".language[lang='{language}']")).to_have_attribute("aria-current", "true")
        page.evaluate("document.fonts.ready")
        faces = page.evaluate(SCRIPT_FACES, family)   # a weight the page uses is loaded; none failed
        assert "loaded" in faces and "error" not in faces, (family, faces)
        # Its regular weight too draws the script's letters (loaded now if the page has not needed it yet).
        assert page.evaluate("async ([font, text]) => (await document.fonts.load(font, text)).length",
                             [f'40px "{family}"', letters]) == 1
        assert page.evaluate("([font, text]) => document.fonts.check(font, text)", [f'40px "{family}"', letters])
        shoot(page, f"script-font-{language}-1080x1920.png")
        page.locator(".language-switch").screenshot(path=str(SHOTS / f"script-font-{language}-languages.png"))
    for script in ("devanagari", "georgian"):
        assert any(url.startswith(f"{demo_server.url}/fonts/{script}") for url in asked), (script, asked)
    assert all(url.startswith(demo_server.url) or url.startswith("data:") for url in asked), asked

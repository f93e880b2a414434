"""Issue 13's proof: axe-core (WCAG 2.1 A and AA) finds nothing wrong on any public or staff page,
in every shipped language (okienko.i18n.LANGUAGES), against one real `okienko demo` in one Chromium.

The pages: the start page, the booking site (its service list, a chosen service with a day and a
time picked, a service released by draw, a booking's manage page), a visitor's ticket page, the live
queue, the accessibility statement, the not-found page, the hall board and a window's display
(enrolled), the clerk's console (signed in, a window taken) and the call centre (signed in). The back
office is checked section by section in tests/back_office/test_back_office_axe.py, the kiosk in
tests/kiosk/. Every page is checked once what it loads is shown, never on a timer.

The suite's time: each language's pages are visited in one browser tab per screen (a new tab for
every page cost more than checking it), and axe-core reaches each tab once (see axe_violations)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import zlib
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from okienko.i18n import LANGUAGES as SHIPPED
from tests.back_office.screens import PASSWORD, axe_violations, listen_for_errors
from tests.conftest import DEMO_OFFICE, Demo, launched_chromium, require_chromium, running_demo

pytestmark = pytest.mark.browser
LANGUAGES = tuple(SHIPPED)
LOCALES = {"pl": "pl-PL", "en": "en-GB", "uk": "uk-UA", "ru": "ru-RU", "be": "be-BY", "vi": "vi-VN", "hi": "hi-IN",
           "ka": "ka-GE", "tr": "tr-TR"}
VIEWPORT = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    require_chromium()
    folder = tmp_path_factory.mktemp("axe-everywhere")
    # Each language makes three bookings or draw entries from this one address: more than the demo's 20 an hour.
    office = folder / "office.toml"
    office.write_text(DEMO_OFFICE.read_text(encoding="utf-8").replace("per_address_per_hour = 20",
                                                                      "per_address_per_hour = 100"), encoding="utf-8")
    with running_demo(folder, office_file=office) as running:
        yield running


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Browser]:
    with launched_chromium() as launched:
        yield launched


def api(demo: Demo, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{demo.url}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.load(refusal)


def one_time_code(demo: Demo, address: str) -> str:
    """The code in the email the demo wrote to `address` (its mail folder), waited for."""
    import email
    from email import policy

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for path in (demo.data_dir / "mail").glob("*.eml") if (demo.data_dir / "mail").exists() else ():
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(("plain",)) if message["To"] == address else None
            found = re.search(r": (\d{6})\s", body.get_content()) if body is not None else None
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no email with a code to {address}")


def details(tag: str) -> dict[str, str]:
    """A distinct person (one booking per person and service, one entry per person and draw)."""
    return {"name": "Olena Kovalenko", "birth_date": "1990-04-02", "phone": "", "email": f"{tag}@example.com",
            "document_number": f"FE{zlib.crc32(tag.encode()) % 10**7:07d}", "document_country": "UA"}


def held(demo: Demo, tag: str, language: str) -> dict[str, Any]:
    """A booking of service A held (its code emailed, not yet given), as the booking page makes one."""
    status, listing = api(demo, "GET", "/api/v1/slots?service=A")
    assert status == 200, listing
    after = datetime.now().astimezone() + timedelta(hours=30)
    start = next(slot["start"] for day in listing["days"] for slot in day["slots"]
                 if slot["free"] and datetime.fromisoformat(slot["start"]) > after)
    status, holding = api(demo, "POST", "/api/v1/bookings",
                          {"service": "A", "start": start, "language": language, **details(tag)})
    assert status == 202, holding
    return holding


def booking(demo: Demo, language: str) -> dict[str, Any]:
    """A confirmed booking of service A, confirmed with the code from the email."""
    tag = f"axe-{language}"
    holding = held(demo, tag, language)
    status, confirmed = api(demo, "POST", f"/api/v1/bookings/{holding['id']}/confirm",
                            {"code": one_time_code(demo, details(tag)["email"])})
    assert status == 201, confirmed
    return confirmed


def draw_pages(demo: Demo, language: str) -> list[tuple[str, str]]:
    """The demo's draw for service F (its entry window opens when the demo starts): its public record
    and, while it takes entries, an entry's page. None where the demo has no draw at hand."""
    status, listing = api(demo, "GET", "/api/v1/slots?service=F")
    draw = listing.get("next_draw") if status == 200 else None
    if not draw:
        return []
    pages = [(f"/book/draws/{draw['id']}", "draw: its record")]
    if draw["status"] == "open":
        person = details(f"axe-draw-{language}")
        status, pending = api(demo, "POST", f"/api/v1/draws/{draw['id']}/entries",
                              {**person, "language": language, "preferences": []})
        if status == 202:
            status, entered = api(demo, "POST", f"/api/v1/draw-entries/{pending['id']}/confirm",
                                  {"code": one_time_code(demo, person["email"])})
            assert status == 201, entered
            pages.append((f"/book/draw/{entered['id']}", "draw: an entry"))
    return pages


def signed_in(context: BrowserContext, screen: str, username: str, language: str,
              check: Callable[[Page, str], None]) -> Page:
    """A staff screen's page after its sign-in form (`screen`: "console" or "call-centre"), the form checked."""
    page = context.new_page()
    page.goto(f"/{screen}/login?lang={language}")
    check(page, f"{screen}: sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(rf"/{screen}/\?"))
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_meets_wcag_21_aa_in_every_language(browser: Browser, demo: Demo, language: str) -> None:
    problems: dict[str, list[str]] = {}
    errors: list[str] = []
    kiosk = demo.token("kiosk", "hall-1")
    status, ticket = api(demo, "POST", "/api/v1/tickets", {"service": "A", "language": language}, kiosk)
    assert status == 201, ticket
    mine = booking(demo, language)
    waiting_for_code = held(demo, f"axe-held-{language}", language)
    draws = draw_pages(demo, language)
    lang = f"lang={language}"

    def check(page: Page, where: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", re.compile(rf"^{language}"))
        found = axe_violations(page)
        if found:
            problems[where] = found

    def tab(context: BrowserContext) -> Page:
        """The context's one tab, its script errors listened for."""
        page = context.new_page()
        listen_for_errors(page, errors)
        return page

    def visit(page: Page, path: str, where: str, loaded: Callable[[Page], None]) -> None:
        """The page at `path` in the tab (the one before it left), checked once `loaded` sees what it loads."""
        page.goto(path)
        loaded(page)
        check(page, where)

    def heading(page: Page) -> None:
        expect(page.locator("h1").first).to_be_visible()

    # The visitor's pages on a desk-top screen in every language, and on a phone (menus fold, columns
    # stack) in Ukrainian, the visitors' most common language: what a phone changes is the layout, not
    # the words (the suite's time: each pass costs about 20 s).
    sizes = (("desktop", VIEWPORT), ("phone", PHONE)) if language == "uk" else (("desktop", VIEWPORT),)
    for size, viewport in sizes:
        context = browser.new_context(viewport=viewport, base_url=demo.url, locale=LOCALES[language])
        try:
            page = tab(context)
            visit(page, f"/?{lang}", f"{size}: start page", heading)
            visit(page, f"/book?{lang}", f"{size}: book: services",
                  lambda page: expect(page.locator(".choice").first).to_be_visible())
            visit(page, f"/book?service=A&{lang}", f"{size}: book: a service",
                  lambda page: expect(page.locator("button.day").first).to_be_visible())
            page.locator("button.day").first.click()
            expect(page.locator("#step-time")).to_be_visible()
            page.locator("button.time").first.click()
            expect(page.locator("#step-person")).to_be_visible()
            check(page, f"{size}: book: a time chosen, the form")
            # Sent empty: every field says what is wrong.
            page.locator("#step-person button[type=submit]").first.click()
            expect(page.locator(".field-error:visible").first).to_be_visible()
            check(page, f"{size}: book: the form with its errors")
            visit(page, f"/book?service=F&{lang}", f"{size}: book: a service released by draw",
                  lambda page: expect(page.locator("#days-status, button.day").first).to_be_visible())
            visit(page, f"/book/confirm/{waiting_for_code['id']}?{lang}", f"{size}: book: the code asked for",
                  heading)
            for path, where in draws:
                visit(page, f"{path}?{lang}", f"{size}: {where}", heading)
            visit(page, f"/book/manage/{mine['code']}?secret={mine['secret']}&{lang}&done=1",
                  f"{size}: book: manage",
                  lambda page: expect(page.locator("#booking-code")).to_have_text(mine["code"]))
            visit(page, f"/t/{ticket['id']}?{lang}", f"{size}: ticket page",
                  lambda page: expect(page.locator("main h1")).to_be_visible())
            visit(page, f"/queue?{lang}", f"{size}: queue",
                  lambda page: expect(page.locator(".queue-service").first).to_be_visible())
            visit(page, f"/queue?embed=1&{lang}", f"{size}: queue, embedded",
                  lambda page: expect(page.locator(".queue-service").first).to_be_visible())
            visit(page, f"/board/?{lang}", f"{size}: board: not signed in", heading)
            visit(page, f"/accessibility?{lang}", f"{size}: accessibility statement", heading)
            visit(page, f"/no/such/page?{lang}", f"{size}: not found", heading)
        finally:
            context.close()

    # The hall board and a window's display, as a board device signed in by its link; the boards take
    # turns in at most four languages, this one first.
    status, answer = api(demo, "PUT", "/api/v1/admin/office", {"board_languages": [language]},
                         demo.staff_token("kierownik"))
    assert status == 200, answer
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=demo.url,
                                  locale=LOCALES[language])
    try:
        page = tab(context)
        page.goto(demo.links("board")[next(iter(demo.links("board")))])
        page.wait_for_url(re.compile(r"/board/"))
        visit(page, f"/board/?{lang}", "hall board",
              lambda page: expect(page.locator("#current-number")).to_be_visible())
        visit(page, f"/board/window/1?{lang}", "window display",
              lambda page: expect(page.locator("#window-number")).to_be_visible())
    finally:
        context.close()

    # The clerk's console: the window chooser, then a window taken.
    context = browser.new_context(viewport=VIEWPORT, base_url=demo.url, locale=LOCALES[language])
    try:
        page = signed_in(context, "console", "urzednik", language, check)
        listen_for_errors(page, errors)
        expect(page.locator("#chooser")).to_be_visible()
        check(page, "console: chooser")
        # A window of its own for each language: the one taken in the last language stays taken.
        page.locator(f'.window-choice[data-window="{LANGUAGES.index(language) + 1}"]').click()
        expect(page.locator("#desk")).to_be_visible()
        expect(page.locator("body.is-busy")).to_have_count(0)
        check(page, "console: desk")
    finally:
        context.close()

    # The call centre: its page, and a slot search's answer.
    context = browser.new_context(viewport=VIEWPORT, base_url=demo.url, locale=LOCALES[language])
    try:
        page = signed_in(context, "call-centre", "konsultantka", language, check)
        listen_for_errors(page, errors)
        expect(page.locator("main h1")).to_be_visible()
        check(page, "call centre")
        page.locator("#slot-search button[type=submit]").click()
        expect(page.locator("#book-slots button").first).to_be_visible()
        check(page, "call centre: slots found")
    finally:
        context.close()

    assert problems == {}
    assert errors == []

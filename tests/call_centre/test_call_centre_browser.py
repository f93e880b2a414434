"""The call centre in Chromium: an operator books a caller who has a mobile number and no email
(the booking code reaches an SMS gateway on loopback), then finds the booking by the caller's
identity and moves it (the caller is told by SMS again); the page is axe-clean (WCAG 2.1 AA) in
Polish and English. Screenshots for docs/call-centre.md with OKIENKO_SCREENSHOTS=1."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import PASSWORD, axe_violations, listen_for_errors, sign_in
from tests.conftest import launched_chromium, require_chromium, running_demo

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img" / "call-centre"
CALLER = {"name": "Mykola Bondarenko", "birth": "1985-06-30", "document": "FX 778899", "phone": "+48 601 222 333"}


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway on loopback: what it is sent goes to `received`."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        length = int(self.headers.get("Content-Length") or 0)
        Gateway.received.append(json.loads(self.rfile.read(length)))
        body = b'{"queued": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, gateway: str) -> Iterator[Any]:
    with running_demo(tmp_path_factory.mktemp("call-centre-demo"),
                      env={"OKIENKO_SMS_GATEWAY_URL": gateway, "OKIENKO_OUTBOX_POLL_SECONDS": "0.5"}) as server:
        manager = server.staff_token("kierownik")
        office = _api(server.url, "GET", "/api/v1/admin/office", manager)["office"]
        _api(server.url, "PUT", "/api/v1/admin/office", manager, {"booking": {**office["booking"], "sms": True}})
        yield server


def _api(url: str, method: str, path: str, token: str, body: Any = None) -> Any:
    import urllib.request

    request = urllib.request.Request(f"{url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def sms_to(number: str, count: int) -> list[str]:
    """The texts the gateway got for `number`, once there are `count` of them (waited for)."""
    deadline = time.monotonic() + 20
    while True:
        texts = [message["text"] for message in Gateway.received if message["to"] == number]
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        time.sleep(0.1)


def shoot(page: Page, name: str) -> None:
    """A screenshot for docs/call-centre.md, only when OKIENKO_SCREENSHOTS=1 (the PNGs are committed)."""
    if os.environ.get("OKIENKO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def signed_in(browser: Browser, url: str, language: str, errors: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=url,
                                  locale={"pl": "pl-PL", "en": "en-GB"}[language])
    page = context.new_page()
    listen_for_errors(page, errors)
    page.goto(f"/call-centre/login?lang={language}")
    page.locator("#username").fill("konsultantka")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/call-centre/\?"))
    return page


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_call_centre_is_axe_clean(browser: Browser, demo: Any, language: str) -> None:
    errors: list[str] = []
    page = signed_in(browser, demo.url, language, errors)
    try:
        expect(page.locator("main h1")).to_have_text({"pl": "Infolinia", "en": "Call centre"}[language])
        page.locator("#slot-search button[type=submit]").click()
        expect(page.locator("#book-slots button").first).to_be_visible()
        page.locator("#book-slots button").first.click()
        assert axe_violations(page) == []
        page.locator("#caller-name").fill(f"Halyna Shevchenko {language.upper()}")
        page.locator("#caller-birth").fill("1979-11-02")
        page.locator("#caller-document").fill(f"FM 12{len(language)}45{ord(language[0])}")
        page.locator("#caller-phone").fill("+48 603 444 555")
        page.locator("#caller button[type=submit]").click()
        receipt = page.locator("#book-done")
        expect(receipt.locator("#receipt-title")).to_be_visible()
        expect(receipt.locator(".receipt-code")).to_have_text(re.compile(r"^\w{6}$"))
        assert axe_violations(page) == []
        shoot(page, f"receipt-{language}")
        assert errors == []
    finally:
        page.context.close()


def test_an_operator_books_a_phone_only_caller_then_finds_and_moves_the_booking(browser: Browser, demo: Any) -> None:
    errors: list[str] = []
    page = signed_in(browser, demo.url, "en", errors)
    number = "+48601222333"
    try:
        page.get_by_role("button", name="Show free times").first.click()
        times = page.locator("#book-slots button")
        expect(times.first).to_be_visible()
        times.first.click()
        page.locator("#caller-name").fill(CALLER["name"])
        page.locator("#caller-birth").fill(CALLER["birth"])
        page.locator("#caller-document").fill(CALLER["document"])
        page.get_by_label("Mobile number (the code goes there by SMS)").fill(CALLER["phone"])
        shoot(page, "book-en")
        page.get_by_role("button", name="Book for the caller").click()
        done = page.locator("#book-done")
        expect(done).to_be_focused()
        expect(done).to_contain_text("Read this out to the caller")
        code = done.locator(".receipt-code").inner_text()
        assert re.fullmatch(r"\w{6}", code)
        expect(done).to_contain_text(f"letter by letter: {' · '.join(code)}")
        slot = re.search(r"Booked: .*, (\d{4}-\d\d-\d\d) (\d\d:\d\d)\.", done.inner_text())
        year, month, day = slot.group(1).split("-")
        spoken = done.locator("p", has_text="When:").inner_text()      # e.g. "Friday, December 4, 2026 at 08:00"
        assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday)", spoken), spoken
        assert re.search(rf"\b{int(day)}\b", spoken) and year in spoken and slot.group(2) in spoken, spoken
        expect(done).to_contain_text("What to bring: Passport")
        expect(done).to_contain_text("The travel document given now (ending …99)")
        expect(done).to_contain_text("An SMS with the code is on its way to +48")
        expect(done).not_to_contain_text("An email")
        shoot(page, "receipt-en")
        assert axe_violations(page) == []
        texts = sms_to(number, 1)
        assert len(texts) == 1 and code in texts[0] and "778899" not in texts[0]

        page.locator("#find-name").fill("bondarenko mykola")
        page.locator("#find-birth").fill(CALLER["birth"])
        page.locator("#find-end").fill("98")
        page.get_by_role("button", name="Find the booking").click()
        expect(page.locator("#error")).to_contain_text("No booking matches these details")
        expect(page.locator("#found-table")).to_be_hidden()
        page.locator("#find-end").fill("899")
        page.get_by_role("button", name="Find the booking").click()
        row = page.locator("#found-rows tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(code)
        before = row.locator("td").nth(2).inner_text()
        page.get_by_role("button", name=f"Move booking {code}").click()
        page.locator("#move-search button[type=submit]").click()
        later = page.locator("#move-slots button")
        expect(later.first).to_be_visible()
        shoot(page, "find-en")
        later.nth(1).click()
        expect(page.locator("#status")).to_contain_text("Moved to")
        expect(row.locator("td").nth(2)).not_to_have_text(before)
        texts = sms_to(number, 2)
        assert len(texts) == 2 and code in texts[1]
        assert errors == []
    finally:
        page.context.close()

    # The back office shows what this operator did.
    context, audit = sign_in(browser, demo, "kierownik", "en", errors)
    try:
        audit.goto("/admin/audit?lang=en")
        audit.get_by_label("Who (user name, e.g. a call-centre operator)").fill("konsultantka")
        audit.get_by_role("button", name="Show").click()
        rows = audit.locator("#audit-rows tr")
        expect(rows.filter(has_text="call_centre.book").filter(has_text=code)).to_have_count(1)
        expect(rows.filter(has_text="booking.move")).to_have_count(1)
        # A wrong lookup, the right one, the move's own check and the list shown again after it.
        expect(rows.filter(has_text="call_centre.lookup")).to_have_count(4)
        assert all("konsultantka" in text for text in rows.all_inner_texts())
        assert errors == []
    finally:
        context.close()


def test_an_operator_enters_a_caller_into_the_open_draw(browser: Browser, demo: Any) -> None:
    service, day = re.search(r"draw: service (\w+), day (\d{4}-\d\d-\d\d):", "".join(demo.log)).groups()
    errors: list[str] = []
    page = signed_in(browser, demo.url, "en", errors)
    try:
        page.locator("#book-service").select_option(service)
        page.locator("#book-from").fill(day)
        page.get_by_role("button", name="Show free times").first.click()
        page.get_by_role("button", name="Enter the caller into this draw").click()
        page.locator("#caller-name").fill("Oksana Melnyk")
        page.locator("#caller-birth").fill("1992-03-14")
        page.locator("#caller-document").fill("FK 445566")
        page.get_by_label("Mobile number (the code goes there by SMS)").fill("+48 602 333 444")
        page.get_by_label("Only at these times, in this order").check()
        page.locator("#range-1-from").fill("11:00")
        page.locator("#range-1-to").fill("10:00")
        page.get_by_role("button", name="Book for the caller").click()
        expect(page.locator("#preferences-error")).to_contain_text("the end must be after the start")
        assert axe_violations(page) == []
        page.locator("#range-1-from").fill("09:00")
        page.locator("#range-1-to").fill("11:00")
        page.locator("#range-2-from").fill("12:00")
        page.locator("#range-2-to").fill("13:30")
        page.get_by_role("button", name="Book for the caller").click()
        done = page.locator("#book-done")
        expect(done).to_contain_text(f"Entered into the draw for {day}. Ticket in the draw:")
        expect(done).to_contain_text("Times the caller can come: 09:00–11:00, then 12:00–13:30")
        expect(done).to_contain_text("The draw closes at")
        expect(done).to_contain_text("is on its way to +48")
        shoot(page, "draw-receipt-en")
        assert axe_violations(page) == []
        texts = sms_to("+48602333444", 1)
        assert len(texts) == 1 and "draw" in texts[0]
        with sqlite3.connect(demo.data_dir / "demo.db") as db:
            [(kept,)] = db.execute("SELECT preferences FROM draw_entries WHERE phone = ?", ("+48602333444",))
        assert json.loads(kept) == [[540, 660], [720, 810]]     # as the caller said, in that order
        assert errors == []
    finally:
        page.context.close()

"""A draw from the visitor's side in a real headless Chromium against a real `okienko demo`.

A visitor in Ukrainian opens /book, sees that the day is drawn and when the window closes, enters
with preferred times, confirms with the code from the email and sees "in the draw"; the window
closes, the draw runs (through the front door: the first read after the close runs it), and the
entry's page, which asks again by itself, shows the place won with its booking code. The draw's
public record shows the seed and the order, and the check from docs/booking-fairness.md passes
on the published data. The pages fit a phone (390x844) and a desk-top screen (1920x1080) in
Ukrainian and Polish; screenshots go to /tmp/draw-shots/ for a person to look at.

`okienko demo` moves a draw service's release to the minute it starts, so the window of this
office (draw_minutes = 2) would close 60 to 120 s after the server starts. Rather than wait that
out, the test moves the window's closing time to now in the demo's database once everyone has
entered: the one thing this file does behind the app's back.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from booking_site.draw_pages import POLL_SECONDS
from okienko.booking.bookings import CODE_ALPHABET
from okienko.i18n import Translator
from tests.booking_site.test_booking_browser import CUT_OFF_CHECKED, SMALL_TARGETS_JS, Server
from tests.booking_site.conftest import PHONE, OpenPage
from tests.conftest import ROOT, overflow_problems, require_chromium, running_demo

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/draw-shots")
DESKTOP = {"width": 1920, "height": 1080}
LOCALES = {"uk": "uk-UA", "pl": "pl-PL"}
DRAW_CUT_OFF = f"{CUT_OFF_CHECKED}, .radio, .range, .hash, .result-table td, .draw-when"
CODE = re.compile(f"^[{CODE_ALPHABET}]{{6}}$")
TICKET = re.compile(r"^[0-9a-f]{32}$")
DRAW_WAIT_SECONDS = 180

# One drawn service, open every day, 8 places a day; the demo opens its window when it starts.
DRAW_OFFICE = """
[office]
code = "draw-test"
name = "Urząd Wojewódzki — losowanie"
timezone = "Europe/Warsaw"
default_language = "pl"
closed_on_public_holidays = false

[office.booking]
hold_minutes = 10
waitlist = true
per_address_per_hour = 200
per_contact_per_day = 20

[[service]]
code = "F"
prefix = "F"
names = { pl = "Odciski palców", en = "Fingerprints", uk = "Відбитки пальців", ru = "Отпечатки пальцев" }
average_service_minutes = 10
hours = { mon = "08:00-16:00", tue = "08:00-16:00", wed = "08:00-16:00", thu = "08:00-16:00", fri = "08:00-16:00", sat = "08:00-16:00", sun = "08:00-16:00" }

[service.booking]
slot_minutes = 30
places = 2
days = { mon = "08:00-10:00", tue = "08:00-10:00", wed = "08:00-10:00", thu = "08:00-10:00", fri = "08:00-10:00", sat = "08:00-10:00", sun = "08:00-10:00" }
horizon_days = 7
first_day = 1
release_time = "06:00"
release_mode = "draw"
draw_minutes = 2
what_to_bring = { pl = "Paszport.", en = "Passport.", uk = "Паспорт.", ru = "Паспорт." }

[[window]]
number = "1"
services = ["F"]

[[kiosk]]
name = "hall-1"
[kiosk.printer]
kind = "none"

[[board]]
name = "hall"
"""


def uk(message: str) -> str:
    return Translator().gettext("uk", message)


def person(tag: str, name: str = "Olena Kovalenko") -> dict[str, str]:
    return {"name": name, "birth_date": "1990-04-02", "document_number": f"FE{zlib.crc32(tag.encode()) % 10**7:07d}",
            "phone": "", "email": f"{tag}@example.com", "document_country": "UA"}


def ticket_of(receipt: str, draw_id: int) -> str:
    """The ticket as a visitor recomputes it (docs/booking-fairness.md), not the server's function."""
    return hmac.new(receipt.encode(), f"okienko-draw:{draw_id}".encode(), hashlib.sha256).hexdigest()[:32]


@pytest.fixture(scope="module")
def draw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    folder = tmp_path_factory.mktemp("draw-demo")
    office = folder / "draw-office.toml"
    office.write_text(DRAW_OFFICE, encoding="utf-8")
    with running_demo(folder, office_file=office) as demo:
        yield Server(demo)


def check_layout(page: Page, viewport: dict[str, int], name: str) -> None:
    """Nothing cut off or too small to tap; a phone page may scroll down, so it is checked whole."""
    if viewport is PHONE:
        page.set_viewport_size({"width": viewport["width"],
                                "height": page.evaluate("document.documentElement.scrollHeight")})
    problems = overflow_problems(page, DRAW_CUT_OFF)
    page.set_viewport_size(viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(100)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport['width']}x{viewport['height']}.png"), full_page=True)
    assert problems == [], name
    assert page.evaluate(SMALL_TARGETS_JS) == [], name


def fill_entry(page: Page, details: dict[str, str], ranges: list[tuple[str, str]]) -> None:
    for field in ("name", "birth_date", "document_number", "email", "phone"):
        if details.get(field):
            page.locator(f"#{field}").fill(details[field])
    page.locator("#document_country").select_option(details["document_country"])
    if ranges:
        page.locator("#preference-ranges").check()
        for number, (start, end) in enumerate(ranges, 1):
            page.locator(f"#range-{number}-from").fill(start)
            page.locator(f"#range-{number}-to").fill(end)


def enter_through_the_api(server: Server, draw_id: int, details: dict[str, str]) -> dict[str, Any]:
    """Another person's entry, as the page would make it (so the list has more than one ticket)."""
    status, pending = server.api("POST", f"/api/v1/draws/{draw_id}/entries",
                                 {**details, "language": "pl", "preferences": []})
    assert status == 202, pending
    status, entered = server.api("POST", f"/api/v1/draw-entries/{pending['id']}/confirm",
                                 {"code": server.one_time_code(details["email"])})
    assert status == 201, entered
    return entered


def close_the_window_soon(server: Server, draw_id: int, seconds: float) -> None:
    """The draw's window closes in `seconds` instead of at its minute (stored in UTC, as the app does)."""
    closed = (datetime.now(timezone.utc) + timedelta(seconds=seconds)).replace(tzinfo=None)
    with contextlib.closing(sqlite3.connect(server.demo.data_dir / "demo.db", timeout=10)) as conn, conn:
        changed = conn.execute("UPDATE draws SET closes_at = ? WHERE id = ? AND status = 'open'",
                               (closed.isoformat(sep=" "), draw_id)).rowcount
    assert changed == 1


def wait_for_the_draw(server: Server, draw_id: int) -> dict[str, Any]:
    """The published draw once it has run: read through the API, whose first read after the window
    closes runs it (the sweeper would within 30 s)."""
    deadline = time.monotonic() + DRAW_WAIT_SECONDS
    while time.monotonic() < deadline:
        status, draw = server.api("GET", f"/api/v1/draws/{draw_id}")
        assert status == 200, draw
        if draw["status"] == "done":
            return draw
        time.sleep(0.2)   # the read just after the close runs it
    raise AssertionError(f"draw {draw_id} did not run within {DRAW_WAIT_SECONDS} s: {draw}")


def test_a_visitor_enters_a_draw_in_ukrainian_and_sees_the_place_won(
        open_page: OpenPage, draw_server: Server) -> None:
    page = open_page(draw_server, "/book?lang=uk", locale="uk-UA")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator('.choice[aria-current="true"]')).to_contain_text("Відбитки пальців")
    panel = page.locator("#step-draw")
    expect(panel).to_be_visible()
    listing = draw_server.slots("F")
    draw = listing["next_draw"]
    assert listing["release_mode"] == "draw" and draw["status"] == "open", listing
    closes = draw["closes_at"][11:16]
    # The window and the fairness rule, in Ukrainian: the day and month in words, the closing time.
    expect(page.locator("#draw-heading")).to_contain_text(re.compile(r"\d{1,2} (січня|лютого|березня|квітня|травня|"
                                                                    r"червня|липня|серпня|вересня|жовтня|листопада|грудня)"))
    expect(page.locator("#draw-window")).to_contain_text(closes)
    expect(page.locator("#draw-status")).to_contain_text(closes)
    expect(page.locator("#draw-fair")).to_have_text(uk(
        "Entering early gives no advantage: everyone who enters while the window is open has the same chance. "
        "The draw gives each person drawn the best free time by their preferences."))
    expect(page.locator("#draw-places")).to_have_text(uk("Places: %(count)s") % {"count": 8})
    expect(page.locator("#draw-record")).to_have_attribute("href", f"/book/draws/{draw['id']}?lang=uk")
    # The drawn day is in the list of days, marked, not bookable first come.
    expect(page.locator(f".day.is-draw:has-text('{uk('By draw')}')")).to_have_count(1)

    page.locator("#draw-enter").tap()
    expect(page.locator("#step-person")).to_be_visible()
    expect(page.locator("#step-day")).to_be_hidden()
    expect(page.locator("#person-title")).to_contain_text(uk("Enter the draw"))
    visitor = person("olena-draw", "Олена Коваленко")
    fill_entry(page, visitor, [("09:00", "10:00"), ("08:00", "09:00")])
    page.locator("#range-3-from").fill("09:30")   # half a range: said at the field, nothing sent
    page.locator("#person-submit").tap()
    expect(page.locator("#preferences-error")).to_have_text(
        uk("Each time range needs a start and an end, and the end must be after the start."))
    expect(page.locator("#range-1-from")).to_be_focused()
    page.locator("#range-3-from").fill("")
    with page.expect_request("**/api/v1/draws/*/entries?*") as sent:
        page.locator("#person-submit").tap()
    assert sent.value.post_data_json["preferences"] == [{"from": "09:00", "to": "10:00"},
                                                         {"from": "08:00", "to": "09:00"}]
    assert sent.value.post_data_json["document_country"] == "UA"
    expect(page.locator("#step-code")).to_be_visible()
    expect(page.locator("#code-submit")).to_have_accessible_name(uk("Confirm the entry"))
    expect(page.locator("#code-sent")).to_contain_text("o***@example.com")
    page.locator("#code").fill(draw_server.one_time_code(visitor["email"]))
    page.locator("#code-submit").tap()

    page.wait_for_url(re.compile(r"/book/draw/[\w-]+\?receipt=[^&]+&lang=uk$"))
    expect(page.locator("#entry-status")).to_have_text(uk("In the draw"))
    expect(page.locator("#entry-entered")).to_contain_text(closes)
    expect(page.locator("#entry-name")).to_have_text("Олена Коваленко")
    receipt = re.search(r"receipt=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("#entry-receipt")).to_have_text(receipt)
    mine = ticket_of(receipt, draw["id"])
    expect(page.locator("#entry-ticket")).to_have_text(mine)
    expect(page.locator("#withdraw-start")).to_be_visible()
    check_layout(page, PHONE, "entered-uk")
    entry_page = page

    # Others enter too (the list has more than one ticket); the same person cannot enter twice.
    for number in range(3):
        enter_through_the_api(draw_server, draw["id"], person(f"other-{number}"))
    status, again = draw_server.api("POST", f"/api/v1/draws/{draw['id']}/entries",
                                    {**visitor, "language": "uk", "preferences": []})
    assert (status, again["error"]) == (409, "already_entered"), again

    # Someone changes their mind: withdrawn from their entry's page, after saying "yes" once more.
    leaving = enter_through_the_api(draw_server, draw["id"], person("leaving"))
    mind = open_page(draw_server, f"{leaving['status_url']}&lang=uk", locale="uk-UA")
    expect(mind.locator("#entry-status")).to_have_text(uk("In the draw"))
    mind.locator("#withdraw-start").tap()
    mind.locator("#withdraw-keep").tap()
    expect(mind.locator("#withdraw-start")).to_be_focused()
    mind.locator("#withdraw-start").tap()
    mind.locator("#withdraw-confirm").tap()
    expect(mind.locator("#entry-status")).to_have_text(uk("Entry withdrawn"))
    expect(mind.locator("#entry-withdrawn")).to_be_visible()
    expect(mind.locator("#withdraw-start")).to_be_hidden()
    # The email's link has no receipt: the page asks for it.
    mind.goto(f"/book/draw/{leaving['id']}?lang=uk")
    mind.locator("#receipt").fill(leaving["receipt"])
    mind.locator("#receipt").press("Enter")
    expect(mind.locator("#entry-status")).to_have_text(uk("Entry withdrawn"))

    layouts_while_open(open_page, draw_server, entry_page.url)
    # The window closes in a few seconds; the visitor's page, open as it closes, asks again by itself.
    close_the_window_soon(draw_server, draw["id"], 3)
    entry_page = open_page(draw_server, entry_page.url, PHONE, "uk-UA")
    entry_page.clock.install()   # the page's own timers, moved on below rather than waited out
    entry_page.reload()
    expect(entry_page.locator("#entry-status")).to_have_text(uk("In the draw"))
    published = wait_for_the_draw(draw_server, draw["id"])
    # The entry's page asks again by itself (every POLL_SECONDS, its next time moved to at once): the
    # place won, with its booking code, in Ukrainian.
    entry_page.clock.fast_forward(POLL_SECONDS * 1000 + 1000)
    expect(entry_page.locator("#entry-status")).to_have_text(uk("Place drawn"), timeout=40_000)
    expect(entry_page.locator("#entry-booking-code")).to_have_text(CODE)
    expect(entry_page.locator("#entry-booking-time")).to_contain_text("09:00")  # the first range's earliest
    expect(entry_page.locator("#withdraw-start")).to_be_hidden()
    row = next(row for row in published["result"] if row["ticket"] == mine)
    assert row["outcome"] == "won" and row["start"][11:16] == "09:00", row
    check_layout(entry_page, PHONE, "won-uk")

    # The public record: the seed, the order, your ticket marked; and the documented check passes.
    record = open_page(draw_server, f"/book/draws/{draw['id']}?lang=uk&ticket={mine}", viewport=DESKTOP,
                       locale="uk-UA")
    expect(record.locator("#record-seed")).to_have_text(published["seed"])
    expect(record.locator("#record-commitment")).to_have_text(draw["commitment"])
    expect(record.locator("#record-table tbody tr")).to_have_count(4)
    expect(record.locator("#record-table tr.is-yours td.hash")).to_have_text(mine)
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == draw["commitment"]
    check_layout(record, DESKTOP, "record-uk")
    for language, viewport in (("uk", PHONE), ("pl", DESKTOP), ("pl", PHONE)):
        shown = open_page(draw_server, f"/book/draws/{draw['id']}?lang={language}&ticket={mine}", viewport,
                          LOCALES[language])
        expect(shown.locator("#record-table tbody tr")).to_have_count(4)
        check_layout(shown, viewport, f"record-{language}")
    for language, viewport in (("uk", DESKTOP), ("pl", DESKTOP), ("pl", PHONE)):
        shown = open_page(draw_server, entry_page.url.replace("lang=uk", f"lang={language}"), viewport,
                          LOCALES[language])
        expect(shown.locator("#entry-booking-code")).to_have_text(CODE)
        check_layout(shown, viewport, f"won-{language}")
    assert docs_check(published, receipt) == [
        "commitment matches: True", "order matches: True", f"my ticket: {mine} -> rank {row['rank']}, won"]


def layouts_while_open(open_page: OpenPage, server: Server, entry_url: str) -> None:
    """The panel, the entry form with a wrong range, and the entry's page, while the window is open."""
    for language in ("uk", "pl"):
        for viewport in (PHONE, DESKTOP):
            page = open_page(server, f"/book?lang={language}", viewport, LOCALES[language])
            expect(page.locator("#draw-enter")).to_be_visible()
            expect(page.locator("#draw-places")).to_be_visible()
            check_layout(page, viewport, f"panel-{language}")
            page.locator("#draw-enter").tap()
            fill_entry(page, person(f"layout-{language}-{viewport['width']}", "Ołena Kowalenko"), [])
            page.locator("#preference-ranges").check()
            page.locator("#range-1-from").fill("10:00")
            page.locator("#range-1-to").fill("09:00")
            page.locator("#person-submit").tap()
            expect(page.locator("#preferences-error")).not_to_be_empty()
            check_layout(page, viewport, f"form-{language}")
            if not (language == "uk" and viewport is PHONE):  # that one is checked by the test itself
                shown = open_page(server, entry_url.replace("lang=uk", f"lang={language}"), viewport,
                                  LOCALES[language])
                expect(shown.locator("#entry-ticket")).to_have_text(TICKET)
                check_layout(shown, viewport, f"entered-{language}")


def docs_check(published: dict[str, Any], receipt: str) -> list[str]:
    """Run the snippet of docs/booking-fairness.md, as a visitor would, on the published draw."""
    docs = (ROOT / "docs" / "booking-fairness.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", docs[docs.index("## How to verify a draw"):], re.DOTALL)
    assert snippet, "docs/booking-fairness.md has no Python check"
    folder = SHOTS / "verify"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "draw.json").write_text(json.dumps(published), encoding="utf-8")
    (folder / "verify.py").write_text(snippet.group(1), encoding="utf-8")
    ran = subprocess.run([sys.executable, "verify.py", receipt], cwd=folder, capture_output=True, text=True,
                         timeout=30, check=True)
    return ran.stdout.splitlines()

"""The public booking pages in a real headless Chromium against real `okienko demo` servers.

What a visitor does: books a slot in Ukrainian, confirms it with the code from the email (read
from the demo's mail folder) and checks in at the kiosk the same day; sees what is wrong with a
field, in their language, while typing; moves and cancels a booking from its manage link; joins
the waiting list when nothing is free. The pages fit a phone (390x844) and a desk-top screen
(1920x1080). Screenshots go to /tmp/booking-shots/ for a person to look at.
"""

from __future__ import annotations

import email
import json
import re
import sqlite3
import time
import unicodedata
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from okienko.booking.bookings import CODE_ALPHABET
from okienko.i18n import Translator
from okienko.people import FIELD_MESSAGES
from tests.booking_site.conftest import PHONE, OpenPage
from tests.conftest import Demo, overflow_problems, running_demo
from tests.kiosk.test_kiosk_browser import CONTRASTS_JS

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/booking-shots")
DESKTOP = {"width": 1920, "height": 1080}
CUT_OFF_CHECKED = (".step, .card, .choice, .day, .time, .button, .languages a, .pass-code, .facts dd, "
                   ".field-error, .notice, .banner, h1, h2")
TEXT_CHECKED = (".choice-name, .choice-name-pl, .day-name, .day-date, .day-free, .time-start, .time-free, label, .hint, "
                ".field-error, .note, .button, .pass-code, .pass-status, .facts dt, .facts dd, .languages a, h1, h2")
SMALL_TARGETS_JS = """() => [...document.querySelectorAll('button, a[href], input')]
  .filter((e) => e.getClientRects().length && e.getBoundingClientRect().left >= 0)
  .map((e) => [e.id || e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
  .filter(([, box]) => box.width < 44 || box.height < 44).map(([name]) => name)"""
CODE = re.compile(f"^[{CODE_ALPHABET}]{{6}}$")

# An office that can be booked for today at any hour (the demo office books from tomorrow), so a
# booking made in the test can be checked in at the kiosk straight away.
TODAY_OFFICE = """
[office]
code = "today"
name = "Urząd Wojewódzki — punkt testowy"
timezone = "Europe/Warsaw"
default_language = "pl"
closed_on_public_holidays = false

[office.booking]
hold_minutes = 10
change_until_hours = 0
check_in_early_minutes = 30
check_in_late_minutes = 15
waitlist = false
per_address_per_hour = 50

[[service]]
code = "A"
prefix = "A"
names = { pl = "Złożenie wniosku o pobyt", en = "Filing a residence application", uk = "Подання заяви на перебування", ru = "Подача заявления на пребывание" }
average_service_minutes = 20
hours = { mon = "00:00-24:00", tue = "00:00-24:00", wed = "00:00-24:00", thu = "00:00-24:00", fri = "00:00-24:00", sat = "00:00-24:00", sun = "00:00-24:00" }

[service.booking]
slot_minutes = 15
places = 2
days = { mon = "00:00-24:00", tue = "00:00-24:00", wed = "00:00-24:00", thu = "00:00-24:00", fri = "00:00-24:00", sat = "00:00-24:00", sun = "00:00-24:00" }
horizon_days = 7
first_day = 0
release_time = "00:00"
what_to_bring = { pl = "Paszport.", en = "Passport.", uk = "Паспорт.", ru = "Паспорт." }

[[window]]
number = "1"
services = ["A"]

[[kiosk]]
name = "hall-1"
[kiosk.printer]
kind = "none"

[[board]]
name = "hall"
"""


@dataclass
class Server:
    """A running demo seen as the visitor's mailbox and the JSON API."""

    demo: Demo

    @property
    def url(self) -> str:
        return self.demo.url

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        found = []
        folder = self.demo.data_dir / "mail"
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime) if folder.exists() else ():
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found.append(message)
        return found

    def one_time_code(self, address: str, already: int = 0) -> str:
        """The code in the newest email to `address`, once there are more than `already` of them."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            mails = self.mails_to(address)
            if len(mails) > already:
                body = mails[-1].get_body(("plain",))  # None while the file is still being written
                found = re.search(r": (\d{6})\s", body.get_content()) if body is not None else None
                if found:
                    return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no email with a code to {address} in {self.demo.data_dir / 'mail'}")

    def slots(self, service: str) -> dict[str, Any]:
        status, listing = self.api("GET", f"/api/v1/slots?service={service}")
        assert status == 200, listing
        return listing

    def book(self, service: str, start: str, person: dict[str, str], language: str = "en") -> dict[str, Any]:
        """A confirmed booking made through the API, as the page would; its JSON (with the secret)."""
        status, held = self.api("POST", "/api/v1/bookings",
                                {"service": service, "start": start, "language": language, **person})
        assert status == 202, held
        code = self.one_time_code(person["email"])
        status, confirmed = self.api("POST", f"/api/v1/bookings/{held['id']}/confirm", {"code": code})
        assert status == 201, confirmed
        return confirmed


def person(tag: str, name: str = "Olena Kovalenko") -> dict[str, str]:
    """Details of a distinct person (one booking per person and service)."""
    return {"name": name, "birth_date": "1990-04-02", "document_number": f"FE{zlib.crc32(tag.encode()) % 10**7:07d}",
            "phone": "", "email": f"{tag}@example.com", "document_country": "UA"}


def free_start_after(server: Server, service: str, hours: int) -> str:
    """The first free slot starting more than `hours` from now (past the office's change deadline)."""
    listing = server.slots(service)
    after = datetime.now().astimezone() + timedelta(hours=hours)
    for day in listing["days"]:
        for slot in day["slots"]:
            if slot["free"] and datetime.fromisoformat(slot["start"]) > after:
                return slot["start"]
    raise AssertionError(f"no free slot of {service} after {hours} h")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[Server]:
    """The demo office (books from tomorrow, has a waiting list)."""
    with running_demo(tmp_path_factory.mktemp("booking-demo")) as demo:
        yield Server(demo)


@pytest.fixture(scope="module")
def today_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[Server]:
    """An office whose only service can be booked for any time today."""
    folder = tmp_path_factory.mktemp("booking-today")
    office = folder / "today-office.toml"
    office.write_text(TODAY_OFFICE, encoding="utf-8")
    with running_demo(folder, office_file=office) as demo:
        yield Server(demo)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(100)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def choose_first_slot(page: Page) -> str:
    """Tap the first day with free places and its first free time; the slot's start."""
    page.locator("button.day").first.tap()
    expect(page.locator("#step-time")).to_be_visible()
    first_time = page.locator("button.time").first
    start = first_time.get_attribute("data-start")
    first_time.tap()
    expect(page.locator("#step-person")).to_be_visible()
    return start or ""


def fill_person(page: Page, details: dict[str, str]) -> None:
    for field in ("name", "birth_date", "document_number", "email", "phone"):
        if details.get(field):
            page.locator(f"#{field}").fill(details[field])
    if details.get("document_country"):
        page.locator("#document_country").select_option(details["document_country"])


def test_book_in_ukrainian_confirm_with_the_emailed_code_and_check_in_at_the_kiosk(
        open_page: OpenPage, today_server: Server) -> None:
    page = open_page(today_server, "/book?lang=uk", locale="uk-UA")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator('.languages a[aria-current="true"]')).to_have_text("Українська")
    # The office's only bookable matter is chosen already; its days come from the slot list.
    expect(page.locator('.choice[aria-current="true"]')).to_contain_text("Подання заяви на перебування")
    start = choose_first_slot(page)
    expect(page.locator("#slot-chosen")).to_contain_text(start[11:16])

    visitor = {**person("olena-uk", "Олена Коваленко"), "phone": "+380 67 123 4567"}
    # The issuing country, named in the visitor's language, the most common ones first.
    expect(page.locator("#document_country option").nth(1)).to_have_text("Україна")
    expect(page.locator("#document_country option").nth(2)).to_have_text("Білорусь")
    fill_person(page, visitor)
    page.locator("#person-submit").tap()
    expect(page.locator("#step-code")).to_be_visible()
    expect(page.locator("#step-person")).to_be_hidden()
    expect(page.locator("#code-sent")).to_contain_text("o***@example.com")
    expect(page.locator("#code")).to_have_attribute("autocomplete", "one-time-code")
    expect(page.locator("#code")).to_have_attribute("inputmode", "numeric")

    page.locator("#code").fill(today_server.one_time_code(visitor["email"]))
    page.locator("#code-submit").tap()
    page.wait_for_url(re.compile(r"/book/manage/\w{6}\?secret=[^&]+&lang=uk(&office=\w+)?&done=1$"))
    code = page.locator("#booking-code").inner_text()
    assert CODE.match(code), code
    expect(page.locator("#booking-name")).to_have_text("Олена Коваленко")
    expect(page.locator("#booking-document")).to_have_text(re.compile(r"^FE\*+\d{2}$"))
    expect(page.locator("#booking-birth-date")).to_have_text("1990-04-02")
    expect(page.locator("#booking-time")).to_contain_text(start[11:16])
    expect(page.locator("#booking-bring")).to_have_text("Паспорт.")
    expect(page.locator(".pass-qr")).to_have_js_property("complete", True)
    assert page.locator(".pass-qr").evaluate("img => img.naturalWidth") > 0
    calendar = page.request.get(page.locator("#calendar-link").get_attribute("href") or "")
    assert calendar.status == 200 and "BEGIN:VCALENDAR" in calendar.text()
    secret = re.search(r"secret=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
    status, booking = today_server.api("GET", f"/api/v1/bookings/{code}?secret={secret}")
    assert (status, booking["status"], booking["start"]) == (200, "confirmed", start)
    shoot(page, "confirmed-uk-390x844.png")

    # On the day, at the kiosk: "I have a booking", the code, and a ticket like any other.
    kiosk = open_page(today_server, today_server.demo.links("kiosk")["hall-1"], viewport=DESKTOP)
    kiosk.locator('.language[lang="uk"]').click()
    kiosk.locator("#have-booking").click()
    kiosk.locator("#booking-code").fill(code)
    kiosk.locator("#booking-submit").click()
    expect(kiosk.locator("#screen-ticket")).to_be_visible()
    expect(kiosk.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))
    status, booking = today_server.api("GET", f"/api/v1/bookings/{code}?secret={secret}")
    assert booking["status"] == "checked_in"


def test_the_form_says_what_is_wrong_in_ukrainian_as_you_type(open_page: OpenPage, demo_server: Server) -> None:
    page = open_page(demo_server, "/book?service=A&lang=uk", locale="uk-UA")
    choose_first_slot(page)
    wrong_email = Translator().gettext("uk", FIELD_MESSAGES["email_invalid"])
    status, refused = demo_server.api("POST", "/api/v1/bookings", {
        "service": "A", "start": "2030-01-02T10:00:00+01:00", "language": "uk",
        **person("refused"), "email": "olena@example"})
    assert status == 422 and refused["fields"] == {"email": wrong_email}  # the page and the API agree

    field = page.locator("#email")
    field.press_sequentially("olena@example", delay=20)
    expect(page.locator("#email-error")).to_have_text(wrong_email)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()  # said while typing, not only after leaving the field
    field.press_sequentially(".com", delay=20)
    expect(page.locator("#email-error")).to_have_text("")
    expect(field).not_to_have_attribute("aria-invalid", "true")

    page.locator("#name").press_sequentially("Олена 2", delay=20)
    expect(page.locator("#name-error")).to_have_text(Translator().gettext("uk", FIELD_MESSAGES["name_invalid"]))
    page.locator("#name").fill("Олена Коваленко")
    expect(page.locator("#name-error")).to_have_text("")
    page.locator("#phone").fill("12")
    page.locator("#phone").blur()
    expect(page.locator("#phone-error")).to_have_text(Translator().gettext("uk", FIELD_MESSAGES["phone_invalid"]))

    # Sending says what is missing, next to each field, and takes the visitor to the first one.
    page.locator("#phone").fill("")
    page.locator("#person-submit").tap()
    expect(page.locator("#form-notice")).to_be_visible()
    expect(page.locator("#birth_date-error")).to_have_text(
        Translator().gettext("uk", FIELD_MESSAGES["birth_date_invalid"]))
    expect(page.locator("#document_number-error")).to_have_text(
        Translator().gettext("uk", FIELD_MESSAGES["document_invalid"]))
    expect(page.locator("#phone-error")).to_have_text("")  # optional
    expect(page.locator("#birth_date")).to_be_focused()
    assert page.locator("#email-error").get_attribute("aria-live") == "polite"


def test_refusals_are_said_where_they_belong(open_page: OpenPage, demo_server: Server) -> None:
    page = open_page(demo_server, "/book?service=A&lang=en", locale="en-GB")
    choose_first_slot(page)
    fill_person(page, person("refusals"))
    answers = [
        (429, {"error": "rate_limited", "message": "Too many attempts. Please try again in 60 min."}),
        (409, {"error": "slot_full", "message": "This time has just been taken. Please choose another one."}),
    ]
    page.route("**/api/v1/bookings?*", lambda route: route.fulfill(status=answers[0][0], json=answers.pop(0)[1]))

    page.locator("#person-submit").tap()  # too many attempts: said at the form, details kept
    expect(page.locator("#form-notice")).to_have_text("Too many attempts. Please try again in 60 min.")
    expect(page.locator("#step-person")).to_be_visible()
    page.locator("#person-submit").tap()  # the time was taken meanwhile: back to the times, with the reason
    expect(page.locator("#day-notice")).to_have_text("This time has just been taken. Please choose another one.")
    expect(page.locator("#step-person")).to_be_hidden()
    expect(page.locator("#step-time")).to_be_visible()
    expect(page.locator("#day-title")).to_be_focused()
    page.locator("button.time").nth(1).tap()
    expect(page.locator("#day-notice")).to_be_hidden()
    expect(page.locator("#email")).to_have_value(person("refusals")["email"])


def test_a_manage_link_moves_and_cancels_the_booking(open_page: OpenPage, demo_server: Server) -> None:
    start = free_start_after(demo_server, "A", 30)  # the demo allows changes until 24 h before
    booking = demo_server.book("A", start, person("manage-me"))
    code, secret = booking["code"], booking["secret"]
    page = open_page(demo_server, f"/book/manage/{code}?secret={secret}&lang=en", locale="en-GB")
    expect(page.locator("#booking-code")).to_have_text(code)
    expect(page.locator("#booking-status")).to_have_text("Booked")
    expect(page.locator("#booking-time")).to_contain_text(start[11:16])

    page.locator("#move-start").tap()
    expect(page.locator("#step-move")).to_be_visible()
    page.locator("button.day").nth(1).tap()
    new_time = page.locator("button.time").nth(2)
    new_start = new_time.get_attribute("data-start") or ""
    new_time.tap()
    expect(page.locator("#move-summary")).to_contain_text(new_start[11:16])
    page.locator("#move-submit").tap()
    page.wait_for_url(re.compile(r"changed=moved$"))
    expect(page.locator(".banner")).to_contain_text("moved")
    expect(page.locator("#booking-time")).to_contain_text(new_start[11:16])
    assert demo_server.api("GET", f"/api/v1/bookings/{code}?secret={secret}")[1]["start"] == new_start

    dialog = page.locator("#cancel-dialog")
    page.locator("#cancel-start").tap()
    expect(dialog).to_be_visible()
    page.locator("#cancel-keep").tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("#cancel-start")).to_be_focused()
    expect(page.locator("#booking-status")).to_have_text("Booked")
    page.locator("#cancel-start").tap()
    page.locator("#cancel-confirm").tap()
    page.wait_for_url(re.compile(r"changed=cancelled$"))
    expect(page.locator("#booking-status")).to_have_text("Visit cancelled")
    expect(page.locator("#cancel-start")).to_have_count(0)
    expect(page.locator("#calendar-link")).to_have_count(0)
    assert demo_server.api("GET", f"/api/v1/bookings/{code}?secret={secret}")[1]["status"] == "cancelled"

    # A wrong or shortened link: a page that says so, not an error dump.
    answer = page.goto(f"/book/manage/{code}?secret=not-the-secret&lang=en")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Booking not found")
    expect(page.locator('[role="alert"]')).to_contain_text("No booking with this code")


def test_the_code_step_alone_confirms_an_offered_place(open_page: OpenPage, demo_server: Server) -> None:
    """/book/confirm/<id> is where a waiting-list offer's email leads: the code, then the booking."""
    visitor = person("offered")
    status, held = demo_server.api("POST", "/api/v1/bookings", {
        "service": "A", "start": free_start_after(demo_server, "A", 30), "language": "pl", **visitor})
    assert status == 202, held
    code = demo_server.one_time_code(visitor["email"])
    page = open_page(demo_server, f"/book/confirm/{held['id']}?lang=pl")
    expect(page.locator("#step-code")).to_be_visible()
    expect(page.locator("#offer-details")).to_contain_text(held["sent_to"]["email"])
    expect(page.locator("#offer-details")).to_contain_text("Złożenie wniosku o pobyt")
    wrong = "000000" if code != "000000" else "111111"
    page.locator("#code").fill(wrong)
    page.locator("#code").press("Enter")
    expect(page.locator("#code-error")).to_contain_text("4")  # attempts left
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")
    page.wait_for_url(re.compile(r"/book/manage/\w{6}\?secret=.+&lang=pl(&office=\w+)?&done=1$"))
    expect(page.locator("#booking-name")).to_have_text(visitor["name"])

    page.goto(f"/book/confirm/{held['id']}?lang=pl")   # used: the page says so and where the booking is
    expect(page.locator("main")).to_contain_text("Ta rezerwacja jest już potwierdzona")
    page.goto("/book/confirm/no-such-hold?lang=pl")
    expect(page.locator("main")).to_contain_text("Nie ma rezerwacji z tym kodem")


def test_when_nothing_is_free_the_waiting_list_is_offered(open_page: OpenPage, demo_server: Server) -> None:
    def all_taken(route: Route) -> None:
        listing = route.fetch().json()
        for day in listing["days"]:
            for slot in day["slots"]:
                slot["free"] = 0
        route.fulfill(json=listing)

    page = open_page(demo_server, "/book?service=F&lang=en", locale="en-GB")
    page.route("**/api/v1/slots?*", all_taken)
    page.reload()
    expect(page.locator("#days-status")).to_have_text("All places in the coming days are taken.")
    expect(page.locator("button.day")).to_have_count(0)
    expect(page.locator("#waitlist-offer")).to_be_visible()
    page.locator("#waitlist-start").tap()
    expect(page.locator("#person-title")).to_contain_text("Join the waiting list")
    fill_person(page, person("waiting"))
    with page.expect_request("**/api/v1/waiting-list?*") as sent:
        page.locator("#person-submit").tap()
    assert sent.value.post_data_json["service"] == "F" and "start" not in sent.value.post_data_json
    expect(page.locator("#step-waitlisted")).to_be_visible()
    expect(page.locator("#waitlisted-text")).to_contain_text("w***@example.com")
    expect(page.locator("#waitlisted-text")).to_contain_text("number 1")

    # An office without a waiting list says so; the offer goes away.
    page.route("**/api/v1/waiting-list?*", lambda route: route.fulfill(
        status=409, json={"error": "waitlist_off", "message": "This office has no waiting list."}))
    page.reload()
    page.locator("#waitlist-start").tap()
    fill_person(page, person("no-list"))
    page.locator("#person-submit").tap()
    expect(page.locator("#day-notice")).to_have_text("This office has no waiting list.")
    expect(page.locator("#waitlist-offer")).to_have_count(0)
    expect(page.locator("#step-person")).to_be_hidden()
    page.unroute_all(behavior="wait")  # the list is fetched again: let that finish before the page closes


def test_a_follow_up_visit_is_booked_with_the_case_number(open_page: OpenPage, demo_server: Server) -> None:
    page = open_page(demo_server, "/book?service=B&lang=en", locale="en-GB")
    choose_first_slot(page)
    expect(page.locator("#case_number-hint")).to_contain_text("WSC-II-S.6151.12345.2024")
    visitor = person("case-follow-up")
    fill_person(page, visitor)
    case = page.locator("#case_number")
    case.fill("12345/2024")
    case.blur()  # said on leaving the field (the form grows: then the button is tapped where it is)
    expect(page.locator("#case_number-error")).not_to_be_empty()
    page.locator("#person-submit").tap()
    expect(page.locator("#form-notice")).to_be_visible()
    expect(page.locator("#case_number-error")).to_have_text(
        "This is not a case number of this office. Copy it exactly as in the letter from the office.")
    expect(case).to_be_focused()
    case.fill("wsc-ii-s.6151.4242.2026")
    expect(page.locator("#case_number-error")).to_have_text("")
    with page.expect_request("**/api/v1/bookings?*") as sent:
        page.locator("#person-submit").tap()
    assert sent.value.post_data_json["case_number"] == "wsc-ii-s.6151.4242.2026"
    assert sent.value.post_data_json["document_country"] == "UA"
    expect(page.locator("#step-code")).to_be_visible()


def check_layout(page: Page, viewport: dict[str, int], name: str) -> None:
    """Nothing cut off or too small to tap, text readable. A phone page may scroll down (never
    sideways): there it is checked as a whole, in a window as tall as the page."""
    if viewport is PHONE:
        page.set_viewport_size({"width": viewport["width"],
                                "height": page.evaluate("document.documentElement.scrollHeight")})
    problems = overflow_problems(page, CUT_OFF_CHECKED)
    page.set_viewport_size(viewport)
    shoot(page, f"{name}-{viewport['width']}x{viewport['height']}.png")
    assert problems == [], name
    assert page.evaluate(SMALL_TARGETS_JS) == [], name
    assert [c for c in page.evaluate(CONTRASTS_JS, TEXT_CHECKED) if c[2] < 4.5] == [], name


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1920x1080"])
def test_pages_fit_a_phone_and_a_desktop_screen(open_page: OpenPage, demo_server: Server,
                                               viewport: dict[str, int]) -> None:
    size = f"{viewport['width']}"
    page = open_page(demo_server, "/book?lang=ru", viewport=viewport, locale="ru-RU")
    check_layout(page, viewport, "services")
    page.locator(".choice").first.tap()
    expect(page.locator("button.day").first).to_be_visible()
    choose_first_slot(page)
    page.locator("#email").fill("nie-email")
    page.locator("#email").blur()
    expect(page.locator("#email-error")).not_to_be_empty()
    check_layout(page, viewport, "form")

    fill_person(page, person(f"layout-{size}", "Ольга Петрова"))
    page.locator("#person-submit").tap()
    expect(page.locator("#step-code")).to_be_visible()
    page.locator("#code").fill("000000")
    page.locator("#code-submit").tap()
    expect(page.locator("#code-error")).not_to_be_empty()  # wrong code: attempts left
    check_layout(page, viewport, "code")

    booking = demo_server.book("A", free_start_after(demo_server, "A", 30), person(f"layout-manage-{size}"), "ru")
    page.goto(f"/book/manage/{booking['code']}?secret={booking['secret']}&lang=ru&done=1")
    expect(page.locator(".pass-qr")).to_have_js_property("complete", True)
    check_layout(page, viewport, "manage")
    page.locator("#move-start").tap()
    page.locator("button.day").first.tap()
    page.locator("button.time").first.tap()
    expect(page.locator("#move-submit")).to_be_focused()
    check_layout(page, viewport, "move")


def test_a_booking_whose_day_the_office_closed_moves_first_into_a_day_not_yet_open(
        open_page: OpenPage, demo_server: Server) -> None:
    start = free_start_after(demo_server, "A", 30)
    who = person("day-closed")
    booking = demo_server.book("A", start, who)
    code = booking["code"]
    manager = demo_server.demo.staff_token("kierownik")
    request = urllib.request.Request(f"{demo_server.url}/api/v1/admin/days/{start[:10]}", method="PUT",
                                     data=json.dumps({"hours": [], "services": ["A"]}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {manager}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert code in [told["code"] for told in json.load(answer)["affected"]]   # others of the module too
    deadline = time.monotonic() + 15
    link = None
    while link is None and time.monotonic() < deadline:   # the outbox sends within its poll
        told = [m for m in demo_server.mails_to(who["email"]) if "cannot take place" in m["Subject"]]
        body = told[-1].get_body(("plain",)) if told else None
        link = re.search(r"(/book/manage/\w+\?secret=[\w-]+)", body.get_content()) if body is not None else None
        time.sleep(0.1)
    assert link, "no email with the new link"
    public_last = max(day["date"] for day in demo_server.slots("A")["days"])

    page = open_page(demo_server, f"{link.group(1)}&lang=en", locale="en-GB")
    expect(page.locator(".notice-error").first).to_contain_text("closed")
    expect(page.locator("#change-until")).to_contain_text("before everyone else")
    page.locator("#move-start").tap()
    expect(page.locator("#step-move")).to_be_visible()
    early = page.locator("button.day").last
    early_day = early.get_attribute("data-date") or ""
    assert early_day > public_last, (early_day, public_last)
    early.tap()
    new_time = page.locator("button.time").first
    new_start = new_time.get_attribute("data-start") or ""
    new_time.tap()
    page.locator("#move-submit").tap()
    page.wait_for_url(re.compile(r"changed=moved$"))
    expect(page.locator("#booking-time")).to_contain_text(new_start[11:16])
    secret = link.group(1).split("secret=", 1)[1]
    status, moved = demo_server.api("GET", f"/api/v1/bookings/{code}?secret={secret}")
    assert status == 200 and moved["start"] == new_start and moved["flag"] is None


def lapse_hold(server: Server, booking_id: str) -> None:
    """Let a hold's time to confirm pass, as if the visitor's code had come too late."""
    with sqlite3.connect(server.demo.data_dir / "demo.db") as db:
        changed = db.execute("UPDATE bookings SET hold_expires_at = '2000' || substr(hold_expires_at, 5) "
                             "WHERE id = ? AND status = 'held'", (booking_id,)).rowcount
    assert changed == 1


@pytest.mark.parametrize("language", ["pl", "uk"])
def test_a_lapsed_hold_keeps_the_details_for_another_time(open_page: OpenPage, demo_server: Server,
                                                          language: str) -> None:
    page = open_page(demo_server, f"/book?service=A&lang={language}")
    choose_first_slot(page)
    visitor = person(f"lapsed-{language}", "John F. Smith Jr.")
    fill_person(page, visitor)
    page.locator("#person-submit").tap()
    expect(page.locator("#step-code")).to_be_visible()
    demo_server.one_time_code(visitor["email"])
    # The code's email leads back to this code step, for a visitor who closed the tab.
    body = demo_server.mails_to(visitor["email"])[-1].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/book/confirm/([\w-]+)\?\S*lang=" + language, body)
    assert link, body
    lapse_hold(demo_server, link.group(1))

    page.locator("#code").fill("123456")
    page.locator("#code-submit").tap()
    # Back at the days, told why, with every detail still as typed.
    expect(page.locator("#step-day")).to_be_visible()
    expect(page.locator("#step-code")).to_be_hidden()
    expect(page.locator("#day-notice")).to_have_text(
        Translator().gettext(language, "The time to confirm has passed and the place was released. "
                                       "Your details are kept: choose another time."))
    shoot(page, f"hold-lapsed-{language}-390x844.png")
    page.locator("button.day").first.tap()
    page.locator("button.time").nth(1).tap()
    expect(page.locator("#step-person")).to_be_visible()
    expect(page.locator("#name")).to_have_value("John F. Smith Jr.")
    expect(page.locator("#email")).to_have_value(visitor["email"])
    expect(page.locator("#document_number")).to_have_value(visitor["document_number"])
    expect(page.locator("#document_country")).to_have_value("UA")
    page.locator("#person-submit").tap()
    expect(page.locator("#step-code")).to_be_visible()
    expect(page.locator("#code")).to_be_enabled()
    expect(page.locator("#code")).to_have_value("")
    page.locator("#code").fill(demo_server.one_time_code(visitor["email"], already=1))
    page.locator("#code-submit").tap()
    page.wait_for_url(re.compile(r"/book/manage/\w{6}\?secret=.+&done=1$"))
    expect(page.locator("#booking-name")).to_have_text("John F. Smith Jr.")


def test_a_name_typed_decomposed_is_booked_composed(open_page: OpenPage, demo_server: Server) -> None:
    page = open_page(demo_server, "/book?service=A&lang=en")
    choose_first_slot(page)
    visitor = person("decomposed", unicodedata.normalize("NFD", "Zofia Żółtowska-O’Brien"))
    fill_person(page, visitor)
    expect(page.locator("#name-error")).to_have_text("")
    page.locator("#person-submit").tap()
    page.locator("#code").fill(demo_server.one_time_code(visitor["email"]))
    page.locator("#code-submit").tap()
    page.wait_for_url(re.compile(r"/book/manage/\w{6}\?secret=.+&done=1$"))
    assert page.locator("#booking-name").inner_text() == "Zofia Żółtowska-O’Brien"   # NFC, as stored


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_cancelled_booking_shows_no_qr_and_offers_to_book_again(open_page: OpenPage, demo_server: Server,
                                                                   language: str) -> None:
    booking = demo_server.book("A", free_start_after(demo_server, "A", 30), person(f"cancelled-{language}"))
    code, secret = booking["code"], booking["secret"]
    status, _cancelled = demo_server.api("POST", f"/api/v1/bookings/{code}/cancel", {"secret": secret})
    assert status == 200, _cancelled
    page = open_page(demo_server, f"/book/manage/{code}?secret={secret}&lang={language}")
    expect(page.locator("#booking-status")).to_have_text(Translator().gettext(language, "Visit cancelled"))
    expect(page.locator(".pass-qr")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(
        Translator().gettext(language, "The booking is valid only for this person. Bring this travel document "
                                       "to the visit."))
    expect(page.locator("#booking-bring")).to_have_count(0)
    again = page.locator("#book-again")
    expect(again).to_have_text(Translator().gettext(language, "Book a new visit"))
    expect(again).to_have_attribute("href", re.compile(rf"^/book\?service=A&lang={language}"))
    shoot(page, f"cancelled-{language}-390x844.png")
    again.tap()
    page.wait_for_url(re.compile(r"/book\?service=A"))
    expect(page.locator('.choice[aria-current="true"]')).to_be_visible()

"""An information Saturday from end to end, in a real headless Chromium against real servers.

A manager publishes a Saturday with consultations (the back office's own browser test, in
tests/back_office/test_back_office_events.py, shows the form itself); the coming Saturday appears on
the booking page, the kiosk's start screen and the public feed; a visitor books a consultation in
Ukrainian and confirms it with the emailed code; the manager moves the event a week on in the back
office and the visitor gets the update (the same invite UID, a higher SEQUENCE). Then `okienko serve`
over the same database with its clock started on the new Saturday (OKIENKO_CLOCK_START): the kiosk
offers the event's services only, and the visitor checks in with the booking code.
"""

from __future__ import annotations

import email
import re
import time
from datetime import date, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import DemoServer, sign_in, wait_loaded
from tests.conftest import Demo, launched_chromium, require_chromium, running_demo
from tests.servers import okienko_servers, serve_env

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")
PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1920, "height": 1080}
VISITOR = {"name": "Олена Коваленко", "birth_date": "1990-04-02", "document_number": "FE7654321",
           "email": "olena.saturday@example.com", "document_country": "UA"}


def next_saturday(after: date) -> date:
    return after + timedelta(days=(5 - after.weekday()) % 7 or 7)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with launched_chromium() as launched:
        yield launched


def mails_to(data_dir: Path, address: str) -> list[email.message.EmailMessage]:
    folder = data_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else ():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found  # type: ignore[return-value]


def wait_for_mail(data_dir: Path, address: str, count: int) -> list[email.message.EmailMessage]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = mails_to(data_dir, address)
        if len(found) >= count and all(m.get_body(("plain",)) is not None for m in found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} emails to {address}")


def invite(message: email.message.EmailMessage) -> icalendar.Event:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            [event] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
            return event
    raise AssertionError("no calendar file in the email")


def open_kiosk(browser: Browser, url: str, enroll: str) -> Page:
    context = browser.new_context(viewport=KIOSK, base_url=url, locale="pl-PL", has_touch=True)
    page = context.new_page()
    page.goto(enroll)
    page.wait_for_url(re.compile(r"/kiosk/"))
    return page


def test_a_saturday_is_published_booked_moved_and_served(browser: Browser, tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    today = datetime.now(WARSAW).date()
    saturday = next_saturday(today)
    with running_demo(data_dir) as demo:
        server = DemoServer(demo.url, data_dir, demo.links("kiosk"), demo.token("kiosk", "hall-1"), demo.staff_token)
        manager = demo.staff_token("kierownik")
        status, created = server.api("POST", "/api/v1/admin/events", {
            "date": saturday.isoformat(), "opens": "08:00", "closes": "15:00",
            "titles": {"pl": "Sobota informacyjna", "en": "Information Saturday", "uk": "Інформаційна субота",
                       "ru": "Информационная суббота"},
            "descriptions": {"uk": "Консультації щодо легалізації перебування."},
            "services": ["C", "D"], "booking_opens_at": f"{today.isoformat()}T00:00"}, token=manager)
        assert status == 201, created
        event_id = created["event"]["id"]
        status, published = server.api("POST", f"/api/v1/admin/events/{event_id}/publish", token=manager)
        assert status == 200 and published["event"]["status"] == "published", published

        uid, code = book_and_see_it_everywhere(browser, demo, server, saturday)
        moved_to = saturday + timedelta(days=7)
        move_in_the_back_office(browser, server, saturday, moved_to)
        update = wait_for_mail(data_dir, VISITOR["email"], 3)[-1]
        moved = invite(update)
        assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) >= 1
        assert moved.decoded("DTSTART").date() == moved_to
        status, listed = server.api("GET", "/api/v1/events?lang=uk")
        assert [e["date"] for e in listed["events"]] == [moved_to.isoformat()]
        assert code in update.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # The new Saturday, 07:55: the same database under `okienko serve`, its clock started there.
    secret = (data_dir / "secret.key").read_text().strip()
    start = datetime.combine(moved_to, datetime.min.time().replace(hour=7, minute=55), WARSAW)
    env = serve_env(f"sqlite:///{data_dir}/demo.db", data_dir, clock_start=start.isoformat(), secret_key=secret)
    with okienko_servers(env, tmp_path) as (saturday_server,):
        kiosk = open_kiosk(browser, saturday_server.url, demo.links("kiosk")["hall-1"])
        expect(kiosk.locator("#services button.service")).to_have_count(2)
        expect(kiosk.locator("#services")).to_contain_text("Konsultacje")
        expect(kiosk.locator("#services")).to_contain_text("Składanie dokumentów w sobotę")
        expect(kiosk.locator("#services")).not_to_contain_text("Odciski palców")
        expect(kiosk.locator("#kiosk-event")).to_have_count(0)    # on its day: no announcement, its services
        kiosk.locator("#have-booking").click()
        kiosk.locator("#booking-code").fill(code)
        kiosk.locator("#booking-submit").click()
        expect(kiosk.locator("#screen-ticket")).to_be_visible()
        expect(kiosk.locator("#ticket-number")).to_have_text("C001")


def book_and_see_it_everywhere(browser: Browser, demo: Demo, server: DemoServer, saturday: date) -> tuple[str, str]:
    """The event on the booking page, the kiosk and the feed; a consultation booked in Ukrainian.
    Returns the booking invite's UID and the booking code."""
    context = browser.new_context(viewport=PHONE, base_url=demo.url, locale="uk-UA", has_touch=True)
    try:
        page = context.new_page()
        page.goto("/book?lang=uk")
        events = page.locator("section.events")
        expect(events).to_contain_text("Інформаційна субота")
        expect(events).to_contain_text("08:00–15:00")
        expect(events).to_contain_text("Консультації щодо легалізації перебування.")
        events.get_by_role("link", name=re.compile("Консультації")).click()
        page.locator("button.day").first.tap()
        expect(page.locator("#step-time")).to_be_visible()
        first = page.locator("button.time").first
        assert (first.get_attribute("data-start") or "").startswith(f"{saturday.isoformat()}T08:00")
        first.tap()
        for field in ("name", "birth_date", "document_number", "email"):
            page.locator(f"#{field}").fill(VISITOR[field])
        page.locator("#document_country").select_option(VISITOR["document_country"])
        page.locator("#person-submit").tap()
        expect(page.locator("#step-code")).to_be_visible()
        [code_mail] = wait_for_mail(server.data_dir, VISITOR["email"], 1)
        page.locator("#code").fill(re.search(r": (\d{6})\s", code_mail.get_body(("plain",)).get_content()).group(1))  # type: ignore[union-attr]
        page.locator("#code-submit").tap()
        page.wait_for_url(re.compile(r"/book/manage/\w{6}\?"))
        expect(page.locator("#booking-time")).to_contain_text("08:00")
        code = page.locator("#booking-code").inner_text()
    finally:
        context.close()
    confirmation = wait_for_mail(server.data_dir, VISITOR["email"], 2)[-1]
    uid = str(invite(confirmation)["UID"])

    kiosk = open_kiosk(browser, demo.url, demo.links("kiosk")["hall-1"])
    try:
        if saturday - datetime.now(WARSAW).date() <= timedelta(days=14):
            expect(kiosk.locator("#kiosk-event")).to_contain_text("Sobota informacyjna")
            expect(kiosk.locator("#kiosk-event svg")).to_be_visible()
        expect(kiosk.locator("#services")).not_to_contain_text("Konsultacje")   # not a weekday's service
    finally:
        kiosk.context.close()

    feed = vobject.readOne(urllib_get(f"{demo.url}/calendar/events.ics?lang=uk"))
    assert feed.vevent.summary.value == "Інформаційна субота"
    assert feed.vevent.dtstart.value.astimezone(WARSAW).date() == saturday
    assert feed.vevent.uid.value.startswith("event-")
    return uid, code


def move_in_the_back_office(browser: Browser, server: DemoServer, saturday: date, moved_to: date) -> None:
    context, page = sign_in(browser, server, "kierownik", "en")
    try:
        page.goto("/admin/events?lang=en")
        wait_loaded(page)
        row = page.locator(f'#event-rows tr[data-date="{saturday.isoformat()}"]')
        row.get_by_role("button", name=re.compile("^Edit")).click()
        page.locator("#event-form").get_by_label("Date", exact=True).first.fill(moved_to.isoformat())
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#confirm-question")).to_contain_text("1 (1 move to the same time on the new date")
        page.locator("#confirm-yes").click()
        expect(page.locator("#status")).to_contain_text("People told: 1.")
        expect(page.locator(f'#event-rows tr[data-date="{moved_to.isoformat()}"]')).to_contain_text("Published")
    finally:
        context.close()


def urllib_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8")


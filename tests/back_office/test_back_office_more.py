"""More of a manager's back office, in a real headless Chromium against `okienko demo`.

Switch a window and a priority category off and on again; unlock a clerk locked out after wrong
passwords on the sign-in form; page through the audit log to its older changes and export the
filtered log as CSV; read a booking's history in words (in English and in Polish, the 24-hour
clock in both, the visitor's language by its name). One manager session serves the module.

With OKIENKO_SCREENSHOTS=1 the booking's history is also saved to /tmp (bookings-history-<lang>.png)
for a person to look at.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from okienko.storage.models import AuditEntry, Booking, BookingEvent, Office
from tests.back_office.screens import PASSWORD, VIEWPORT, DemoServer, axe_violations, sign_in

pytestmark = pytest.mark.browser
PAGING = 205   # more than one page of the audit log (200)


@pytest.fixture(scope="module")
def manager(browser: Browser, demo_server: DemoServer) -> Iterator[tuple[BrowserContext, list[str]]]:
    """kierownik, signed in once through the form; each test opens its own page."""
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    page.close()
    yield context, errors
    context.close()


def _page(manager: tuple[BrowserContext, list[str]], path: str) -> Page:
    context, errors = manager
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path)
    return page


def test_a_window_and_a_priority_category_are_switched_off_and_on_again(
        manager: tuple[BrowserContext, list[str]]) -> None:
    page = _page(manager, "/admin/services?lang=en")
    try:
        window = page.locator('#window-rows tr[data-window="4"]')
        veteran = page.locator('#priority-rows tr[data-priority="veteran"]')
        expect(window).to_contain_text("On")
        window.get_by_role("button", name="Switch off").click()
        expect(page.locator("#status")).to_contain_text("Window 4 switched off.")
        expect(window.locator(".pill-off")).to_have_text("Switched off")
        veteran.get_by_role("button", name="Switch off").click()
        expect(veteran.locator(".pill-off")).to_have_text("Switched off")
        expect(veteran).to_have_class(re.compile(r"\bis-off\b"))
        page.reload()   # kept, not only shown
        expect(window.locator(".pill-off")).to_have_text("Switched off")
        expect(veteran.locator(".pill-off")).to_have_text("Switched off")
        window.get_by_role("button", name="Switch on").click()
        expect(page.locator("#status")).to_contain_text("Saved.")
        expect(window.locator(".pill-off")).to_have_count(0)
        expect(window.get_by_role("button", name="Switch off")).to_be_visible()
        veteran.get_by_role("button", name="Switch on").click()
        expect(veteran.locator(".pill-off")).to_have_count(0)
        expect(veteran).not_to_have_class(re.compile(r"\bis-off\b"))
        assert manager[1] == []
    finally:
        page.close()


def _try_password(page: Page, password: str) -> None:
    """urzednik signs in with `password` on the form the page shows; the answer is waited for."""
    page.get_by_label("User name").fill("urzednik")
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda answer: answer.request.method == "POST"):
        page.get_by_label("Password").press("Enter")
    page.wait_for_load_state("domcontentloaded")


def test_a_clerk_locked_out_by_wrong_passwords_is_unlocked(browser: Browser, demo_server: DemoServer,
                                                           manager: tuple[BrowserContext, list[str]]) -> None:
    clerk = browser.new_context(viewport=VIEWPORT, base_url=demo_server.url)
    try:
        form = clerk.new_page()
        form.goto("/admin/login?lang=en")
        for _attempt in range(5):
            _try_password(form, "not the password")
            expect(form.get_by_role("alert")).to_be_visible()
        _try_password(form, PASSWORD)   # the right one, too late: refused until a manager unlocks
        expect(form.get_by_role("alert")).to_contain_text("Too many failed sign-ins.")
        expect(form.locator("h1")).to_have_text("Back office sign-in")

        page = _page(manager, "/admin/staff?lang=en")
        row = page.locator('#staff-rows tr[data-user="urzednik"]')
        expect(row).to_contain_text("Locked after wrong passwords")
        row.get_by_role("button", name="Unlock urzednik").click()
        expect(page.locator("#status")).to_contain_text("urzednik can sign in again.")
        expect(row).not_to_contain_text("Locked after wrong passwords")
        expect(row.get_by_role("button", name="Unlock urzednik")).to_have_count(0)
        page.close()

        _try_password(form, PASSWORD)
        expect(form.locator("h1")).to_have_text("For managers only")   # signed in: a clerk
        assert manager[1] == []
    finally:
        clerk.close()


def _record_changes(server: DemoServer, count: int) -> None:
    """`count` changes written to the audit log as the back office writes them, one a minute, oldest first."""
    engine = server.database()
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
    try:
        with engine.begin() as conn:
            office_id = conn.execute(sa.select(Office.__table__.c.id)).scalar_one()
            conn.execute(sa.insert(AuditEntry.__table__), [
                {"office_id": office_id, "at": start + timedelta(minutes=number), "actor": "kierownik",
                 "action": "notice.update", "target": f"notice {number:03d}",
                 "before": {"ticker": {"en": f"text {number - 1:03d}"}}, "after": {"ticker": {"en": f"text {number:03d}"}}}
                for number in range(count)])
    finally:
        engine.dispose()


def test_the_audit_log_pages_to_older_changes_and_exports_what_is_filtered(
        demo_server: DemoServer, manager: tuple[BrowserContext, list[str]]) -> None:
    _record_changes(demo_server, PAGING)
    page = _page(manager, "/admin/audit?lang=en")
    try:
        rows = page.locator("#audit-rows tr")
        expect(rows).to_have_count(200)
        older = page.get_by_role("button", name="Older changes")
        expect(older).to_be_visible()
        oldest = page.locator("#audit-rows tr", has_text="notice 000")
        expect(oldest).to_have_count(0)
        older.click()
        expect(oldest).to_have_count(1)
        expect(oldest).to_contain_text("text 000")
        total = rows.count()
        assert total >= PAGING
        expect(older).to_be_hidden()
        assert len({row for row in rows.evaluate_all("rows => rows.map(row => row.dataset.change)")}) == total

        # Only the notices' changes, and the export follows the filter.
        page.get_by_label("Kind of change").fill("notice")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#audit-rows tr", has_text="notice 204")).to_have_count(1)
        expect(page.locator("#audit-csv")).to_have_attribute("href", re.compile(r"action=notice"))
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        lines = download.value.path().read_text(encoding="utf-8").splitlines()
        assert lines[0] == "id,at,actor,action,target,before,after"
        assert len(lines) == PAGING + 1   # every change of the kind, not one page of them
        assert all(",notice.update," in line for line in lines[1:])
        assert "notice 000" in lines[-1] and "notice 204" in lines[1]   # newest first
        assert manager[1] == []
    finally:
        page.close()


def _free_slots(server: DemoServer) -> tuple[str, str]:
    """Two starts of service A's free slots on one day, two hours apart (ISO, the office's time)."""
    status, listing = server.api("GET", "/api/v1/slots?service=A")
    assert status == 200, listing
    for day in listing["days"]:
        starts = {slot["start"]: slot for slot in day["slots"] if slot["free"] > 0}
        for start in starts:
            later = (datetime.fromisoformat(start) + timedelta(minutes=120)).isoformat()
            if later in starts:
                return start, later
    raise AssertionError(f"no day with two free slots two hours apart: {listing}"[:600])


def _add_events(server: DemoServer, code: str, *events: tuple[str, dict[str, object]]) -> None:
    """Facts of the booking's history from before the manager opened it (as the booking core writes them)."""
    engine = server.database()
    at = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        with engine.begin() as conn:
            booking = conn.execute(sa.select(Booking.__table__.c.id, Booking.__table__.c.office_id)
                                   .where(Booking.__table__.c.code == code)).one()
            conn.execute(sa.insert(BookingEvent.__table__), [
                {"office_id": booking.office_id, "booking_id": booking.id, "kind": kind,
                 "at": at, "detail": detail} for kind, detail in events])
    finally:
        engine.dispose()


def _booking_details(page: Page, code: str) -> tuple[Locator, Locator]:
    """The booking's details opened from its row (the first button: Details)."""
    page.locator(f'#booking-rows tr[data-code="{code}"] td.actions button').first.click()
    details = page.locator("#booking-dialog")
    expect(details).to_be_visible()
    return details, details.locator("#history-rows")


def _screenshot(page: Page, name: str) -> None:
    if os.environ.get("OKIENKO_SCREENSHOTS") == "1":
        page.mouse.move(0, 0)
        page.screenshot(path=f"/tmp/{name}.png")


def test_a_bookings_history_reads_as_sentences_in_the_pages_language(
        demo_server: DemoServer, manager: tuple[BrowserContext, list[str]]) -> None:
    first, later = _free_slots(demo_server)
    code = demo_server.book(datetime.fromisoformat(first), name="Olena Kovalenko", email="olena@example.com",
                            language="uk")
    _add_events(demo_server, code, ("held", {"place": 1}), ("confirmed", {}),
                ("document_checked", {"matched": False, "by": "urzednik"}),
                ("reminder_sent", {"channel": {"email": "o***@example.com"}}))
    page = _page(manager, f"/admin/bookings?lang=en&day={first[:10]}&q={code}")
    try:
        # Moved on the visitor's behalf, as a manager does it.
        page.get_by_role("button", name=f"Move… {code}").click()
        page.get_by_label("New date and time (a free slot of the same service)").fill(later[:16])
        page.get_by_role("button", name="Move and tell the visitor").click()
        expect(page.locator("#status")).to_contain_text(f"Booking {code} moved")
        hhmm = first[11:16], later[11:16]

        details, history = _booking_details(page, code)
        facts = details.locator("#booking-facts")
        expect(facts.locator("div", has_text="Language")).to_contain_text("Ukrainian")
        expect(facts.locator("div", has_text="Date of birth")).to_contain_text("April 12, 1990")
        expect(facts.locator("div", has_text="Visit")).to_contain_text(hhmm[1])
        expect(history.locator("tr")).to_have_count(5)
        expect(history.locator('tr[data-kind="held"]')).to_contain_text(
            "Booked online: the place is held until the visitor types the code sent to them")
        expect(history.locator('tr[data-kind="confirmed"]')).to_contain_text("Confirmed by the visitor")
        expect(history.locator('tr[data-kind="document_checked"]')).to_contain_text(
            "Document checked at the desk by urzednik: it does not match")
        expect(history.locator('tr[data-kind="reminder_sent"]')).to_contain_text("Another change to the booking")
        expect(history.locator('tr[data-kind="moved"]')).to_contain_text(
            f"Moved from {hhmm[0]} to {hhmm[1]} by manager kierownik")
        shown = details.inner_text()
        assert not re.search(r"[{}\"]|\bAM\b|\bPM\b|o\*\*\*@", shown), shown   # no raw detail, no 12-hour clock
        _screenshot(page, "bookings-history-en")
        details.get_by_role("button", name="Close").click()

        page.goto(f"/admin/bookings?lang=pl&day={first[:10]}&q={code}")
        details, history = _booking_details(page, code)
        expect(details.locator("#booking-facts div", has_text="Język")).to_contain_text("ukraiński")
        expect(details.locator("#booking-facts div", has_text="Data urodzenia")).to_contain_text("12 kwietnia 1990")
        expect(history.locator('tr[data-kind="moved"]')).to_contain_text(
            f"Przeniesiona z {hhmm[0]} na {hhmm[1]} przez kierownika kierownik")
        expect(history.locator('tr[data-kind="reminder_sent"]')).to_contain_text("Inna zmiana rezerwacji")
        _screenshot(page, "bookings-history-pl")
        assert manager[1] == []
    finally:
        page.close()


def test_a_calendar_link_is_made_shown_once_and_revoked(manager: tuple[BrowserContext, list[str]]) -> None:
    """Calendars: a link for window 1 with names; its address works until it is revoked; the page
    passes axe. With OKIENKO_SCREENSHOTS=1, /tmp/calendars-<lang>.png in en, pl and ka."""
    page = _page(manager, "/admin/calendars?lang=en")
    try:
        page.locator("#feed-for").select_option("window:1")
        page.locator("#feed-label").fill("Okno 1, Анна")
        page.locator("#feed-names").check()
        page.get_by_role("button", name="Make the link").click()
        expect(page.locator("#feed-dialog")).to_be_visible()
        url = page.locator("#feed-url").text_content() or ""
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/calendar/staff/[A-Za-z0-9_-]{40,}\.ics", url), url
        assert (page.locator("#feed-webcal").get_attribute("href") or "").startswith("webcal://")
        feed = page.request.get(url)
        assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
        assert b"BEGIN:VCALENDAR\r\n" in feed.body()
        _screenshot(page, "calendars-link-en")
        page.locator("#feed-dialog [data-close]").click()
        row = page.locator("#feed-rows tr").first
        expect(row).to_contain_text("Okno 1, Анна")
        expect(row).to_contain_text("with names")
        assert axe_violations(page) == []
        row.get_by_role("button", name=re.compile("Revoke")).click()
        page.locator("dialog[open]").get_by_role("button", name="Revoke", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Calendar link Okno 1, Анна revoked.")
        expect(row.locator(".pill-off")).to_have_text("Revoked")
        assert page.request.get(url).status == 404
        _screenshot(page, "calendars-en")
        for language in ("pl", "ka"):
            page.goto(f"/admin/calendars?lang={language}")
            expect(page.locator("#feed-rows tr").first).to_contain_text("Okno 1, Анна")
            _screenshot(page, f"calendars-{language}")
        assert manager[1] == []
    finally:
        page.close()

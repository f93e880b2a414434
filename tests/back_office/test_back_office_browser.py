"""A manager's day in the back office, in a real headless Chromium against `okienko demo`.

Sign in and watch today's queues follow the kiosk live; hand on or return a ticket left at an empty
window; switch off a service with people waiting; add a Saturday opening; close a day with
bookings, check who is affected before saving and the emails written for them; find the day's
bookings, flagged first, cancel and move one; revoke a kiosk and see it signed out; add a person
and reset a password; write the notices; read the audit log. A clerk who opens the back office is
told it is for managers. (A service's hours and the kiosk: test_back_office_kiosk_hours.py.)

With OKIENKO_SCREENSHOTS=1 the tests save the screenshots of docs/back-office.md (1440x900).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.back_office.screens import VIEWPORT, DemoServer, axe_violations, shoot, sign_in, wait_loaded

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize(("language", "title", "message"), [
    ("pl", "Tylko dla kierowników", "Jesteś zalogowany jako urzednik"),
    ("en", "For managers only", "You are signed in as urzednik"),
])
def test_a_clerk_is_told_the_back_office_is_for_managers(browser: Browser, demo_server: DemoServer, language: str,
                                                         title: str, message: str) -> None:
    context, page = sign_in(browser, demo_server, "urzednik", language)
    try:
        answer = page.goto(f"/admin/devices?lang={language}")
        assert answer is not None and answer.status == 403
        expect(page.locator("h1")).to_have_text(title)
        expect(page.get_by_role("alert")).to_contain_text(message)
        expect(page.locator("nav.sections")).to_have_count(0)   # nothing of the back office is shown
        if language == "en":
            shoot(page, "for-managers-only")
        page.get_by_role("link", name={"pl": "Przejdź do konsoli urzędnika", "en": "Go to the clerk console"}[language]).click()
        page.wait_for_url(re.compile(r"/console/"))
    finally:
        context.close()


def test_a_wrong_password_is_refused_on_the_form(browser: Browser, demo_server: DemoServer) -> None:
    context = browser.new_context(viewport=VIEWPORT, base_url=demo_server.url)
    page = context.new_page()
    try:
        page.goto("/admin/?lang=en")
        page.wait_for_url(re.compile(r"/admin/login\?lang=en$"))
        shoot(page, "sign-in")
        page.get_by_label("User name").fill("kierownik")
        page.get_by_label("Password").fill("not the password")
        page.get_by_label("Password").press("Enter")
        expect(page.get_by_role("alert")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Back office sign-in")
    finally:
        context.close()


def test_today_follows_the_hall_live(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        waiting = page.locator('#service-rows tr[data-service="K"] .waiting')
        expect(waiting).to_have_text(re.compile(r"^\d+$"))
        before = int(waiting.inner_text())
        expect(page.locator("#live-state")).to_have_text("Live")
        page.evaluate("window.notReloaded = true")
        demo_server.take_ticket("K")
        demo_server.take_ticket("K")
        expect(waiting).to_have_text(str(before + 2))   # over the board's live channel, no reload
        assert page.evaluate("window.notReloaded") is True
        expect(page.locator('#window-rows tr[data-window="1"]')).to_be_visible()
        shoot(page, "today")
        assert errors == []
    finally:
        context.close()


def _strand(server: DemoServer, clerk: str, window: str, number: str) -> None:
    """`clerk` calls `number` to `window`, then their console goes quiet: as if it had last renewed its
    hold 90 s ago (a hold runs 2 min; a console silent for a minute has been left), so the ticket is
    stranded and not yet swept back to the queue."""
    status, called = server.api("POST", f"/api/v1/windows/{window}/call", {"number": number}, token=clerk)
    assert status == 200, called
    (held,) = server.sql("SELECT held_until FROM windows WHERE number = :window", window=window)
    earlier = datetime.fromisoformat(str(held[0])) - timedelta(seconds=90)
    server.sql("UPDATE windows SET held_until = :held WHERE number = :window", window=window,
               held=earlier.isoformat(sep=" ") if " " in str(held[0]) else earlier.isoformat())


def test_tickets_left_at_an_empty_window_are_handed_on_or_returned(browser: Browser,
                                                                    demo_server: DemoServer) -> None:
    left, sitting = demo_server.staff_token("urzedniczka"), demo_server.staff_token("urzednik")
    first, second = demo_server.take_ticket("F"), demo_server.take_ticket("F")
    assert demo_server.api("POST", "/api/v1/windows/5/sign-in", {}, token=left)[0] == 200
    assert demo_server.api("POST", "/api/v1/windows/6/sign-in", {}, token=sitting)[0] == 200
    _strand(demo_server, left, "5", first["number"])
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        row = page.locator(f'#stranded-rows tr[data-ticket="{first["id"]}"]')
        expect(row).to_contain_text(first["number"])
        expect(row.locator("td").first).to_have_text("5")
        shoot(page, "today-stranded")
        assert axe_violations(page) == []   # with rows and their buttons, not only an empty page
        # Handed to window 6, where a clerk sits free: called there.
        row.get_by_role("button", name="Hand to window…").click()
        hand = page.locator("#hand-dialog")
        expect(hand).to_contain_text(first["number"])
        hand.get_by_label("Window").select_option("6")
        hand.get_by_role("button", name="Hand over").click()
        expect(page.locator("#status")).to_contain_text(f"Ticket {first['number']} handed to window 6.")
        expect(row).to_have_count(0)
        status, at_six = demo_server.api("GET", "/api/v1/windows/6", token=sitting)
        assert (status, at_six["ticket"]["number"]) == (200, first["number"])
        # Another one left at window 5 goes back to its place in the queue.
        _strand(demo_server, left, "5", second["number"])
        page.reload()
        row = page.locator(f'#stranded-rows tr[data-ticket="{second["id"]}"]')
        row.get_by_role("button", name="Return to queue").click()
        expect(page.locator("#status")).to_contain_text(f"Ticket {second['number']} is back in the queue")
        expect(row).to_have_count(0)
        status, again = demo_server.api("GET", f"/api/v1/tickets/{second['id']}")
        assert (status, again["status"]) == (200, "waiting")
        assert errors == []
    finally:
        context.close()


def test_a_change_without_the_sessions_csrf_token_is_refused(browser: Browser, demo_server: DemoServer) -> None:
    """The page's own requests carry the session's CSRF token; a request without it is refused."""
    context, page = sign_in(browser, demo_server, "kierownik", "en")
    try:
        status = page.evaluate("""async () => (await fetch('/api/v1/admin/notices', {method: 'PUT',
            headers: {'Content-Type': 'application/json'}, body: '{}'})).status""")
        assert status == 403
    finally:
        context.close()


def test_a_revoked_kiosk_is_signed_out(browser: Browser, demo_server: DemoServer) -> None:
    """hall-2 is revoked (hall-1's token takes the other tests' tickets)."""
    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920}, base_url=demo_server.url,
                                        locale="pl-PL")
    kiosk = kiosk_context.new_page()
    kiosk.goto(demo_server.enroll["hall-2"])
    expect(kiosk.locator(".service").first).to_be_visible()
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/devices?lang=en")
        named = page.locator("#device-rows tr", has=page.get_by_role("rowheader", name="hall-2", exact=True))
        expect(named).to_contain_text("Kiosk")
        row = page.locator(f'#device-rows tr[data-device="{named.get_attribute("data-device")}"]')
        shoot(page, "devices")
        row.get_by_role("button", name="Revoke… hall-2").click()
        confirm = page.locator("#confirm-dialog")
        expect(confirm).to_contain_text("Revoke hall-2?")
        shoot(page, "devices-revoke")
        confirm.get_by_role("button", name="Revoke").click()
        expect(page.locator("#status")).to_contain_text("hall-2 revoked")
        expect(row).to_contain_text("Revoked")
        # Its live connection is closed at once, its next request refused: it shows its sign-in page
        # (well before its next heartbeat, 20 s away).
        expect(kiosk.locator(".service")).to_have_count(0, timeout=8_000)
        # A new kiosk: its sign-in link and QR code are shown once.
        page.get_by_label("Device name").fill("hall-3")
        page.get_by_role("button", name="Add", exact=True).click()
        enrol = page.locator("#enrol-dialog")
        expect(enrol).to_be_visible()
        expect(enrol.locator("#enrol-url")).to_contain_text("/kiosk/enroll?token=")
        expect(enrol.locator("#enrol-qr svg")).to_be_visible()
        shoot(page, "devices-added")
        assert axe_violations(page) == []
        link = enrol.locator("#enrol-url").inner_text()
        enrol.get_by_role("button", name="Done").click()
        kiosk.goto(link)
        expect(kiosk.locator(".service").first).to_be_visible()
        assert errors == []
    finally:
        context.close()
        kiosk_context.close()


def test_a_manager_adds_a_clerk_and_resets_a_password(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/staff?lang=en")
        expect(page.locator('#staff-rows tr[data-user="urzednik"]')).to_be_visible()
        page.get_by_label("User name").fill("anna.nowak")
        page.locator("#user-role").select_option("clerk")
        page.get_by_role("button", name="Add", exact=True).click()
        shown = page.locator("#password-dialog")
        expect(shown).to_contain_text("Temporary password for anna.nowak")
        password = shown.locator("#temporary-password").inner_text()
        assert len(password) >= 8
        shoot(page, "staff-added")
        assert axe_violations(page) == []
        shown.get_by_role("button", name="Done").click()
        row = page.locator('#staff-rows tr[data-user="anna.nowak"]')
        expect(row).to_contain_text("Must choose a new password")
        shoot(page, "staff")
        row.get_by_role("button", name="Reset password… anna.nowak").click()
        page.locator("#confirm-dialog").get_by_role("button", name="Reset the password").click()
        expect(shown).to_be_visible()
        reset = shown.locator("#temporary-password").inner_text()
        assert reset != password
        shown.get_by_role("button", name="Done").click()
        # Anna signs in with the temporary password and chooses her own before anything else.
        anna = browser.new_context(viewport=VIEWPORT, base_url=demo_server.url)
        try:
            her = anna.new_page()
            her.goto("/admin/login?lang=en")
            her.get_by_label("User name").fill("anna.nowak")
            her.get_by_label("Password").fill(reset)
            her.get_by_label("Password").press("Enter")
            her.wait_for_url(re.compile(r"/admin/password\?lang=en$"))
            her.get_by_label("New password", exact=True).fill("a long new password")
            her.get_by_label("New password again").fill("a long new password")
            her.get_by_role("button", name="Save and go on").click()
            expect(her.locator("h1")).to_have_text("For managers only")   # signed in, and a clerk
        finally:
            anna.close()
        page.reload()
        expect(row).to_be_visible()
        expect(row).not_to_contain_text("Must choose a new password")
        row.get_by_role("button", name="Disable anna.nowak").click()
        page.locator("#confirm-dialog").get_by_role("button", name="Disable").click()
        expect(row).to_contain_text("Disabled")
        row.get_by_role("button", name="Enable anna.nowak").click()
        expect(row).not_to_contain_text("Disabled")
        assert errors == []
    finally:
        context.close()


def test_notices_in_every_language_reach_the_board(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "pl", errors)
    try:
        page.goto("/admin/notices?lang=pl")
        wait_loaded(page)
        page.locator("#ticker-pl").fill("Okienko 3 jest dziś nieczynne.")
        page.locator("#ticker-en").fill("Window 3 is closed today.")
        page.locator("#ticker-uk").fill("Віконце 3 сьогодні не працює.")
        page.locator("#kiosk-pl").fill("Odbiór kart tylko do 14:00.")
        page.locator("#kiosk-en").fill("Cards are handed out until 14:00 only.")
        shoot(page, "notices")
        page.get_by_role("button", name="Zapisz komunikaty").click()
        expect(page.locator("#status")).to_contain_text("Komunikaty zapisane")
        page.reload()
        expect(page.locator("#ticker-en")).to_have_value("Window 3 is closed today.")
        expect(page.locator("#kiosk-pl")).to_have_value("Odbiór kart tylko do 14:00.")
        expect(page.locator("#ticker-ru")).to_have_value("")
        board = context.new_page()
        board.goto(demo_server.enroll["hall"])
        expect(board.locator("body")).to_contain_text("Okienko 3 jest dziś nieczynne.")
        assert errors == []
    finally:
        context.close()


def test_the_audit_log_shows_who_changed_what(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/services?lang=en")
        row = page.locator('#priority-rows tr[data-priority="veteran"]')
        row.get_by_role("button", name="Edit veteran").click()
        dialog = page.locator("#priority-dialog")
        dialog.get_by_label("English").fill("Veteran of the armed forces")
        dialog.get_by_role("button", name="Save").click()
        expect(row).to_contain_text("Veteran of the armed forces")
        page.goto("/admin/audit?lang=en")
        newest = page.locator("#audit-rows tr").first
        expect(newest).to_contain_text("kierownik")
        expect(newest).to_contain_text("veteran")
        expect(newest).to_contain_text("Veteran → Veteran of the armed forces")
        shoot(page, "audit")
        assert axe_violations(page) == []
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        exported = download.value.path().read_text(encoding="utf-8")
        assert exported.startswith("id,at,actor,action,target,before,after")
        assert "Veteran of the armed forces" in exported
        assert errors == []
    finally:
        context.close()


def _plain_day(page: Page, weekdays: tuple[int, ...], at_least: int) -> str:
    """The first date in the calendar, `at_least` days from today, on one of `weekdays` (0 = Monday),
    that has nothing of its own (no closure, holiday or own hours)."""
    expect(page.locator("#calendar-rows .day-button").first).to_be_visible()
    wait_loaded(page)
    first = datetime.now(WARSAW).date() + timedelta(days=at_least)
    for offset in range(40):
        day = first + timedelta(days=offset)
        button = page.locator(f'.day-button[data-date="{day.isoformat()}"]')
        if day.weekday() in weekdays and button.count() and button.locator(".day-note").count() == 0:
            return day.isoformat()
    raise AssertionError("no plain day in the calendar")


def test_a_saturday_opening_is_added(browser: Browser, demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/days?lang=en")
        saturday = _plain_day(page, (5,), 1)
        page.locator(f'.day-button[data-date="{saturday}"]').click()
        expect(page.get_by_label("Date")).to_have_value(saturday)
        page.get_by_label("Open at these hours").check()
        page.get_by_label("Hours", exact=True).fill("09:00-13:00")
        page.get_by_label("Reason (for staff)").fill("Information Saturday")
        page.get_by_role("button", name="Check who is affected").click()
        expect(page.locator("#affected-summary")).to_have_text("Nobody booked is affected. You can save.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Saved. People told: 0.")
        cell = page.locator(f'.day-button[data-date="{saturday}"]')
        expect(cell).to_contain_text("09:00-13:00")
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, "days")
        assert errors == []
    finally:
        context.close()


def test_closing_a_day_with_bookings_shows_who_first_and_tells_them(browser: Browser,
                                                                    demo_server: DemoServer) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/days?lang=en")
        day = _plain_day(page, (1, 2, 3), 3)
        ahead = (datetime.fromisoformat(day).date() - datetime.now(WARSAW).date()).days
        week_later = _plain_day(page, (1, 2, 3), ahead + 7)   # where a visit is moved to
        at = datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=WARSAW)
        olena = demo_server.book(at, name="Olena Kovalenko", email="olena@example.com", language="uk")
        jan = demo_server.book(at + timedelta(minutes=20), name="Jan Kowalski", email="jan@example.com",
                               language="pl")
        page.reload()
        button = page.locator(f'.day-button[data-date="{day}"]')
        button.click()
        page.get_by_label("Closed", exact=True).check()
        page.get_by_label("Reason (for staff)").fill("Staff training")
        page.get_by_role("button", name="Check who is affected").click()
        expect(page.locator("#affected-summary")).to_contain_text("Booked visits affected: 2.")
        rows = page.locator("#affected-rows tr")
        expect(rows).to_have_count(2)
        expect(page.locator(f'#affected-rows tr[data-code="{olena}"]')).to_contain_text("Olena Kovalenko")
        expect(page.locator(f'#affected-rows tr[data-code="{olena}"]')).to_contain_text("10:00")
        expect(page.locator(f'#affected-rows tr[data-code="{jan}"]')).to_contain_text("10:20")
        shoot(page, "days-preview")
        assert axe_violations(page) == []
        assert not any(message["recipient"] in ("olena@example.com", "jan@example.com")
                       for message in demo_server.outbox())   # nobody is told before saving
        page.get_by_role("button", name="Save and tell them (2)").click()
        expect(page.locator("#status")).to_contain_text("Saved. People told: 2.")
        expect(button).to_contain_text("Closed")
        told = {message["recipient"]: message for message in demo_server.outbox()}
        assert {"olena@example.com", "jan@example.com"} <= set(told)
        assert re.search("[а-яіїє]", told["olena@example.com"]["body"], re.IGNORECASE)   # in Ukrainian
        assert olena in told["olena@example.com"]["body"] and jan in told["jan@example.com"]["body"]

        # The day's bookings: the two whose day closed come first, flagged; one is cancelled for its visitor.
        page.goto(f"/admin/bookings?lang=en&day={day}")
        flagged = page.locator("#booking-rows tr.is-flagged")
        expect(flagged).to_have_count(2)
        expect(flagged.first).to_contain_text("Day closed")
        shoot(page, "bookings")
        assert axe_violations(page) == []
        page.get_by_label("Code, name or time").fill("Kowalski")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#booking-rows tr")).to_have_count(1)
        jan_row = page.locator(f'#booking-rows tr[data-code="{jan}"]')
        jan_row.get_by_role("button", name=f"Details {jan}").click()
        details = page.locator("#booking-dialog")
        expect(details).to_contain_text("Jan Kowalski")
        expect(details.locator("#history-rows")).to_contain_text(
            "Day closed by the office: the visitor was asked to choose another time")
        shoot(page, "bookings-history")
        assert axe_violations(page) == []
        details.get_by_role("button", name="Close").click()
        jan_row.get_by_role("button", name=f"Cancel… {jan}").click()
        page.get_by_label("Reason (kept in the audit log, not sent to the visitor)").fill("asked by phone")
        page.get_by_role("button", name="Cancel the booking").click()
        expect(page.locator("#status")).to_contain_text(f"Booking {jan} cancelled")
        expect(jan_row).to_contain_text("cancelled")
        # Olena's visit moves to 10:00 a week or so later, on her behalf; she is told.
        page.get_by_label("Code, name or time").fill(olena)
        page.get_by_role("button", name="Search").click()
        olena_row = page.locator(f'#booking-rows tr[data-code="{olena}"]')
        olena_row.get_by_role("button", name=f"Move… {olena}").click()
        page.get_by_label("New date and time (a free slot of the same service)").fill(f"{week_later}T10:00")
        page.get_by_role("button", name="Move and tell the visitor").click()
        expect(page.locator("#status")).to_contain_text(f"Booking {olena} moved")
        written = [message for message in demo_server.outbox() if message["recipient"] == "olena@example.com"]
        assert len(written) >= 2
        assert errors == []
    finally:
        context.close()


def test_switching_off_a_service_with_people_waiting_asks_first(browser: Browser, demo_server: DemoServer) -> None:
    ticket = demo_server.take_ticket("I")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/services?lang=en")
        row = page.locator('#service-rows tr[data-service="I"]')
        expect(row).to_contain_text("waiting: 1")
        row.get_by_role("button", name="Switch off").click()
        confirm = page.locator("#confirm-dialog")
        expect(confirm).to_be_visible()
        expect(confirm.locator("#confirm-question")).not_to_be_empty()   # the API's reason, with the count
        confirm.get_by_role("button", name="Cancel").click()
        expect(row).to_contain_text("On")
        row.get_by_role("button", name="Switch off").click()
        confirm.get_by_role("button", name="Switch off").click()
        expect(row).to_contain_text("Switched off")
        expect(page.locator("#status")).to_contain_text("Service I switched off")
        status, cancelled = demo_server.api("GET", f"/api/v1/tickets/{ticket['id']}")
        assert (status, cancelled["status"]) == (200, "cancelled")
        row.get_by_role("button", name="Switch on").click()
        expect(row).not_to_contain_text("Switched off")
        assert errors == []
    finally:
        context.close()

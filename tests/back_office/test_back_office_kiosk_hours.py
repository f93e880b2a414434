"""A service's weekly hours changed in the back office change the kiosk's service list, in a real
headless Chromium against `okienko demo` of its own (the test makes the demo office keep its real
hours, which the other back-office tests must not meet)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


def _weekday_key(moment: datetime) -> str:
    return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[moment.weekday()]


def test_a_service_whose_hours_change_changes_on_the_kiosk(browser: Browser, demo_server: DemoServer) -> None:
    now = datetime.now(WARSAW)
    if now.hour == 23 and now.minute >= 50:
        pytest.skip("too close to midnight for a day's hours to cover the test")
    # The demo is open at any hour; this office keeps its real hours from the next change on.
    demo_server.sql("UPDATE offices SET always_open = 0")
    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920}, base_url=demo_server.url,
                                        locale="pl-PL")
    kiosk = kiosk_context.new_page()
    kiosk.goto(demo_server.enroll["hall-2"])
    kiosk_k = kiosk.locator('.service[data-service="K"]')
    expect(kiosk_k).to_be_visible()
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    today = _weekday_key(now)
    try:
        page.goto("/admin/services?lang=en")
        row = page.locator('#service-rows tr[data-service="K"]')
        expect(row).to_be_visible()
        shoot(page, "services")
        # Closed today: the kiosk shows K as closed.
        row.get_by_role("button", name="Edit K").click()
        dialog = page.locator("#service-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label("Polski", exact=True)).to_have_value("Odbiór karty pobytu")
        shoot(page, "services-edit")
        dialog.locator(f'[name="hours.{today}"]').fill("")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#status")).to_contain_text("Service K saved")
        expect(kiosk_k).to_have_class(re.compile(r"\bis-closed\b"), timeout=20_000)
        # Open all day today, the last ticket up to closing: K is open on the kiosk again.
        row.get_by_role("button", name="Edit K").click()
        dialog.locator(f'[name="hours.{today}"]').fill("00:00-23:59")
        dialog.get_by_label("Last ticket, minutes before closing").fill("0")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("00:00-23:59")
        expect(kiosk_k).not_to_have_class(re.compile(r"\bis-closed\b"), timeout=20_000)
        # A mistake is refused with the office file's own words, next to the field.
        row.get_by_role("button", name="Edit K").click()
        dialog.locator(f'[name="hours.{today}"]').fill("8-15")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog.locator(".field-error")).to_be_visible()
        expect(dialog.locator(f'[name="hours.{today}"]')).to_have_attribute("aria-invalid", "true")
        shoot(page, "services-invalid")
        assert axe_violations(page) == []
        dialog.get_by_role("button", name="Cancel").click()
        expect(page.locator("#error")).to_be_empty()
        assert errors == []
    finally:
        context.close()
        kiosk_context.close()


def _next_working_day(after: datetime) -> datetime:
    """The first Tuesday to Friday after `after` that is not a public holiday, at 10:00 in Warsaw."""
    import holidays

    closed = holidays.country_holidays("PL", years=[after.year, after.year + 1])
    day = after.date() + timedelta(days=1)
    while day.weekday() not in (1, 2, 3, 4) or day in closed:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=WARSAW)


def test_a_booking_schedule_cut_says_whose_visits_it_takes_then_tells_them(browser: Browser,
                                                                           demo_server: DemoServer) -> None:
    visit = _next_working_day(datetime.now(WARSAW))
    code = demo_server.book(visit, name="Oksana Melnyk", email="oksana@example.com", language="uk")
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/services?lang=en")
        row = page.locator('#service-rows tr[data-service="A"]')
        expect(row).to_contain_text("Online booking")
        row.get_by_role("button", name="Edit A").click()
        dialog = page.locator("#service-dialog")
        expect(dialog.get_by_label("Online booking: visitors book a time")).to_be_checked()
        expect(dialog.get_by_label("Length of a slot (minutes)")).to_have_value("20")
        day_field = dialog.locator(f'[name="booking.days.{_weekday_key(visit)}"]')
        expect(day_field).to_have_value("08:00-14:40")
        dialog.locator("#service-booking").evaluate("fieldset => fieldset.scrollIntoView()")
        shoot(page, "services-booking")
        breaks = dialog.get_by_label("Breaks without slots")
        breaks.fill("12:00-12:20, noon")   # a mistake: said next to the field, in the office file's words
        dialog.get_by_role("button", name="Save").click()
        expect(breaks).to_have_attribute("aria-invalid", "true")
        expect(dialog.locator(".field-error")).to_contain_text("'noon' is not HH:MM-HH:MM")
        breaks.fill("12:00-12:20")
        day_field.fill("")
        dialog.get_by_role("button", name="Save").click()
        question = page.locator("#confirm-dialog")
        expect(question).to_be_visible()
        expect(question).to_contain_text(code)
        expect(question).to_contain_text("before the public can")
        question.get_by_role("button", name="Cancel").click()   # not yet: nothing changes
        expect(dialog).to_be_visible()
        assert not [m for m in demo_server.outbox() if m["recipient"] == "oksana@example.com"]
        dialog.get_by_role("button", name="Save").click()
        question.get_by_role("button", name="Save and tell them").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#status")).to_contain_text("Service A saved")
        told = [m for m in demo_server.outbox() if m["recipient"] == "oksana@example.com"]
        assert len(told) == 1 and code in told[0]["body"] and "/book/manage/" in told[0]["body"]
        # Not bookable online any more (no other booking ahead: nobody to ask about), walk-ins stay.
        row.get_by_role("button", name="Edit A").click()
        dialog.get_by_label("Online booking: visitors book a time").uncheck()
        expect(dialog.get_by_label("Length of a slot (minutes)")).to_be_disabled()
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()
        expect(row).not_to_contain_text("Online booking")
        status, office = demo_server.api("GET", "/api/v1/admin/office", token=demo_server.staff_token("kierownik"))
        assert status == 200 and next(s for s in office["services"] if s["code"] == "A")["booking"] is None
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_office_s_settings_and_booking_rules_are_saved_and_shown_again(browser: Browser, demo_server: DemoServer,
                                                                          language: str) -> None:
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", language, errors)
    labels = {"pl": ("Niepotwierdzone miejsce jest trzymane (minuty)", "Nowo udostępniony dzień jest rozdzielany",
                     "Zapisz ustawienia urzędu", "Ustawienia urzędu zapisane", "Strefa czasowa",
                     "Przypomnienia (godziny przed wizytą)", "Godziny ciszy (bez przypomnień)"),
              "en": ("An unconfirmed place is held (minutes)", "A newly released day is given out",
                     "Save office settings", "Office settings saved", "Time zone",
                     "Reminders (hours before the visit)", "Quiet hours (no reminders)")}[language]
    try:
        page.goto(f"/admin/office?lang={language}")
        hold = page.get_by_label(labels[0])
        expect(hold).to_have_attribute("placeholder", "10")
        expect(page.get_by_label(labels[4])).to_have_value("Europe/Warsaw")
        shoot(page, f"office-{language}")   # axe: test_back_office_axe.py
        expect(page.get_by_label(labels[5])).to_have_value("24, 2")          # the defaults, shown
        expect(page.get_by_label(labels[6])).to_have_value("21:00-08:00")
        hold.fill("12")
        page.get_by_label(labels[1]).select_option("draw")
        page.get_by_label(labels[5]).fill("48, 3")
        page.get_by_label(labels[6]).fill("22:00-07:00")
        page.get_by_role("button", name=labels[2]).click()
        expect(page.locator("#status")).to_contain_text(labels[3])
        page.reload()
        expect(page.get_by_label(labels[0])).to_have_value("12")
        expect(page.get_by_label(labels[1])).to_have_value("draw")
        expect(page.get_by_label(labels[5])).to_have_value("48, 3")
        expect(page.get_by_label(labels[6])).to_have_value("22:00-07:00")
        status, office = demo_server.api("GET", "/api/v1/admin/office", token=demo_server.staff_token("kierownik"))
        assert office["office"]["booking"]["hold_minutes"] == 12 and office["office"]["booking"]["release_mode"] == "draw"
        assert office["office"]["booking"]["reminders"] == [48, 3]
        assert office["office"]["booking"]["quiet_hours"] == "22:00-07:00"
        assert "waitlist" not in office["office"]["booking"] or office["office"]["booking"]["waitlist"] is not None
        # Put back as the demo had it: the other language's run starts from the same page.
        page.get_by_label(labels[0]).fill("")
        page.get_by_label(labels[1]).select_option("first_come")
        page.get_by_label(labels[5]).fill("24, 2")
        page.get_by_label(labels[6]).fill("21:00-08:00")
        page.get_by_role("button", name=labels[2]).click()
        expect(page.locator("#status")).to_contain_text(labels[3])
        assert errors == []
    finally:
        context.close()

"""Event statistics in the back office: a manager picks events and sees them side by side, the
figures the hall's own day made (tickets taken at the kiosk, called, served at a window), in
English and Polish, at 1440x900 and 1080x1920, with no WCAG 2.1 AA violation."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from okienko.storage.models import Event, Office
from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")
SCREENSHOTS = os.environ.get("OKIENKO_EVENT_STATS_SHOTS")   # a folder to look at the page in


def add_event(server: DemoServer, day: date, services: list[str], title: str, status: str = "published") -> int:
    """An event row as the back office's events section writes it (another capability: only its table here)."""
    now = datetime.now(timezone.utc)
    engine = server.database()
    try:
        with engine.begin() as conn:
            office_id = conn.execute(sa.select(Office.__table__.c.id)).scalar_one()
            return conn.execute(sa.insert(Event.__table__).values(
                office_id=office_id, day=day, opens_minute=0, closes_minute=24 * 60 - 1,
                titles={"pl": title, "en": f"{title} (EN)"}, descriptions={}, services=services,
                booking_opens_at=None, status=status, sequence=0, created_at=now, updated_at=now)
                .returning(Event.__table__.c.id)).scalar_one()
    finally:
        engine.dispose()


def test_a_manager_compares_events_side_by_side(browser: Browser, demo_server: DemoServer) -> None:
    today = datetime.now(WARSAW).date()
    now_event = add_event(demo_server, today, ["A", "K"], "Sobota informacyjna")
    earlier = add_event(demo_server, today - timedelta(days=7), ["A"], "Pierwsza sobota")
    add_event(demo_server, today - timedelta(days=14), ["A"], "Szkic", status="draft")
    boss = demo_server.staff_token("kierownik")
    status, before = demo_server.api("GET", f"/api/v1/admin/events/stats?ids={now_event}", token=boss)
    assert status == 200, before
    rows = {row["code"]: row for row in before["events"][0]["services"]}
    # The hall's day: two walk-ins for A (one served at window 2), one for K.
    demo_server.take_ticket("A")
    demo_server.take_ticket("A")
    demo_server.take_ticket("K")
    clerk = demo_server.staff_token("urzednik")
    assert demo_server.api("POST", "/api/v1/windows/2/sign-in", {}, token=clerk)[0] == 200
    status, called = demo_server.api("POST", "/api/v1/windows/2/call-next", {}, token=clerk)
    assert status == 200, called
    for action in ("start", "finish"):
        assert demo_server.api("POST", f"/api/v1/tickets/{called['id']}/{action}", {}, token=clerk)[0] == 200
    assert demo_server.api("POST", "/api/v1/windows/2/sign-out", {}, token=clerk)[0] == 204

    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", "en", errors)
    try:
        page.goto("/admin/event-stats?lang=en")
        expect(page.locator("h1")).to_have_text("Event statistics")
        expect(page.locator("nav.sections a[aria-current=page]")).to_have_text("Event statistics")
        # By default the last past events, oldest first; the draft is not offered.
        events = page.locator("#stats-table tbody")
        expect(events).to_have_count(2)
        assert [events.nth(i).get_attribute("data-event") for i in range(2)] == [str(earlier), str(now_event)]
        choices = page.locator("#event-choices input[type=checkbox]")
        expect(choices).to_have_count(2)
        this_one = page.locator(f'#stats-table tbody[data-event="{now_event}"]')
        expect(this_one.locator("tr.event-row")).to_contain_text("Sobota informacyjna (EN)")
        expect(this_one.locator("tr.event-row")).to_contain_text("still open")
        a_row = this_one.locator('tr[data-service="A"]')
        expect(a_row.locator("th")).to_have_text("Filing a residence application")
        expect(a_row.locator('[data-figure="tickets_walk_in"]')).to_have_text(str(rows["A"]["tickets_walk_in"] + 2))
        expect(a_row.locator('[data-figure="served"]')).to_have_text(str(rows["A"]["served"] + 1))
        expect(a_row.locator('[data-figure="service_median_seconds"]')).to_have_text(re.compile(r"^\d+(\.\d)? min$"))
        k_row = this_one.locator('tr[data-service="K"]')
        expect(k_row.locator('[data-figure="waiting_at_close"]')).to_have_text(str(rows["K"]["waiting_at_close"] + 1))
        total = this_one.locator("tr.total-row")
        expect(total.locator("th")).to_have_text("Total")
        expect(total.locator('[data-figure="tickets_walk_in"]')).to_have_text(
            str(rows["A"]["tickets_walk_in"] + rows["K"]["tickets_walk_in"] + 3))
        assert axe_violations(page) == []
        shoot(page, "event-stats")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/event-stats-en.png", full_page=True)

        # Only the earlier one: the table, the address and the CSV link follow the choice.
        page.get_by_label(re.compile("Sobota informacyjna")).uncheck()
        page.get_by_role("button", name="Compare").click()
        expect(events).to_have_count(1)
        expect(page.locator(f'#stats-table tbody[data-event="{earlier}"] tr.total-row')).to_be_visible()
        assert parse_qs(urlparse(page.url).query)["ids"] == [str(earlier)]
        csv_link = page.get_by_role("link", name="Download CSV").get_attribute("href") or ""
        assert parse_qs(urlparse(csv_link).query)["ids"] == [str(earlier)]
        page.reload()
        expect(events).to_have_count(1)
        expect(page.get_by_label(re.compile("Pierwsza sobota"))).to_be_checked()
        # Nothing chosen: said, and nothing sent.
        page.get_by_label(re.compile("Pierwsza sobota")).uncheck()
        page.get_by_role("button", name="Compare").click()
        expect(page.locator("#error")).to_have_text("Choose at least one event.")
        assert errors == []
    finally:
        context.close()

    # In Polish, upright (1080x1920): the same table, the page's own words.
    context, page = sign_in(browser, demo_server, "kierownik", "pl", errors)
    try:
        page.set_viewport_size({"width": 1080, "height": 1920})
        page.goto(f"/admin/event-stats?lang=pl&ids={now_event}")
        expect(page.locator(f'#stats-table tbody[data-event="{now_event}"] tr.event-row')).to_contain_text(
            "Sobota informacyjna")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        assert axe_violations(page) == []
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/event-stats-pl-portrait.png", full_page=True)
        assert errors == []
    finally:
        context.close()

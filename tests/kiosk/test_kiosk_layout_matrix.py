"""The kiosk's start screen in every language (all nine of i18n.LANGUAGES), both orientations, with no
banner, the priority banner, an information Saturday's announcement, and both banners together, in
the standard and the accessibility mode (issue 13).

What a visitor must see on every service card: nothing cut off, the "People waiting" and "Estimated
wait" labels (the accessibility mode shows icons for them by design), the figures clear of the card's
bottom edge, and in landscape the Polish name under a foreign one wherever portrait shows it; in the
accessibility mode on a portrait screen every control below its middle. The
language picker: every language as a large target named in its own language and script, none cut
off, none over another.

Fast: one demo, one page per orientation, one page load per language (its office has a Saturday
announced, so the event's notice is on the page; the test removes it for the states without it,
as the page is rendered when no event is near), the banner and the mode by their buttons.
Languages whose catalogs are still empty show English here; the same checks measure their own text
once translated. Screenshots of the states with both banners (and of any state with a problem) go to
/tmp/kiosk-matrix/ for a person to look at; OKIENKO_MATRIX_SHOTS=1 takes one of every state.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from okienko.i18n import LANGUAGES
from tests.back_office.screens import DemoServer as ApiServer
from tests.conftest import _OVERFLOW_JS as OVERFLOW_JS
from tests.conftest import running_demo
from tests.kiosk import test_kiosk_browser as shared
from tests.kiosk.test_kiosk_browser import CONTROLS, CUT_OFF_CHECKED, LANDSCAPE, PORTRAIT, DemoServer, OpenKiosk

# The kiosk tests' fixtures (Chromium, a signed-in kiosk page): pytest finds them by name.
browser, chromium_path, kiosk = shared.browser, shared.chromium_path, shared.kiosk

pytestmark = pytest.mark.browser

MATRIX = Path("/tmp/kiosk-matrix")
EVERY_SHOT = os.environ.get("OKIENKO_MATRIX_SHOTS") == "1"
TEXT_CHECKED = (CUT_OFF_CHECKED + ", .service-name, .service-name-pl, .stat-text, .stat-value, .priority-banner, "
                ".screen-start .lead, .screen-start h1, .kiosk-event, .kiosk-event-text p")
MIN_BOTTOM_GAP = 8  # px (0.5rem) between the lowest figure and the inside of the card's bottom border
MIN_TARGET = {"width": 72, "height": 56}  # px: a language is a finger's target (about 20 x 15 mm at 1080p)
# An information Saturday's title in each language: the notice as long as the office would make it.
EVENT_TITLES = {"pl": "Sobota informacyjna dla cudzoziemców", "en": "Information Saturday for foreigners",
                "uk": "Інформаційна субота для іноземців", "ru": "Информационная суббота для иностранцев",
                "be": "Інфармацыйная субота для замежнікаў", "vi": "Ngày thứ Bảy thông tin cho người nước ngoài",
                "hi": "विदेशियों के लिए सूचना शनिवार", "ka": "საინფორმაციო შაბათი უცხოელებისთვის",
                "tr": "Yabancılar için bilgilendirme cumartesisi"}

# Each open card: its labels as a person sees them, whether its Polish line shows, and the room
# between its lowest figure and the inside of its bottom border.
CARDS_JS = """() => [...document.querySelectorAll('#services .service:not(.is-closed)')].map((card) => {
  const seen = (e) => !!e && e.getClientRects().length > 0 && e.getBoundingClientRect().width > 2
                      && e.getBoundingClientRect().height > 2 && getComputedStyle(e).visibility !== 'hidden';
  const bottom = card.getBoundingClientRect().bottom - parseFloat(getComputedStyle(card).borderBottomWidth);
  const figures = [...card.querySelectorAll('.stat-value')].map((e) => e.getBoundingClientRect().bottom);
  return {service: card.dataset.service,
          labels: [...card.querySelectorAll('.stat-label')].filter(seen).map((e) => e.textContent.trim()),
          polish: seen(card.querySelector('.service-name-pl')),
          gap: Math.round(bottom - Math.max(...figures))};
})"""

# Elements cut by a box around them that hides what overflows it (overflow_problems sees only their own).
CLIPPED_JS = """(selectors) => [...document.querySelectorAll(selectors)].filter((e) => e.getClientRects().length)
  .flatMap((e) => {
    const box = e.getBoundingClientRect(), cut = [];
    for (let outer = e.parentElement; outer; outer = outer.parentElement) {
      if (getComputedStyle(outer).overflow === 'visible') continue;
      const edge = outer.getBoundingClientRect();
      if (box.top < edge.top - 1 || box.bottom > edge.bottom + 1 || box.left < edge.left - 1
          || box.right > edge.right + 1) {
        cut.push(`${e.className} "${e.textContent.trim().slice(0, 30)}" is clipped by ${outer.className}`);
      }
    }
    return cut;
  })"""

# The language links as a visitor sees them: name, language, box.
PICKER_JS = """() => [...document.querySelectorAll('.language')].map((e) => {
  const box = e.getBoundingClientRect();
  return {code: e.dataset.lang, lang: e.lang, name: e.textContent.trim(), left: box.left, right: box.right,
          top: box.top, bottom: box.bottom, width: box.width, height: box.height,
          shown: e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'};
})"""


def next_saturday(now: datetime) -> str:
    day = now.date() + timedelta(days=(5 - now.weekday()) % 7 or 7)   # 1 to 7 days ahead: announced
    return day.isoformat()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`okienko demo` with an information Saturday published for the coming Saturday, so that the
    kiosk's start screen announces it (public_events.ANNOUNCE_DAYS)."""
    data_dir = tmp_path_factory.mktemp("kiosk-matrix-demo")
    with running_demo(data_dir) as demo:
        enroll = demo.links("kiosk")
        manager = demo.staff_token("kierownik")
        api = ApiServer(demo.url, data_dir, enroll, demo.token("kiosk", "hall-1"), demo.staff_token)
        status, created = api.api("POST", "/api/v1/admin/events", {
            "date": next_saturday(datetime.now(ZoneInfo("Europe/Warsaw"))), "opens": "08:00", "closes": "15:00",
            "titles": EVENT_TITLES, "services": ["C", "D"], "booking_opens_at": "2020-01-01T00:00"}, token=manager)
        assert status == 201, created
        status, published = api.api("POST", f"/api/v1/admin/events/{created['event']['id']}/publish", token=manager)
        assert status == 200, published
        yield DemoServer(demo.url, enroll)


def set_banner(page: Page, on: bool) -> None:
    toggle = page.locator("#priority-toggle")
    if (toggle.get_attribute("aria-pressed") == "true") == on:
        return
    toggle.click()
    if on:  # the longest name makes the tallest banner
        categories = page.locator(".category")
        names = categories.evaluate_all("els => els.map(e => e.dataset.name.length)")
        categories.nth(names.index(max(names))).click()
    banner = expect(page.locator("#priority-banner"))
    banner.to_be_visible() if on else banner.to_be_hidden()


def set_a11y(page: Page, on: bool) -> None:
    if (page.locator("#a11y-toggle").get_attribute("aria-pressed") == "true") != on:
        page.locator("#a11y-toggle").click()


def drop_event(page: Page) -> None:
    """The start screen as it is when no event is near: without the notice, the matters refitted."""
    page.evaluate("() => { document.getElementById('kiosk-event').remove(); dispatchEvent(new Event('resize')); }")


def picker_problems(links: list[dict[str, Any]]) -> list[str]:
    """The language links (PICKER_JS): each language once, in its own name and script, large, apart."""
    problems = []
    if [link["code"] for link in links] != list(LANGUAGES):
        problems.append(f"languages offered: {[link['code'] for link in links]}")
    for link in links:
        if link["name"].removeprefix("✓").strip() != LANGUAGES.get(link["code"]) or link["lang"] != link["code"]:
            problems.append(f"{link['code']} is offered as {link['name']!r} (lang={link['lang']!r})")
        if not link["shown"] or link["width"] < MIN_TARGET["width"] or link["height"] < MIN_TARGET["height"]:
            problems.append(f"{link['code']} is a {link['width']:.0f}x{link['height']:.0f} target")
    for place, first in enumerate(links):
        for other in links[place + 1:]:
            if (first["left"] < other["right"] - 1 and other["left"] < first["right"] - 1
                    and first["top"] < other["bottom"] - 1 and other["top"] < first["bottom"] - 1):
                problems.append(f"{first['code']} overlaps {other['code']}")
    return problems


# Everything measured on one screen in one call into the page (the matrix has 144 screens).
MEASURE_JS = f"""(selectors) => ({{overflow: ({OVERFLOW_JS})(selectors), clipped: ({CLIPPED_JS})(selectors + ", .stat-label"),
                                   picker: ({PICKER_JS})(), cards: ({CARDS_JS})(),
                                   controls: [...document.querySelectorAll("{CONTROLS}, #have-booking")]
                                     .filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect().top)}})"""


def check(page: Page, name: str, accessible: bool, shoot: bool) -> tuple[list[str], dict[str, bool]]:
    """The problems a visitor would see on this screen, and which cards show their Polish line."""
    measured = page.evaluate(MEASURE_JS, TEXT_CHECKED)
    problems = [f"{name}: {p}" for p in measured["overflow"] + measured["clipped"] + picker_problems(measured["picker"])]
    cards: list[dict[str, Any]] = measured["cards"]
    size = page.viewport_size or PORTRAIT
    if accessible and size["height"] > size["width"] and min(measured["controls"]) < size["height"] / 2:
        problems.append(f"{name}: a control starts {min(measured['controls']):.0f}px from the top, above the middle")
    assert cards, name
    for card in cards:
        if not accessible and len(card["labels"]) != 2:
            problems.append(f"{name}: {card['service']} shows labels {card['labels']}")
        if card["gap"] < MIN_BOTTOM_GAP:
            problems.append(f"{name}: {card['service']}'s figures are {card['gap']}px from its bottom edge")
    if shoot or problems or EVERY_SHOT:
        page.screenshot(path=str(MATRIX / f"{name}.png"))
    return problems, {card["service"]: card["polish"] for card in cards}


# One page load per language: the states with the event's notice first, then without it, each one
# toggle away from the one before.
STATES = (("standard", "event"), ("standard", "both"), ("a11y", "both"), ("a11y", "event"),
          ("a11y", "plain"), ("a11y", "priority"), ("standard", "priority"), ("standard", "plain"))


def test_every_language_orientation_banner_and_mode_fits(kiosk: OpenKiosk) -> None:
    MATRIX.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    polish: dict[tuple[str, ...], dict[str, bool]] = {}
    for viewport in (PORTRAIT, LANDSCAPE):  # portrait first: it says where the Polish line belongs
        size = f"{viewport['width']}x{viewport['height']}"
        page = kiosk(viewport)
        page.clock.install()  # the figures stay as they are while the screen is measured
        for language in LANGUAGES:
            page.goto(f"/kiosk/?lang={language}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("#kiosk-event-title")).to_contain_text(EVENT_TITLES[language])
            for mode, banners in STATES:
                if banners in ("plain", "priority") and page.locator("#kiosk-event").count():
                    drop_event(page)
                set_a11y(page, mode == "a11y")
                set_banner(page, banners in ("priority", "both"))
                state = (language, mode, banners)
                found, shown = check(page, "-".join((size, *state)), mode == "a11y", shoot=banners == "both")
                problems += found
                if viewport is PORTRAIT:
                    polish[state] = shown
                elif language != "pl":
                    dropped = [s for s, on in polish[state].items() if on and not shown.get(s)]
                    if dropped:
                        problems.append(f"{size}-{'-'.join(state)}: Polish line dropped on {dropped}")
                if language != "pl" and state[1:] == ("standard", "plain") and viewport is PORTRAIT and not any(shown.values()):
                    problems.append(f"{size}-{'-'.join(state)}: no card shows its Polish name")
    assert problems == [], "\n".join(problems)

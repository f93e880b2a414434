"""The kiosk's start screen in every language, both orientations, with and without the priority
banner, in the standard and the accessibility mode (issue 13).

What a visitor must see on every service card: nothing cut off, the "People waiting" and "Estimated
wait" labels (the accessibility mode shows icons for them by design), the figures clear of the card's
bottom edge, and in landscape the Polish name under a foreign one wherever portrait shows it.
One page per orientation: the language by its link, the banner and the mode by their buttons.
Screenshots go to /tmp/kiosk-matrix/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import overflow_problems
from tests.kiosk import test_kiosk_browser as shared
from tests.kiosk.test_kiosk_browser import CUT_OFF_CHECKED, LANDSCAPE, PORTRAIT, OpenKiosk

# The kiosk tests' fixtures (a demo server, Chromium, a signed-in kiosk page): pytest finds them by name.
browser, chromium_path, demo_server, kiosk = shared.browser, shared.chromium_path, shared.demo_server, shared.kiosk

pytestmark = pytest.mark.browser

MATRIX = Path("/tmp/kiosk-matrix")
LANGUAGES = ("pl", "en", "uk", "ru")
TEXT_CHECKED = (CUT_OFF_CHECKED + ", .service-name, .service-name-pl, .stat-text, .stat-value, .priority-banner, "
                ".screen-start .lead, .screen-start h1")
MIN_BOTTOM_GAP = 8  # px (0.5rem) between the lowest figure and the inside of the card's bottom border

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


def check(page: Page, name: str, accessible: bool) -> tuple[list[str], dict[str, bool]]:
    """The problems a visitor would see on this screen, and which cards show their Polish line."""
    page.wait_for_timeout(50)
    page.screenshot(path=str(MATRIX / f"{name}.png"))
    problems = [f"{name}: {p}" for p in overflow_problems(page, TEXT_CHECKED)]
    problems += [f"{name}: {p}" for p in page.evaluate(CLIPPED_JS, TEXT_CHECKED + ", .stat-label")]
    cards: list[dict[str, Any]] = page.evaluate(CARDS_JS)
    assert cards, name
    for card in cards:
        if not accessible and len(card["labels"]) != 2:
            problems.append(f"{name}: {card['service']} shows labels {card['labels']}")
        if card["gap"] < MIN_BOTTOM_GAP:
            problems.append(f"{name}: {card['service']}'s figures are {card['gap']}px from its bottom edge")
    return problems, {card["service"]: card["polish"] for card in cards}


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
            for accessible, banner in ((False, False), (False, True), (True, True), (True, False)):
                set_a11y(page, accessible)
                set_banner(page, banner)
                state = (language, "a11y" if accessible else "standard", "banner" if banner else "plain")
                found, shown = check(page, "-".join((size, *state)), accessible)
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

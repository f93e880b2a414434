"""The public pages: the live queue, the accessibility statement, the not-found page and the
favicon, as a browser and as a script see them (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from okienko.settings import SettingsError, load_settings
from tests.okienko.booking.test_bookings import TUESDAY
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def text_of(html: str) -> str:
    """The page's words, tags left out and spaces squeezed, as a reader takes them in."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def service_card(html: str, code: str) -> str:
    found = re.search(rf'<li class="queue-service" data-code="{code}">(.*?)</li>', html, re.S)
    assert found, html
    return text_of(found.group(1))


# --- the not-found page and the favicon ---------------------------------------------------------

@pytest.mark.parametrize("language, heading", [("pl", "Nie znaleziono strony"), ("en", "Page not found"),
                                               ("uk", "Сторінку не знайдено"), ("ru", "Страница не найдена")])
async def test_a_browser_gets_a_page_in_its_language_for_an_unknown_address(
        office_factory: Any, language: str, heading: str) -> None:
    office = await office_factory(TUESDAY)
    answer = await office.client.get("/no/such/page", headers={**BROWSER, "Accept-Language": language})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert f'<html lang="{language}">' in answer.text
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page = text_of(answer.text)
    if language == "en" or heading in page:   # a catalog without the lead's merge yet shows English
        assert heading in page or "Page not found" in page
    assert 'href="/?lang=' in answer.text and 'href="/accessibility?lang=' in answer.text


async def test_scripts_and_the_api_get_json_for_an_unknown_address(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    for path, headers in [("/no/such/page", {"Accept": "application/json"}), ("/no/such/page", {}),
                          ("/api/v1/no-such-thing", BROWSER), ("/api/v2/services", BROWSER)]:
        answer = await office.client.get(path, headers={**headers, "Accept-Language": "en"})
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/json", (path, headers)
        assert answer.json() == {"error": "not_found", "message": answer.json()["message"]}
        assert answer.json()["message"]
    # Not a 404: still JSON (a 405 with its Allow header), whoever asks.
    wrong_method = await office.client.delete("/queue", headers=BROWSER)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"


async def test_the_favicon_is_an_icon_of_our_own(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    icon = await office.client.get("/favicon.ico", headers=BROWSER)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"   # an ICO file: reserved 0, type 1 (icon)
    svg = await office.client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    page = await office.client.get("/", headers=BROWSER)
    assert '<link rel="icon" href="/favicon.ico"' in page.text


# --- the accessibility statement ------------------------------------------------------------------

@pytest.mark.parametrize("language, heading, procedure", [
    ("pl", "Deklaracja dostępności", "Rzecznik"),
    ("en", "Accessibility statement", "Commissioner for Human Rights"),
    ("uk", "Заява про доступність", "Rzecznik Praw Obywatelskich"),
    ("ru", "Заявление о доступности", "Rzecznik Praw Obywatelskich"),
])
async def test_the_accessibility_statement_in_each_language(office_factory: Any, language: str, heading: str,
                                                             procedure: str) -> None:
    office = await office_factory(TUESDAY, accessibility_contact_name="Anna Nowak",
                                  accessibility_contact_email="dostepnosc@example.gov.pl",
                                  accessibility_contact_phone="+48 22 123 45 67",
                                  accessibility_checked="2026-11-30")
    answer = await office.client.get(f"/accessibility?lang={language}", headers=BROWSER)
    assert answer.status_code == 200 and f'<html lang="{language}">' in answer.text
    page = text_of(answer.text)
    translated = heading in page
    assert translated or "Accessibility statement" in page
    # The template's sections (their ids are the Ministry template's own).
    for section in ("a11y-wstep", "a11y-podmiot", "a11y-url", "a11y-data-publikacja", "a11y-data-aktualizacja",
                    "a11y-status", "a11y-data-sporzadzenie", "a11y-kontakt", "a11y-osoba", "a11y-email",
                    "a11y-telefon", "a11y-procedura", "a11y-architektura", "a11y-komunikacja"):
        assert f'id="{section}"' in answer.text, section
    assert "Urząd Wojewódzki" in page and f'id="a11y-url" href="{office.okienko.links.base}/"' in answer.text
    assert "Anna Nowak" in page and "dostepnosc@example.gov.pl" in page and 'href="tel:+48221234567"' in answer.text
    assert '<time id="a11y-data-sporzadzenie" datetime="2026-11-30">' in answer.text
    assert "Praw Obywatelskich" in page and (procedure in page or not translated)
    # Every public page links to it.
    for path in ("/", "/queue", "/book", "/no/such/page"):
        linked = await office.client.get(f"{path}?lang={language}", headers=BROWSER)
        assert f'href="/accessibility?lang={language}"' in linked.text, path


async def test_the_statement_without_the_office_s_own_facts(office_factory: Any) -> None:
    """Nothing set: the email is the booking sender's, the building a note to ask, the dates Okienko's own."""
    office = await office_factory(TUESDAY)
    page = text_of((await office.client.get("/accessibility?lang=en")).text)
    assert "okienko@localhost" in page and "has not yet described the accessibility of its building" in page
    assert "2026-12-03" in page and "a11y-telefon" not in page


def test_a_statement_date_must_be_a_date() -> None:
    with pytest.raises(SettingsError, match="OKIENKO_ACCESSIBILITY_CHECKED"):
        load_settings({"OKIENKO_ACCESSIBILITY_CHECKED": "last week"})


# --- the live queue ---------------------------------------------------------------------------------

async def test_the_queue_page_shows_the_figures_of_the_services_api(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    for _ in range(3):
        assert (await office.take("A")).status_code == 201
    assert (await office.take("B")).status_code == 201
    feed = (await office.client.get("/api/v1/services?lang=en")).json()["services"]
    page = await office.client.get("/queue?lang=en", headers=BROWSER)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for service in feed:
        card = service_card(page.text, service["code"])
        assert f"People waiting {service['waiting']}" in card
        assert f"Estimated wait about {service['estimated_wait_minutes']} min" in card
        assert ("Tickets are being issued" in card) is service["open_now"]
    assert "People waiting 3" in service_card(page.text, "A") and "People waiting 1" in service_card(page.text, "B")
    # The page polls the same feed, in its language.
    assert '"feed": "/api/v1/services?office=demo\\u0026lang=en"' in page.text
    assert 'href="/accessibility?lang=en"' in page.text


async def test_the_queue_says_when_tickets_are_no_longer_issued(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 1, 21, 0))   # a Tuesday evening, the office closed
    feed = {s["code"]: s for s in (await office.client.get("/api/v1/services?lang=en")).json()["services"]}
    page = await office.client.get("/queue?lang=en", headers=BROWSER)
    card = service_card(page.text, "A")
    assert not feed["A"]["open_now"] and feed["A"]["closed_reason"]["message"] in card
    assert "Tickets are being issued" not in card


async def test_the_embeddable_queue_may_be_framed_and_has_no_header_or_footer(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    framed = await office.client.get("/queue?embed=1&lang=uk", headers=BROWSER)
    policy = framed.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "default-src 'self'" in policy and "form-action 'none'" in policy
    assert "x-frame-options" not in framed.headers
    assert "public-footer" not in framed.text and 'class="office"' not in framed.text
    assert 'href="?lang=en&amp;embed=1"' in framed.text   # a language chosen in the frame stays in the frame
    plain = await office.client.get("/queue?lang=uk", headers=BROWSER)
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"] and "public-footer" in plain.text


async def test_the_queue_of_an_unknown_office_is_not_found(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    answer = await office.client.get("/queue?office=nowhere&lang=en", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.json()["error"]


def test_docs_name_the_new_settings() -> None:
    from pathlib import Path
    from okienko.settings import Settings
    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        if field.name.startswith("accessibility_"):
            assert f"`{field.name}`" in text


async def test_the_not_found_page_needs_no_office(database_url: str, tmp_path: Any) -> None:
    """A server with no office loaded yet still answers an unknown address with the page, not a 500."""
    import httpx

    from okienko.settings import Settings
    from okienko_server.app import create_app

    app = create_app(Settings(database_url=database_url, data_dir=str(tmp_path), secret_key="test-secret"),
                     check_printers=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://okienko.test") as client:
        answer = await client.get("/no/such/page?lang=en", headers=BROWSER)
    await app.state.okienko.db.dispose()
    assert answer.status_code == 404 and "Page not found" in answer.text

"""What the back office's browser tests share: a demo server with a manager, signing in, the
accessibility check (axe-core, from the PyPI package `axe-playwright-python`, injected from its
file: nothing is fetched from outside), screenshots for docs/back-office.md, and bookings made
straight in the demo's database."""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect

from okienko.booking.bookings import CODE_ALPHABET
from okienko.storage.models import Booking, Office, Service

PASSWORD = "okienko-demo"
VIEWPORT = {"width": 1440, "height": 900}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img" / "back-office"
# WCAG 2.1 A and AA, as axe-core tags them.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_places = itertools.count(1)


@dataclass
class DemoServer:
    url: str
    data_dir: Path
    enroll: dict[str, str]   # kiosk or board name -> sign-in path
    kiosk_token: str
    staff_token: Callable[[str], str]   # a bearer token for one of the demo's staff

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """What the API answers (status, JSON) to a request with `token` (the kiosk's by default)."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token or self.kiosk_token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                text = answer.read()
                return answer.status, json.loads(text) if text else None
        except urllib.error.HTTPError as refusal:
            return refusal.code, json.load(refusal)

    def take_ticket(self, service: str = "A") -> dict[str, Any]:
        status, ticket = self.api("POST", "/api/v1/tickets", {"service": service, "language": "pl"})
        assert status == 201, ticket
        return ticket

    def database(self) -> sa.Engine:
        return sa.create_engine(f"sqlite:///{self.data_dir / 'demo.db'}")

    def book(self, starts_at: datetime, *, name: str, email: str, language: str, service: str = "A") -> str:
        """A confirmed booking at `starts_at` (an aware moment), made straight in the database; its code."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        now = datetime.now(timezone.utc).replace(microsecond=0)
        engine = self.database()
        try:
            with engine.begin() as conn:
                office = conn.execute(sa.select(Office.__table__.c.id, Office.__table__.c.timezone)).one()
                services = Service.__table__
                service_id = conn.execute(sa.select(services.c.id).where(services.c.office_id == office.id,
                                                                         services.c.code == service)).scalar_one()
                conn.execute(sa.insert(Booking.__table__).values(
                    id=secrets.token_urlsafe(16), office_id=office.id, service_id=service_id,
                    office_day=starts_at.astimezone(ZoneInfo(office.timezone)).date(), starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=20), place=next(_places), status="confirmed", code=code,
                    secret_hash="", person_key=secrets.token_hex(32), person_name=name,
                    birth_date=date(1990, 4, 12), document_hash=secrets.token_hex(32), document_masked="FE****56",
                    document_country="", email=email, phone="", language=language, confirm_attempts=0,
                    sequence=0, created_at=now, confirmed_at=now))
        finally:
            engine.dispose()
        return code

    def outbox(self) -> list[dict[str, Any]]:
        """Every message written to the outbox (sent or not): recipient, subject, body."""
        engine = self.database()
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT recipient, subject, body FROM outbox_messages")).mappings().all()
        finally:
            engine.dispose()
        return [dict(row) for row in rows]

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = self.database()
        try:
            with engine.begin() as conn:
                result = conn.execute(sa.text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


def listen_for_errors(page: Page, errors: list[str]) -> None:
    """Script errors on the page go to `errors` (Chromium's own line for every 4xx answer does not)."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)


def sign_in(browser: Browser, server: DemoServer, username: str, language: str = "en",
            errors: list[str] | None = None) -> tuple[BrowserContext, Page]:
    """Sign in through the back office's form, at 1440x900."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url,
                                  locale={"pl": "pl-PL", "en": "en-GB"}.get(language, language))
    page = context.new_page()
    listen_for_errors(page, errors if errors is not None else [])
    page.goto(f"/admin/login?lang={language}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/admin/"))
    return context, page


@functools.cache
def _axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


# axe-core is 570 kB of script: handed to each page as it is checked, its journey (test process ->
# Playwright's driver -> Chromium) cost more than the check itself (0.2-0.5 s a page). A browser context
# that had a page checked once holds it from then on as the body of a function that every new page
# of the context is given (Chromium keeps it, compiled), called only when a page is checked: the
# pages run as they are until then, and the rules are the same ones.
_AXE_HELD = "window.__okienkoAxe = function () {{\n{script}\n}};"
_AXE_RUN = """([context, tags]) => {
  if (typeof axe === "undefined" && typeof __okienkoAxe === "function") __okienkoAxe();
  if (typeof axe === "undefined") return null;
  return axe.run(context || document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
}"""


def axe_violations(page: Page, context: Any = None) -> list[str]:
    """What axe-core (WCAG 2.1 A and AA) finds wrong on the page as it is now, one line each."""
    results = page.evaluate(_AXE_RUN, [context, WCAG_21_AA])
    if results is None:   # the first page of its browser context: given the script itself, once
        page.evaluate(_axe_script())
        results = page.evaluate(_AXE_RUN, [context, WCAG_21_AA])
        if not getattr(page.context, "_okienko_axe_held", False):
            page.context.add_init_script(_AXE_HELD.format(script=_axe_script()))
            page.context._okienko_axe_held = True   # type: ignore[attr-defined]
    return [f"{violation['id']}: {violation['help']} at {[node['target'] for node in violation['nodes']][:5]}"
            for violation in results["violations"]]


def shoot(page: Page, name: str) -> None:
    """A screenshot for docs/back-office.md, only when OKIENKO_SCREENSHOTS=1 (the PNGs are committed)."""
    if os.environ.get("OKIENKO_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)   # no hover left where the last click was
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def wait_loaded(page: Page) -> None:
    """The section's answers from the API have arrived and are shown: the page has loaded and its
    main region is no longer busy (admin.js marks it `aria-busy` while a request is in flight)."""
    expect(page.locator("main[aria-busy]")).to_have_count(0)
    expect(page.locator("main h1")).to_be_visible()

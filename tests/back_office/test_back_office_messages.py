"""The back office's Messages section, in a real headless Chromium against `okienko demo`: a message
the outbox gave up on is shown (recipient masked, the reason, never its text) and sent again; an SMS
the gateway reported undelivered is listed as failed and sent again as a new SMS; each SMS's delivery
report is shown."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from okienko.storage.models import Office, OutboxMessage
from tests.back_office.screens import DemoServer, axe_violations, shoot, sign_in

pytestmark = pytest.mark.browser


def failed_message(server: DemoServer, recipient: str) -> str:
    """A message given up after its last attempt, written straight into the demo's outbox; its id."""
    message_id = secrets.token_hex(16)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    engine = server.database()
    try:
        with engine.begin() as conn:
            office_id = conn.execute(sa.select(Office.__table__.c.id)).scalars().first()
            conn.execute(sa.insert(OutboxMessage.__table__).values(
                id=message_id, office_id=office_id, channel="email", recipient=recipient,
                subject="Booking QWERTY confirmed", body="Hello Secret Person, your code QWERTY",
                created_at=now - timedelta(hours=6), next_attempt_at=now + timedelta(hours=1), attempts=12,
                last_error="SMTPRecipientsRefused: mailbox unavailable", failed_at=now))
    finally:
        engine.dispose()
    return message_id


def sent_sms(server: DemoServer, recipient: str, delivery: str | None) -> str:
    """An SMS the gateway took, with its delivery report (`delivered`, `failed` or none); its id."""
    message_id = secrets.token_hex(16)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    engine = server.database()
    try:
        with engine.begin() as conn:
            office_id = conn.execute(sa.select(Office.__table__.c.id)).scalars().first()
            conn.execute(sa.insert(OutboxMessage.__table__).values(
                id=message_id, office_id=office_id, channel="sms", recipient=recipient, subject="",
                body="DEMO: booking QWERTY", created_at=now - timedelta(minutes=30),
                next_attempt_at=now - timedelta(minutes=30), attempts=1, sent_at=now - timedelta(minutes=29),
                delivery=delivery, delivery_at=now - timedelta(minutes=20) if delivery else None))
    finally:
        engine.dispose()
    return message_id


@pytest.mark.parametrize("language", ["pl", "en"])
def test_an_sms_reported_undelivered_is_failed_and_sent_again_and_deliveries_are_shown(
        browser: Browser, demo_server: DemoServer, language: str) -> None:
    words = {"pl": ("Wiadomości", "Wyślij ponownie", "czeka w kolejce"),
             "en": ("Messages", "Send again", "is queued")}[language]
    lost = sent_sms(demo_server, "+48 600 100 200", "failed")
    arrived = sent_sms(demo_server, "+48 600 100 300", "delivered")
    waiting = sent_sms(demo_server, "+48 600 100 400", None)
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", language, errors)
    try:
        page.goto(f"/admin/?lang={language}")
        page.get_by_role("link", name=words[0], exact=True).click()
        row = page.locator(f'[data-message="{lost}"]')
        expect(row).to_contain_text("200")
        expect(page.locator(f'[data-sms="{arrived}"]')).to_have_attribute("data-delivery", "delivered")
        expect(page.locator(f'[data-sms="{lost}"]')).to_have_attribute("data-delivery", "undelivered")
        expect(page.locator(f'[data-sms="{waiting}"]')).to_have_attribute("data-delivery", "pending")
        expect(page.locator("main")).not_to_contain_text("QWERTY")
        assert axe_violations(page) == []
        shoot(page, f"messages-sms-{language}")
        row.get_by_role("button", name=words[1]).click()
        expect(page.locator("#status")).to_contain_text(words[2])
        expect(row).to_have_count(0)
        [old] = demo_server.sql("SELECT resent_as FROM outbox_messages WHERE id = :id", id=lost)
        assert old.resent_as and old.resent_as != lost
        [new] = demo_server.sql("SELECT recipient, body FROM outbox_messages WHERE id = :id", id=old.resent_as)
        assert new.recipient == "+48 600 100 200" and new.body == "DEMO: booking QWERTY"
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_a_failed_message_is_shown_with_its_reason_and_sent_again(browser: Browser, demo_server: DemoServer,
                                                                  language: str) -> None:
    words = {"pl": ("Wiadomości", "Wyślij ponownie", "czeka w kolejce", "Brak niewysłanych wiadomości"),
             "en": ("Messages", "Send again", "is queued", "No failed messages")}[language]
    recipient = f"fatima.{language}@example.com"
    message_id = failed_message(demo_server, recipient)
    errors: list[str] = []
    context, page = sign_in(browser, demo_server, "kierownik", language, errors)
    try:
        page.goto(f"/admin/?lang={language}")
        page.get_by_role("link", name=words[0], exact=True).click()
        row = page.locator(f'[data-message="{message_id}"]')
        expect(row).to_contain_text("f***@example.com")
        expect(row).to_contain_text("mailbox unavailable")
        expect(page.locator("main")).not_to_contain_text("QWERTY")            # never the message's text
        expect(page.locator("main")).not_to_contain_text("fatima")
        assert axe_violations(page) == []
        shoot(page, f"messages-{language}")
        row.get_by_role("button", name=words[1]).click()
        expect(page.locator("#status")).to_contain_text(words[2])
        expect(row).to_have_count(0)
        sent = demo_server.sql("SELECT sent_at, failed_at FROM outbox_messages WHERE id = :id", id=message_id)
        assert sent[0].failed_at is None
        page.reload()
        expect(page.locator("#messages-empty")).to_contain_text(words[3])
        assert errors == []
    finally:
        context.close()

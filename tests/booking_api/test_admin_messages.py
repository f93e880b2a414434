"""A message the mail server refuses 12 times is marked failed, not dropped: counted by the health
check, listed for managers (recipient masked, never the text) and sent again on request, once."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller

from okienko.notify.outbox import MAX_ATTEMPTS
from tests.booking_api.test_admin_office import manager
from tests.conftest import free_port
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY
from tests.okienko.notify.test_outbox import Inbox

pytestmark = pytest.mark.anyio
ADMIN = "/api/v1/admin"


async def test_a_message_that_keeps_failing_is_marked_failed_shown_and_sent_again(office_factory: Any) -> None:
    port = free_port()   # nothing listens here yet: every attempt fails
    office = await office_factory(TUESDAY, smtp_host="127.0.0.1", smtp_port=port)
    boss = await manager(office)
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                               **PERSON})
    assert held.status_code == 202
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await office.okienko.outbox.deliver_due() == 0
        listed = (await office.client.get(f"{ADMIN}/messages", params={"status": "failed"}, headers=boss)).json()
        assert listed["messages"] == [] or attempt == MAX_ATTEMPTS   # tried again, not failed, until the last
        office.clock.advance(hours=1)
    health = (await office.client.get("/healthz")).json()
    assert health["status"] == "ok" and health["failed_messages"] == 1
    listed = await office.client.get(f"{ADMIN}/messages", params={"status": "failed"}, headers=boss)
    [message] = listed.json()["messages"]
    assert message["channel"] == "email" and message["recipient"] == "o***@example.com"
    assert message["attempts"] == MAX_ATTEMPTS and "Connection" in message["reason"]
    assert "olena" not in listed.text.lower() and "confirmation" not in listed.text.lower()   # never the text
    office.clock.advance(hours=5)
    assert await office.okienko.outbox.deliver_due() == 0                # given up: not tried by itself

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        resent = await office.client.post(f"{ADMIN}/messages/{message['id']}/resend", headers=boss)
        assert resent.status_code == 200 and resent.json()["message"]["status"] == "queued"
        assert await office.okienko.outbox.deliver_due() == 1
        assert await office.okienko.outbox.deliver_due() == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == PERSON["email"]
    assert (await office.client.get("/healthz")).json()["failed_messages"] == 0
    assert (await office.client.get(f"{ADMIN}/messages", headers=boss)).json()["messages"] == []
    again = await office.client.post(f"{ADMIN}/messages/{message['id']}/resend", headers=boss)
    assert again.status_code == 409 and again.json()["error"] == "message_not_failed"
    unknown = await office.client.post(f"{ADMIN}/messages/nothing-like-it/resend", headers=boss)
    assert unknown.status_code == 404 and unknown.json()["error"] == "message_not_found"
    log = (await office.client.get(f"{ADMIN}/audit", headers=boss)).json()["changes"]
    assert any(change["action"] == "message.resend" and change["actor"] == "kierownik" for change in log)


async def test_only_failed_messages_are_listed(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    wrong = await office.client.get(f"{ADMIN}/messages", params={"status": "sent"}, headers=boss)
    assert wrong.status_code == 400

"""Booking notifications through the outbox: a real SMTP server and an SMS gateway on loopback."""

from __future__ import annotations

import asyncio
import email
import re
from email import policy as email_policy
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.storage.models import Office as OfficeRow, OutboxMessage
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY
from tests.conftest import free_port, serving

pytestmark = pytest.mark.anyio


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def code_in(message: Any) -> str:
    match = re.search(r"\b(\d{6})\b", message.get_body(preferencelist=("plain",)).get_content())
    assert match
    return match.group(1)


async def test_the_code_arrives_by_smtp_and_confirms_the_booking(office_factory: Any, smtp_server: Any) -> None:
    controller, inbox = smtp_server
    office = await office_factory(TUESDAY, smtp_host="127.0.0.1", smtp_port=controller.port,
                                  mail_from="rezerwacje@urzad.test")
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "pl",
                                                               **PERSON})
    assert held.status_code == 202
    assert await office.okienko.outbox.deliver_due() == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == PERSON["email"] and "rezerwacje@urzad.test" in message["From"]
    confirmed = await office.client.post(f"/api/v1/bookings/{held.json()['id']}/confirm",
                                         json={"code": code_in(message)})
    assert confirmed.status_code == 201
    assert await office.okienko.outbox.deliver_due() == 1
    confirmation = inbox.messages[1]
    assert confirmed.json()["code"] in confirmation["Subject"]
    attachments = [part.get_filename() for part in confirmation.iter_attachments()]
    assert "invite.ics" in attachments
    assert await office.okienko.outbox.deliver_due() == 0   # nothing is sent twice


async def test_a_message_waits_while_smtp_is_down_and_goes_once_it_is_back(office_factory: Any) -> None:
    inbox = Inbox()
    port = free_port()
    office = await office_factory(TUESDAY, smtp_host="127.0.0.1", smtp_port=port)
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                               **PERSON})
    assert held.status_code == 202   # the booking does not wait for the mail server
    assert await office.okienko.outbox.deliver_due() == 0
    async with office.okienko.db.read() as conn:
        row = (await conn.execute(sa.select(OutboxMessage.__table__))).mappings().one()
    assert row["sent_at"] is None and row["attempts"] == 1 and row["last_error"]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert await office.okienko.outbox.deliver_due() == 0   # not before its retry time
        office.clock.advance(minutes=1)
        senders = [office.okienko.outbox.deliver_due() for _ in range(3)]
        assert sum(await asyncio.gather(*senders)) == 1   # three senders at once: one email
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


async def test_the_code_also_goes_by_sms_where_the_office_turns_it_on(office_factory: Any) -> None:
    received: list[dict[str, Any]] = []

    async def gateway(request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer sms-token"
        received.append(await request.json())
        return JSONResponse({"queued": True})

    sms_app = Starlette(routes=[Route("/send", gateway, methods=["POST"])])
    async with serving(sms_app) as url:
        office = await office_factory(TUESDAY, sms_gateway_url=f"{url}/send", sms_gateway_token="sms-token")
        async with office.okienko.db.engine.begin() as conn:
            table = OfficeRow.__table__
            policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
            await conn.execute(sa.update(table).values(booking_policy={**policy, "sms": True}))
        office.okienko.offices.invalidate()
        held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "uk",
                                                                   **PERSON})
        assert held.json()["sent_to"]["sms"] == "+48******800"
        assert await office.okienko.outbox.deliver_due() == 2
    assert len(received) == 1 and received[0]["to"] == "+48600700800"
    assert re.search(r"\b\d{6}\b", received[0]["text"])
    assert "FE123456" not in received[0]["text"]


async def test_emails_have_a_date_and_a_text_calendar_without_the_manage_secret(office_factory: Any,
                                                                                smtp_server: Any) -> None:
    controller, inbox = smtp_server
    office = await office_factory(TUESDAY, smtp_host="127.0.0.1", smtp_port=controller.port,
                                  mail_from="rezerwacje@urzad.test")
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                               **PERSON})
    await office.okienko.outbox.deliver_due()
    assert parsedate_to_datetime(inbox.messages[0]["Date"]) == TUESDAY   # when it was written
    confirmed = await office.client.post(f"/api/v1/bookings/{held.json()['id']}/confirm",
                                         json={"code": code_in(inbox.messages[0])})
    secret = confirmed.json()["secret"]
    await office.okienko.outbox.deliver_due()
    confirmation = inbox.messages[1]
    assert parsedate_to_datetime(confirmation["Date"]) == TUESDAY
    assert secret in confirmation.get_body(preferencelist=("plain",)).get_content()   # the link is in the text
    [attachment] = [part for part in confirmation.iter_attachments() if part.get_filename() == "invite.ics"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    calendars = [part.get_content() for part in confirmation.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 2 and all("BEGIN:VCALENDAR" in text for text in calendars)
    unfolded = [text.replace("\r\n ", "") for text in calendars]
    assert not any(secret in text for text in unfolded)
    ics = await office.client.get(f"/api/v1/bookings/{confirmed.json()['code']}/calendar.ics",
                                  params={"secret": secret})
    assert secret not in ics.text.replace("\r\n ", "")

"""A message the mail server refuses 12 times is marked failed, not dropped: counted by the health
check, listed for managers (recipient masked, never the text) and sent again on request, once. An
SMS the gateway reports undelivered counts as failed too, and is sent again once, as a new SMS; each
SMS's delivery report is listed."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.notify.outbox import MAX_ATTEMPTS
from okienko.storage.models import Office as OfficeRow
from tests.booking_api.test_admin_office import manager
from tests.conftest import free_port
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book
from tests.okienko.notify.test_outbox import Inbox
from tests.okienko.notify.test_sms import gateway_on

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


async def test_only_failed_or_sent_messages_are_listed(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    wrong = await office.client.get(f"{ADMIN}/messages", params={"status": "queued"}, headers=boss)
    assert wrong.status_code == 400


async def sms_office(office_factory: Any, received: list[dict[str, list[str]]], port: int) -> Any:
    """An office that sends SMS through a gateway on 127.0.0.1:`port` (started by the caller)."""
    office = await office_factory(TUESDAY, sms_gateway_url=f"http://127.0.0.1:{port}/send",
                                  sms_gateway_content_type="application/x-www-form-urlencoded",
                                  sms_gateway_body="to={to}&message={text}&idx={id}",
                                  sms_delivery_secret="report-secret")
    async with office.okienko.db.engine.begin() as conn:
        table = OfficeRow.__table__
        policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
        await conn.execute(sa.update(table).values(booking_policy={**policy, "sms": True}))
    office.okienko.offices.invalidate()
    return office


def sms_gateway(received: list[dict[str, list[str]]]) -> Starlette:
    async def send(request: Request) -> JSONResponse:
        received.append(parse_qs((await request.body()).decode()))
        return JSONResponse({"queued": True})
    return Starlette(routes=[Route("/send", send, methods=["POST"])])


async def report(office: Any, message_id: str, status: str) -> None:
    answer = await office.client.post("/api/v1/sms/delivery-report", params={"secret": "report-secret"},
                                      data={"id": message_id, "status": status})
    assert answer.json() == {"recorded": True}


async def test_an_sms_reported_undelivered_is_failed_and_sent_again_once_as_a_new_sms(office_factory: Any) -> None:
    received: list[dict[str, list[str]]] = []
    port = free_port()
    office = await sms_office(office_factory, received, port)
    boss = await manager(office)
    other = {**PERSON, "name": "Ivan Petrenko", "document_number": "FE 654321", "email": "ivan@example.com",
             "phone": "+48600700900"}
    async with gateway_on(port, sms_gateway(received)):
        await book(office, language="pl")
        await book(office, start="2026-12-03T10:20:00+01:00", person=other, language="pl")
        await office.okienko.outbox.deliver_due()   # (reading the emailed codes sent what was due then)
        assert len(received) == 2
        first, second = (sms["idx"][0] for sms in received)
        sent = (await office.client.get(f"{ADMIN}/messages", params={"status": "sent", "channel": "sms"},
                                        headers=boss)).json()["messages"]
        assert {m["id"]: m["delivery"] for m in sent} == {first: "pending", second: "pending"}
        assert all(m["delivery_at"] is None and m["recipient"].startswith("+48") and "700800" not in m["recipient"]
                   for m in sent)

        office.clock.advance(minutes=2)
        await report(office, first, "DELIVRD")
        office.clock.advance(minutes=3)
        await report(office, second, "UNDELIV")
        sent = {m["id"]: m for m in (await office.client.get(
            f"{ADMIN}/messages", params={"status": "sent", "channel": "sms"}, headers=boss)).json()["messages"]}
        assert sent[first]["delivery"] == "delivered" and sent[first]["delivery_at"].startswith("2026-12-01T08:02")
        assert sent[second]["delivery"] == "undelivered" and sent[second]["delivery_at"].startswith("2026-12-01T08:05")
        [failed] = (await office.client.get(f"{ADMIN}/messages", headers=boss)).json()["messages"]
        assert failed["id"] == second and failed["delivery"] == "undelivered" and failed["channel"] == "sms"
        assert failed["failed_at"] == sent[second]["delivery_at"] and failed["resent_as"] is None
        assert (await office.client.get("/healthz")).json()["failed_messages"] == 1
        emails = (await office.client.get(f"{ADMIN}/messages", params={"status": "sent", "channel": "email"},
                                          headers=boss)).json()["messages"]
        assert emails and all(m["delivery"] is None for m in emails)

        delivered = await office.client.post(f"{ADMIN}/messages/{first}/resend", headers=boss)
        assert delivered.status_code == 409 and delivered.json()["error"] == "message_not_failed"
        resent = await office.client.post(f"{ADMIN}/messages/{second}/resend", headers=boss)
        assert resent.status_code == 200, resent.text
        new_id = resent.json()["message"]["resent_as"]
        assert resent.json()["message"]["status"] == "queued" and new_id not in (None, second)
        twice = await office.client.post(f"{ADMIN}/messages/{second}/resend", headers=boss)
        assert twice.status_code == 409 and twice.json()["error"] == "message_not_failed"
        assert (await office.client.get(f"{ADMIN}/messages", headers=boss)).json()["messages"] == []
        assert (await office.client.get("/healthz")).json()["failed_messages"] == 0

        assert await office.okienko.outbox.deliver_due() == 1
        office.clock.advance(hours=3)
        assert await office.okienko.outbox.deliver_due() == 0
    assert [sms["idx"][0] for sms in received] == [first, second, new_id]      # the first never sent twice
    assert received[2]["to"] == received[1]["to"] and received[2]["message"] == received[1]["message"]
    sent = {m["id"]: m for m in (await office.client.get(
        f"{ADMIN}/messages", params={"status": "sent", "channel": "sms"}, headers=boss)).json()["messages"]}
    assert sent[second]["resent_as"] == new_id and sent[new_id]["delivery"] == "pending"
    log = (await office.client.get(f"{ADMIN}/audit", headers=boss)).json()["changes"]
    assert any(change["action"] == "message.resend" and change["target"] == second for change in log)


async def test_an_unknown_channel_is_refused(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    wrong = await office.client.get(f"{ADMIN}/messages", params={"status": "sent", "channel": "fax"}, headers=boss)
    assert wrong.status_code == 400 and wrong.json()["error"]

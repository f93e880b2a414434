"""SMS: the gateway's request format comes from the settings, a loopback gateway taken down for a
while (not listening, or answering 500) gets each message once when it is back, delivery reports are recorded, and texts are
counted in SMS parts the way phones count them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.i18n import LANGUAGES
from okienko.notify.outbox import enqueue
from okienko.notify.sms import for_sms, request_body, segments
from okienko.storage.models import Office as OfficeRow, OutboxMessage
from tests.conftest import free_port, warsaw
from tests.okienko.booking.test_bookings import TUESDAY, book

pytestmark = pytest.mark.anyio


def test_texts_are_counted_in_sms_parts_as_phones_count_them() -> None:
    assert segments("a" * 160).parts == 1 and segments("a" * 161).parts == 2 and segments("a" * 307).parts == 3
    assert segments("{" * 80).units == 160 and segments("{" * 81).parts == 2          # two septets each
    assert segments("zażółć").encoding == "UCS-2" and segments("ą" * 70).parts == 1
    assert segments("ą" * 71).parts == 2 and segments("ж" * 135).parts == 3
    assert for_sms("Zażółć gęślą jaźń, Łódź") == "Zażółć gęślą jaźń, Łódź"                # one part either way
    longer = "Zażółć gęślą jaźń, Łódź. " * 4                                          # 3 parts, or 1 without marks
    assert for_sms(longer) == "Zazolc gesla jazn, Lodz. " * 4 and segments(for_sms(longer)).parts == 1
    assert for_sms("Привіт, Київ") == "Привіт, Київ"                                   # Cyrillic stays
    assert for_sms("10:00\u202fr.") == "10:00 r."                                       # no UCS-2 for a space


def test_the_request_body_is_the_template_with_each_value_encoded_for_its_type() -> None:
    assert request_body('{"to": {to}, "text": {text}, "ref": {id}}', "application/json", to="+48600",
                        text='say "{id}" ą', message_id="m1") == '{"to": "+48600", "text": "say \\"{id}\\" ą", "ref": "m1"}'
    assert request_body("to={to}&message={text}&idx={id}", "application/x-www-form-urlencoded",
                        to="+48 600", text="a&b=ą", message_id="m1") == "to=%2B48%20600&message=a%26b%3D%C4%85&idx=m1"


async def test_every_reminder_sms_fits_one_sms_where_its_alphabet_allows(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    setup = await office.okienko.offices.get()
    service = setup.service("A")
    parts = {}
    for language in LANGUAGES:
        booking = {"code": "K7M2QX", "language": language, "starts_at": warsaw(2026, 12, 3, 10, 0)}
        text = office.okienko.translator.format(
            language, "{office}: reminder, {service} {when}, booking code {code}. Cannot come? Cancel with the "
                      "link in your email.", office="DEMO", service=service.name(language),
            when=office.okienko.reminders.notifier.sms_when(setup, booking), code="K7M2QX")
        sent = for_sms(text)
        parts[language] = segments(sent)
        assert "FE" not in sent and "123456" not in sent
    assert parts["pl"].encoding == "GSM-7" and parts["pl"].parts == 1, parts
    assert parts["en"].encoding == "GSM-7" and parts["en"].parts == 1, parts
    assert parts["uk"].encoding == "UCS-2" and parts["ru"].encoding == "UCS-2"             # Cyrillic: two parts
    assert parts["uk"].parts <= 2 and parts["ru"].parts <= 2, parts
    # Vietnamese, Hindi, Georgian, Belarusian: UCS-2 too; a reminder may take three parts, never more.
    assert all(parts[language].parts <= 3 for language in LANGUAGES), parts


@contextlib.asynccontextmanager
async def gateway_on(port: int, app: Any) -> AsyncIterator[None]:
    """A real HTTP server on 127.0.0.1:`port` while the block runs."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def test_a_gateway_down_for_a_while_delays_the_sms_then_each_arrives_once(office_factory: Any) -> None:
    received: list[dict[str, list[str]]] = []

    async def gateway(request: Request) -> JSONResponse:
        assert request.headers["x-api-key"] == "k-123"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        received.append(parse_qs((await request.body()).decode()))
        return JSONResponse({"queued": True})

    port = free_port()
    office = await office_factory(TUESDAY, sms_gateway_url=f"http://127.0.0.1:{port}/send",
                                  sms_gateway_auth_header="X-Api-Key: k-123",
                                  sms_gateway_content_type="application/x-www-form-urlencoded",
                                  sms_gateway_body="to={to}&message={text}&idx={id}&from=UW",
                                  sms_delivery_secret="report-secret")
    async with office.okienko.db.engine.begin() as conn:
        table = OfficeRow.__table__
        policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
        await conn.execute(sa.update(table).values(booking_policy={**policy, "sms": True}))
    office.okienko.offices.invalidate()
    await book(office, language="pl")   # the code by email and SMS: the SMS cannot go yet
    for _ in range(3):                   # the gateway is down: tried, not lost
        await office.okienko.outbox.deliver_due()
        office.clock.advance(minutes=20)
    async with office.okienko.db.engine.connect() as conn:
        outbox = OutboxMessage.__table__
        waiting = (await conn.execute(sa.select(outbox.c.id, outbox.c.attempts).where(
            outbox.c.channel == "sms", outbox.c.sent_at.is_(None)))).all()
    assert len(waiting) == 1 and waiting[0].attempts >= 2 and received == []

    async with gateway_on(port, Starlette(routes=[Route("/send", gateway, methods=["POST"])])):
        office.clock.advance(hours=1)
        assert await office.okienko.outbox.deliver_due() == 1
        office.clock.advance(hours=2)
        assert await office.okienko.outbox.deliver_due() == 0
    assert len(received) == 1
    [sms] = received
    assert sms["to"] == ["+48600700800"] and sms["from"] == ["UW"] and sms["idx"] == [waiting[0].id]
    assert segments(sms["message"][0]).parts == 1
    assert "FE123456" not in sms["message"][0] and "FE 123456" not in sms["message"][0]

    report = "/api/v1/sms/delivery-report"
    refused = await office.client.post(report, params={"secret": "wrong"}, json={"id": sms["idx"][0],
                                                                                  "status": "DELIVRD"})
    assert refused.status_code == 403
    interim = await office.client.post(report, params={"secret": "report-secret"},
                                       data={"id": sms["idx"][0], "status": "sent"})
    assert interim.status_code == 200 and interim.json() == {"recorded": False}
    done = await office.client.post(report, headers={"X-Okienko-Secret": "report-secret"},
                                    data={"id": sms["idx"][0], "status": "DELIVRD"})
    assert done.status_code == 200 and done.json() == {"recorded": True}
    async with office.okienko.db.engine.connect() as conn:
        delivery = (await conn.execute(sa.select(outbox.c.delivery).where(outbox.c.id == sms["idx"][0]))).scalar()
    assert delivery == "delivered"


async def test_delivery_reports_are_not_taken_without_a_secret(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    answer = await office.client.post("/api/v1/sms/delivery-report", json={"id": "x", "status": "delivered"})
    assert answer.status_code == 404


async def test_a_gateway_failing_with_500_for_a_while_delays_each_sms_then_takes_each_once(office_factory: Any) -> None:
    """The gateway is up but answers 500 (then 503) for a while, as gateways do when their own
    upstream is down: nothing is lost or given up, and once it accepts, each SMS arrives once."""
    accepted: list[str] = []
    refusals = {"left": 9}   # three rounds of the three messages

    async def gateway(request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode())
        if refusals["left"] > 0:
            refusals["left"] -= 1
            return JSONResponse({"error": "upstream down"}, status_code=500 if refusals["left"] % 2 else 503)
        accepted.append(form["idx"][0])
        return JSONResponse({"queued": True})

    port = free_port()
    office = await office_factory(TUESDAY, sms_gateway_url=f"http://127.0.0.1:{port}/send",
                                  sms_gateway_content_type="application/x-www-form-urlencoded",
                                  sms_gateway_body="to={to}&message={text}&idx={id}")
    setup = await office.okienko.offices.get()
    async with office.okienko.db.engine.begin() as conn:
        ids = [await enqueue(conn, office_id=setup.id, channel="sms", recipient=f"+4860070080{n}",
                             body=f"DEMO: code K7M2Q{n}", now=office.clock.now()) for n in range(3)]
    async with gateway_on(port, Starlette(routes=[Route("/send", gateway, methods=["POST"])])):
        rounds = 0
        while refusals["left"] > 0:         # every message tried, refused; none given up
            assert await office.okienko.outbox.deliver_due() == 0
            office.clock.advance(minutes=30)
            rounds += 1
        assert accepted == [] and rounds >= 2
        async with office.okienko.db.engine.connect() as conn:
            outbox = OutboxMessage.__table__
            waiting = (await conn.execute(sa.select(outbox.c.id, outbox.c.failed_at, outbox.c.last_error)
                                          .where(outbox.c.sent_at.is_(None)))).all()
        assert {row.id for row in waiting} == set(ids)
        assert all(row.failed_at is None and "50" in row.last_error for row in waiting)
        office.clock.advance(hours=2)
        assert await office.okienko.outbox.deliver_due() == 3
        for _ in range(3):                  # later rounds send nothing again
            office.clock.advance(hours=2)
            assert await office.okienko.outbox.deliver_due() == 0
    assert sorted(accepted) == sorted(ids) and len(accepted) == 3           # each once
    assert (await office.client.get("/healthz")).json()["failed_messages"] == 0

"""A walk-in's SMS before its turn and when called (okienko/notify/ticket_sms.py,
okienko/hall/ticket_phones.py), as the visitor's phone and the SMS gateway see them."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.storage.models import OutboxMessage, TicketPhone
from tests.booking_api.test_call_centre import set_policy
from tests.conftest import serving, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
PHONE = "+48600700800"


@asynccontextmanager
async def sms_office(office_factory: Any, **rules: Any) -> AsyncIterator[tuple[Any, list[dict[str, Any]]]]:
    """An office whose server has an SMS gateway on loopback; what the gateway received."""
    received: list[dict[str, Any]] = []

    async def gateway(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"queued": True})

    async with serving(Starlette(routes=[Route("/send", gateway, methods=["POST"])])) as url:
        office = await office_factory(TUESDAY, sms_gateway_url=f"{url}/send", sms_gateway_token="t")
        if rules:
            await set_policy(office, **rules)
        yield office, received


async def give_phone(office: Any, ticket: dict[str, Any], phone: str = PHONE) -> Any:
    return await office.client.put(f"/api/v1/tickets/{ticket['id']}/phone?lang=en", json={"phone": phone})


async def call(office: Any, clerk: dict[str, str], window: str) -> dict[str, Any]:
    called = await office.press(clerk, f"/api/v1/windows/{window}/call-next")
    assert called.status_code == 200, called.text
    await office.press(clerk, f"/api/v1/tickets/{called.json()['id']}/start")
    return called.json()


async def texts(office: Any, received: list[dict[str, Any]]) -> list[tuple[str, str]]:
    await office.okienko.outbox.deliver_due()
    return [(sms["to"], sms["text"]) for sms in received]


async def test_the_sms_come_when_few_are_ahead_and_when_called_each_once(office_factory: Any) -> None:
    async with sms_office(office_factory, near_turn_ahead=2) as (office, received):
        ahead = [(await office.take("K")).json() for _ in range(4)]
        mine = (await office.take("K", language="en")).json()
        given = await give_phone(office, mine, "600 700 800")
        assert given.status_code == 200, given.text
        assert given.json()["sms"] == {"offered": True, "phone": "+48******800", "near_turn_ahead": 2,
                                       "near_sent": False, "called_sent": False}
        clerk = await office.clerk("8")
        await call(office, clerk, "8")               # 3 ahead: nothing yet
        assert await texts(office, received) == []
        await call(office, clerk, "8")               # 2 ahead: the first SMS
        assert await texts(office, received) == [
            (PHONE, "DEMO: your turn is near. Ticket K005, people ahead of you: 2. Please stay in the waiting hall.")]
        await office.client.post(f"/api/v1/tickets/{ahead[2]['id']}/cancel")   # 1 ahead: not again
        await call(office, clerk, "8")
        assert len(await texts(office, received)) == 1
        called = await call(office, clerk, "8")
        assert called["number"] == "K005"
        assert (await texts(office, received))[1:] == [(PHONE, "DEMO: ticket K005, please go to window 8 now.")]
        await office.press(clerk, f"/api/v1/tickets/{mine['id']}/recall")
        assert len(await texts(office, received)) == 2   # called once, one SMS
        state = await office.client.delete(f"/api/v1/tickets/{mine['id']}/phone")
        assert state.json()["sms"]["phone"] is None and state.json()["sms"]["called_sent"] is True


async def test_a_number_given_near_the_turn_gets_its_sms_at_once_and_never_twice(office_factory: Any) -> None:
    async with sms_office(office_factory) as (office, received):
        await office.take("K")
        mine = (await office.take("K", language="en")).json()
        assert (await give_phone(office, mine)).json()["sms"]["near_sent"] is True
        assert [text for _to, text in await texts(office, received)] == [
            "DEMO: your turn is near. Ticket K002, people ahead of you: 1. Please stay in the waiting hall."]
        assert (await office.client.delete(f"/api/v1/tickets/{mine['id']}/phone")).status_code == 200
        again = await give_phone(office, mine, "+380 67 123 4567")   # removed and given again: not resent
        assert again.json()["sms"] == {"offered": True, "phone": "+38*******567", "near_turn_ahead": 3,
                                       "near_sent": True, "called_sent": False}
        assert len(await texts(office, received)) == 1
        async with office.okienko.locks.write_transaction() as conn:   # another look finds nothing due
            assert await office.okienko.hall.sms.write_due(conn, await office.okienko.offices.get(),
                                                           office.clock.now()) == 0
        third = await give_phone(office, mine)
        assert third.status_code == 200
        refused = await give_phone(office, mine)
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_phone_changes"
        assert refused.json()["message"] == "A phone number can be given at most 3 times for one ticket."


async def test_only_a_waiting_ticket_and_a_real_number(office_factory: Any) -> None:
    async with sms_office(office_factory) as (office, received):
        ticket = (await office.take("K")).json()
        wrong = await give_phone(office, ticket, "12345")
        assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_details"
        assert wrong.json()["fields"] == {"phone": "Give a phone number with the country code, e.g. +48 600 700 800."}
        unknown = await office.client.put("/api/v1/tickets/nope/phone", json={"phone": PHONE})
        assert unknown.status_code == 404 and unknown.json()["error"] == "ticket_not_found"
        clerk = await office.clerk("8")
        await call(office, clerk, "8")
        late = await give_phone(office, ticket)
        assert late.status_code == 409 and late.json()["error"] == "ticket_not_waiting"
        assert late.json()["message"] == ("Ticket K001 is no longer waiting: an SMS can only be asked for "
                                          "while you wait.")
        assert await texts(office, received) == []


async def test_without_an_sms_gateway_the_option_is_refused(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ticket = (await office.take("K")).json()
    refused = await give_phone(office, ticket)
    assert refused.status_code == 409 and refused.json()["error"] == "sms_not_offered"
    removed = await office.client.delete(f"/api/v1/tickets/{ticket['id']}/phone?lang=en")
    assert removed.status_code == 409 and removed.json()["error"] == "sms_not_offered"


async def test_the_number_is_erased_when_the_day_is_over(office_factory: Any) -> None:
    async with sms_office(office_factory) as (office, received):
        waiting = (await office.take("K")).json()
        mine = (await office.take("K")).json()
        await give_phone(office, mine)              # near at once, and sent
        assert len(await texts(office, received)) == 1
        await give_phone(office, waiting)           # near at once, not sent before the day is over
        phones, outbox = TicketPhone.__table__, OutboxMessage.__table__
        async with office.okienko.db.engine.begin() as conn:   # the second stays unsent
            sent = (await conn.execute(sa.select(phones.c.near_message_id).where(phones.c.ticket_id == mine["id"]))
                    ).scalar_one()
        office.clock.advance(hours=8)
        await office.okienko.hall.sweep()           # same day (17:00): kept
        async with office.okienko.db.engine.connect() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(phones))).scalar_one() == 2
        office.clock.advance(hours=8)               # 01:00 the next day
        await office.okienko.hall.sweep()
        async with office.okienko.db.engine.connect() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(phones))).scalar_one() == 0
            left = (await conn.execute(sa.select(outbox.c.id, outbox.c.recipient, outbox.c.sent_at)
                                       .where(outbox.c.channel == "sms"))).all()
        assert [(row.id, row.recipient) for row in left] == [(sent, "")]
        assert PHONE not in str(left)

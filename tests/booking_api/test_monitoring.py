"""`/readyz` and `/metrics` as a load balancer and Prometheus see them (docs/monitoring.md): ready only
when the database, the broker and the outbox are; metrics only for the monitoring server, with the
hall's figures read from the database and never a raw path."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from okienko.storage.models import Device, OutboxMessage
from tests.booking_api.test_live_ws import board_token, receive, ws
from tests.conftest import serving
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY

pytestmark = pytest.mark.anyio
TOKEN = "scrape-token-0123456789"
PROMETHEUS = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


async def scrape(office: Any) -> str:
    response = await office.client.get("/metrics", headers=PROMETHEUS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_ready_until_the_outbox_is_stuck(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, metrics_token=TOKEN)
    ready = await office.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "outbox": "ok", "broker": "ok"}
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                               **PERSON})
    assert held.status_code == 202   # its email waits in the outbox; no sender runs in this test
    office.clock.advance(seconds=office.settings.ready_outbox_stuck_seconds - 10)
    assert (await office.client.get("/readyz")).status_code == 200
    office.clock.advance(seconds=20)
    stuck = await office.client.get("/readyz")
    assert stuck.status_code == 503
    body = stuck.json()
    assert body["status"] == "not_ready" and body["failed"] == ["outbox"]
    assert body["checks"]["outbox"] == "stuck" and body["outbox_oldest_due_seconds"] > 300
    assert "example.com" not in stuck.text and "olena" not in stuck.text.lower()   # nobody's data
    text = await scrape(office)
    assert value(text, "okienko_outbox_backlog") == 1 and value(text, "okienko_outbox_oldest_due_seconds") > 300

    # The mail server refuses it: waiting for its retry is not stuck, and given up is not either.
    messages = OutboxMessage.__table__
    async with office.okienko.db.transaction() as conn:
        await conn.execute(sa.update(messages).values(attempts=3, last_error="refused",
                                                      next_attempt_at=office.clock.now() + timedelta(minutes=30)))
    assert (await office.client.get("/readyz")).status_code == 200
    text = await scrape(office)
    assert (value(text, "okienko_outbox_backlog"), value(text, "okienko_outbox_retrying")) == (1, 1)
    assert value(text, "okienko_outbox_oldest_due_seconds") == 0
    async with office.okienko.db.transaction() as conn:
        await conn.execute(sa.update(messages).values(failed_at=office.clock.now()))
    assert (await office.client.get("/readyz")).status_code == 200
    text = await scrape(office)
    assert (value(text, "okienko_outbox_backlog"), value(text, "okienko_outbox_failed")) == (0, 1)
    assert (await office.client.get("/healthz")).json()["failed_messages"] == 1   # alive all along, and agreeing


async def test_a_sender_working_through_a_stuck_outbox_makes_it_ready_again(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": SLOT, "language": "en",
                                                               **PERSON})
    assert held.status_code == 202
    office.clock.advance(minutes=10)
    assert (await office.client.get("/readyz")).status_code == 503
    assert await office.okienko.outbox.deliver_due() == 1
    assert (await office.client.get("/readyz")).status_code == 200


async def test_not_ready_while_the_broker_is_away(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, broker_url="redis://:hunter2@127.0.0.1:1/0")   # nothing listens there
    answer = await office.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "outbox": "ok", "broker": "unreachable"}
    assert answer.json()["failed"] == ["broker"]
    assert "hunter2" not in answer.text and "redis" not in answer.text   # no address, no password


async def test_metrics_are_refused_unless_configured_and_asked_rightly(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    refused = await office.client.get("/metrics", headers=PROMETHEUS)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")   # nothing set: nobody

    guarded = await office_factory(TUESDAY, metrics_token=TOKEN)
    for headers, code in (({}, "missing_token"), ({"Authorization": "Bearer wrong"}, "invalid_token"),
                          ({"Authorization": f"Basic {TOKEN}"}, "missing_token")):
        answer = await guarded.client.get("/metrics", headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (401, code)
    assert (await guarded.client.get("/metrics", headers=PROMETHEUS)).status_code == 200

    listed = await office_factory(TUESDAY, metrics_allow="10.0.5.7, 192.168.10.0/24")
    assert (await listed.client.get("/metrics")).status_code == 403   # the test client asks from 127.0.0.1
    for address, status in (("192.168.10.44", 200), ("10.0.5.7", 200), ("10.0.5.8", 403)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=listed.app, client=(address, 4000)),
                                     base_url="http://okienko.test") as client:
            assert (await client.get("/metrics")).status_code == status, address


async def test_tickets_waiting_calls_and_routes_show_in_the_metrics(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, metrics_token=TOKEN)
    clerk = await office.clerk("7")
    tickets = [(await office.take("F")).json() for _ in range(3)]
    called = await office.press(clerk, "/api/v1/windows/7/call-next")
    assert called.status_code == 200
    await office.client.get(f"/api/v1/tickets/{tickets[2]['id']}")
    text = await scrape(office)
    assert value(text, "okienko_tickets_issued_today", office="demo", service="F") == 3
    assert value(text, "okienko_waiting", office="demo", service="F") == 2
    assert value(text, "okienko_tickets_issued_today", office="demo", service="A") == 0
    assert value(text, "okienko_http_request_duration_seconds_count", method="POST", status="200",
                 route="/api/v1/windows/{window}/call-next") == 1
    assert value(text, "okienko_http_request_duration_seconds_count", method="POST", status="201",
                 route="/api/v1/tickets") == 3
    assert value(text, "okienko_http_request_duration_seconds_count", method="GET", status="200",
                 route="/api/v1/tickets/{ticket_id}") == 1
    assert all(ticket["id"] not in text for ticket in tickets)   # a route's template, never its path
    assert value(text, "okienko_outbox_backlog") == 0 and value(text, "okienko_outbox_failed") == 0
    assert value(text, "okienko_websocket_clients", kind="board") == 0


async def test_a_call_reaching_the_boards_is_timed_and_boards_are_counted(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, metrics_token=TOKEN)
    token = await board_token(office)
    clerk = await office.clerk("7")
    async with serving(office.app) as url:
        async with connect(ws(url, "/ws/board"), additional_headers={"Authorization": f"Bearer {token}"}) as board:
            json.loads(await board.recv())   # the snapshot
            await office.take("F")
            await office.press(clerk, "/api/v1/windows/7/call-next")
            await receive(board, "called")
            text = await scrape(office)
            assert value(text, "okienko_websocket_clients", kind="board") == 1
            assert value(text, "okienko_call_to_board_seconds_count", office="demo") == 1   # the call, not the issue
            assert value(text, "okienko_call_to_board_seconds_sum", office="demo") == 0   # the clock stood still
    text = await scrape(office)
    assert value(text, "okienko_websocket_clients", kind="board") == 0


async def test_a_silent_kiosk_and_a_printer_out_of_paper_show_within_a_minute(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, metrics_token=TOKEN,
                                  printer={"kind": "network", "host": "127.0.0.1", "port": 9, "profile": "TM-T88V"})
    await office.client.get("/api/v1/services", headers=office.kiosk())   # the kiosk talks: its heartbeat
    await office.okienko.heartbeats.settled()
    devices = Device.__table__
    async with office.okienko.db.read() as conn:
        kiosk_id = (await conn.execute(sa.select(devices.c.id).where(devices.c.name == "hall-1",
                                                                      devices.c.kind == "kiosk"))).scalar_one()
    await office.okienko.printing.set_status(kiosk_id, "paper_out")
    text = await scrape(office)
    assert value(text, "okienko_device_last_seen_seconds", office="demo", kind="kiosk", device="hall-1") == 0
    assert value(text, "okienko_device_last_seen_seconds", office="demo", kind="printer", device="hall-1") == 0
    assert value(text, "okienko_printer_status", office="demo", kiosk="hall-1", status="paper_out") == 1
    assert value(text, "okienko_printer_status", office="demo", kiosk="hall-1", status="online") == 0

    await board_token(office)   # a board enrolled that never connected
    office.clock.advance(seconds=61)   # nothing heard from the kiosk or its printer since
    text = await scrape(office)
    assert value(text, "okienko_device_last_seen_seconds", office="demo", kind="board", device="hall") == math.inf
    assert value(text, "okienko_device_last_seen_seconds", office="demo", kind="kiosk", device="hall-1") == 61
    assert value(text, "okienko_device_last_seen_seconds", office="demo", kind="printer", device="hall-1") == 61


async def test_every_kind_of_websocket_client_is_counted_while_connected(office_factory: Any) -> None:
    office = await office_factory(TUESDAY, metrics_token=TOKEN)
    ticket = (await office.take("F")).json()
    kiosk = {"Authorization": f"Bearer {office.kiosk_token}"}
    async with serving(office.app) as url:
        async with connect(ws(url, "/ws/kiosk"), additional_headers=kiosk) as screen, \
                connect(ws(url, f"/ws/ticket/{ticket['id']}")) as phone, \
                connect(ws(url, "/ws/print-agent"), additional_headers=kiosk) as agent:
            await screen.recv()
            await phone.recv()
            await agent.send(json.dumps({"type": "hello", "printed_ids": []}))
            counted: dict[str, float] = {}
            for _ in range(100):   # the agent's hello is read after its socket is counted: wait for all three
                text = await scrape(office)
                counted = {kind: value(text, "okienko_websocket_clients", kind=kind)
                           for kind in ("kiosk", "ticket", "print_agent", "board")}
                if counted == {"kiosk": 1, "ticket": 1, "print_agent": 1, "board": 0}:
                    break
            assert counted == {"kiosk": 1, "ticket": 1, "print_agent": 1, "board": 0}
        for _ in range(100):   # the server notices each close on its own
            text = await scrape(office)
            if all(value(text, "okienko_websocket_clients", kind=kind) == 0 for kind in ("kiosk", "ticket",
                                                                                         "print_agent")):
                break
        assert all(value(text, "okienko_websocket_clients", kind=kind) == 0
                   for kind in ("kiosk", "ticket", "print_agent"))

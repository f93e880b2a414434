"""A printer on the kiosk's own computer, driven by `okienko print-agent` over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from okienko.storage.models import PrintJob
from printers.agent import run_agent
from printers.connections import PrinterConfig
from printers.decode import decode
from tests.conftest import serving, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
ATTACHED = {"kind": "usb", "usb_vendor": 0x04B8, "usb_product": 0x0202, "profile": "TM-T88V",
            "attached_to_kiosk": True}


async def wait_for(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_the_agent_prints_the_kiosks_tickets(office_factory, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, printer=ATTACHED)
    paper = tmp_path / "usb-printer.bin"
    stop = asyncio.Event()
    async with serving(office.app) as url:
        offline = (await office.take("K", language="en")).json()
        assert offline["printed"] is False and offline["print_problem"]["error"] == "agent_offline"

        agent = asyncio.create_task(run_agent(url, office.kiosk_token, PrinterConfig(kind="file", path=str(paper)),
                                              tmp_path / "journal.jsonl", status_interval=0.2, stop=stop))

        async def connected() -> bool:
            printers = (await office.client.get("/api/v1/printers", headers=office.kiosk())).json()["printers"]
            return printers[0]["agent_connected"] and printers[0]["status"] == "online"

        await wait_for(connected)
        ticket = (await office.take("K", language="uk")).json()
        assert ticket["printed"] is True
        slip = decode(paper.read_bytes(), "TM-T88V")
        assert "K002" in slip.text and "Отримання карти перебування" in slip.text and "K001" not in slip.text
        stop.set()
        await asyncio.wait_for(agent, 5)


class Socket:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))


async def agent_attached(office_factory):
    """An office whose kiosk printer is on the kiosk computer; answers wait 0.2 s for the agent."""
    office = await office_factory(TUESDAY, printer=ATTACHED)
    office.okienko.printing.timeout_seconds = 0.2
    async with office.okienko.db.read() as conn:
        device_id = (await conn.execute(sa.text("SELECT id FROM devices WHERE name = 'hall-1'"))).scalar()
    return office, office.okienko.agents, device_id


async def test_after_a_dropped_connection_a_job_is_settled_not_printed_twice(office_factory) -> None:
    office, hub, device_id = await agent_attached(office_factory)
    first, second = Socket(), Socket()
    await hub.attach(device_id, first, {"type": "hello", "printed_ids": []})
    # The job goes out, the agent prints it, and the line drops before its ack arrives.
    ticket = (await office.take("F", language="en")).json()
    assert ticket["printed"] is False and ticket["print_problem"]["error"] == "agent_pending"
    job_id = first.sent[0]["id"]
    hub.detach(device_id, first)
    # Reconnected: the agent says it printed that job; the server marks it and sends nothing again.
    await hub.attach(device_id, second, {"type": "hello", "printed_ids": [job_id]})
    assert second.sent == []
    async with office.okienko.db.read() as conn:
        status = (await conn.execute(sa.select(PrintJob.__table__.c.status))).scalars().all()
    assert status == ["printed"]


async def test_a_job_still_pending_after_reconnect_is_sent_again(office_factory) -> None:
    office, hub, device_id = await agent_attached(office_factory)
    first, second = Socket(), Socket()
    await hub.attach(device_id, first, {"type": "hello", "printed_ids": []})
    await office.take("F")
    hub.detach(device_id, first)
    await hub.attach(device_id, second, {"type": "hello", "printed_ids": []})
    assert [m["id"] for m in second.sent] == [first.sent[0]["id"]]
    await hub.receive(device_id, {"type": "ack", "id": first.sent[0]["id"], "ok": True})
    async with office.okienko.db.read() as conn:
        status = (await conn.execute(sa.select(PrintJob.__table__.c.status))).scalars().all()
    assert status == ["printed"]

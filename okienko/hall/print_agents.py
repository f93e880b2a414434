"""Server side of the print agent: jobs for printers on a kiosk's own computer.

The agent (`okienko print-agent`, printers/agent.py) holds a WebSocket open to the server.
A job is sent, the agent prints it, journals its id and acknowledges. When the connection
drops mid-job the job stays pending; after the reconnect the agent's hello lists what it
printed (those jobs are marked printed) and recent pending jobs are sent again, which the
agent's journal turns into an ack without a second print. Jobs older than RESEND_SECONDS are
not sent again: the visitor has left with the number shown on screen.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from okienko.clock import Clock
from okienko.hall.print_outcome import PrintOutcome
from okienko.storage.db import Database
from okienko.storage.models import Device, PrintJob

log = logging.getLogger("okienko.print_agents")
RESEND_SECONDS = 60


class AgentSocket(Protocol):
    async def send_text(self, data: str) -> None: ...


class AgentHub:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._sockets: dict[int, AgentSocket] = {}
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def connected(self, device_id: int) -> bool:
        return device_id in self._sockets

    async def print_via_agent(self, device_id: int, job_id: str, payload: bytes, timeout: float) -> Any:
        socket = self._sockets.get(device_id)
        if socket is None:
            return PrintOutcome(False, "agent_offline")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[job_id] = future
        try:
            await socket.send_text(_job_message(job_id, payload))
            ack = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return PrintOutcome(False, "agent_pending")
        except Exception:  # the socket went away while sending
            return PrintOutcome(False, "agent_pending")
        finally:
            self._acks.pop(job_id, None)
        return PrintOutcome(True) if ack.get("ok") else PrintOutcome(False, str(ack.get("error") or "printer_error"))

    async def attach(self, device_id: int, socket: AgentSocket, hello: dict[str, Any]) -> None:
        """An agent connected: settle what it printed, send again what is still pending."""
        self._sockets[device_id] = socket
        printed = [str(i) for i in hello.get("printed_ids", [])][:200]
        jobs = PrintJob.__table__
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if printed:
                await conn.execute(sa.update(jobs).where(jobs.c.id.in_(printed), jobs.c.device_id == device_id,
                                                         jobs.c.status == "pending")
                                   .values(status="printed", printed_at=now))
            await conn.execute(sa.update(jobs).where(jobs.c.device_id == device_id, jobs.c.status == "pending",
                                                     jobs.c.created_at < now - timedelta(seconds=RESEND_SECONDS))
                               .values(status="failed", error="expired"))
            pending = (await conn.execute(sa.select(jobs.c.id, jobs.c.payload).where(
                jobs.c.device_id == device_id, jobs.c.status == "pending").order_by(jobs.c.created_at))).all()
        for job_id, payload in pending:
            await socket.send_text(_job_message(job_id, payload))

    def detach(self, device_id: int, socket: AgentSocket) -> None:
        if self._sockets.get(device_id) is socket:
            del self._sockets[device_id]

    async def receive(self, device_id: int, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ack":
            job_id = str(message.get("id"))
            await self._settle(device_id, job_id, message)
            future = self._acks.get(job_id)
            if future and not future.done():
                future.set_result(message)
        elif kind == "status":
            status = str(message.get("status", "unknown"))
            if status in ("online", "paper_low", "paper_out", "offline", "unknown"):
                devices = Device.__table__
                async with self.db.transaction() as conn:
                    await conn.execute(sa.update(devices).where(devices.c.id == device_id)
                                       .values(printer_status=status, printer_checked_at=self.clock.now()))

    async def _settle(self, device_id: int, job_id: str, ack: dict[str, Any]) -> None:
        jobs = PrintJob.__table__
        values = ({"status": "printed", "printed_at": self.clock.now()} if ack.get("ok")
                  else {"status": "failed", "error": str(ack.get("error") or "printer_error")[:40]})
        async with self.db.transaction() as conn:
            await conn.execute(sa.update(jobs).where(jobs.c.id == job_id, jobs.c.device_id == device_id,
                                                     jobs.c.status == "pending").values(**values))


def _job_message(job_id: str, payload: bytes) -> str:
    return json.dumps({"type": "job", "id": job_id, "payload": base64.b64encode(payload).decode()})

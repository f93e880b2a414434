"""WebSocket /ws/print-agent: a kiosk computer's print agent (protocol in docs/print-agent.md)."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from booking_api.http import identify, okienko
from okienko.staff.auth import DeviceIdentity
from okienko.errors import DomainError

log = logging.getLogger("okienko.print_agents")


async def print_agent_socket(websocket: WebSocket) -> None:
    app = okienko(websocket)
    try:
        identity = await identify(websocket)
    except DomainError:
        await websocket.close(code=4401)
        return
    if not isinstance(identity, DeviceIdentity) or identity.kind != "kiosk":
        await websocket.close(code=4403)
        return
    await websocket.accept()
    # The agent's kiosk is alive while the agent's socket is open (the server's pings close a dead one).
    beating = asyncio.ensure_future(app.heartbeats.keep_beating(identity.id))
    try:
        with app.metrics.websocket_client("print_agent"):
            hello = json.loads(await websocket.receive_text())
            if not isinstance(hello, dict) or hello.get("type") != "hello":
                await websocket.close(code=4400)
                return
            await app.agents.attach(identity.id, websocket, hello)
            while True:
                message = json.loads(await websocket.receive_text())
                if isinstance(message, dict):
                    await app.agents.receive(identity.id, message)
    except (WebSocketDisconnect, json.JSONDecodeError, RuntimeError):
        pass
    finally:
        beating.cancel()
        app.agents.detach(identity.id, websocket)

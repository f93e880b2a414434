"""day.py's live clients: the visitors' phones following their tickets (`/ws/ticket/{id}`), and the
process holding the hall boards (`/ws/board`), which stamps every `called` event when it arrives.

The boards run in a process of their own, started with `start_boards(spec_path, spec)`:

    .venv/bin/python bench/day_live.py SPEC.json

SPEC.json: ports, offices (code, board token), boards (per office), out. The boards are spread over
the ports (board i on port i % len(ports)), so that half of them get their events from the other
server process, through the broker. It prints {"ready": N, ...} once every board has its snapshot,
reads until a line comes on stdin, then writes the arrivals to `out` and exits.

Times are `time.perf_counter()` (CLOCK_MONOTONIC: one clock for every process on the machine), so
the hall process's stamp of a call and a board's stamp of its arrival can be subtracted.

A library for bench/day.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from boards_clients import client_frame, next_frame, open_boards, raise_nofile
from common import HOST

# Past `waiting`: the phone has learnt of the call. Moves within a quarter of a second make one
# message, so a visitor started at once after the call shows `serving` without `called` first.
CALLED = (b'"status": "called"', b'"status": "serving"')
ENDED = (b'"status": "done"', b'"status": "no_show"', b'"status": "cancelled"')


class Phone(asyncio.Protocol):
    """The ticket page's live channel on a visitor's phone: reads every `ticket` message, stamps the
    first one that says the ticket is called (or already served), and hangs up once the visit is over."""

    def __init__(self, request: bytes, key: str, arrivals: dict[str, float], counts: dict[str, int]) -> None:
        self.request, self.key, self.arrivals, self.counts = request, key, arrivals, counts
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.counts["open"] += 1
        self.counts["most_open"] = max(self.counts["most_open"], self.counts["open"])
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                self.counts["refused"] += 1
                self.transport.close()  # type: ignore[union-attr]
                return
            del self.buf[: end + 4]
            self.upgraded = True
        while (frame := next_frame(self.buf)) is not None:
            opcode, payload = frame
            if opcode == 1:
                self.counts["messages"] += 1
                if any(mark in payload for mark in CALLED):
                    self.arrivals.setdefault(self.key, now)
                elif any(mark in payload for mark in ENDED):
                    self.transport.close()  # type: ignore[union-attr]
                    return
            elif opcode == 9:
                self.transport.write(client_frame(0xA, payload))  # type: ignore[union-attr]
            elif opcode == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.counts[f"closed {code}"] = self.counts.get(f"closed {code}", 0) + 1
                self.transport.close()  # type: ignore[union-attr]
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self.counts["open"] -= 1


async def open_phone(port: int, ticket_id: str, key: str, arrivals: dict[str, float],
                     counts: dict[str, int]) -> None:
    request = (f"GET /ws/ticket/{ticket_id} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    try:
        await loop.create_connection(lambda: Phone(request, key, arrivals, counts), HOST, port)
    except OSError:
        counts["failed"] += 1


def boards_process(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    raise_nofile()

    async def run() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        ports = spec["ports"]
        boards: dict[str, list[Any]] = {}
        errors: list[str] = []
        for office in spec["offices"]:
            per_port = [spec["boards"] // len(ports) + (1 if i < spec["boards"] % len(ports) else 0)
                        for i in range(len(ports))]
            for port, count in zip(ports, per_port):
                opened, failed = await open_boards(port, office["board"], count, "probe")
                boards.setdefault(office["code"], []).extend(opened)
                errors += failed
        print(json.dumps({"ready": sum(len(b) for b in boards.values()), "failed": len(errors),
                          "errors": errors[:5]}), flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader.readline(), spec["max_seconds"])
        arrivals: dict[str, list[float]] = {}
        events = still_open = 0
        for code, opened in boards.items():
            for board in opened:
                events += board.events
                still_open += board.lost is None
                for (kind, number), at in board.arrivals.items():
                    if kind == "called":
                        arrivals.setdefault(f"{code}/{number}", []).append(at)
                if board.transport is not None:
                    board.transport.abort()
        return {"boards": sum(len(b) for b in boards.values()), "failed": len(errors), "errors": errors[:5],
                "events_read": events, "still_open": still_open, "arrivals": arrivals}

    import uvloop
    report = uvloop.run(run())
    Path(spec["out"]).write_text(json.dumps(report))


def start_boards(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(spec_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


if __name__ == "__main__":
    boards_process(sys.argv[1])

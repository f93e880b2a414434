"""The clients of boards.py: board connections to /ws/board (a minimal RFC 6455 client side), the
helper process that holds the boards which are not probes, and the clerk's keep-alive HTTP.

The helper runs in a process of its own, started with `start_sink(spec_path, spec)`:

    .venv/bin/python bench/boards_clients.py SPEC.json

SPEC.json: port, token (the board's), count, mode ("stall" or "read"), mss (0: loopback's own),
deadline (time.time() when it gives up), drain_seconds. It prints {"ready": N, ...} once its
boards are connected, waits for a line on stdin (or the deadline), then resumes reading, notes how
each board ended and prints that report as JSON.

A library for bench/boards.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import HOST


# ----------------------------------------------------------------------------------------------
# Minimal WebSocket client side (RFC 6455): upgrade request, unmasked server frames, masked pong
# ----------------------------------------------------------------------------------------------

def upgrade_request(port: int, token: str) -> bytes:
    return (f"GET /ws/board HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n").encode()


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame, masked with the key 0000 (valid, and the payload stays as it is)."""
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def next_frame(buf: bytearray) -> tuple[int, bytes] | None:
    """Take one complete server frame (opcode, payload) off the front of buf, or None."""
    if len(buf) < 2:
        return None
    length = buf[1] & 0x7F
    at = 2
    if length == 126:
        if len(buf) < 4:
            return None
        length, at = struct.unpack_from("!H", buf, 2)[0], 4
    elif length == 127:
        if len(buf) < 10:
            return None
        length, at = struct.unpack_from("!Q", buf, 2)[0], 10
    if len(buf) < at + length:
        return None
    opcode = buf[0] & 0x0F
    payload = bytes(buf[at: at + length])
    del buf[: at + length]
    return opcode, payload


class Board(asyncio.Protocol):
    """One board connection. mode: "probe" (read and timestamp everything), "read" (read and
    discard), "stall" (stop reading after the snapshot until told to resume)."""

    def __init__(self, request: bytes, mode: str, ready: asyncio.Future[None]) -> None:
        self.request = request
        self.mode = mode
        self.ready = ready
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.arrivals: dict[tuple[str, str], float] = {}   # (kind, number) -> perf_counter at arrival
        self.tickers = 0
        self.events = 0
        self.close_code: int | None = None
        self.lost: str | None = None      # None while open; "eof" or the exception's name
        self.failed: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buf.startswith(b"HTTP/1.1 101"):
                self.fail(bytes(self.buf[:200]).decode("latin-1", "replace"))
                return
            del self.buf[: end + 4]
            self.upgraded = True
        while True:
            frame = next_frame(self.buf)
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 1:
                if self.ready.done():
                    self.events += 1
                    if self.mode == "probe":
                        message = json.loads(payload)
                        kind = message.get("kind")
                        if kind == "ticker":
                            self.tickers += 1
                        self.arrivals.setdefault((kind, message.get("number")), now)
                else:
                    self.ready.set_result(None)     # the snapshot
                    if self.mode == "stall":
                        self.transport.pause_reading()  # type: ignore[union-attr]
                        return          # what came with it stays unread too
            elif opcode == 9:           # ping: a reading board answers, as browsers do
                self.transport.write(client_frame(0xA, payload))  # type: ignore[union-attr]
            elif opcode == 8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.transport.close()  # type: ignore[union-attr]
                return

    def fail(self, why: str) -> None:
        self.failed = why
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(why))
        self.transport.close()  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = "eof" if exc is None else type(exc).__name__
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"closed before the snapshot ({self.lost})"))


async def open_boards(port: int, token: str, count: int, mode: str, parallel: int = 64,
                      timeout: float = 120.0, mss: int = 0) -> tuple[list[Board], list[str]]:
    """Open `count` boards, at most `parallel` handshakes at a time; each ends with its snapshot.

    mss > 0 advertises that TCP MSS (as an Ethernet path would): on loopback (MSS 64 KB) Linux
    sizes each socket's initial send buffer from 10 segments, about 2.6 MB, where a real network
    gives about 80 KB; the server's kernel buffer for a stalled board would be 30 times too big."""
    loop = asyncio.get_running_loop()
    request = upgrade_request(port, token)
    gate = asyncio.Semaphore(parallel)
    boards: list[Board] = []
    errors: list[str] = []
    deadline = time.monotonic() + timeout

    async def one() -> None:
        async with gate:
            ready = loop.create_future()
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                if mss:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
                sock.setblocking(False)
                await loop.sock_connect(sock, (HOST, port))
                _, board = await asyncio.wait_for(
                    loop.create_connection(lambda: Board(request, mode, ready), sock=sock), 30)
                await asyncio.wait_for(ready, max(1.0, deadline - time.monotonic()))
                boards.append(board)
            except Exception as error:
                errors.append(repr(error)[:200])

    await asyncio.gather(*(one() for _ in range(count)))
    return boards, errors


# ----------------------------------------------------------------------------------------------
# The helper process holding the boards that are not probes (`boards_clients.py SPEC.json`)
# ----------------------------------------------------------------------------------------------

def sink_process(spec_path: str) -> None:
    """Open the boards, say "ready" on stdout, then wait for "report" on stdin (or the deadline):
    resume reading, note how each board ended, print the report as JSON and exit."""
    spec = json.loads(Path(spec_path).read_text())

    async def run() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        boards, errors = await open_boards(spec["port"], spec["token"], spec["count"], spec["mode"],
                                           mss=spec["mss"])
        print(json.dumps({"ready": len(boards), "errors": errors[:5], "failed": len(errors)}), flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader.readline(), max(1.0, spec["deadline"] - time.time()))
        # How did the server leave each board? Read what is there, for up to `drain_seconds`.
        open_before = sum(1 for b in boards if b.lost is None)
        for board in boards:
            if board.lost is None and board.transport is not None and board.close_code is None:
                with contextlib.suppress(Exception):
                    board.transport.resume_reading()
        stop = time.monotonic() + spec["drain_seconds"]
        while time.monotonic() < stop and any(b.lost is None and b.close_code is None for b in boards):
            await asyncio.sleep(0.05)
        codes: dict[str, int] = {}
        for board in boards:
            key = (f"close {board.close_code}" if board.close_code is not None
                   else "still open" if board.lost is None else f"closed without a close frame ({board.lost})")
            codes[key] = codes.get(key, 0) + 1
        for board in boards:
            if board.transport is not None:
                board.transport.abort()
        await asyncio.sleep(0.05)
        return {"boards": len(boards), "failed": len(errors), "errors": errors[:5], "open_before_report": open_before,
                "ended": codes, "events_read": sum(b.events for b in boards)}

    try:
        import uvloop
        report = uvloop.run(run())
    except ImportError:
        report = asyncio.run(run())
    print(json.dumps(report), flush=True)


# ----------------------------------------------------------------------------------------------
# The clerk: keep-alive HTTP/1.1 requests
# ----------------------------------------------------------------------------------------------

class Http:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def request(self, method: str, path: str, token: str, body: Any = None,
                      sent: list[float] | None = None) -> tuple[int, Any]:
        if self.writer is not None and time.monotonic() - self.last_used > 2.0:
            await self.close()      # uvicorn closes idle keep-alive connections after 5 s
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        data = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                + (f"Authorization: Bearer {token}\r\n" if token else "")     # "": a visitor, no token
                + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        if sent is not None:
            sent.append(time.perf_counter())
        self.writer.write(head + data)
        head_in = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 30)  # type: ignore[union-attr]
        status = int(head_in[9:12])
        length = 0
        for line in head_in.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        payload = await self.reader.readexactly(length) if length else b""  # type: ignore[union-attr]
        self.last_used = time.monotonic()
        with contextlib.suppress(ValueError):
            return status, json.loads(payload) if payload else None
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
            self.reader = self.writer = None


def raise_nofile(limit: int = 65536) -> int:
    """Raise this process's open-files limit towards `limit` (at most the hard limit); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY and hard < limit else limit
    if soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_sink(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    """Write `spec` and start a helper process holding `spec["count"]` boards (see the module's doc)."""
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(spec_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


if __name__ == "__main__":
    sink_process(sys.argv[1])

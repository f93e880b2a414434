"""The load generator of tickets.py and numbers_full.py: keep-alive HTTP/1.1 connections, each
sending its next pre-built request as soon as the previous answer is in.

It runs in a process of its own, started with `start(spec_path, spec)`:

    .venv/bin/python bench/load.py SPEC.json

SPEC.json: host, port, requests (raw HTTP/1.1 requests, used round robin), connections,
first_index (which request the first connection starts with), expect_status, start_at, warm_at,
stop_at (time.perf_counter() values: all connections start together at start_at, answers between
warm_at and stop_at are measured), grace_seconds (how long to wait for the last answers), out
(where the results go as JSON: latencies in µs, statuses, answers per second, problems, CPU).
"""

from __future__ import annotations

import asyncio
import collections
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import HOST, LANGUAGES


def build_requests(path: str, port: int, token: str | None, services: list[str]) -> list[str]:
    """One ticket request per service (the languages taking turns), as the kiosk sends it."""
    out = []
    for index, service in enumerate(services):
        body = json.dumps({"service": service, "language": LANGUAGES[index % len(LANGUAGES)]},
                          separators=(",", ":"))
        head = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}", "Content-Type: application/json",
                f"Content-Length: {len(body)}"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        out.append("\r\n".join(head) + "\r\n\r\n" + body)
    return out


def start(spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    """Write `spec` to `spec_path` and start a load generator process on it (its results: spec["out"])."""
    Path(spec["out"]).unlink(missing_ok=True)
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(spec_path)])


def client_process(spec_path: str) -> None:
    """Open the connections, wait for the common start, then keep every connection busy.

    One asyncio Protocol per connection, no coroutine per request: a request is a pre-built
    bytes object, an answer is parsed just far enough to find its status and Content-Length.
    Latency is time.perf_counter() from write() to the last byte of the answer.
    """
    spec = json.loads(Path(spec_path).read_text())
    requests = [r.encode("latin-1") for r in spec["requests"]]
    expect = int(spec["expect_status"])
    start_at, warm_at, stop_at = spec["start_at"], spec["warm_at"], spec["stop_at"]
    hard_stop = stop_at + spec["grace_seconds"]
    ok_lat: list[int] = []          # µs, answers with the expected status inside the window
    err_lat: list[int] = []
    statuses: collections.Counter[int] = collections.Counter()   # inside the window
    all_statuses: collections.Counter[int] = collections.Counter()  # warm-up and drain included
    samples: list[str] = []
    problems: collections.Counter[str] = collections.Counter()
    inflight_at_end = 0
    per_second: collections.Counter[int] = collections.Counter()  # expected answers per second of the window

    class Conn(asyncio.Protocol):
        def __init__(self, index: int, done: asyncio.Future[None]) -> None:
            self.next = index % len(requests)
            self.done = done
            self.buf = bytearray()
            self.sent_at = 0.0
            self.busy = False
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]

        def fire(self) -> None:
            request = requests[self.next]
            self.next = (self.next + 1) % len(requests)
            self.busy = True
            self.sent_at = time.perf_counter()
            self.transport.write(request)  # type: ignore[union-attr]

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while self.busy:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[:end]).lower()
                at = head.find(b"\r\ncontent-length:")
                if at < 0:
                    problems["answer without content-length"] += 1
                    self.finish()
                    return
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17: stop if stop >= 0 else len(head)])
                total = end + 4 + length
                if len(self.buf) < total:
                    return
                now = time.perf_counter()
                status = int(head[9:12])
                if status != expect and len(samples) < 5:
                    samples.append(f"{status} {bytes(self.buf[end + 4: total])[:300].decode('utf-8', 'replace')}")
                del self.buf[:total]
                self.busy = False
                all_statuses[status] += 1
                if warm_at <= now <= stop_at:
                    statuses[status] += 1
                    (ok_lat if status == expect else err_lat).append(int((now - self.sent_at) * 1e6))
                    if status == expect:
                        per_second[int(now - warm_at)] += 1
                if now < stop_at:
                    self.fire()
                else:
                    self.finish()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.busy:
                problems["connection closed with a request in flight"] += 1
                if warm_at <= time.perf_counter() <= stop_at:
                    statuses[0] += 1
            self.busy = False
            if not self.done.done():
                self.done.set_result(None)

        def finish(self) -> None:
            if self.transport is not None:
                self.transport.close()
            if not self.done.done():
                self.done.set_result(None)

    async def run() -> None:
        nonlocal inflight_at_end
        loop = asyncio.get_running_loop()
        conns: list[Conn] = []
        for index in range(spec["first_index"], spec["first_index"] + spec["connections"]):
            done = loop.create_future()
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda i=index, d=done: Conn(i, d), spec["host"], spec["port"]), 10)
            conns.append(conn)
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        for conn in conns:
            conn.fire()
        pending = [c.done for c in conns]
        _, still = await asyncio.wait(pending, timeout=max(0.0, hard_stop - time.perf_counter()))
        inflight_at_end = sum(1 for c in conns if c.busy)
        if still:
            problems["no answer within the grace period after the end"] += inflight_at_end
        for conn in conns:
            if conn.transport is not None:
                conn.transport.close()
        await asyncio.sleep(0.05)

    cpu0 = time.process_time()
    try:
        import uvloop
        uvloop.run(run())
    except ImportError:
        asyncio.run(run())
    Path(spec["out"]).write_text(json.dumps({
        "ok_latencies_us": ok_lat, "error_latencies_us": err_lat,
        "statuses": {str(k): v for k, v in statuses.items()},
        "all_statuses": {str(k): v for k, v in all_statuses.items()},
        "samples": samples, "problems": dict(problems), "inflight_at_end": inflight_at_end,
        "cpu_seconds": time.process_time() - cpu0,
        "per_second": [per_second.get(i, 0) for i in range(int(stop_at - warm_at + 0.5))],
    }))


if __name__ == "__main__":
    client_process(sys.argv[1])

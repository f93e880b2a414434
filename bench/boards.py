#!/usr/bin/env python3
"""Benchmark: call boards following calls over WebSockets (/ws/board), thousands at once.

    .venv/bin/python bench/boards.py [--clients 1000,5000] [--probes 200] [--calls 30] [--json out.json]

For each N in --clients, one `okienko serve` (SQLite) gets N board connections:

  * N - probes "stalled" boards (raw sockets, in --sink-procs helper processes) that read the HTTP
    upgrade and the snapshot and then STOP READING, so the kernel buffers and then the server's
    per-connection queue fill up: the server must drop them (close 4408) without slowing the rest;
  * --probes "probe" boards in this process, which read every message and timestamp it with
    time.perf_counter() when it arrives, the clock the simulated clerk's requests are timed with.

A clerk then makes --calls calls, --spacing seconds apart (each measured alone): a kiosk takes a
ticket, the clerk POSTs call-next (the clock starts when the request is written), every probe's
`called` event for that number stops it, then the clerk starts the visit. Half the calls come
first; then a flood of ticker messages (unmeasured, paced so that the probes keep up) fills the
stalled boards' buffers and queues; then the other half. With --reading-run (on by default) the
same N is run again with every board reading, as the reference.

Reported per run: latency p50/p99/max over every (probe x call), calls whose event reached every
probe, the first half against the second half, how the stalled boards ended (close code seen
when they finally read, or reset), the server's RSS before connecting, with N idle boards and at
the end, CPU. Prints a Markdown table, writes JSON (--json), exits 1 when a target is missed,
2 when a run could not run at all.

Only 127.0.0.1 is ever contacted. Every loop is bounded in time. Everything this script starts
(the server, helper processes) it stops again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tickets as common  # noqa: E402  (shared helpers: free_port, wait_ready, CpuMeter, wait_quiet, ...)

ROOT = common.ROOT
BIN = common.BIN
HOST = common.HOST
TARGET_P99_MS = {1000: 50.0, 5000: 150.0}   # clients -> p99 ceiling (2 cores)
WINDOW = "7"
SERVICE = "F"
# 450 characters, 2 bytes each in UTF-8 (events are sent with ensure_ascii=False): ~1 KB per ticker event.
TICKER_TEXT = ("Сьогодні відділ працює до 15:00, тримайте талон під рукою, будь ласка. " * 8)[:450]


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
# Helper process holding the non-probe boards (`boards.py _sink SPEC.json`)
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
        head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
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


# ----------------------------------------------------------------------------------------------
# One run: one server, N boards
# ----------------------------------------------------------------------------------------------

@dataclass
class Run:
    clients: int
    mode: str                       # "stall": N - probes boards stop reading; "read": every board reads
    probes: int
    calls: int = 0
    reached_all: int = 0            # calls whose `called` event reached every probe
    samples: int = 0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    first_half: dict[str, Any] = field(default_factory=dict)
    second_half: dict[str, Any] = field(default_factory=dict)
    per_call: list[dict[str, Any]] = field(default_factory=list)
    call_next_answer_ms: dict[str, Any] = field(default_factory=dict)   # until call-next's HTTP answer
    flood: dict[str, Any] = field(default_factory=dict)
    sinks: list[dict[str, Any]] = field(default_factory=list)
    stalled_ended: dict[str, int] = field(default_factory=dict)
    stalled_dropped: int = 0        # closed by the server (any close code or reset)
    probes_lost: int = 0
    server_connections: dict[str, int] = field(default_factory=dict)   # ESTABLISHED on the port, by moment
    rss_mb: dict[str, float] = field(default_factory=dict)
    kb_per_connection: float | None = None
    connect_seconds: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    cpu_per_process: dict[str, dict[str, float]] = field(default_factory=dict)
    target_p99_ms: float | None = None
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attempts: int = 1
    disturbed: bool = False


def raise_nofile(limit: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY and hard < limit else limit
    if soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def stats(values: list[float]) -> dict[str, Any]:
    values = sorted(values)
    us = [int(v * 1000) for v in values]   # common.pct takes µs and gives ms
    return {"samples": len(values), "p50_ms": common.pct(us, 0.5), "p90_ms": common.pct(us, 0.9),
            "p99_ms": common.pct(us, 0.99), "max_ms": common.pct(us, 1.0)}


def server_rss_mb(pid: int) -> float:
    return round(sum(p.memory_info().rss for p in common.tree(pid)) / 2**20, 1)


def established(pid: int, port: int) -> int:
    import psutil
    with contextlib.suppress(psutil.Error):
        return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port)
    return -1


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="okienko-boards-"))
        self.workdir.mkdir(parents=True, exist_ok=True)

    def prepare(self, folder: Path, port: int) -> tuple[dict[str, str], dict[str, str]]:
        """A fresh SQLite office with a board, a kiosk and a manager (who can call and set the ticker)."""
        db = folder / "boards.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OKIENKO_") and k != "DATABASE_URL"}
        env.update(DATABASE_URL=f"sqlite:///{db}", OKIENKO_DATA_DIR=str(folder / "var"), OKIENKO_PORT=str(port),
                   OKIENKO_LOG_LEVEL="warning", OKIENKO_SECRET_KEY="bench-" + "x" * 32)
        office = common.office_toml([SERVICE], int(WINDOW)).replace("bench/tickets.py", "bench/boards.py")
        (folder / "office.toml").write_text(office + '\n[[board]]\nname = "hall"\n')
        okienko = str(BIN / "okienko")
        log = folder / "setup.log"
        with open(log, "ab") as out:
            def run(*step: str, stdin: str | None = None) -> str:
                return subprocess.run([okienko, *step], env=env, cwd=folder, check=True, input=stdin, text=True,
                                      stdout=subprocess.PIPE, stderr=out).stdout.strip()
            run("migrate")
            run("office", "load", str(folder / "office.toml"))
            tokens = {"kiosk": run("device", "add", "kiosk", "hall-1"), "board": run("device", "add", "board", "hall")}
            run("user", "add", "bench-clerk", "--role", "manager", stdin="bench-password-123456\n")
            tokens["clerk"] = run("token", "create", "bench-clerk")
        return env, {k: v.split()[-1] for k, v in tokens.items()}

    async def run(self, clients: int, mode: str) -> Run:
        args = self.args
        probes = min(args.probes, clients)
        result = Run(clients, mode, probes, target_p99_ms=TARGET_P99_MS.get(clients))
        folder = self.workdir / f"{clients}-{mode}"
        folder.mkdir(parents=True, exist_ok=True)
        port = common.free_port()
        server: subprocess.Popen | None = None
        sinks: list[subprocess.Popen] = []
        probe_boards: list[Board] = []
        http = Http(port)
        spy = None
        try:
            env, tokens = self.prepare(folder, port)
            nofile = raise_nofile()
            log = open(folder / "server.log", "wb")
            server = subprocess.Popen(
                [str(BIN / "okienko"), "serve"], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile)))
            log.close()
            await asyncio.to_thread(common.wait_ready, port, server)
            status, body = await http.request("POST", f"/api/v1/windows/{WINDOW}/sign-in", tokens["clerk"], {})
            if status != 200:
                raise RuntimeError(f"sign-in: {status} {body!r:.300}")
            # Warm the board path once (imports, caches) before the "before" RSS.
            warm, errors = await open_boards(port, tokens["board"], 1, "probe")
            if errors:
                raise RuntimeError(f"a board could not connect: {errors[0]}")
            warm[0].transport.close()  # type: ignore[union-attr]
            await asyncio.sleep(1.0)
            result.rss_mb["before"] = server_rss_mb(server.pid)

            # Connect: half the others, the probes, the other half (probes spread among them).
            t0 = time.perf_counter()
            others = clients - probes
            shares = [others // args.sink_procs + (1 if i < others % args.sink_procs else 0)
                      for i in range(args.sink_procs)]
            first = [s for s in shares[: (len(shares) + 1) // 2]]
            second = shares[len(first):]
            deadline = time.time() + args.max_seconds
            sink_mode = "stall" if mode == "stall" else "read"

            async def start_sinks(counts: list[int]) -> None:
                started = []
                for index, count in enumerate(counts):
                    if count <= 0:
                        continue
                    spec = folder / f"sink-{len(sinks)}.json"
                    spec.write_text(json.dumps({"port": port, "token": tokens["board"], "count": count,
                                                "mode": sink_mode, "deadline": deadline, "drain_seconds": 5.0,
                                                "mss": args.stalled_mss if sink_mode == "stall" else 0}))
                    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_sink", str(spec)],
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                    sinks.append(process)
                    started.append(process)
                for process in started:
                    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), args.max_seconds)  # type: ignore[union-attr]
                    ready = json.loads(line or "{}")
                    if ready.get("failed"):
                        raise RuntimeError(f"{ready['failed']} boards could not connect: {ready.get('errors')}")

            await start_sinks(first)
            probe_boards, errors = await open_boards(port, tokens["board"], probes, "probe")
            if errors:
                raise RuntimeError(f"{len(errors)} probes could not connect: {errors[:3]}")
            await start_sinks(second)
            result.connect_seconds = round(time.perf_counter() - t0, 1)
            await asyncio.sleep(2.0)
            result.rss_mb["connected"] = server_rss_mb(server.pid)
            result.kb_per_connection = round((result.rss_mb["connected"] - result.rss_mb["before"]) * 1024 / clients, 1)
            result.server_connections["connected"] = established(server.pid, port)

            busy = await common.wait_quiet(args.disturbed_limit, args.quiet_wait)
            meter = common.CpuMeter({"server": lambda: common.tree(server.pid),
                                     "sinks": lambda: [p for s in sinks for p in common.tree(s.pid)]})
            meter.begin()
            if args.py_spy and shutil.which("py-spy", path=str(BIN)):
                spy = subprocess.Popen([shutil.which("py-spy", path=str(BIN)), "record", "--pid", str(server.pid),
                                        "--rate", "200", "--duration", str(int(args.calls * args.spacing + 5)),
                                        "--format", "speedscope", "--output",
                                        str(Path(args.py_spy) / f"boards-{clients}-{mode}.speedscope.json")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            latencies: list[list[float]] = []
            answer_ms: list[float] = []
            half = args.calls // 2
            for index in range(args.calls):
                if index == half and mode == "stall":
                    result.cpu = meter.end()   # the flood is not part of the measured CPU
                    result.cpu_per_process = meter.per_process
                    result.flood = await self.flood(http, tokens, probe_boards, server.pid, port)
                    result.server_connections["after flood"] = established(server.pid, port)
                    await common.wait_quiet(args.disturbed_limit, min(args.quiet_wait, 10))
                    meter.begin()
                latencies.append(await self.call(http, tokens, probe_boards, result, answer_ms))
            cpu_second = meter.end()
            if mode == "stall" and result.cpu:
                result.cpu = {k: round((result.cpu.get(k, 0) + v) / 2, 1) for k, v in cpu_second.items()}
            else:
                result.cpu = cpu_second
                result.cpu_per_process = meter.per_process
            result.cpu["other before"] = round(busy, 1)
            result.rss_mb["end"] = server_rss_mb(server.pid)
            result.server_connections["end"] = established(server.pid, port)
            result.probes_lost = sum(1 for b in probe_boards if b.lost is not None or b.close_code is not None)

            # Summaries.
            every = [v for call in latencies for v in call]
            result.calls = len(latencies)
            result.reached_all = sum(1 for call in latencies if len(call) == probes)
            result.samples = len(every)
            overall = stats(every)
            result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms = (
                overall["p50_ms"], overall["p90_ms"], overall["p99_ms"], overall["max_ms"])
            result.first_half = stats([v for call in latencies[:half] for v in call])
            result.second_half = stats([v for call in latencies[half:] for v in call])
            result.call_next_answer_ms = stats(answer_ms)
        except Exception as error:
            result.failures.append(f"could not run: {error!r}")
        finally:
            if spy is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    spy.wait(30)
                if spy.poll() is None:
                    spy.kill()
            for process in sinks:   # ask each helper how its boards ended, then make sure it is gone
                with contextlib.suppress(Exception):
                    process.stdin.write("report\n")  # type: ignore[union-attr]
                    process.stdin.flush()  # type: ignore[union-attr]
            for process in sinks:
                with contextlib.suppress(Exception):
                    out, _ = await asyncio.to_thread(process.communicate, timeout=60)
                    lines = [line for line in out.splitlines() if line.strip()]
                    result.sinks.append(json.loads(lines[-1]))
                if process.poll() is None:
                    process.kill()
                    process.wait(5)
            for board in probe_boards:
                if board.transport is not None:
                    board.transport.abort()
            await http.close()
            if server is not None:
                with contextlib.suppress(Exception):
                    await asyncio.sleep(1.0)
                    result.rss_mb["after all closed"] = server_rss_mb(server.pid)
                common.stop_process(server)
        for sink in result.sinks:
            for key, count in sink.get("ended", {}).items():
                result.stalled_ended[key] = result.stalled_ended.get(key, 0) + count
        if mode == "stall":
            result.stalled_dropped = sum(v for k, v in result.stalled_ended.items() if k != "still open")
        self.judge(result)
        return result

    async def call(self, http: Http, tokens: dict[str, str], probes: list[Board], result: Run,
                   answer_ms: list[float]) -> list[float]:
        """One call, measured alone: a ticket, call-next (timed to every probe), start."""
        spacing = self.args.spacing
        status, ticket = await http.request("POST", "/api/v1/tickets", tokens["kiosk"],
                                            {"service": SERVICE, "language": "pl"})
        if status != 201:
            raise RuntimeError(f"ticket: {status} {ticket!r:.300}")
        await asyncio.sleep(spacing / 2)
        sent: list[float] = []
        status, called = await http.request("POST", f"/api/v1/windows/{WINDOW}/call-next", tokens["clerk"], {},
                                            sent=sent)
        answered = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"call-next: {status} {called!r:.300}")
        answer_ms.append((answered - sent[0]) * 1000)
        key = ("called", called["number"])
        stop = time.perf_counter() + self.args.call_timeout
        while time.perf_counter() < stop and any(key not in b.arrivals for b in probes):
            await asyncio.sleep(0.002)
        got = [(b.arrivals[key] - sent[0]) * 1000 for b in probes if key in b.arrivals]
        one = stats(got)
        result.per_call.append({"number": called["number"], "reached": len(got), "answer_ms": round(answer_ms[-1], 2),
                                "p50_ms": one["p50_ms"], "p99_ms": one["p99_ms"], "max_ms": one["max_ms"]})
        status, started = await http.request("POST", f"/api/v1/tickets/{called['id']}/start", tokens["clerk"], {})
        if status != 200:
            raise RuntimeError(f"start: {status} {started!r:.300}")
        await asyncio.sleep(spacing / 2)
        return got

    async def flood(self, http: Http, tokens: dict[str, str], probes: list[Board], pid: int, port: int) -> dict[str, Any]:
        """Ticker messages, at most --flood-window ahead of the slowest probe, until the stalled boards
        must have overflowed (--flood messages) or --flood-seconds pass."""
        args = self.args
        t0 = time.perf_counter()
        sent = 0
        base = min(b.tickers for b in probes)
        waited = 0.0
        while sent < args.flood and time.perf_counter() - t0 < args.flood_seconds:
            while sent - (min(b.tickers for b in probes) - base) >= args.flood_window:
                w0 = time.perf_counter()
                await asyncio.sleep(0.002)
                waited += time.perf_counter() - w0
                if time.perf_counter() - t0 > args.flood_seconds:
                    break
            status, body = await http.request("PUT", "/api/v1/board/ticker", tokens["clerk"],
                                              {"text": f"{sent:05d} {TICKER_TEXT}"})
            if status != 200:
                raise RuntimeError(f"ticker: {status} {body!r:.300}")
            sent += 1
        stop = time.perf_counter() + 30
        while time.perf_counter() < stop and min(b.tickers for b in probes) - base < sent:
            await asyncio.sleep(0.01)
        return {"ticker_messages": sent, "bytes_each": len(TICKER_TEXT.encode()) + 150, "seconds": round(time.perf_counter() - t0, 1),
                "slowest_probe_got": min(b.tickers for b in probes) - base,
                "paced_wait_s": round(waited, 1)}

    def judge(self, r: Run) -> None:
        if r.failures:
            r.passed = False
            return
        if r.reached_all < r.calls:
            r.failures.append(f"only {r.reached_all} of {r.calls} calls reached every probe")
        if r.probes_lost:
            r.failures.append(f"{r.probes_lost} probes were disconnected")
        if r.mode == "stall":
            if r.target_p99_ms is not None and (r.p99_ms is None or r.p99_ms >= r.target_p99_ms):
                r.failures.append(f"p99 {r.p99_ms} ms is not below {r.target_p99_ms:.0f} ms")
            stalled = r.clients - r.probes
            if r.stalled_dropped < stalled:
                r.failures.append(f"only {r.stalled_dropped} of {stalled} stalled boards were dropped "
                                  f"({r.stalled_ended})")
            first, second = r.first_half.get("p99_ms"), r.second_half.get("p99_ms")
            if first and second and second > 1.5 * first + 5:
                r.failures.append(f"probes slowed down: p99 {first} ms in the first calls, {second} ms in the last")
        other = r.cpu.get("other", 0.0)
        r.disturbed = other > self.args.disturbed_limit
        if r.disturbed:
            top = sorted(r.cpu_per_process.get("other", {}).items(), key=lambda kv: -kv[1])[:3]
            r.notes.append(f"other processes used {other:.0f} % of a core during the calls: {dict(top)}")
        r.passed = not r.failures


# ----------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------

def markdown(runs: list[Run]) -> str:
    fmt = common.fmt
    lines = ["| boards | the others | calls reaching every probe | p50 ms | p99 ms | max ms | p99 first / last calls "
             "| stalled boards dropped | server RSS MB: before / N idle / end | KB per board | CPU server / helpers % "
             "| target | result |",
             "|--:|---|--:|--:|--:|--:|---|---|---|--:|---|---|---|"]
    for r in runs:
        others = "stop reading" if r.mode == "stall" else "all read"
        dropped = "—" if r.mode != "stall" else (f"{r.stalled_dropped:,} of {r.clients - r.probes:,} ("
                                                  + ", ".join(f"{k}: {v:,}" for k, v in sorted(r.stalled_ended.items()))
                                                  + ")")
        cpu = f"{fmt(r.cpu.get('server'), 0)} / {fmt(r.cpu.get('sinks'), 0)}"
        if r.disturbed:
            cpu += f" ⚠ other {r.cpu.get('other', 0):.0f}"
        target = "—" if r.mode != "stall" or r.target_p99_ms is None else f"p99 < {r.target_p99_ms:.0f} ms"
        lines.append(
            f"| {r.clients:,} ({r.probes} probes) | {others} | {r.reached_all} of {r.calls} | {fmt(r.p50_ms)} | "
            f"{fmt(r.p99_ms)} | {fmt(r.max_ms)} | {fmt(r.first_half.get('p99_ms'))} / {fmt(r.second_half.get('p99_ms'))} "
            f"| {dropped} | {fmt(r.rss_mb.get('before'), 0)} / {fmt(r.rss_mb.get('connected'), 0)} / "
            f"{fmt(r.rss_mb.get('end'), 0)} | {fmt(r.kb_per_connection)} | {cpu} | {target} | "
            f"{'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_sink"]:
        sink_process(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--clients", default="1000,5000", help="comma-separated numbers of boards, one server each")
    parser.add_argument("--probes", type=int, default=200, help="boards that read and timestamp every event")
    parser.add_argument("--calls", type=int, default=30, help="measured calls per run (half before the flood)")
    parser.add_argument("--spacing", type=float, default=0.3, help="seconds between two calls")
    parser.add_argument("--call-timeout", type=float, default=3.0, help="seconds to wait for every probe per call")
    parser.add_argument("--flood", type=int, default=1500, help="ticker messages (~1 KB each) sent between "
                                                               "the two halves of the calls, to fill stalled boards")
    parser.add_argument("--flood-window", type=int, default=16,
                        help="ticker messages sent ahead of the slowest probe at most")
    parser.add_argument("--flood-seconds", type=float, default=90.0, help="the flood stops after this long")
    parser.add_argument("--stalled-mss", type=int, default=1448,
                        help="TCP MSS the stalled boards advertise, so the server's socket buffers are sized as on "
                             "a real network (0: loopback's own, ~2.6 MB send buffer per socket)")
    parser.add_argument("--no-reading-run", dest="reading_run", action="store_false",
                        help="skip the reference runs where every board reads")
    parser.add_argument("--sink-procs", type=int, default=2, help="helper processes holding the non-probe boards")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="a helper process gives up after this")
    parser.add_argument("--disturbed-limit", type=float, default=15.0,
                        help="other processes using more than this %% of a core make a run 'disturbed'")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="seconds to wait for the machine to be quiet before the calls")
    parser.add_argument("--retries", type=int, default=1, help="re-runs of a disturbed run (the least disturbed "
                                                                "attempt is kept)")
    parser.add_argument("--json", default="", help="write the results here as JSON")
    parser.add_argument("--workdir", default="", help="where databases and logs go (default: a new temp folder)")
    parser.add_argument("--keep-workdir", action="store_true", help="keep databases and logs afterwards")
    parser.add_argument("--py-spy", default="", metavar="DIR",
                        help="record the server with py-spy during the calls into DIR (slows it down)")
    args = parser.parse_args(argv)
    if args.py_spy:
        Path(args.py_spy).mkdir(parents=True, exist_ok=True)
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    nofile = raise_nofile()
    if nofile < max(counts) + 200:
        print(f"the open-files limit is {nofile}: too low for {max(counts)} boards (ulimit -Hn)", file=sys.stderr)
        return 2

    info = common.machine_info()
    with contextlib.suppress(Exception):
        from importlib.metadata import version
        info["packages"]["websockets"] = version("websockets")
    started = dt.datetime.now(dt.timezone.utc)
    runner = Runner(args)
    runs: list[Run] = []

    async def run_all() -> None:
        for clients in counts:
            for mode in (["stall", "read"] if args.reading_run else ["stall"]):
                best = None
                for attempt in range(1, args.retries + 2):
                    print(f"running {clients} boards, the others {'stalled' if mode == 'stall' else 'reading'} "
                          f"(attempt {attempt}) ...", file=sys.stderr, flush=True)
                    candidate = await runner.run(clients, mode)
                    candidate.attempts = attempt
                    if best is None or candidate.cpu.get("other", 1e9) < best.cpu.get("other", 1e9):
                        best = candidate
                    if not candidate.disturbed:
                        break
                    print(f"  disturbed: {candidate.notes[-1]}", file=sys.stderr, flush=True)
                r = best
                print(f"  p50 {common.fmt(r.p50_ms)} ms p99 {common.fmt(r.p99_ms)} ms max {common.fmt(r.max_ms)} ms, "
                      f"{r.reached_all}/{r.calls} calls reached every probe, stalled dropped {r.stalled_dropped} "
                      f"{r.stalled_ended}, {'pass' if r.passed else 'FAIL: ' + '; '.join(r.failures)}",
                      file=sys.stderr, flush=True)
                runs.append(r)

    try:
        asyncio.run(run_all())
    finally:
        if not args.keep_workdir and not args.workdir:
            shutil.rmtree(runner.workdir, ignore_errors=True)

    command = "python bench/boards.py " + " ".join(argv)
    print(f"\n{info['nproc']} × {info['cpu_model']}, Python {info['python']}, {started.strftime('%Y-%m-%d %H:%M UTC')}, "
          f"{args.calls} calls {args.spacing:g} s apart, {args.probes} probes, flood {args.flood} ticker messages\n")
    print(markdown(runs))
    for r in runs:
        for failure in r.failures:
            print(f"- {r.clients} {r.mode}: {failure}")
        for note in r.notes:
            print(f"- {r.clients} {r.mode}: note: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": command, "started_at": started.isoformat(), "machine": info,
            "settings": vars(args), "runs": [vars(r) for r in runs], "passed": all(r.passed for r in runs),
        }, indent=2, default=str))
    if any(any(f.startswith("could not run") for f in r.failures) for r in runs):
        return 2
    return 0 if runs and all(r.passed for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

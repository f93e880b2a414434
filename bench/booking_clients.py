"""The client processes of booking.py, each a process of its own:

    .venv/bin/python bench/booking_clients.py hammer|kiosk|race SPEC.json

  hammer  keeps every connection busy from start_at to stop_at, the next request as soon as the
          answer is in: slot reads (one pre-built request) or holds (each for a new person)
  kiosk   a ticket every `interval` s on the clock, whether or not the previous one was answered
  race    every client holds a free slot (re-reading the listing after 409 slot_full), reads its
          one-time code from the emailed .eml file and confirms

and what they share: one keep-alive HTTP/1.1 connection (`Link`), one request at a time, the
answer parsed just far enough for status, Content-Length and body. `start(role, spec_path, spec)`
starts one; each writes its results as JSON to spec["out"].

A library for bench/booking.py, not a benchmark. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import HOST, LANGUAGES, MailFolder

HOLD_BODY = ('{"service":"%s","start":"%s","language":"%s","name":"Anna Nowak","birth_date":"1990-01-01",'
             '"document_number":"BX%09d","phone":"+48600%06d","email":"p%d@example.com"}')


# ----------------------------------------------------------------------------------------------
# HTTP for the client processes: one keep-alive HTTP/1.1 connection, one request at a time
# ----------------------------------------------------------------------------------------------

class Link(asyncio.Protocol):
    """A connection whose answers are parsed just far enough for status, Content-Length and body.

    `send(raw, on_answer)` writes a pre-built request; `on_answer(status, body, seconds)` is called
    once, with `seconds` = time.perf_counter() from the write to the last byte, or with status 0
    when the connection closed first.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.total = -1
        self.body_at = 0
        self.status = 0
        self.sent_at = 0.0
        self.on_answer: Callable[[int, bytes, float], None] | None = None
        self.closed = False
        self.last_answer = time.perf_counter()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, raw: bytes, on_answer: Callable[[int, bytes, float], None]) -> None:
        self.on_answer = on_answer
        self.sent_at = time.perf_counter()
        self.transport.write(raw)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.on_answer is not None:
            if self.total < 0:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[:end]).lower()
                at = head.find(b"\r\ncontent-length:")
                if at < 0:  # every answer of these endpoints has one; anything else is a fault
                    self.close()
                    return
                stop = head.find(b"\r\n", at + 2)
                self.status = int(head[9:12])
                self.body_at = end + 4
                self.total = end + 4 + int(head[at + 17: stop if stop >= 0 else len(head)])
            if len(self.buf) < self.total:
                return
            self.last_answer = time.perf_counter()
            seconds = self.last_answer - self.sent_at
            body = bytes(self.buf[self.body_at:self.total])
            del self.buf[:self.total]
            self.total = -1
            callback, self.on_answer = self.on_answer, None
            callback(self.status, body, seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.on_answer is not None:
            callback, self.on_answer = self.on_answer, None
            callback(0, b"", time.perf_counter() - self.sent_at)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_link(port: int) -> Link:
    loop = asyncio.get_running_loop()
    _, link = await asyncio.wait_for(loop.create_connection(Link, HOST, port), 10)
    return link


async def usable(link: Link, port: int) -> Link:
    """The link, or a new one when it closed or sat idle for 4 s: uvicorn closes an idle keep-alive
    connection after 5 s, and a request written just then would be lost (browsers reconnect too)."""
    if link.closed or time.perf_counter() - link.last_answer > 4.0:
        link.close()
        return await open_link(port)
    return link


async def ask(link: Link, raw: bytes, timeout: float) -> tuple[int, bytes, float]:
    """One request and its answer; status 0 when the connection closed or `timeout` passed."""
    future: asyncio.Future[tuple[int, bytes, float]] = asyncio.get_running_loop().create_future()
    link.send(raw, lambda status, body, seconds: future.done() or future.set_result((status, body, seconds)))
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        link.on_answer = None
        link.close()
        return 0, b"", timeout


async def open_before(start_at: float, connections: int) -> None:
    """Wait until shortly before `start_at`: connections opened earlier could sit idle past the
    server's keep-alive timeout (5 s) and be closed just as the load starts."""
    await asyncio.sleep(max(0.0, start_at - 1.0 - 0.002 * connections - time.perf_counter()))


def get_request(path: str, port: int) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()


def post_request(path: str, port: int, body: bytes, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def hold_body(service: str, start: str, person: int, language: str = "") -> bytes:
    """A hold for person number `person`: a document number, phone and email of its own."""
    return (HOLD_BODY % (service, start, language or LANGUAGES[person % len(LANGUAGES)], person,
                         person % 1_000_000, person)).encode()


def run_loop(main: Any) -> None:
    try:
        import uvloop
        uvloop.run(main)
    except ImportError:
        asyncio.run(main)


def error_code(status: int, body: bytes) -> str:
    if status < 400:
        return ""
    with contextlib.suppress(Exception):
        return str(json.loads(body).get("error") or "")
    return "?"


# ----------------------------------------------------------------------------------------------
# The hammer (`booking_clients.py hammer SPEC.json`)
# ----------------------------------------------------------------------------------------------

class Tally:
    """Answers of one kind of request: latencies of the expected status inside the window, statuses."""

    def __init__(self, expect: int, warm_at: float, stop_at: float) -> None:
        self.expect, self.warm_at, self.stop_at = expect, warm_at, stop_at
        self.ok_us: list[int] = []
        self.error_us: list[int] = []
        self.statuses: collections.Counter[int] = collections.Counter()      # inside the window
        self.all_statuses: collections.Counter[int] = collections.Counter()  # warm-up and tail included
        self.errors: collections.Counter[str] = collections.Counter()        # error codes, whole run
        self.samples: list[str] = []
        self.per_second: collections.Counter[int] = collections.Counter()

    def record(self, status: int, body: bytes, seconds: float, now: float) -> None:
        self.all_statuses[status] += 1
        if status != self.expect:
            self.errors[f"{status} {error_code(status, body)}".strip()] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{status} {body[:300].decode('utf-8', 'replace')}")
        if self.warm_at <= now <= self.stop_at:
            self.statuses[status] += 1
            if status == self.expect:
                self.ok_us.append(int(seconds * 1e6))
                self.per_second[int(now - self.warm_at)] += 1
            else:
                self.error_us.append(int(seconds * 1e6))

    def as_json(self) -> dict[str, Any]:
        return {"expect": self.expect, "ok_latencies_us": self.ok_us, "error_latencies_us": self.error_us,
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "all_statuses": {str(k): v for k, v in self.all_statuses.items()},
                "errors": dict(self.errors), "samples": self.samples,
                "per_second": [self.per_second.get(i, 0) for i in range(int(self.stop_at - self.warm_at + 0.5))]}


def hammer_process(spec_path: str) -> None:
    """Keep every connection busy from `start_at` to `stop_at`: the next request as soon as the answer is in.

    A stream is either one pre-built request sent again and again (slot reads) or holds, each for a
    new person (distinct document, phone and email), spread round robin over the given slots.
    """
    spec = json.loads(Path(spec_path).read_text())
    port = spec["port"]
    start_at, warm_at, stop_at = spec["start_at"], spec["warm_at"], spec["stop_at"]
    tallies: dict[str, Tally] = {}
    people = itertools.count(spec["first_person"])
    problems: collections.Counter[str] = collections.Counter()

    def maker(stream: dict[str, Any]) -> Callable[[], bytes]:
        if "request" in stream:
            raw = stream["request"].encode("latin-1")
            return lambda: raw
        slots, service = stream["slots"], stream["service"]

        def hold() -> bytes:
            person = next(people)
            return post_request("/api/v1/bookings", port, hold_body(service, slots[person % len(slots)], person))
        return hold

    async def run() -> None:
        links: list[tuple[Link, Callable[[], bytes], Tally]] = []
        await open_before(start_at, sum(stream["connections"] for stream in spec["streams"]))
        for stream in spec["streams"]:
            tally = tallies.setdefault(stream["kind"], Tally(stream["expect"], warm_at, stop_at))
            make = maker(stream)
            for _ in range(stream["connections"]):
                links.append((await open_link(port), make, tally))
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        left = [len(links)]

        def keep_busy(link: Link, make: Callable[[], bytes], tally: Tally) -> None:
            def answered(status: int, body: bytes, seconds: float) -> None:
                now = time.perf_counter()
                tally.record(status, body, seconds, now)
                if status and now < stop_at:
                    link.send(make(), answered)
                    return
                if not status:
                    problems["connection closed with a request in flight"] += 1
                link.close()
                left[0] -= 1
                if not left[0] and not done.done():
                    done.set_result(None)
            link.send(make(), answered)

        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        for link, make, tally in links:
            keep_busy(link, make, tally)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, max(0.1, stop_at + spec["grace_seconds"] - time.perf_counter()))
        in_flight = sum(1 for link, _, _ in links if link.on_answer is not None)
        if in_flight:
            problems["no answer within the grace period after the end"] += in_flight
        for link, _, _ in links:
            link.close()
        await asyncio.sleep(0.05)

    cpu0 = time.process_time()
    run_loop(run())
    Path(spec["out"]).write_text(json.dumps({
        "kinds": {kind: tally.as_json() for kind, tally in tallies.items()}, "problems": dict(problems),
        "cpu_seconds": time.process_time() - cpu0}))


# ----------------------------------------------------------------------------------------------
# The kiosk (`booking_clients.py kiosk SPEC.json`)
# ----------------------------------------------------------------------------------------------

def kiosk_process(spec_path: str) -> None:
    """A ticket every `interval` s on the clock, whether or not the previous one has been answered.

    Requests go out on a free keep-alive connection; when every connection is still waiting, a new
    one is opened, so a slow answer never delays the next tick (no coordinated omission).
    """
    spec = json.loads(Path(spec_path).read_text())
    port, start_at, stop_at, interval = spec["port"], spec["start_at"], spec["stop_at"], spec["interval"]
    raw = post_request("/api/v1/tickets", port, json.dumps({"service": spec["service"], "language": "pl"}).encode(),
                       spec["token"])
    records: list[list[Any]] = []      # [tick (s after start_at), latency µs, status, late µs]
    samples: list[str] = []
    opened = [0]

    async def run() -> None:
        await open_before(start_at, 2)
        idle: list[Link] = [await open_link(port) for _ in range(2)]
        opened[0] = 2
        pending: set[asyncio.Task[None]] = set()

        async def one(tick: float) -> None:
            link = None
            while idle and link is None:
                candidate = idle.pop()
                if candidate.closed or time.perf_counter() - candidate.last_answer > 4.0:
                    candidate.close()       # see usable(): the server may be closing it right now
                else:
                    link = candidate
            if link is None:
                link = await open_link(port)
                opened[0] += 1
            late = time.perf_counter() - tick
            status, body, seconds = await ask(link, raw, 30.0)
            records.append([round(tick - start_at, 4), int(seconds * 1e6), status, int(late * 1e6)])
            if status != 201 and len(samples) < 5:
                samples.append(f"{status} {body[:300].decode('utf-8', 'replace')}")
            if not link.closed:
                idle.append(link)

        for number in itertools.count():
            tick = start_at + number * interval
            if tick >= stop_at:
                break
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            task = asyncio.create_task(one(tick))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending, timeout=35)
        for link in idle:
            link.close()
        await asyncio.sleep(0.05)

    cpu0 = time.process_time()
    run_loop(run())
    Path(spec["out"]).write_text(json.dumps({"records": records, "samples": samples, "connections": opened[0],
                                             "cpu_seconds": time.process_time() - cpu0}))


# ----------------------------------------------------------------------------------------------
# The race (`booking_clients.py race SPEC.json`)
# ----------------------------------------------------------------------------------------------

def race_process(spec_path: str) -> None:
    """Every client: hold the first free slot, on 409 slot_full re-read the listing and try the first
    free slot it has not found full itself, until it holds one or the listing shows none free; then
    read the code from its email and confirm. The listing of the first request is the page each
    person had open before the start (all slots free)."""
    spec = json.loads(Path(spec_path).read_text())
    port, start_at, deadline, timeout = spec["port"], spec["start_at"], spec["deadline"], spec["request_timeout"]
    listing = get_request(f"/api/v1/slots?service={spec['service']}&from={spec['day']}&to={spec['day']}", port)
    log: list[list[Any]] = []          # [kind, status, error, latency µs, answered at (s after start)]
    outcomes: list[dict[str, Any]] = []
    rng = random.Random(spec["seed"])
    mail = MailFolder(Path(spec["mail_dir"]))

    async def timed(link: Link, kind: str, raw: bytes) -> tuple[int, bytes, str]:
        status, body, seconds = await ask(link, raw, timeout)
        error = error_code(status, body) if status else "no answer"
        log.append([kind, status, error, int(seconds * 1e6), round(time.perf_counter() - start_at, 4)])
        return status, body, error

    async def client(index: int, link: Link) -> dict[str, Any]:
        person = spec["first_person"] + index
        email = f"p{person}@example.com"
        outcome: dict[str, Any] = {"client": index, "email": email, "outcome": "", "holds": 0, "listings": 0}
        free, full = list(spec["slots"]), set()
        booking_id = None
        retries = 0
        while booking_id is None:
            choices = [start for start in free if start not in full]
            if not choices:
                outcome["outcome"] = "none left"
                return outcome
            if time.perf_counter() > deadline:
                outcome["outcome"] = "gave up at the deadline"
                return outcome
            start = choices[0] if spec["pick"] == "first" else rng.choice(choices)
            link = await usable(link, port)
            outcome["holds"] += 1
            status, body, error = await timed(link, "hold", post_request(
                "/api/v1/bookings", port, hold_body(spec["service"], start, person, "en")))
            if status == 202:
                booking_id = json.loads(body)["id"]
                outcome.update(slot=start, held_at=round(time.perf_counter() - start_at, 4))
            elif status == 409 and error == "slot_full":
                full.add(start)
                link = await usable(link, port)
                outcome["listings"] += 1
                status, body, error = await timed(link, "slots", listing)
                if status == 200:
                    free = [s["start"] for day in json.loads(body)["days"] for s in day["slots"] if s["free"] > 0]
            elif status in (0, 503) and retries < 10:   # busy, or no answer: a person tries again
                retries += 1
                await asyncio.sleep(0.2)
            else:
                outcome["outcome"] = f"hold refused: {status} {error}"
                return outcome
        held = time.perf_counter()
        try:
            code, found = await mail.code_for(email, max(0.1, deadline - held))
        except TimeoutError:
            outcome["outcome"] = "no code email before the deadline"
            return outcome
        outcome["code_delay_ms"] = round((found - held) * 1000, 1) if found > held else 0.0
        link = await usable(link, port)
        status, body, error = await timed(link, "confirm", post_request(
            f"/api/v1/bookings/{booking_id}/confirm", port, json.dumps({"code": code}).encode()))
        outcome["outcome"] = "confirmed" if status == 201 else f"confirm refused: {status} {error}"
        outcome["confirmed_at"] = round(time.perf_counter() - start_at, 4)
        return outcome

    async def run() -> None:
        await open_before(start_at, spec["clients"])
        links = [await open_link(port) for _ in range(spec["clients"])]
        watcher = asyncio.create_task(mail.watch())
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        outcomes.extend(await asyncio.gather(*(client(i, link) for i, link in enumerate(links))))
        watcher.cancel()
        for link in links:
            link.close()
        await asyncio.sleep(0.05)

    cpu0 = time.process_time()
    run_loop(run())
    Path(spec["out"]).write_text(json.dumps({"log": log, "outcomes": outcomes, "mail_files": mail.files,
                                             "cpu_seconds": time.process_time() - cpu0}))


ROLES: dict[str, Callable[[str], None]] = {"hammer": hammer_process, "kiosk": kiosk_process, "race": race_process}


def start(role: str, spec_path: Path, spec: dict[str, Any]) -> subprocess.Popen:
    """Write `spec` to `spec_path` and start client process `role` on it (its results: spec["out"])."""
    Path(spec["out"]).unlink(missing_ok=True)
    spec_path.write_text(json.dumps(spec))
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), role, str(spec_path)])


if __name__ == "__main__":
    ROLES[sys.argv[1]](sys.argv[2])

"""Live updates: events cross server processes through a broker and reach boards and phones.

Every event that boards or phones care about is a `ticket_events` row with an office-wide
sequence number, taken in the same transaction as the change (so commit order is sequence
order). After commit the event is published on the office's channel: in memory for one
process, through Redis or PostgreSQL NOTIFY for several. Each process's hub delivers events to
its own WebSocket subscribers strictly in sequence order; a gap (a message lost while a broker
reconnected, or two processes publishing out of order) is filled from the database, which holds
every event. Each subscriber has a bounded queue: one that stops reading is dropped and
reconnects to a fresh snapshot, so it never slows the others or grows memory. Messages go out
directly from the delivery loop to every connection that can take them, without a task switch
per client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import types
from collections import deque
from typing import Any, Awaitable, Callable, Protocol

from okienko.logs import loggable

log = logging.getLogger("okienko.live")
CHANNEL_PREFIX = "okienko:office:"
HINTS_CHANNEL = "okienko:hints"   # hints between processes that are not events (okienko.booking.slot_hints)
QUEUE_LIMIT = 64
GAP_WAIT_SECONDS = 0.3
SWEEP_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 1.0   # for a batch of events; a broker that works answers in a millisecond each
BROKER_REST_SECONDS = 2.0

Handler = Callable[[str, str], None]


class Broker(Protocol):
    async def start(self, handler: Handler) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    async def stop(self) -> None: ...
    async def check(self) -> None:
        """Raise unless the broker answers now (readiness)."""


class MemoryBroker:
    """One process: publishing is delivering."""

    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        self._handler = handler

    async def publish(self, channel: str, message: str) -> None:
        if self._handler:  # delivered after the publisher's request has answered, not inside it
            asyncio.get_running_loop().call_soon(self._handler, channel, message)

    async def stop(self) -> None:
        self._handler = None

    async def check(self) -> None:
        """In memory: there whenever this process is."""


class RedisBroker:
    """Several processes through Redis pub/sub (reconnects by itself). Pub/sub channels are one space
    per Redis server, whatever its database number: installations sharing one Redis each take a
    `namespace` of their own (OKIENKO_BROKER_NAMESPACE), or each would hear the other's offices."""

    def __init__(self, url: str, namespace: str = "") -> None:
        import redis.asyncio as redis

        self._client = redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._namespace = f"{namespace}:" if namespace else ""

    async def start(self, handler: Handler) -> None:
        self._task = asyncio.create_task(self._listen(handler))

    async def _listen(self, handler: Handler) -> None:
        delay = 0.2
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.psubscribe(self._namespace + CHANNEL_PREFIX + "*", self._namespace + HINTS_CHANNEL)
                    delay = 0.2
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            handler(_text(message["channel"])[len(self._namespace):], _text(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker went away: the sweep fills any gap
                log.warning("redis subscription lost (%s); retrying in %.1fs", loggable(error), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def publish(self, channel: str, message: str) -> None:
        await self._client.publish(self._namespace + channel, message)

    async def check(self) -> None:
        await self._client.ping()

    async def stop(self) -> None:
        await _cancelled(self._task)
        await self._client.aclose()


class PostgresBroker:
    """Several processes through PostgreSQL LISTEN/NOTIFY on the application database."""

    NOTIFY_CHANNEL = "okienko_events"

    def __init__(self, url: str) -> None:
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self._listener: Any = None
        self._sender: Any = None
        self._handler: Handler | None = None
        self._task: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()  # one connection runs one command at a time

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._task = asyncio.create_task(self._keep_listening())

    async def _keep_listening(self) -> None:
        import asyncpg

        delay = 0.2
        while True:
            try:
                self._listener = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                self._listener.add_termination_listener(lambda _conn: lost.set())
                await self._listener.add_listener(self.NOTIFY_CHANNEL, self._on_notify)
                delay = 0.2
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("postgres listener lost (%s); retrying in %.1fs", loggable(error), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        channel, _, message = payload.partition("\n")
        if self._handler:
            self._handler(channel, message)

    async def publish(self, channel: str, message: str) -> None:
        import asyncpg

        async with self._sending:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self.dsn)
            await self._sender.execute("SELECT pg_notify($1, $2)", self.NOTIFY_CHANNEL, f"{channel}\n{message}")

    async def check(self) -> None:
        """The listening connection is up (a lost one is being re-made), and a publish would go."""
        import asyncpg

        if self._task is not None and (self._listener is None or self._listener.is_closed()):
            raise ConnectionError("not listening")
        async with self._sending:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self.dsn)
            await self._sender.fetchval("SELECT 1")

    async def stop(self) -> None:
        await _cancelled(self._task)
        for connection in (self._listener, self._sender):
            if connection is not None and not connection.is_closed():
                await connection.close()


async def _cancelled(task: asyncio.Task[Any] | None) -> None:
    """Stop a background task and wait until it has."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def broker_for(url: str, database_url: str, namespace: str = "") -> Broker:
    """"memory", "redis://…" (its channels in `namespace`), or "postgresql" (the application
    database, whose NOTIFY channels are its own)."""
    if url in ("", "memory"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url, namespace)
    if url.startswith("postgres"):
        return PostgresBroker(database_url if url == "postgresql" else url)
    raise ValueError(f"OKIENKO_BROKER_URL: unknown broker {url!r} (memory, redis://…, postgresql)")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


Sender = Callable[[str], Awaitable[None]]


class Subscriber:
    """One client's end of the stream; `dropped` once it could not keep up.

    A message goes out at once, within the hub's delivery loop, when the client's connection can
    take it (its send completes without waiting); no task switch per client, which is what keeps
    a call reaching thousands of boards quickly. A client whose connection cannot take more keeps
    a backlog of at most QUEUE_LIMIT messages, sent in order by a task of its own, and is dropped
    past that. Until `start` (its snapshot is out) everything waits in the backlog, and what the
    snapshot already holds (seq <= after_seq) is skipped.
    """

    def __init__(self, office_id: int, wants: Callable[[dict[str, Any]], str | None], send: Sender) -> None:
        self.office_id = office_id
        self.wants = wants
        self.send = send
        self.dropped = asyncio.Event()
        self.after_seq = 0
        self._backlog: deque[tuple[int, str]] | None = deque()
        self._task: asyncio.Task[None] | None = None

    def offer(self, event: dict[str, Any], message: str | None) -> None:
        if message is None or self.dropped.is_set() or event["seq"] <= self.after_seq:
            return
        if self._backlog is not None:
            if len(self._backlog) >= QUEUE_LIMIT:
                self.dropped.set()
            else:
                self._backlog.append((event["seq"], message))
            return
        self._send_now(message)

    def _send_now(self, message: str) -> None:
        sending = self.send(message)
        try:
            waiting_on = sending.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return  # sent, without waiting
        except Exception:
            self.dropped.set()
            return
        self._backlog = deque()  # the connection is full: later messages queue behind this one
        self._task = asyncio.get_running_loop().create_task(self._catch_up(_resume(sending, waiting_on)))

    def start(self, after_seq: int) -> None:
        """The snapshot (at `after_seq`) has been sent: send what came meanwhile, then go live."""
        self.after_seq = after_seq
        self._task = asyncio.get_running_loop().create_task(self._catch_up(None))

    async def _catch_up(self, pending: Awaitable[Any] | None) -> None:
        try:
            if pending is not None:
                await pending
            while self._backlog:
                seq, message = self._backlog.popleft()
                if seq > self.after_seq:
                    await self.send(message)
            self._backlog = None
        except Exception:
            self.dropped.set()

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


@types.coroutine
def _resume(coroutine: Any, waiting_on: Any) -> Any:
    """Finish, inside a task, a coroutine that was started by hand and had to wait."""
    while True:
        try:
            value = yield waiting_on
        except BaseException as error:
            try:
                waiting_on = coroutine.throw(error)
            except StopIteration as done:
                return done.value
        else:
            try:
                waiting_on = coroutine.send(value)
            except StopIteration as done:
                return done.value


class _OfficeStream:
    def __init__(self) -> None:
        self.last_seq: int | None = None
        self.waiting: dict[int, dict[str, Any]] = {}
        self.subscribers: set[Subscriber] = set()
        self.filling = False


Loader = Callable[[int, int], Awaitable[list[dict[str, Any]]]]


class LiveHub:
    """This process's end of the live stream: publish after commit, deliver in order."""

    def __init__(self, broker: Broker, load_events: Loader) -> None:
        self.broker = broker
        self.load_events = load_events
        self._offices: dict[int, _OfficeStream] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._current_seq: Callable[[int], Awaitable[int]] | None = None
        self.views: dict[Any, Callable[[dict[str, Any]], str]] = {}  # shared encoders, see `_accept`
        self._hint_handlers: list[Callable[[str], None]] = []
        self._broker_rests_until = 0.0
        self._broker_failing = False

    async def start(self, current_seq: Callable[[int], Awaitable[int]]) -> None:
        self._current_seq = current_seq
        await self.broker.start(self._on_message)
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        await _cancelled(self._sweeper)
        await self.broker.stop()

    async def publish(self, events: list[dict[str, Any]]) -> None:
        """Send committed events to every process (this one included).

        Never holds the caller (the ticket issuer) up for long: a broker that fails, or does not
        answer within PUBLISH_TIMEOUT_SECONDS (a hung Redis would take its 5 s socket timeout per
        message), is left alone for BROKER_REST_SECONDS. Events not sent are not lost: every
        process's sweep reads them from the database within SWEEP_SECONDS. One log line when
        publishing stops working and one when it works again."""
        if not events or time.monotonic() < self._broker_rests_until:
            return
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                for event in events:
                    await self.broker.publish(f"{CHANNEL_PREFIX}{event['office_id']}", json.dumps(event))
        except Exception as error:  # the sweep will fill the gap from the database
            self._broker_rests_until = time.monotonic() + BROKER_REST_SECONDS
            if not self._broker_failing:
                self._broker_failing = True
                log.warning("publish failed (%s): boards catch up from the database every %.0f s until the "
                            "broker answers again", loggable(error), SWEEP_SECONDS)
            return
        if self._broker_failing:
            self._broker_failing = False
            log.warning("publishing through the broker again")

    async def broker_answers(self, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
        """Whether the broker answers within `timeout` (readiness; docs/monitoring.md)."""
        try:
            async with asyncio.timeout(timeout):
                await self.broker.check()
        except Exception as error:
            log.debug("broker check failed: %s", loggable(error))
            return False
        return True

    async def send_hint(self, message: str) -> None:
        """Send a hint (not an event: no sequence, not stored) to every process, this one included."""
        await self.broker.publish(HINTS_CHANNEL, message)

    def on_hint(self, handler: Callable[[str], None]) -> None:
        """Call `handler` with every hint that arrives from the broker."""
        self._hint_handlers.append(handler)

    def subscribe(self, office_id: int, wants: Callable[[dict[str, Any]], str | None], send: Sender) -> Subscriber:
        subscriber = Subscriber(office_id, wants, send)
        self._offices.setdefault(office_id, _OfficeStream()).subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        stream = self._offices.get(subscriber.office_id)
        if stream:
            stream.subscribers.discard(subscriber)
            if not stream.subscribers:  # nobody listens: the next one starts from its own snapshot
                del self._offices[subscriber.office_id]


    def _on_message(self, channel: str, message: str) -> None:
        if channel == HINTS_CHANNEL:
            for handler in self._hint_handlers:
                handler(message)
            return
        if not channel.startswith(CHANNEL_PREFIX):
            return
        event = json.loads(message)
        stream = self._offices.get(event["office_id"])
        if stream is None or not stream.subscribers:
            return
        self._accept(event["office_id"], stream, [event])

    def _accept(self, office_id: int, stream: _OfficeStream, events: list[dict[str, Any]]) -> None:
        for event in events:
            if stream.last_seq is None or event["seq"] > stream.last_seq:
                stream.waiting[event["seq"]] = event
        if stream.last_seq is None:
            return  # a first snapshot is being read; it says where the stream starts
        while stream.last_seq is not None and stream.last_seq + 1 in stream.waiting:
            event = stream.waiting.pop(stream.last_seq + 1)
            stream.last_seq = event["seq"]
            encoded: dict[Any, str | None] = {}  # one encoding per kind of view, not per subscriber
            for subscriber in list(stream.subscribers):
                if subscriber.wants not in encoded:
                    encoded[subscriber.wants] = subscriber.wants(event)
                subscriber.offer(event, encoded[subscriber.wants])
        if stream.waiting and not stream.filling:
            stream.filling = True
            asyncio.get_running_loop().create_task(self._fill_gap(office_id, stream))

    async def _fill_gap(self, office_id: int, stream: _OfficeStream) -> None:
        try:
            await asyncio.sleep(GAP_WAIT_SECONDS)  # an out-of-order message usually arrives by then
            if stream.waiting and stream.last_seq is not None:
                self._accept(office_id, stream, await self.load_events(office_id, stream.last_seq))
        except Exception as error:
            log.warning("gap fill failed (%s)", loggable(error))
        finally:
            stream.filling = False

    async def _sweep(self) -> None:
        """Catch events whose broker message never arrived (broker restart, network blip)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            for office_id, stream in list(self._offices.items()):
                if not stream.subscribers or stream.last_seq is None or self._current_seq is None:
                    continue
                try:
                    if await self._current_seq(office_id) > stream.last_seq:
                        self._accept(office_id, stream, await self.load_events(office_id, stream.last_seq))
                except Exception as error:
                    log.warning("sweep failed (%s)", loggable(error))

    def snapshot_taken(self, subscriber: Subscriber, seq: int) -> None:
        """The subscriber's snapshot, holding everything up to `seq`, has been sent; the first
        snapshot of an office in this process also tells the stream where it starts."""
        subscriber.start(seq)
        stream = self._offices.setdefault(subscriber.office_id, _OfficeStream())
        if stream.last_seq is None:
            stream.last_seq = seq
            for stale in [s for s in stream.waiting if s <= seq]:
                del stream.waiting[stale]
            self._accept(subscriber.office_id, stream, [])

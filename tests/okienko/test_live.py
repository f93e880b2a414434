"""The live stream: in order, nothing missed, across processes, and a slow reader never holds others up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets

import pytest

from okienko.live import CHANNEL_PREFIX, LiveHub, MemoryBroker, PostgresBroker, RedisBroker, broker_for, QUEUE_LIMIT
from tests.conftest import IN_CI, POSTGRES_ADMIN_URL

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("OKIENKO_TEST_REDIS", "redis://127.0.0.1:6379/15")


def event(seq: int, office_id: int = 1, **extra) -> dict:
    return {"office_id": office_id, "seq": seq, "kind": "called", "number": f"A{seq:03d}", "window": "7",
            "ticket_id": f"t{seq}", **extra}


class Store:
    """What the database holds: every event, so a hub can fill a gap."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    async def after(self, office_id: int, seq: int) -> list[dict]:
        return [e for e in self.events if e["office_id"] == office_id and e["seq"] > seq]

    async def current(self, office_id: int) -> int:
        return max((e["seq"] for e in self.events if e["office_id"] == office_id), default=0)


async def started_hub(broker, store: Store) -> LiveHub:
    hub = LiveHub(broker, store.after)
    await hub.start(store.current)
    return hub


def board(event: dict) -> str:
    return json.dumps({"seq": event["seq"], "number": event["number"]})


class Client:
    """A board's connection: what it received, in order; `stuck` ones stop taking messages."""

    def __init__(self, stuck: bool = False) -> None:
        self.received: asyncio.Queue[int] = asyncio.Queue()
        self.stuck = stuck
        self.sends = 0

    async def send(self, message: str) -> None:
        self.sends += 1
        if self.stuck:
            await asyncio.get_running_loop().create_future()  # never completes
        self.received.put_nowait(json.loads(message)["seq"])


def subscribe(hub: LiveHub, client: Client, after_seq: int = 0, office_id: int = 1):
    subscriber = hub.subscribe(office_id, board, client.send)
    hub.snapshot_taken(subscriber, after_seq)
    return subscriber


async def drain(client: Client, count: int) -> list[int]:
    return [await asyncio.wait_for(client.received.get(), 3) for _ in range(count)]


async def test_events_arrive_in_order_even_when_published_out_of_order() -> None:
    store = Store()
    hub = await started_hub(MemoryBroker(), store)
    client = Client()
    subscribe(hub, client)
    store.events = [event(1), event(2), event(3)]
    await hub.publish([store.events[1], store.events[0], store.events[2]])
    assert await drain(client, 3) == [1, 2, 3]
    await hub.stop()


async def test_a_lost_message_is_filled_from_the_database() -> None:
    store = Store()
    hub = await started_hub(MemoryBroker(), store)
    client = Client()
    subscribe(hub, client)
    store.events = [event(1), event(2), event(3)]
    await hub.publish([store.events[0], store.events[2]])  # 2 never reached the broker
    assert await drain(client, 3) == [1, 2, 3]
    await hub.stop()


async def test_a_new_subscriber_gets_only_what_its_snapshot_lacks() -> None:
    store = Store()
    hub = await started_hub(MemoryBroker(), store)
    first, second = Client(), Client()
    subscribe(hub, first)
    store.events = [event(1), event(2)]
    await hub.publish(store.events)
    assert await drain(first, 2) == [1, 2]
    subscribe(hub, second, after_seq=2)  # its snapshot already shows 1 and 2
    store.events.append(event(3))
    await hub.publish([store.events[2]])
    assert await drain(first, 1) == [3]
    assert await drain(second, 1) == [3]
    await hub.stop()


async def test_a_subscriber_that_stops_reading_is_dropped_and_others_go_on() -> None:
    store = Store()
    hub = await started_hub(MemoryBroker(), store)
    stuck_client, reader = Client(stuck=True), Client()
    stuck = subscribe(hub, stuck_client)
    subscribe(hub, reader)
    await asyncio.sleep(0)
    total = QUEUE_LIMIT + 10
    store.events = [event(n) for n in range(1, total + 1)]
    received = []
    for item in store.events:
        await hub.publish([item])
        received += await drain(reader, 1)
    assert received == list(range(1, total + 1))
    assert stuck.dropped.is_set()
    assert stuck_client.sends == 1  # one send started and never finished; the rest waited, then it was dropped
    await hub.stop()


async def test_events_of_other_offices_are_not_delivered() -> None:
    store = Store()
    hub = await started_hub(MemoryBroker(), store)
    client = Client()
    subscribe(hub, client)
    # The other office's event goes out first: had it been delivered, it would have come first
    # (each broker message is handled in the order it came), so no waiting to see that it stays away.
    store.events = [event(7, office_id=2), event(1), event(2)]
    await hub.publish(store.events[:1])
    await hub.publish(store.events[1:])
    assert await drain(client, 2) == [1, 2]
    assert client.received.empty()
    await hub.stop()


async def _across_processes(make_broker) -> None:
    """Two hubs on two brokers stand for two server processes."""
    store = Store()
    publisher = await started_hub(make_broker(), store)
    listener = await started_hub(make_broker(), store)
    client = Client()
    subscribe(listener, client)
    store.events = [event(n) for n in range(1, 6)]
    async with asyncio.timeout(10):  # until the listener's subscription has settled
        while client.received.empty():
            await publisher.publish(store.events)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first_arrival(client), 0.1)
    assert await drain(client, 5) == [1, 2, 3, 4, 5]
    await publisher.stop()
    await listener.stop()


async def _first_arrival(client: Client) -> None:
    while client.received.empty():
        await asyncio.sleep(0.01)


async def _settled(sender, receiver, heard: asyncio.Event, deadline: float = 10.0, on_message=None) -> None:
    """Start `receiver` and publish probes through `sender` until one arrives (a condition, not a time)."""
    probe = f"{CHANNEL_PREFIX}probe-{secrets.token_hex(4)}"  # tests elsewhere may share the broker

    def handle(channel: str, message: str) -> None:
        if channel == probe:
            heard.set()
        elif on_message is not None:
            on_message(channel, message)

    await receiver.start(handle)
    async with asyncio.timeout(deadline):
        while not heard.is_set():
            await sender.publish(probe, "ping")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), 0.1)


async def _concurrent_publishes(make_broker) -> None:
    """Many calls published at the same moment from one process all reach another process, promptly:
    a shared connection that ran two commands at once lost most of them (issue 9)."""
    sender, receiver = make_broker(), make_broker()
    received: list[str] = []
    all_in = asyncio.Event()
    count = 25
    office = f"{CHANNEL_PREFIX}{secrets.token_hex(4)}"

    def on_message(channel: str, message: str) -> None:
        if channel != office:
            return
        received.append(message)
        if len(received) == count:
            all_in.set()

    try:
        await _settled(sender, receiver, asyncio.Event(), on_message=on_message)
        await asyncio.gather(*(sender.publish(office, f"call {n}") for n in range(count)))
        await asyncio.wait_for(all_in.wait(), 2.0)
        assert sorted(received) == sorted(f"call {n}" for n in range(count))
    finally:
        await sender.stop()
        await receiver.stop()


@pytest.fixture
async def redis_reachable() -> None:
    import redis.asyncio as redis

    probe = redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as error:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    finally:
        await probe.aclose()


async def test_events_cross_processes_through_redis(redis_reachable: None) -> None:
    await _across_processes(lambda: RedisBroker(REDIS_URL))


@pytest.mark.postgres
async def test_events_cross_processes_through_postgresql(postgres_url: str) -> None:
    await _across_processes(lambda: PostgresBroker(postgres_url))


@pytest.mark.postgres
async def test_concurrent_publishes_all_arrive_through_postgresql(postgres_url: str) -> None:
    await _concurrent_publishes(lambda: PostgresBroker(postgres_url))


async def test_concurrent_publishes_all_arrive_through_redis(redis_reachable: None) -> None:
    await _concurrent_publishes(lambda: RedisBroker(REDIS_URL))


def test_broker_choice() -> None:
    assert isinstance(broker_for("memory", ""), MemoryBroker)
    assert isinstance(broker_for("redis://127.0.0.1:6379/0", ""), RedisBroker)
    assert isinstance(broker_for("postgresql", POSTGRES_ADMIN_URL), PostgresBroker)
    with pytest.raises(ValueError, match="unknown broker"):
        broker_for("kafka://x", "")


async def test_installations_sharing_one_redis_hear_only_their_own_namespace(redis_reachable: None) -> None:
    """Pub/sub ignores Redis's database number: two installations on one Redis server stay apart by
    their OKIENKO_BROKER_NAMESPACE, while the processes of one installation still hear each other."""
    heard: dict[str, list[tuple[str, str]]] = {"a1": [], "a2": [], "b": []}
    brokers = {"a1": RedisBroker(REDIS_URL, "lodz"), "a2": RedisBroker(REDIS_URL, "lodz"),
               "b": RedisBroker(REDIS_URL, "gdansk")}
    for name, broker in brokers.items():
        await broker.start(lambda channel, message, name=name: heard[name].append((channel, message)))
    try:
        await asyncio.sleep(0.3)   # the subscriptions are in place
        await brokers["a1"].publish("okienko:office:1", "called A001")
        deadline = asyncio.get_running_loop().time() + 5
        while not heard["a2"] and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert heard["a2"] == [("okienko:office:1", "called A001")]   # the channel as the app names it
        assert heard["b"] == []
    finally:
        for broker in brokers.values():
            await broker.stop()

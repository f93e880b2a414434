"""When the database or Redis goes away, and when a server is killed: every route answers `503 busy`
with Retry-After (a page in the visitor's language, JSON for the API, a WebSocket closed with 1013),
nothing answers 500, everything recovers by itself, and every ticket a kiosk was given is in the
database once, whatever was retried.

The outage tests start their own PostgreSQL and Redis (tests/servers.py), never the shared ones.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from okienko.staff.auth import issue_device_token
from okienko.storage.db import Database
from okienko.i18n import Translator
from okienko.settings import async_url
from tests.conftest import drop_everything, free_port, serving, warsaw
from tests.servers import ServerProcess, okienko_servers, prepare_hall, private_postgres, private_redis, serve_env

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
BUSY = "The system is very busy. Please try again in a moment."
TRY_AGAIN_LATER = 1013
SERVICES = ("A", "F", "K", "B", "I")


def ws(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


def assert_busy_json(answer: httpx.Response, language: str = "pl") -> None:
    assert answer.status_code == 503, (answer.request.url, answer.status_code, answer.text[:300])
    assert answer.json() == {"error": "busy", "message": Translator().gettext(language, BUSY)}
    assert int(answer.headers["retry-after"]) >= 1


def assert_busy_page(answer: httpx.Response, language: str) -> None:
    assert answer.status_code == 503, (answer.request.url, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    assert int(answer.headers["retry-after"]) >= 1 and answer.headers["cache-control"] == "no-store"
    assert f'<html lang="{language}">' in answer.text
    assert Translator().gettext(language, BUSY) in answer.text
    assert 'http-equiv="refresh"' in answer.text  # it comes back by itself


async def assert_closed_try_again_later(url: str, token: str) -> None:
    async with connect(ws(url, "/ws/board"), additional_headers={"Authorization": f"Bearer {token}"}) as board:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(board.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == TRY_AGAIN_LATER


# ---- in one process: the database stops answering -----------------------------------------------

async def test_while_the_database_cannot_answer_every_kind_of_route_says_busy(office_factory, tmp_path, caplog):
    office = await office_factory(TUESDAY)
    ticket = (await office.take("A")).json()
    clerk = await office.clerk("1")
    async with office.okienko.db.engine.begin() as conn:
        board = await issue_device_token(conn, "demo", "board", "hall")
    database = office.okienko.db
    working = database.engine
    # Nothing listens there (PostgreSQL), or the folder is gone (SQLite).
    database.engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path}/gone/okienko.db" if database.is_sqlite
        else f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone")
    caplog.set_level(logging.INFO, logger="okienko")
    try:
        page = {"Accept": "text/html,application/xhtml+xml"}
        assert_busy_json(await office.take("A", key="k-1"))
        assert_busy_json(await office.press(clerk, "/api/v1/windows/1/call-next"))
        assert_busy_json(await office.client.get(f"/api/v1/tickets/{ticket['id']}", headers={"Accept-Language": "uk"}),
                         "uk")
        assert_busy_page(await office.client.get(f"/t/{ticket['id']}?lang=uk", headers=page), "uk")
        assert_busy_page(await office.client.get("/kiosk/?lang=ru", headers={**page, **office.kiosk()}), "ru")
        assert_busy_page(await office.client.get("/book/manage/ABCD2345?secret=s", headers=page), "pl")
        async with serving(office.app) as url:
            await assert_closed_try_again_later(url, board)
    finally:
        await database.engine.dispose()
        database.engine = working
    again = await office.take("A", key="k-1")
    assert again.status_code == 201 and again.json()["number"] == "A002"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.count("database unavailable") == 1 and "database available again" in logged
    assert "SELECT" not in logged and "INSERT" not in logged and "k-1" not in logged


async def test_sqlite_puts_every_commit_on_the_disk_before_answering(tmp_path: Path) -> None:
    """synchronous=FULL in WAL mode: a ticket once shown survives a power cut, not only a crash."""
    database = Database(f"sqlite:///{tmp_path}/okienko.db")
    try:
        async with database.read() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2   # FULL
    finally:
        await database.dispose()


# ---- kiosks under load, as kiosk.js behaves ------------------------------------------------------

@dataclass
class Kiosks:
    """Kiosks taking tickets as kiosk.js does: a new Idempotency-Key per visitor, asked again with
    the SAME key after a 503 or a lost connection until a ticket comes (201, or 200 for the ticket
    that a request whose answer was lost had issued). Every answer is counted."""

    url: str
    token: str
    held: dict[str, dict[str, Any]] = field(default_factory=dict)   # key -> the ticket the kiosk showed
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    problems: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, kiosks: int = 6, pause: float = 0.02) -> None:
        limits = httpx.Limits(max_connections=kiosks, max_keepalive_connections=kiosks)
        async with httpx.AsyncClient(base_url=self.url, timeout=15, limits=limits) as http:
            await asyncio.gather(*(self._kiosk(http, n, pause) for n in range(kiosks)))

    async def _kiosk(self, http: httpx.AsyncClient, n: int, pause: float) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        visitor = 0
        while not self.stop.is_set():
            key = str(uuid.uuid4())
            service = SERVICES[(n + visitor) % len(SERVICES)]
            visitor += 1
            deadline = time.monotonic() + 40   # kiosk.js gives up after about 30 s
            while True:
                try:
                    answer = await http.post("/api/v1/tickets", headers={**headers, "Idempotency-Key": key},
                                             json={"service": service, "language": "pl"})
                except httpx.TransportError as error:
                    self.answers[type(error).__name__] += 1
                else:
                    self.answers[str(answer.status_code)] += 1
                    if answer.status_code in (200, 201):   # 200: the ticket a lost answer had issued
                        if (answer.status_code == 200) != answer.json()["replayed"]:
                            self.problems.append(f"{answer.status_code} with replayed={answer.json()['replayed']}")
                        self.held[key] = answer.json()
                        break
                    busy = answer.status_code == 503 and answer.json().get("error") == "busy" and \
                        "retry-after" in answer.headers
                    if not busy:
                        self.problems.append(f"{answer.status_code} {answer.text[:200]}")
                        break
                if time.monotonic() > deadline:
                    self.problems.append(f"key {key} never answered")
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(pause)

    async def until(self, count: int, timeout: float = 30) -> None:
        """Wait until `count` more tickets have been handed out."""
        target = len(self.held) + count
        deadline = time.monotonic() + timeout
        while len(self.held) < target:
            assert not self.problems, self.problems[:5]
            assert time.monotonic() < deadline, f"{len(self.held)} of {target} tickets; answers {self.answers}"
            await asyncio.sleep(0.05)


async def assert_every_ticket_held_once(database_url: str, kiosks: Kiosks) -> None:
    """Every ticket a kiosk showed is in the database with its number; no number is there twice;
    no ticket is there that no kiosk holds (a retried key made no second ticket)."""
    assert not kiosks.problems, kiosks.problems[:5]
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            tickets = {row.id: row for row in await conn.execute(
                sa.text("SELECT id, number, prefix, seq, office_day FROM tickets"))}
            keys = dict((await conn.execute(sa.text("SELECT key, ticket_id FROM idempotency_keys"))).all())
    finally:
        await engine.dispose()
    held = kiosks.held
    lost = [t["number"] for t in held.values() if t["id"] not in tickets or tickets[t["id"]].number != t["number"]]
    assert lost == [], f"acknowledged but not in the database: {lost}"
    assert len({(t.office_day, t.prefix, t.seq) for t in tickets.values()}) == len(tickets)
    assert {key: ticket["id"] for key, ticket in held.items()} == {key: keys[key] for key in held}
    assert len(tickets) == len(held) == len(set(keys.values())), (len(tickets), len(held), len(keys))


# ---- PostgreSQL stopped under load ---------------------------------------------------------------

async def assert_busy_everywhere(http: httpx.AsyncClient, tokens: dict[str, str], ticket_id: str) -> None:
    """API (a kiosk's, a clerk's, the public's), pages, the health check and a WebSocket: all busy."""
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    page = {"Accept": "text/html"}
    assert_busy_json(await http.post("/api/v1/tickets", json={"service": "A"}, headers=bearer["kiosk"]))
    assert_busy_json(await http.post("/api/v1/windows/1/call-next", headers=bearer["clerk"]))
    assert_busy_json(await http.get(f"/api/v1/tickets/{ticket_id}"))
    assert_busy_page(await http.get(f"/t/{ticket_id}?lang=uk", headers=page), "uk")
    assert_busy_page(await http.get("/kiosk/", headers={**page, **bearer["kiosk"], "Accept-Language": "ru"}), "ru")
    assert (await http.get("/healthz")).status_code == 503
    await assert_closed_try_again_later(str(http.base_url).rstrip("/"), tokens["board"])


async def read_all(socket: Any, into: list[dict[str, Any]]) -> None:
    async for message in socket:
        into.append(json.loads(message))


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["fast", "immediate"])   # shut down cleanly, or as in a crash
async def test_postgresql_stopped_under_load_answers_busy_everywhere_and_loses_no_ticket(mode: str,
                                                                                         tmp_path: Path) -> None:
    with private_postgres() as postgres:
        tokens = prepare_hall(postgres.url, tmp_path, {"kiosk": "kiosk:hall-1", "board": "board:hall",
                                                       "clerk": "clerk:anna"})
        # The outbox looks for mail every 0.2 s, so that it meets the outage too.
        env = serve_env(postgres.url, tmp_path, outbox_poll_seconds="0.2")
        board_headers = {"Authorization": f"Bearer {tokens['board']}"}
        with okienko_servers(env, tmp_path) as (server,):
            async with connect(ws(server.url, "/ws/board"), additional_headers=board_headers) as board:
                seen: list[dict[str, Any]] = []   # what a board open all along receives
                reader = asyncio.create_task(read_all(board, seen))
                kiosks = Kiosks(server.url, tokens["kiosk"])
                load = asyncio.create_task(kiosks.run())
                clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    assert (await http.post("/api/v1/windows/1/sign-in", headers=clerk)).status_code == 200
                    await kiosks.until(50)
                    some_ticket = next(iter(kiosks.held.values()))

                    await asyncio.to_thread(postgres.stop, mode)
                    busy_from = len(kiosks.held)
                    await assert_busy_everywhere(http, tokens, some_ticket["id"])
                    # A restart's worth of outage: the kiosks keep asking with the same keys meanwhile.
                    await asyncio.sleep(2)
                    assert len(kiosks.held) <= busy_from + 6   # at most the answers already on their way
                    assert kiosks.answers["503"] > 0
                    seq_before = max(message.get("seq", 0) for message in seen)

                    await asyncio.to_thread(postgres.start)
                    await kiosks.until(50, timeout=30)
                    call = await http.post("/api/v1/windows/1/call-next", headers=clerk)
                    assert call.status_code == 200, call.text
                    assert (await http.get("/healthz")).status_code == 200
                    # The board open through the outage follows again, call included.
                    wait = time.monotonic() + 10
                    while not any(m.get("kind") == "called" and m["seq"] > seq_before for m in seen):
                        assert not reader.done() and time.monotonic() < wait, seen[-3:]
                        await asyncio.sleep(0.05)
            kiosks.stop.set()
            await asyncio.wait_for(load, 60)
            await assert_every_ticket_held_once(postgres.url, kiosks)
            assert set(kiosks.answers) <= {"200", "201", "503"}, kiosks.answers
            log = server.log()
            assert "database unavailable" in log and "database available again" in log, log[-3000:]
            assert "Traceback" not in log and "INSERT" not in log and "[parameters" not in log, log[-3000:]


# ---- a server killed mid-load --------------------------------------------------------------------

async def test_a_server_killed_mid_load_loses_no_acknowledged_ticket(database_url: str, tmp_path: Path) -> None:
    await drop_everything(database_url)
    tokens = prepare_hall(database_url, tmp_path, {"kiosk": "kiosk:hall-1"})
    server = ServerProcess(serve_env(database_url, tmp_path), tmp_path / "serve.log")
    await asyncio.to_thread(server.start)
    kiosks = Kiosks(server.url, tokens["kiosk"])
    load = asyncio.create_task(kiosks.run(kiosks=8, pause=0))
    try:
        for _round in range(2):
            await kiosks.until(100)
            await asyncio.to_thread(server.kill)       # SIGKILL mid-load: requests in flight are lost
            await asyncio.to_thread(server.start)       # the same port: kiosks ask again with their keys
        await kiosks.until(50)
        kiosks.stop.set()
        await asyncio.wait_for(load, 60)
    finally:
        kiosks.stop.set()
        server.stop()
    await assert_every_ticket_held_once(database_url, kiosks)
    assert sum(count for answer, count in kiosks.answers.items() if not answer.isdigit()) > 0, \
        "the kills did not hit a request in flight"


# ---- Redis killed between two processes ----------------------------------------------------------

async def next_call(board: Any, timeout: float) -> dict[str, Any]:
    while True:
        event = json.loads(await asyncio.wait_for(board.recv(), timeout))
        if event.get("kind") == "called":
            return event


@pytest.mark.postgres
async def test_redis_killed_and_restarted_between_two_processes(postgres_url: str, tmp_path: Path) -> None:
    await drop_everything(postgres_url)
    tokens = prepare_hall(postgres_url, tmp_path, {"kiosk": "kiosk:hall-1", "board": "board:hall",
                                                   "clerk": "clerk:anna"})
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    with private_redis(tmp_path) as redis, \
            okienko_servers(serve_env(postgres_url, tmp_path, broker_url=redis.url), tmp_path, count=2) as (a, b):
        async with httpx.AsyncClient(timeout=15) as http, \
                connect(ws(b.url, "/ws/board"), additional_headers=bearer["board"]) as board:
            json.loads(await board.recv())  # the snapshot
            assert (await http.post(f"{a.url}/api/v1/windows/8/sign-in", headers=bearer["clerk"])).status_code == 200

            async def call_on_a() -> tuple[str, float]:
                """A ticket taken on B and called on A; its number, and how long the call took to reach B's board."""
                ticket = await http.post(f"{b.url}/api/v1/tickets", headers=bearer["kiosk"], json={"service": "K"})
                assert ticket.status_code == 201, ticket.text
                started = time.monotonic()
                called = await http.post(f"{a.url}/api/v1/windows/8/call-next", headers=bearer["clerk"])
                assert called.status_code == 200, called.text
                event = await next_call(board, timeout=15)
                took = time.monotonic() - started
                assert event["number"] == called.json()["number"] == ticket.json()["number"]
                begun = await http.post(f"{a.url}/api/v1/tickets/{called.json()['id']}/start",
                                        headers=bearer["clerk"])
                assert begun.status_code == 200, begun.text
                return event["number"], took

            assert (await call_on_a())[1] < 2.0

            await asyncio.to_thread(redis.kill)
            # Nothing fails while Redis is away; boards catch up from the database (the sweep).
            for base in (a.url, b.url):
                answers = [await http.get(f"{base}/api/v1/slots", params={"service": "A"}),
                           await http.get(f"{base}/api/v1/services"),
                           await http.post(f"{base}/api/v1/bookings", json={
                               "service": "A", "start": "2020-01-06T10:00:00+01:00", "language": "en",
                               "name": "Olena Kowalenko", "birth_date": "1990-04-12", "document_number": "FE 200001",
                               "phone": "", "email": "olena@example.com"})]
                assert [answer.status_code for answer in answers] == [200, 200, 409], [a.text for a in answers]
            assert (await call_on_a())[1] < 12   # not through Redis: through the database, at the next sweep

            await asyncio.to_thread(redis.start)
            # Back through Redis: calls reach the other process's board at once, not at the next sweep.
            deadline = time.monotonic() + 20
            while (await call_on_a())[1] > 0.5:
                assert time.monotonic() < deadline, "calls do not go through Redis again"
            assert max([(await call_on_a())[1] for _ in range(3)]) < 1.0

            # A hung Redis (it takes connections, never answers) must not hold tickets up for its
            # socket timeout of 5 s each.
            redis.pause()
            try:
                for _ in range(3):
                    started = time.monotonic()
                    answer = await http.post(f"{a.url}/api/v1/tickets", headers=bearer["kiosk"], json={"service": "K"})
                    assert answer.status_code == 201 and time.monotonic() - started < 1.5, answer.text
            finally:
                redis.resume()
        for server in (a, b):
            assert "Traceback" not in server.log(), server.log()[-3000:]

"""Two real server processes on one PostgreSQL, events crossing through Redis and through NOTIFY."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import IN_CI, drop_everything
from tests.servers import okienko_servers, prepare_hall, serve_env, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
REDIS_URL = os.environ.get("OKIENKO_TEST_REDIS", "redis://127.0.0.1:6379/15")
METRICS_TOKEN = "scrape-both"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["redis", "postgresql"])
def hall_on_two_servers(request, postgres_url: str, tmp_path: Path):
    """Two `okienko serve` over one PostgreSQL, the broker Redis or NOTIFY: (urls, tokens, their environment)."""
    broker = REDIS_URL if request.param == "redis" else "postgresql"
    if request.param == "redis" and not redis_reachable():
        if IN_CI:
            pytest.fail("Redis is required under CI=true")
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    asyncio.run(drop_everything(postgres_url))
    # A second token each: a clerk's token holds one window, so two desks need two tokens.
    tokens = prepare_hall(postgres_url, tmp_path, {"kiosk": "kiosk:hall-1", "board": "board:hall",
                                                   "anna": "clerk:anna", "jan": "clerk:jan",
                                                   "anna-9": "clerk:anna", "jan-12": "clerk:jan",
                                                   "ewa": "manager:ewa"})
    # Listings stay cached for a minute: what one process learns must reach the other at once.
    env = serve_env(postgres_url, tmp_path, broker_url=broker, slots_cache_seconds="60", metrics_token=METRICS_TOKEN)
    with okienko_servers(env, tmp_path, count=2) as servers:
        yield [server.url for server in servers], tokens, env


@pytest.fixture
def two_servers(hall_on_two_servers):
    urls, tokens, _env = hall_on_two_servers
    return urls, tokens


async def test_a_board_on_one_process_sees_calls_made_on_the_other(two_servers) -> None:
    (first, second), tokens = two_servers
    bearer = lambda name: {"Authorization": f"Bearer {tokens[name]}"}  # noqa: E731
    async with httpx.AsyncClient() as http:
        ticket = await http.post(f"{first}/api/v1/tickets", headers=bearer("kiosk"), json={"service": "K"})
        assert ticket.status_code == 201, ticket.text
        ticket = ticket.json()
        assert (await http.post(f"{second}/api/v1/windows/8/sign-in", headers=bearer("anna"))).status_code == 200
        async with connect(first.replace("http", "ws") + "/ws/board", additional_headers=bearer("board")) as board:
            snapshot = json.loads(await board.recv())
            call = await http.post(f"{second}/api/v1/windows/8/call-next", headers=bearer("anna"))
            assert call.json()["number"] == ticket["number"]
            while True:
                event = json.loads(await asyncio.wait_for(board.recv(), 5))
                if event.get("kind") == "called":
                    break
            assert (event["number"], event["window"], event["seq"] > snapshot["seq"]) == (ticket["number"], "8", True)


async def test_both_processes_report_the_same_hall_in_their_metrics(two_servers) -> None:
    """Behind a proxy a scrape reaches either process: the figures read from the database agree."""
    (first, second), tokens = two_servers
    scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with httpx.AsyncClient() as http:
        for _ in range(2):
            issued = await http.post(f"{first}/api/v1/tickets", headers={"Authorization": f"Bearer {tokens['kiosk']}"},
                                     json={"service": "K"})
            assert issued.status_code == 201, issued.text
        answers = [(await http.get(f"{url}/metrics", headers=scrape)).text for url in (first, second)]
        for url in (first, second):   # the broker (Redis, or PostgreSQL's LISTEN connection) answers each
            ready = await http.get(f"{url}/readyz")
            assert (ready.status_code, ready.json()["checks"]["broker"]) == (200, "ok"), ready.text
    shared = [sorted(line for line in text.splitlines()
                     if line.startswith(("okienko_tickets_issued_today{", "okienko_waiting{", "okienko_outbox_backlog ")))
              for text in answers]
    assert shared[0] == shared[1] and 'okienko_tickets_issued_today{office="demo",service="K"} 2.0' in shared[0]
    assert 'route="/api/v1/tickets",status="201"} 2.0' in answers[0]   # its own requests: the first's only
    assert 'route="/api/v1/tickets"' not in answers[1]


async def test_four_windows_on_two_processes_call_each_ticket_once(two_servers) -> None:
    (first, second), tokens = two_servers
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    async with httpx.AsyncClient() as http:
        issued = [(await http.post(f"{first}/api/v1/tickets", headers=kiosk, json={"service": "K"})).json()["number"]
                  for _ in range(30)]
        desks = [(first, "anna", "7"), (second, "jan", "8"), (first, "anna", "9"), (second, "jan", "12")]
        headers = {}
        for base, name, window in desks:
            token = tokens[name] if window in ("7", "8") else tokens[f"{name}-{window}"]
            headers[window] = {"Authorization": f"Bearer {token}"}
            answer = await http.post(f"{base}/api/v1/windows/{window}/sign-in", headers=headers[window])
            assert answer.status_code == 200, answer.text
        called: list[str] = []

        async def desk(base: str, window: str) -> None:
            while True:
                answer = await http.post(f"{base}/api/v1/windows/{window}/call-next", headers=headers[window])
                if answer.status_code == 204:
                    return
                assert answer.status_code == 200, answer.text
                ticket = answer.json()
                called.append(ticket["number"])
                await http.post(f"{base}/api/v1/tickets/{ticket['id']}/start", headers=headers[window])

        await asyncio.gather(*(desk(base, window) for base, _name, window in desks))
    assert sorted(called) == issued and len(set(called)) == len(issued)



async def test_a_slot_filled_through_one_process_is_shown_full_by_the_other_at_once(two_servers) -> None:
    (first, second), _tokens = two_servers
    async with httpx.AsyncClient() as http:
        listing = (await http.get(f"{second}/api/v1/slots", params={"service": "A"})).json()
        slot = next(s for day in listing["days"] for s in day["slots"] if s["free"] == s["places"])
        for n in range(slot["places"]):
            held = await http.post(f"{first}/api/v1/bookings", json={
                "service": "A", "start": slot["start"], "language": "en", "name": f"Olena {'ABCD'[n]}",
                "birth_date": "1990-04-12", "document_number": f"FE 20000{n}", "phone": "",
                "email": f"olena{n}@example.com"})
            assert held.status_code == 202, held.text
        # The second process counted before the holds and would serve that count for a minute.
        deadline = time.monotonic() + 10
        while True:
            listing = (await http.get(f"{second}/api/v1/slots", params={"service": "A"})).json()
            free = next(s["free"] for day in listing["days"] for s in day["slots"] if s["start"] == slot["start"])
            if free == 0:
                break
            assert time.monotonic() < deadline, "the second process still shows the slot free"
            await asyncio.sleep(0.05)
        late = await http.post(f"{second}/api/v1/bookings", json={
            "service": "A", "start": slot["start"], "language": "en", "name": "Late Comer", "birth_date": "1990-04-12",
            "document_number": "FE 299999", "phone": "", "email": "late@example.com"})
        assert late.status_code == 409 and late.json()["error"] == "slot_full"


def test_an_office_file_loaded_by_the_cli_and_a_new_ticker_reach_both_processes_at_once(hall_on_two_servers, tmp_path: Path) -> None:
    (first, second), tokens, env = hall_on_two_servers
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}

    def limit_of_k(base: str) -> int | None:
        services = httpx.get(f"{base}/api/v1/services", headers=kiosk, timeout=5).json()["services"]
        return next(service["daily_limit"] for service in services if service["code"] == "K")

    # Both processes hold the set-up in memory (read at their start, kept for 30 s).
    assert (limit_of_k(first), limit_of_k(second)) == (None, None)
    office_file = tmp_path / "hall-office.toml"   # what prepare_hall loaded
    office_file.write_text(office_file.read_text(encoding="utf-8").replace(
        'code = "K"\nprefix = "K"\n', 'code = "K"\nprefix = "K"\ndaily_limit = 7\n'), encoding="utf-8")
    loaded = subprocess.run([sys.executable, "-m", "okienko_server.cli", "office", "load", str(office_file)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert "running server processes were told through the broker" in loaded.stderr
    # Well inside the 30 s expiry: only the broker's message can have brought it.
    wait_until(lambda: (limit_of_k(first), limit_of_k(second)) == (7, 7), 5,
               "a process still shows the office as it was before the load")

    # The ticker is the office's too: set through one process, the other's boards show it at once.
    def ticker(base: str) -> str:
        board = httpx.get(f"{base}/api/v1/board", headers={"Authorization": f"Bearer {tokens['board']}"}, timeout=5)
        return board.json()["ticker"]

    assert ticker(first) == ticker(second) != "Dziś do 15:00"
    manager = {"Authorization": f"Bearer {tokens['ewa']}"}
    changed = httpx.put(f"{first}/api/v1/board/ticker", headers=manager, json={"text": "Dziś do 15:00"}, timeout=5)
    assert changed.status_code == 200, changed.text
    wait_until(lambda: (ticker(first), ticker(second)) == ("Dziś do 15:00", "Dziś do 15:00"), 5,
               "a process still shows the ticker as it was")

    # A manager's edit in the back office, through one process: the other's kiosks see it within a second.
    edited = httpx.put(f"{first}/api/v1/admin/services/K", headers=manager, json={"daily_limit": 9}, timeout=5)
    assert edited.status_code == 200, edited.text
    wait_until(lambda: (limit_of_k(first), limit_of_k(second)) == (9, 9), 1,
               "a process still shows the service as it was before the back office's edit")

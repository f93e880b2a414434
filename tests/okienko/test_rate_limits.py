"""Limits that count what scripts do: every booking attempt counts, refused ones too; listings
are limited per address; behind a proxy, only trusted proxies may name the client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book
from tests.okienko.booking.test_freed_places import set_policy, someone
from tests.conftest import DEMO_OFFICE, free_port

pytestmark = pytest.mark.anyio


async def test_refused_attempts_count_against_the_address_limit(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, per_address_per_hour=4, per_contact_per_day=0)
    refused = {
        "outside_horizon": "2027-02-02T08:00:00+01:00",   # not released yet: a script polling for the release
        "no_such_slot": "2026-12-02T08:10:00+01:00",
        "closed_day": "2026-12-24T08:00:00+01:00",
    }
    for error, start in refused.items():
        answer = await office.client.post("/api/v1/bookings", json={"service": "A", "start": start, **PERSON})
        assert answer.json()["error"] == error
    bad = await office.client.post("/api/v1/bookings", json={"service": "A", "start": "2026-12-03T10:00:00+01:00",
                                                              **PERSON, "email": "not-an-email"})
    assert bad.json()["error"] == "invalid_details"
    fifth = await office.client.post("/api/v1/bookings", json={"service": "A", "start": "2026-12-03T10:00:00+01:00",
                                                                **PERSON})
    assert fifth.status_code == 429 and fifth.json()["error"] == "rate_limited"
    assert 0 < int(fifth.headers["retry-after"]) <= 3601


async def test_attempts_at_a_full_slot_count_against_the_contact_limit(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, per_address_per_hour=0, per_contact_per_day=3)
    start = "2026-12-03T08:00:00+01:00"   # service F: 3 places
    for index in range(3):
        await book(office, start=start, person=someone(index), service="F")
    script = {**PERSON, "document_number": "SC000001", "email": "script@example.com", "phone": ""}
    answers = [await office.client.post("/api/v1/bookings", json={"service": "F", "start": start, **script})
               for _ in range(4)]   # refused from memory ("seen full") and from the count alike
    assert [a.json()["error"] for a in answers] == ["slot_full"] * 3 + ["rate_limited"]
    elsewhere = await office.client.post("/api/v1/bookings", json={"service": "F", "start": "2026-12-03T08:10:00+01:00",
                                                                    **script})
    assert elsewhere.status_code == 429   # the contact is spent for the day, whatever the slot


async def test_slot_listings_are_limited_per_address_and_minute(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await set_policy(office, listings_per_address_per_minute=3)
    office.clock.set(office.clock.now().replace(second=0) + timedelta(seconds=50))
    params = {"service": "A", "from": "2026-12-03", "to": "2026-12-03"}
    answers = [await office.client.get("/api/v1/slots", params=params) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"] == "rate_limited" and answers[3].headers["retry-after"] == "10"
    office.clock.advance(seconds=10)
    assert (await office.client.get("/api/v1/slots", params=params)).status_code == 200
    await set_policy(office, listings_per_address_per_minute=0)   # 0: off
    answers = [await office.client.get("/api/v1/slots", params=params) for _ in range(10)]
    assert {a.status_code for a in answers} == {200}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    """`okienko serve` in its own process on SQLite, with OKIENKO_TRUSTED_PROXIES as asked; the
    office allows two booking attempts per address and hour."""
    started: list[subprocess.Popen[bytes]] = []

    def start(trusted: str | None) -> str:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/okienko-{len(started)}.db",
               "OKIENKO_DATA_DIR": str(tmp_path), "OKIENKO_LOG_LEVEL": "warning", "OKIENKO_SECRET_KEY": "test"}
        env.pop("OKIENKO_TRUSTED_PROXIES", None)
        if trusted is not None:
            env["OKIENKO_TRUSTED_PROXIES"] = trusted
        office = DEMO_OFFICE.read_text(encoding="utf-8").replace("per_address_per_hour = 20", "per_address_per_hour = 2")
        office_file = tmp_path / "office.toml"
        office_file.write_text(office, encoding="utf-8")
        for args in (["migrate"], ["office", "load", str(office_file)]):
            done = subprocess.run([sys.executable, "-m", "okienko_server.cli", *args], env=env, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        port = free_port()
        started.append(subprocess.Popen([sys.executable, "-m", "okienko_server.cli", "serve", "--port", str(port)],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return f"http://127.0.0.1:{port}"
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)


async def attempts(base: str, forwarded_for: list[str]) -> list[str]:
    """One booking attempt (refused: long past) per address claimed in X-Forwarded-For."""
    async with httpx.AsyncClient() as http:
        answers = [await http.post(f"{base}/api/v1/bookings", headers={"X-Forwarded-For": address},
                                   json={"service": "A", "start": "2020-01-06T10:00:00+01:00", **PERSON,
                                         "email": f"p{index}@example.com", "phone": ""})
                   for index, address in enumerate(forwarded_for)]
    return [answer.json()["error"] for answer in answers]


@pytest.mark.parametrize("trusted", [None, "127.0.0.1"])
async def test_a_trusted_proxy_names_the_client(served: Any, trusted: str | None) -> None:
    base = served(trusted)   # None: the default, loopback only
    errors = await attempts(base, ["203.0.113.7", "203.0.113.7", "203.0.113.7", "198.51.100.9"])
    assert errors == ["outside_horizon", "outside_horizon", "rate_limited", "outside_horizon"]


async def test_an_untrusted_peer_is_counted_at_its_own_address(served: Any) -> None:
    base = served("10.9.9.9")   # loopback, where the test connects from, is not a trusted proxy
    errors = await attempts(base, ["203.0.113.7", "198.51.100.9", "192.0.2.44"])
    assert errors == ["outside_horizon", "outside_horizon", "rate_limited"]

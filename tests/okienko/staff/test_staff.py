"""Staff sign-in: wrong passwords lock one account name at one address only, and the answers never
tell whether a user exists."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any, Iterator

import httpx
import pytest

from okienko.staff.auth import add_user
from okienko_server.cli import parser
from okienko.i18n import Translator
from okienko.staff.roles import ROLES
from okienko.staff import passwords
from tests.conftest import REAL_PASSWORD_HASHER, warsaw

pytestmark = pytest.mark.anyio
MORNING = warsaw(2026, 12, 1, 7, 50, 30)   # the quarter 07:45-08:00: 9.5 minutes of it left
PASSWORD = "correct horse battery"
LOCKED = "Too many failed sign-ins. Try again in {minutes} min or ask an administrator."
WRONG = "Wrong user name or password."


def from_address(office: Any, address: str) -> httpx.AsyncClient:
    """A browser at `address` (what the server takes as the client: the peer, or a trusted proxy's word)."""
    transport = httpx.ASGITransport(app=office.app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://okienko.test")


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/console/login", data={"username": username, "password": password})


def outcome(answer: httpx.Response) -> tuple[int, str, str | None]:
    """What a person (or a script) can tell apart: the status, the words shown, the wait."""
    shown = LOCKED if Translator().gettext("pl", LOCKED).format(minutes=10) in answer.text else \
        WRONG if Translator().gettext("pl", WRONG) in answer.text else answer.text
    return answer.status_code, shown, answer.headers.get("retry-after")


async def staff(office: Any, *usernames: str) -> None:
    async with office.okienko.db.engine.begin() as conn:
        for username in usernames:
            await add_user(conn, username, "clerk", PASSWORD)


async def test_an_unknown_user_gets_the_same_answers_as_a_known_one(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    async with from_address(office, "203.0.113.7") as attacker:
        known = [outcome(await sign_in(attacker, "ewa", f"guess {n}")) for n in range(6)]
        unknown = [outcome(await sign_in(attacker, "nobody", f"guess {n}")) for n in range(6)]
    assert known == unknown
    assert known == [(401, WRONG, None)] * 4 + [(429, LOCKED, "571")] * 2


async def test_a_lock_out_holds_for_one_address_only(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    async with from_address(office, "203.0.113.7") as attacker, from_address(office, "10.0.0.21") as desk:
        for n in range(5):
            await sign_in(attacker, "ewa", f"guess {n}")
        assert (await sign_in(attacker, "ewa", PASSWORD)).status_code == 429
        at_the_desk = await sign_in(desk, "ewa", PASSWORD)   # the clerk's morning goes on
        assert at_the_desk.status_code == 303 and "okienko_session" in at_the_desk.headers["set-cookie"]
        office.clock.advance(minutes=10)   # the next quarter: the attacker's address may try again
        assert (await sign_in(attacker, "ewa", "guess 6")).status_code == 401


async def test_the_right_password_starts_the_count_afresh(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    async with from_address(office, "10.0.0.21") as desk:
        for n in range(4):
            assert (await sign_in(desk, "ewa", f"typo {n}")).status_code == 401
        assert (await sign_in(desk, "ewa", PASSWORD)).status_code == 303
        for n in range(4):
            assert (await sign_in(desk, "ewa", f"typo {n}")).status_code == 401


async def test_passwords_sent_at_once_are_checked_at_most_five_times(office_factory: Any) -> None:
    office = await office_factory(MORNING)
    await staff(office, "ewa")
    async with from_address(office, "203.0.113.7") as attacker:
        answers = await asyncio.gather(*(sign_in(attacker, "ewa", f"guess {n}") for n in range(30)),
                                       sign_in(attacker, "ewa", PASSWORD))
    statuses = [answer.status_code for answer in answers]
    checked = statuses.count(401) + statuses.count(303)   # a password was looked at
    assert 1 <= checked <= 5 and statuses.count(429) == len(statuses) - checked, statuses


@pytest.fixture
def real_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Passwords hashed at the app's own strength (the suite uses argon2's cheapest parameters,
    tests/conftest.py), the stand-in hash for unknown names too."""
    monkeypatch.setattr(passwords, "_hasher", REAL_PASSWORD_HASHER)
    passwords._stand_in.cache_clear()
    yield
    passwords._stand_in.cache_clear()


def test_the_app_hashes_passwords_at_argon2_s_recommended_strength() -> None:
    """argon2id, 64 MiB, three passes, four lanes (RFC 9106's second recommendation)."""
    assert REAL_PASSWORD_HASHER().hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.usefixtures("real_argon2")
async def test_an_unknown_user_costs_a_password_check_like_a_known_one(office_factory: Any) -> None:
    """No shortcut for unknown names: a quick "no" would tell a script which names exist."""
    office = await office_factory(MORNING)
    await staff(office, "ewa")

    async def seconds(username: str, address: str) -> float:
        async with from_address(office, address) as client:
            started = time.perf_counter()
            assert (await sign_in(client, username, "wrong")).status_code == 401
            return time.perf_counter() - started

    known = [await seconds("ewa", f"198.51.100.{n}") for n in range(5)]
    unknown = [await seconds(f"nobody-{n}", f"198.51.100.{n}") for n in range(5)]
    # Without the check an unknown name answers several times faster than a known one.
    assert statistics.median(unknown) > 0.5 * statistics.median(known), (known, unknown)


async def test_every_role_and_only_those_can_be_given_and_a_given_password_signs_in(
        office_factory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    office = await office_factory(MORNING)
    async with office.okienko.db.engine.begin() as conn:
        for role in ROLES:
            await add_user(conn, f"user-{role}", role, PASSWORD)
        with pytest.raises(ValueError, match=f"role must be one of {', '.join(ROLES)}"):
            await add_user(conn, "boss", "boss", PASSWORD)
    for number, role in enumerate(ROLES):   # set by one hasher, checked by the same one
        async with from_address(office, f"192.0.2.{number + 1}") as browser:
            assert (await sign_in(browser, f"user-{role}", PASSWORD)).status_code == 303, role
            assert outcome(await sign_in(browser, f"user-{role}", "wrong"))[:2] == (401, WRONG)
    with pytest.raises(SystemExit):
        parser().parse_args(["user", "add", "boss", "--role", "boss"])
    assert f"choose from {', '.join(repr(role) for role in ROLES)}" in capsys.readouterr().err

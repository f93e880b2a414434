#!/usr/bin/env python3
"""Benchmark: is a draw fair to people against a reseller's script, can a booking be handed on,
and how long does a big draw take.

    .venv/bin/python bench/fairness.py [--json fairness.json] [--pg-url postgresql://…] [--skip-speed]

Runs, one after the other, against a real `okienko serve` on 127.0.0.1 (SQLite) with an office
this script writes (service D released by draw, 20 places, a 1-minute window opening at the next
whole minute; service C first come, for the handovers):

  draw        At the release, 10 simulated people (each arriving at a random moment of the window,
              5-20 s between their steps: open the listing, send the entry, read the code from the
              emailed .eml, confirm) against a script with 5 addresses and 50 identities that polls
              the listing every 50 ms and fires every entry at the window's first millisecond (then
              confirms as fast as the codes arrive). After the window the draw runs; the people's
              share of the places is compared with their share of the entries: in this draw, as
              the exact expectation (hypergeometric: every order is equally likely), and over
              --replays draws of the same tickets with fresh random seeds (the core's allocation).
  handover    --handovers times: the script books a first-come place, cancels it, and a "buyer"
              identity tries to book the same slot at once (goal: 0 successes; this relies on freed
              places being withheld for a random time, `freed_places`).
  speed       the core's draw of 10,000 confirmed entries (random preferences) for 2,000 places, on
              SQLite and PostgreSQL, timed by bench/draw_speed.py's time_draw (goal: under 5 s each).

Addresses: the 5 script addresses and the people's are sent as X-Forwarded-For only when the
server honours it (OKIENKO_TRUSTED_PROXIES exists in this tree); otherwise every request comes
from 127.0.0.1, the per-address limits are switched off in the office, and the bench only counts.

The analysis, the verdict and the printed table are in fairness_report.py.

Bounded: about two minutes (the wait for the next whole minute, the 1-minute window, the draw,
the handovers, the speed runs); every wait has a deadline. Only 127.0.0.1 is contacted.
Everything this script starts it stops again. Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

import common                    # bench/common.py: ports, readiness, the PostgreSQL reset, the mail folder
import draw_speed                # bench/draw_speed.py: the core's draw, timed
from fairness_report import GOALS, DrawOutcome, Entered, judge, shares, summary
from processes import stop_process

ROOT = common.ROOT
BIN = common.BIN
HOST = common.HOST
OFFICE_TZ = common.OFFICE_TZ
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_fairness"
DRAW_SERVICE, FIRST_COME_SERVICE = "D", "C"
PLACES = 20                      # 4 slots of 30 min x 5 places
PEOPLE, SCRIPT_IDENTITIES, SCRIPT_ADDRESSES = 10, 50, 5
POLL_SECONDS = 0.05
STEP_SECONDS = (5.0, 20.0)
SPEED_ENTRIES, SPEED_PLACES = 10_000, 2_000
TRUSTED_PROXIES = "OKIENKO_TRUSTED_PROXIES"


def honours_forwarded_for() -> bool:
    """Whether this tree's server reads X-Forwarded-For from trusted proxies (the setting exists)."""
    settings = (ROOT / "okienko" / "settings.py").read_text(encoding="utf-8")
    return "trusted_proxies" in settings.lower()


def office_toml(release: dt.datetime, per_address: int) -> str:
    """Service D: 20 places on the day after `release`, drawn in a 1-minute window from `release`;
    service C: first come, open every day (the handovers)."""
    week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    all_day = ", ".join(f'{day} = "00:00-24:00"' for day in week)
    visits = ", ".join(f'{day} = "08:00-10:00"' for day in week)
    def service(code: str, booking: list[str]) -> list[str]:
        return ["[[service]]", f'code = "{code}"', f'prefix = "{code}"',
                f'names = {{ pl = "Usługa {code}", en = "Service {code}", uk = "Послуга {code}", ru = "Услуга {code}" }}',
                "average_service_minutes = 1", f"hours = {{ {all_day} }}", "", "[service.booking]", *booking, ""]
    return "\n".join([
        "# Written by bench/fairness.py.",
        "[office]", 'code = "fair"', 'name = "Fairness bench office"', f'timezone = "{OFFICE_TZ}"',
        "closed_on_public_holidays = false", "",
        "[office.booking]", f"per_address_per_hour = {per_address}", "per_contact_per_day = 5",
        "change_until_hours = 0",
        # Behind one address (no trusted proxy) the people would share the script's limits: off then.
        *([] if per_address else ["listings_per_address_per_minute = 0"]), "",
        *service(DRAW_SERVICE, ["slot_minutes = 30", "places = 5", f"days = {{ {visits} }}", "horizon_days = 1",
                                "first_day = 1", f'release_time = "{release:%H:%M}"', 'release_mode = "draw"',
                                "draw_minutes = 1"]),
        *service(FIRST_COME_SERVICE, ["slot_minutes = 10", "places = 1", f"days = {{ {all_day} }}",
                                      "horizon_days = 3", "first_day = 1", 'release_time = "00:00"']),
        "[[window]]", 'number = "1"', f'services = ["{DRAW_SERVICE}", "{FIRST_COME_SERVICE}"]', "",
    ])


Codes = common.AnyCodeMailFolder   # the emailed one-time codes of entries and bookings alike


@dataclass
class Identity:
    tag: str
    address: str
    number: int

    def details(self) -> dict[str, Any]:
        return {"name": f"Osoba {self.tag.title()} {chr(65 + self.number % 26)}{'abcdefghij'[self.number // 26 % 10]}",
                "birth_date": f"19{60 + self.number % 40}-0{1 + self.number % 9}-1{self.number % 10}",
                "document_number": f"{self.tag[:2].upper()}{7_000_000 + self.number}",
                "email": f"{self.tag}-{self.number}@example.com", "language": "en"}


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir or tempfile.mkdtemp(prefix="okienko-bench-fairness-"))
        self.forwarded = honours_forwarded_for()
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.codes: Codes | None = None
        self.zone = ZoneInfo(OFFICE_TZ)

    # --- the server --------------------------------------------------------------------------
    def start(self, release: dt.datetime) -> None:
        folder = self.workdir
        for suffix in ("", "-wal", "-shm"):
            Path(f"{folder / 'fair.db'}{suffix}").unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OKIENKO_") and k != "DATABASE_URL"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.update(DATABASE_URL=f"sqlite:///{folder / 'fair.db'}", OKIENKO_DATA_DIR=str(folder / "var"),
                   OKIENKO_LOG_LEVEL="warning", OKIENKO_SECRET_KEY="bench-" + "x" * 32)
        if self.forwarded:
            env[TRUSTED_PROXIES] = "127.0.0.1/32"
        (folder / "office.toml").write_text(office_toml(release, 20 if self.forwarded else 0), encoding="utf-8")
        okienko = str(BIN / "okienko")
        log = open(folder / "server.log", "ab")  # noqa: SIM115 - closed with the process
        for step in (["migrate"], ["office", "load", str(folder / "office.toml")]):
            subprocess.run([okienko, *step], env=env, cwd=folder, check=True, stdout=log, stderr=log)
        port = common.free_port()
        self.process = subprocess.Popen([okienko, "serve"], env={**env, "OKIENKO_PORT": str(port)}, cwd=folder,
                                        stdout=log, stderr=subprocess.STDOUT)
        common.wait_ready(port, self.process)
        self.url = f"http://{HOST}:{port}"
        self.codes = Codes(folder / "var" / "mail")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def client(self, address: str) -> httpx.AsyncClient:
        headers = {"X-Forwarded-For": address} if self.forwarded else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10.0)

    # --- the draw ----------------------------------------------------------------------------
    async def draw(self, opens: dt.datetime) -> DrawOutcome:
        outcome = DrawOutcome()
        assert self.codes is not None
        watcher = asyncio.create_task(self.codes.watch(0.02))
        closes = opens + dt.timedelta(minutes=1)
        try:
            async with self.client("10.9.9.9") as probe:
                draw_id = await self._draw_id(probe, closes)
            script = asyncio.create_task(self._script(outcome, draw_id, opens, closes))
            rng = random.Random(self.args.seed)
            people = [asyncio.create_task(self._person(outcome, draw_id, Identity("person", f"10.1.0.{n + 1}", n),
                                                       opens, closes, rng)) for n in range(PEOPLE)]
            await asyncio.gather(script, *people)
            # The first read after the window's close runs the draw (the sweeper would within 30 s).
            await self._sleep_until(closes + dt.timedelta(seconds=0.5))
            async with self.client("10.9.9.9") as probe:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    answer = await probe.get(f"/api/v1/draws/{draw_id}")
                    if answer.status_code == 200 and answer.json()["status"] == "done":
                        outcome.draw = answer.json()
                        break
                    await asyncio.sleep(0.5)
        finally:
            watcher.cancel()
        if not outcome.draw:
            raise RuntimeError(f"draw {draw_id} did not run within 60 s of its close")
        return outcome

    async def _draw_id(self, client: httpx.AsyncClient, closes: dt.datetime) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            listing = (await client.get("/api/v1/slots", params={"service": DRAW_SERVICE})).json()
            if listing.get("next_draw"):
                return int(listing["next_draw"]["id"])
            await asyncio.sleep(0.2)
        raise RuntimeError("the draw service lists no next draw")

    async def _sleep_until(self, moment: dt.datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()))

    async def _enter(self, client: httpx.AsyncClient, draw_id: int, who: Identity) -> tuple[int, dict[str, Any]]:
        answer = await client.post(f"/api/v1/draws/{draw_id}/entries", json={**who.details(), "preferences": []})
        return answer.status_code, answer.json()

    async def _confirm(self, client: httpx.AsyncClient, outcome: DrawOutcome, kind: str, who: Identity,
                       pending: dict[str, Any], closes: dt.datetime) -> None:
        assert self.codes is not None
        timeout = max(1.0, (closes - dt.datetime.now(dt.timezone.utc)).total_seconds())
        code, _found = await self.codes.code_for(who.details()["email"], timeout)
        answer = await client.post(f"/api/v1/draw-entries/{pending['id']}/confirm", json={"code": code})
        if answer.status_code == 201:
            outcome.entries.append(Entered(kind, answer.json()["ticket"], time.time()))
        else:
            error = answer.json().get("error", str(answer.status_code))
            outcome.refused[f"{kind}:{error}"] = outcome.refused.get(f"{kind}:{error}", 0) + 1

    async def _person(self, outcome: DrawOutcome, draw_id: int, who: Identity, opens: dt.datetime,
                      closes: dt.datetime, rng: random.Random) -> None:
        """Open the listing, think, send the entry, think, read the code and confirm: all inside the
        window, arriving at a random moment of what the two pauses leave of it."""
        pauses = [rng.uniform(*STEP_SECONDS) for _ in range(2)]
        slack = max(0.0, (closes - opens).total_seconds() - sum(pauses) - 4.0)
        await self._sleep_until(opens + dt.timedelta(seconds=rng.uniform(0.0, slack)))
        async with self.client(who.address) as client:
            await client.get("/api/v1/slots", params={"service": DRAW_SERVICE})
            await asyncio.sleep(pauses[0])
            status, pending = await self._enter(client, draw_id, who)
            if status != 202:
                key = f"person:{pending.get('error', status)}"
                outcome.refused[key] = outcome.refused.get(key, 0) + 1
                return
            await asyncio.sleep(pauses[1])
            with contextlib.suppress(asyncio.TimeoutError):
                await self._confirm(client, outcome, "person", who, pending, closes)

    async def _script(self, outcome: DrawOutcome, draw_id: int, opens: dt.datetime, closes: dt.datetime) -> None:
        """5 addresses poll the listing every 50 ms; at the first listing that shows the window open
        (or the clock says so) all 50 identities fire, retrying every 50 ms while refused as early."""
        addresses = [f"10.2.0.{n + 1}" for n in range(SCRIPT_ADDRESSES)]
        clients = [self.client(address) for address in addresses]
        go = asyncio.Event()

        async def poll(client: httpx.AsyncClient) -> None:
            while not go.is_set():
                answer = await client.get("/api/v1/slots", params={"service": DRAW_SERVICE})
                outcome.listing_polls += 1
                if answer.status_code == 429:
                    outcome.listing_refused += 1
                elif (answer.json().get("next_draw") or {}).get("status") == "open":
                    go.set()
                if dt.datetime.now(dt.timezone.utc) >= opens:
                    go.set()
                await asyncio.sleep(POLL_SECONDS)

        async def fire(number: int) -> None:
            who = Identity("script", addresses[number % SCRIPT_ADDRESSES], number)
            client = clients[number % SCRIPT_ADDRESSES]
            while dt.datetime.now(dt.timezone.utc) < closes:
                status, pending = await self._enter(client, draw_id, who)
                if status == 202:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await self._confirm(client, outcome, "script", who, pending, closes)
                    return
                if pending.get("error") != "draw_not_open":
                    key = f"script:{pending.get('error', status)}"
                    outcome.refused[key] = outcome.refused.get(key, 0) + 1
                    return
                await asyncio.sleep(POLL_SECONDS)

        try:
            pollers = [asyncio.create_task(poll(client)) for client in clients]
            await go.wait()
            outcome.script_fired_after_ms = (dt.datetime.now(dt.timezone.utc) - opens).total_seconds() * 1000
            await asyncio.gather(*(fire(number) for number in range(SCRIPT_IDENTITIES)))
            await asyncio.gather(*pollers)
        finally:
            for client in clients:
                await client.aclose()

    # --- handovers ---------------------------------------------------------------------------
    async def handovers(self, count: int) -> dict[str, Any]:
        """Book a first-come place, cancel it, and let a buyer try the same slot at once."""
        assert self.codes is not None
        watcher = asyncio.create_task(self.codes.watch(0.01))
        succeeded, attempts, refusals = 0, 0, {}
        try:
            async with self.client("10.3.0.1") as seller, self.client("10.4.0.1") as buyer:
                listing = (await seller.get("/api/v1/slots", params={"service": FIRST_COME_SERVICE})).json()
                starts = [slot["start"] for day in listing["days"] for slot in day["slots"] if slot["free"]]
                for number, start in enumerate(starts[:count]):
                    holder = Identity("seller", "10.3.0.1", number)
                    answer = await seller.post("/api/v1/bookings", json={**holder.details(), "service": FIRST_COME_SERVICE,
                                                                         "start": start})
                    if answer.status_code != 202:
                        refusals[f"seller:{answer.json().get('error')}"] = refusals.get(f"seller:{answer.json().get('error')}", 0) + 1
                        continue
                    code, _ = await self.codes.code_for(holder.details()["email"], 10)
                    booked = (await seller.post(f"/api/v1/bookings/{answer.json()['id']}/confirm",
                                                json={"code": code})).json()
                    cancelled = await seller.post(f"/api/v1/bookings/{booked['code']}/cancel",
                                                  json={"secret": booked["secret"]})
                    if cancelled.status_code != 200:
                        refusals["seller:cancel"] = refusals.get("seller:cancel", 0) + 1
                        continue
                    attempts += 1
                    taken = await buyer.post("/api/v1/bookings", json={
                        **Identity("buyer", "10.4.0.1", number).details(), "service": FIRST_COME_SERVICE, "start": start})
                    if taken.status_code == 202:
                        succeeded += 1
                    else:
                        key = f"buyer:{taken.json().get('error')}"
                        refusals[key] = refusals.get(key, 0) + 1
        finally:
            watcher.cancel()
        return {"attempts": attempts, "succeeded": succeeded, "refused": refusals}


# --- orchestration ---------------------------------------------------------------------------
def next_release(now: dt.datetime, lead_seconds: float) -> dt.datetime:
    """The next whole minute at least `lead_seconds` away (time to start the server first)."""
    moment = (now + dt.timedelta(seconds=lead_seconds)).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return moment


async def run(args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(args)
    report: dict[str, Any] = {"command": " ".join(["bench/fairness.py", *sys.argv[1:]]),
                              "forwarded_for_honoured": bench.forwarded, "goals": GOALS}
    if args.only_speed:
        report["speed"] = await speeds(args, bench.workdir)
        return report
    release = next_release(dt.datetime.now(ZoneInfo(OFFICE_TZ)), 12)
    bench.start(release)
    try:
        outcome = await bench.draw(release.astimezone(dt.timezone.utc))
        report["draw"] = {**shares(outcome, args.replays, args.seed), "refused": outcome.refused,
                          "script_fired_after_ms": round(outcome.script_fired_after_ms or 0.0, 1),
                          "script_listing_polls": outcome.listing_polls,
                          "script_listings_refused": outcome.listing_refused}
        report["handover"] = await bench.handovers(args.handovers)
    finally:
        bench.stop()
    if not args.skip_speed:
        report["speed"] = await speeds(args, bench.workdir)
    return report


async def speeds(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The core's draw of 10,000 entries for 2,000 places, as bench/draw_speed.py times it (it makes
    a fresh schema; the PostgreSQL database at --pg-url is dropped and created)."""
    found = {"sqlite": await draw_speed.time_draw(f"sqlite:///{workdir / 'speed.db'}", SPEED_ENTRIES, SPEED_PLACES,
                                                  args.seed)}
    try:
        await common.recreate_pg_database(args.pg_url)
        found["postgresql"] = await draw_speed.time_draw(args.pg_url, SPEED_ENTRIES, SPEED_PLACES, args.seed)
    except OSError as error:
        found["postgresql"] = {"error": f"PostgreSQL not reachable: {error}"}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="a PostgreSQL database this script may drop and create")
    parser.add_argument("--replays", type=int, default=20_000, help="re-drawn seeds for the mean share")
    parser.add_argument("--handovers", type=int, default=10)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--only-speed", action="store_true", help="only the draw's speed (no server, no wait)")
    parser.add_argument("--workdir")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = asyncio.run(run(args))
    report["seconds"] = round(time.monotonic() - started, 1)
    missed = judge(report)
    report["missed"] = missed
    print(summary(report, SPEED_ENTRIES, SPEED_PLACES))
    print(f"\n{report['seconds']} s; " + ("all goals met" if not missed else "missed: " + "; ".join(missed)))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: online booking (slot listings, holds, confirmations) and a kiosk during a booking rush.

    .venv/bin/python bench/booking.py [--only race,slot-reads,rush] [--rush-split] [--runs 3] [--json booking.json]

Runs, one after the other on this machine:

  race                 --race-clients (500) clients race for the --race-slots x --race-places (25 x 4) places
                       of one service, `okienko serve --workers 2` on PostgreSQL: each holds the first free
                       slot (another after 409 slot_full, until it has one or none is left), reads its
                       one-time code from the emailed .eml file and confirms. Then the bookings table is
                       checked: no slot over-booked, one confirmed booking per place.
  ceiling-get          a bare Starlette GET endpoint ({"ok": true}) under uvicorn, as `okienko serve` runs it
  ceiling-get-listing  the same endpoint answering with a pre-encoded body of the shape and size of the
                       week's slot listing
  slot-reads           GET /api/v1/slots for one service and a week, from --clients keep-alive
                       connections, one `okienko serve` process
  rush                 a kiosk takes a ticket every 100 ms (POST /api/v1/tickets), first alone, then while
                       slot reads and booking holds of one service are sent as fast as one `okienko serve`
                       answers them; with --rush-split, two processes on the same database instead:
                       `okienko serve --part hall` for the kiosk, `--part public` for the reads and holds

Prints a Markdown table per scenario, writes JSON with --json, and exits 1 when a target is missed or
a check fails (2 when a scenario could not run at all). bench/README.md says how it measures.

This file is the command line. One run of a scenario is booking_runs.py; the client processes are
booking_clients.py, the office and the week's listing booking_office.py, the CPU, latency figures
and database checks booking_measure.py, the tables booking_report.py, --probes booking_probes.py.

Only 127.0.0.1 is ever contacted. Every loop is bounded in time. Everything this script starts
(servers, client processes) it stops again.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from booking_office import RACE_SLOT_MINUTES
from booking_report import fmt, medians, probe_lines, race_table, reads_table, rush_table
from booking_runs import Result, Runner
from common import OFFICE_TZ, machine_info
from processes import wait_quiet

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/okienko_bench_booking"
SCENARIOS = ("race", "ceiling-get", "ceiling-get-listing", "slot-reads", "rush")
TARGETS = {
    "race": "every request answered in < 1,000 ms; no slot over-booked; every place confirmed once",
    "slot-reads": "≥ 5,000 req/s",
    "rush": "kiosk p99 < 100 ms while the hammer runs",
}


def near_midnight() -> str | None:
    local = dt.datetime.now(ZoneInfo(OFFICE_TZ))
    minutes_left = 24 * 60 - (local.hour * 60 + local.minute)
    if minutes_left <= 5 or (local.hour == 5 and local.minute >= 55):
        return (f"it is {local:%H:%M} in {OFFICE_TZ}: the bookable days move at midnight (and the rush's "
                "last day at 06:00), so a run now may see slots disappear")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--only", default="", help=f"comma-separated scenarios to run, of: {', '.join(SCENARIOS)}")
    parser.add_argument("--runs", type=int, default=1, help="runs of each scenario (the summary gives medians)")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql",
                        help="database of slot-reads and rush (race always runs on PostgreSQL)")
    parser.add_argument("--pg-url", default=os.environ.get("OKIENKO_BENCH_BOOKING_PG_URL", PG_DEFAULT),
                        help="PostgreSQL database to DROP and recreate for every PostgreSQL run")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (slot-reads, ceilings, rush)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--clients", type=int, default=64, help="keep-alive connections of slot-reads and ceilings")
    parser.add_argument("--places", type=int, default=100,
                        help="places per slot of the read service A (the rush's holds must not run out)")
    parser.add_argument("--slots-cache", type=float, default=None,
                        help="OKIENKO_SLOTS_CACHE_SECONDS for the server (default: the server's own, 1 s)")
    parser.add_argument("--race-clients", type=int, default=500)
    parser.add_argument("--race-slots", type=int, default=25, help="slots of the race service (5 minutes each)")
    parser.add_argument("--race-places", type=int, default=4, help="places per slot of the race service")
    parser.add_argument("--race-workers", type=int, default=2, help="server processes of the race")
    parser.add_argument("--race-pick", choices=["first", "random"], default="first",
                        help="which free slot a client tries next: the first listed, or any (less contention)")
    parser.add_argument("--race-deadline", type=float, default=60.0, help="seconds the race clients may take")
    parser.add_argument("--seed", type=int, default=1, help="random seed of --race-pick random")
    parser.add_argument("--rush-readers", type=int, default=32, help="connections reading the week's slots")
    parser.add_argument("--rush-holders", type=int, default=32, help="connections sending holds")
    parser.add_argument("--rush-split", action="store_true",
                        help="rush on two server processes sharing the database: `okienko serve --part hall` for "
                             "the kiosk, `okienko serve --part public` for the readers and holders (PostgreSQL)")
    parser.add_argument("--kiosk-interval", type=float, default=0.1, help="seconds between the kiosk's tickets")
    parser.add_argument("--kiosk-alone", type=float, default=5.0, help="seconds the kiosk runs before the hammer")
    parser.add_argument("--disturbed-limit", type=float, default=15.0,
                        help="other processes using more than this %% of a core make a window 'disturbed'")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="seconds to wait for the machine to be quiet before each run")
    parser.add_argument("--retries", type=int, default=1, help="re-runs of a disturbed run (the least disturbed "
                                                                "attempt is kept)")
    parser.add_argument("--probes", action="store_true",
                        help="time pool waits, the slot lock, listing recomputations, handlers, the outbox and the "
                             "event loop inside each server process (investigation; adds a little overhead)")
    parser.add_argument("--okienko", default="", metavar="CMD",
                        help="command run instead of .venv/bin/okienko (e.g. an instrumented launcher)")
    parser.add_argument("--json", default="", help="write the results here as JSON")
    parser.add_argument("--workdir", default="", help="where databases, mail and logs go (default: a temp folder)")
    parser.add_argument("--keep-workdir", action="store_true", help="keep databases, mail and logs afterwards")
    args = parser.parse_args(argv)
    chosen = [s for s in SCENARIOS if not args.only or s in args.only.split(",")]
    unknown = set(filter(None, args.only.split(","))) - set(SCENARIOS)
    if unknown or not chosen:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    if args.rush_split and "rush" in chosen and args.database == "sqlite":
        parser.error("--rush-split: two server processes need PostgreSQL (--database postgresql)")
    if not 1 <= args.race_slots <= (24 - 8) * 60 // RACE_SLOT_MINUTES:
        parser.error("--race-slots: 1 to 192 (5-minute slots from 08:00)")

    info = machine_info()
    started = dt.datetime.now(dt.UTC)
    notes = [n for n in [near_midnight()] if n]
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    runner = Runner(args)
    results: list[Result] = []

    async def run_all() -> None:
        for scenario in chosen:
            for number in range(1, args.runs + 1):
                kept = None
                for attempt in range(1, args.retries + 2):
                    busy = await wait_quiet(args.disturbed_limit, args.quiet_wait)
                    print(f"running {scenario} #{number} (attempt {attempt}, other processes at {busy:.0f} % of a "
                          f"core) ...", file=sys.stderr, flush=True)
                    candidate = await runner.run(scenario, number)
                    if kept is None or candidate.cpu.get("other", 1e9) < kept.cpu.get("other", 1e9):
                        kept = candidate
                    if not candidate.disturbed:
                        break
                    print(f"  disturbed: {candidate.notes[-1]}", file=sys.stderr, flush=True)
                assert kept is not None
                print(f"  {'pass' if kept.passed else 'FAIL: ' + '; '.join(kept.failures)}", file=sys.stderr,
                      flush=True)
                results.append(kept)

    try:
        asyncio.run(run_all())
    finally:
        if not args.keep_workdir and not args.workdir:
            shutil.rmtree(runner.workdir, ignore_errors=True)

    print(f"\n{info['nproc']} × {info['cpu_model']}, Python {info['python']}, "
          f"{started.strftime('%Y-%m-%d %H:%M UTC')}, python bench/booking.py {' '.join(argv)}\n")
    sections = [("race", race_table, ["race"]),
                ("slot reads", reads_table, ["ceiling-get", "ceiling-get-listing", "slot-reads"]),
                ("rush", rush_table, ["rush"])]
    for title, table, names in sections:
        rows = [r for r in results if r.scenario in names]
        if rows:
            print(f"### {title}\n\n{table(rows)}\n")
    summary = medians(results)
    if args.runs > 1:
        for scenario, values in summary.items():
            print(f"- median of {args.runs} runs, {scenario}: " + ", ".join(
                f"{name} {fmt(v['median'])} ({fmt(v['min'])}–{fmt(v['max'])})" for name, v in values.items()))
    for r in results:
        for failure in r.failures:
            print(f"- {r.scenario} #{r.run}: {failure}")
        for note in r.notes:
            print(f"- {r.scenario} #{r.run}: note: {note}")
    for r in results:
        for line in probe_lines(r):
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": "python bench/booking.py " + " ".join(argv), "started_at": started.isoformat(),
            "machine": info, "settings": vars(args), "notes": notes, "targets": TARGETS, "medians": summary,
            "results": [vars(r) for r in results], "passed": all(r.passed for r in results),
        }, indent=2, default=str))
    if any(any(f.startswith("could not run") for f in r.failures) for r in results):
        return 2
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

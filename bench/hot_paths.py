"""The two CPU-heavy steps of a booking race, measured alone (no server, no database).

- `hold-check`: what every hold attempt runs before it reaches the database, twice (in
  `OnlineBooking.hold` and again in `bookings.hold`): `slots.check_bookable` for the race service's
  day (25 five-minute slots from 08:00, as `bench/booking.py` sets up service `R`).
- `confirm-calendar`: the `.ics` attached to every confirmation (`Notifier.calendar`, i.e.
  `calendar_sync.ics.booking_calendar` with the office's VTIMEZONE).
- `vtimezone`: `calendar_sync.ics.timezone_lines` alone.

Each is called `--calls` times in a row, as a server process calls it during a race; the first
call is reported apart (what a process pays once). `--profile NAME` prints cProfile's top
functions for one of them.

    .venv/bin/python bench/hot_paths.py
    .venv/bin/python bench/hot_paths.py --profile confirm-calendar
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from okienko.notify.booking_mail import Notifier  # noqa: E402
from okienko.booking.rules import SlotSchedule  # noqa: E402
from okienko.i18n import Translator  # noqa: E402
from okienko.office.directory import OfficeSetup, ServiceSetup  # noqa: E402
from okienko.booking import slots  # noqa: E402
from okienko.booking.slots import check_bookable  # noqa: E402
from calendar_sync import rfc5545 as ics  # noqa: E402
from calendar_sync.ics import timezone_lines  # noqa: E402

WARSAW = ZoneInfo("Europe/Warsaw")
TOMORROW = date(2026, 12, 3)   # a Thursday, no holiday
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)


def race_office() -> tuple[OfficeSetup, ServiceSetup]:
    """The race's office and service `R`: 25 five-minute slots × 4 places, tomorrow only."""
    schedule = SlotSchedule(slot_minutes=5, places=4, days={d: ((8 * 60, 8 * 60 + 25 * 5),) for d in range(7)},
                            horizon_days=1, first_day=1, release_minute=0)
    service = ServiceSetup(id=1, code="race", prefix="R", names={"pl": "Wyścig", "en": "Race"},
                           average_service_minutes=5.0, daily_limit=None, last_ticket_minutes_before_close=0,
                           walk_in=False, hours={}, window_ids=(), booking=schedule)
    setup = OfficeSetup(id=1, code="bench", name="Urząd (benchmark)", timezone=WARSAW, default_language="pl",
                        always_open=False, closed_on_public_holidays=True, priority_mode="first", ticket_footer={},
                        recalls_before_no_show=1, transfer_position="end", ticker="", services=(service,),
                        windows=(), categories=())
    return setup, service


def scenarios() -> dict[str, Callable[[int], None]]:
    setup, service = race_office()
    schedule = service.booking
    assert schedule is not None
    starts = [datetime(2026, 12, 3, 8, 0, tzinfo=WARSAW) + timedelta(minutes=5 * n) for n in range(25)]
    notifier = Notifier(Translator(), "http://127.0.0.1:8000", "rejestracja@urzad.example", "Urząd")

    def hold_check(n: int) -> None:
        check_bookable(setup, schedule, starts[n % len(starts)], NOW)

    def confirm_calendar(n: int) -> None:
        start = starts[n % len(starts)]
        booking = {"id": f"b{n}", "sequence": 0, "starts_at": start, "ends_at": start + timedelta(minutes=5),
                   "email": "jan.kowalski@example.org", "code": "ACDEFG", "language": "pl"}
        notifier.calendar(setup, service, booking, "REQUEST", datetime(2026, 12, 2, 11, 0, tzinfo=UTC))

    def vtimezone(_n: int) -> None:
        timezone_lines(WARSAW, 2026)

    return {"hold-check": hold_check, "confirm-calendar": confirm_calendar, "vtimezone": vtimezone}


def measure(call: Callable[[int], None], calls: int) -> dict[str, float]:
    for cached in (getattr(slots, "_day_slots", None), getattr(ics, "_timezone_lines", None)):
        if cached is not None:    # each step's first call pays what a fresh process pays (no cache before the fix)
            cached.cache_clear()
    started = time.perf_counter()
    call(0)
    first = time.perf_counter() - started
    times = []
    for n in range(1, calls + 1):
        started = time.perf_counter()
        call(n)
        times.append(time.perf_counter() - started)
    return {"first_ms": round(first * 1000, 3), "median_ms": round(statistics.median(times) * 1000, 4),
            "mean_ms": round(statistics.fmean(times) * 1000, 4), "calls": calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500, help="calls of each step after the first")
    parser.add_argument("--profile", default="", help="print cProfile's top functions of this step")
    parser.add_argument("--json", default="", help="write the results here as JSON")
    args = parser.parse_args()
    steps = scenarios()
    if args.profile:
        call = steps[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        for n in range(args.calls):
            call(n)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
        return
    results = {name: measure(call, args.calls) for name, call in steps.items()}
    print(f"{'step':<18} {'first ms':>10} {'median ms':>10} {'mean ms':>10}")
    for name, row in results.items():
        print(f"{name:<18} {row['first_ms']:>10.3f} {row['median_ms']:>10.4f} {row['mean_ms']:>10.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

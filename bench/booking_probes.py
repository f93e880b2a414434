"""Probes (booking.py --probes): timings from inside `okienko serve`, for finding out why a figure
is what it is. The server imports this module through a sitecustomize.py (PROBE_HOOK) on its
PYTHONPATH; `install_probes` wraps a few of Okienko's internals with timers and counters, and each
server process writes them when it is stopped. `read_probes` collects them afterwards.

A library for bench/booking.py, not a benchmark: it imports nothing else from bench/, so that the
server loads as little of the harness as possible.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

PROBE_HOOK = "import booking_probes\nbooking_probes.install_probes()\n"   # the sitecustomize.py the server runs


def install_probes() -> None:
    """Wrap a few of Okienko's internals with timers (in `okienko serve` only, through sitecustomize).

    Investigation only: it replaces functions by name, so it follows the code as it is today and
    is not part of any figure without --probes. Every server process writes
    $BENCH_PROBE_DIR/<pid>.json when it is stopped (SIGTERM).
    """
    folder = os.environ.get("BENCH_PROBE_DIR")
    if not folder:
        return
    import signal

    from sqlalchemy import event

    from okienko.booking import bookings as domain
    from okienko.storage import db
    from okienko.hall import estimates
    from okienko.booking import online as online_booking
    from okienko.notify import outbox
    from okienko.hall import queueing
    from booking_api import bookings as booking_api
    from booking_api import tickets as ticket_api

    timings: dict[str, list[float]] = collections.defaultdict(list)
    counts: collections.Counter[str] = collections.Counter()

    def dump(*_: Any) -> None:
        out: dict[str, Any] = {"counts": dict(counts), "timings": {}}
        for name, values in sorted(timings.items()):
            values.sort()
            out["timings"][name] = {"n": len(values), "total_s": round(sum(values), 3),
                                    **{k: round(v * 1000, 2) for k, v in (
                                        ("p50_ms", values[len(values) // 2]),
                                        ("p99_ms", values[min(len(values) - 1, int(len(values) * 0.99))]),
                                        ("max_ms", values[-1]))}}
        out["part"] = os.environ.get("OKIENKO_SERVE_PART", "all")   # `serve --part` sets it
        Path(folder, f"{os.getpid()}.json").write_text(json.dumps(out, indent=1))
        sys.exit(0)

    # uvicorn re-raises SIGTERM after its graceful shutdown with the handler it found: this one.
    signal.signal(signal.SIGTERM, dump)

    def timed(name: str, function: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                timings[name].append(time.perf_counter() - started)
        return wrapper

    database_init = db.Database.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        database_init(self, *args, **kwargs)
        event.listen(self.engine.sync_engine, "connect", lambda *_: counts.update(["new database connections"]))
        event.listen(self.engine.sync_engine, "checkout", lambda *_: counts.update(["pool checkouts"]))
    db.Database.__init__ = init
    database_transaction = db.Database.transaction

    @contextlib.asynccontextmanager
    async def transaction(self: Any, **options: Any) -> Any:   # db.Database.transaction, with timers
        kind = "write" if options.get("okienko_write") else "read"
        started = time.perf_counter()
        async with database_transaction(self, **options) as conn:
            timings[f"{kind}: waiting for a pool connection (+ BEGIN)"].append(time.perf_counter() - started)
            yield conn
            committing = time.perf_counter()
        if kind == "write":
            timings["write: COMMIT"].append(time.perf_counter() - committing)
    db.Database.transaction = transaction

    domain.take_numbers = timed("slot lock: counter UPSERT (waiting for the row lock included)", domain.take_numbers)
    online_booking.OnlineBooking._taken = timed("slot listing recomputed: counting query",
                                                online_booking.OnlineBooking._taken)
    online_booking.OnlineBooking.hold = timed("OnlineBooking.hold", online_booking.OnlineBooking.hold)
    deliver = outbox.OutboxSender.deliver_due

    async def deliver_due(self: Any, limit: int = 50) -> int:
        started = time.perf_counter()
        sent = await deliver(self, limit)
        counts["outbox messages sent"] += sent
        timings["outbox: one deliver_due round"].append(time.perf_counter() - started)
        return sent
    outbox.OutboxSender.deliver_due = deliver_due
    # The kiosk's ticket, in parts: the device token, the batch (its wait for the issuer
    # included), the statements inside its transaction, and the answer (print decision included).
    ticket_api.require_kiosk = timed("ticket: require_kiosk", ticket_api.require_kiosk)
    queueing.TicketIssuer.issue = timed("ticket: TicketIssuer.issue", queueing.TicketIssuer.issue)
    queueing.TicketIssuer._run_office = timed("ticket: one batch (TicketIssuer._run_office)",
                                             queueing.TicketIssuer._run_office)
    queueing.issue_batch = timed("ticket: issue_batch (inside the transaction)", queueing.issue_batch)
    estimates.Estimator.service_minutes = timed("ticket: Estimator.service_minutes",
                                                estimates.Estimator.service_minutes)
    estimates.Estimator.staffed_windows = timed("ticket: Estimator.staffed_windows",
                                                estimates.Estimator.staffed_windows)
    ticket_api._issued_answer = timed("ticket: the answer, printing included", ticket_api._issued_answer)
    for module, name, label in ((booking_api, "list_slots", "GET /api/v1/slots"),
                                (booking_api, "create_booking", "POST /api/v1/bookings"),
                                (booking_api, "confirm_booking", "POST /api/v1/bookings/{id}/confirm"),
                                (ticket_api, "create_ticket", "POST /api/v1/tickets")):
        setattr(module, name, timed(f"handler {label}", getattr(module, name)))
    sweeper = online_booking.OnlineBooking.run_sweeper

    async def run_sweeper(self: Any, every_seconds: float = 30.0) -> None:
        async def lag() -> None:     # started with the app's own background tasks
            while True:
                started = time.perf_counter()
                await asyncio.sleep(0.005)
                timings["event loop: a 5 ms sleep's overshoot"].append(time.perf_counter() - started - 0.005)
        task = asyncio.create_task(lag())
        try:
            await sweeper(self, every_seconds)
        finally:
            task.cancel()
    online_booking.OnlineBooking.run_sweeper = run_sweeper


def read_probes(folder: Path) -> dict[str, Any]:
    """The probes' files of every server process, by pid."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}

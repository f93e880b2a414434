"""Readiness: may this process take traffic? Its database answers, its live-event broker answers,
and the outbox is not stuck (a notification due for longer than `ready_outbox_stuck_seconds`).

The answer names each check and what failed, never an address, a password or anyone's data: the
probe is read by load balancers and shown in dashboards.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from okienko.clock import Clock
from okienko.notify.outbox import backlog
from okienko.storage.db import Database

DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)   # check -> "ok" or what is wrong
    outbox_oldest_due_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return all(state == "ok" for state in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, state in self.checks.items() if state != "ok"]


async def readiness(db: Database, clock: Clock, broker_answers: Callable[[], Awaitable[bool]],
                    stuck_after_seconds: float) -> Readiness:
    """Check the database (and the outbox in it) and the broker; never raises."""
    checks: dict[str, str] = {}
    oldest: float | None = None
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), db.read() as conn:
            waiting = await backlog(conn, clock.now())
    except Exception:   # any database failure is "unreachable" here; db.py logs the outage itself
        checks["database"], checks["outbox"] = "unreachable", "unknown"
    else:
        oldest = round(waiting.oldest_due_seconds, 1)
        checks["database"] = "ok"
        checks["outbox"] = "stuck" if waiting.oldest_due_seconds > stuck_after_seconds else "ok"
    checks["broker"] = "ok" if await broker_answers() else "unreachable"
    return Readiness(checks, oldest)

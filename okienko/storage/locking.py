"""The one place for concurrency.

Every counter and every "take the next one" runs inside `write_transaction`, takes its
counters through `take_numbers` in a fixed (sorted) order, and turns a lock wait that runs
too long into `Unavailable` (503 busy). UNIQUE constraints on the rows written behind the
counters make any bug an error rather than a duplicate.

- SQLite has one writer at a time anyway: writers of this process queue on an asyncio lock
  (no busy-wait back-off under load) and then take the file lock with BEGIN IMMEDIATE, which
  other processes respect.
- PostgreSQL: each counter row is locked by the UPSERT that increments it and held until
  commit, so several server processes serialise on the row, not on the table.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import traceback
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.db import LOCK_TIMEOUT, Database
from okienko.errors import Unavailable
from okienko.storage.models import Counter

LOCK_TIMEOUT_SECONDS = 10.0
# A writer holding SQLite's one write lock this long makes the others queue: logged with who held it,
# so that a `busy` answer (a wait past LOCK_TIMEOUT_SECONDS) can be traced to its cause.
SLOW_HOLD_SECONDS = 2.0
log = logging.getLogger("okienko.locking")


class Locks:
    """Per-process lock state for one database."""

    def __init__(self, db: Database, timeout: float = LOCK_TIMEOUT_SECONDS,
                 slow_hold: float = SLOW_HOLD_SECONDS) -> None:
        self.db = db
        self.timeout = timeout
        self.slow_hold = slow_hold
        self._sqlite_writer = asyncio.Lock()

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; commits on success, rolls back on error. A lock wait past its
        timeout, like a database that cannot answer, raises `Unavailable` (503 busy)."""
        if self.db.is_sqlite:
            asked = time.monotonic()
            try:
                await asyncio.wait_for(self._sqlite_writer.acquire(), self.timeout)
            except TimeoutError:
                log.warning("a writer waited %.1f s for the SQLite write lock: answered busy", time.monotonic() - asked)
                raise Unavailable(LOCK_TIMEOUT) from None
            taken = time.monotonic()
            try:
                async with self.db.transaction(okienko_write=True) as conn:
                    yield conn
            finally:
                held = time.monotonic() - taken
                self._sqlite_writer.release()
                if held >= self.slow_hold:
                    log.warning("the SQLite write lock was held %.1f s (after a wait of %.1f s) by %s", held,
                                taken - asked, _holder())
        else:
            async with self.db.transaction(okienko_write=True) as conn:  # lock_timeout: see db.py
                yield conn


def _holder() -> str:
    """The functions (no arguments, no values) that held the write lock, innermost first: the stack
    of the `async with` that is leaving, seen from inside this generator's exit."""
    frames = [frame for frame in traceback.extract_stack()[:-3]
              if "contextlib" not in frame.filename and "asyncio" not in frame.filename]
    return " < ".join(f"{frame.name}:{frame.lineno}" for frame in reversed(frames[-6:]))


def upsert_insert(conn: AsyncConnection) -> Callable[..., Any]:
    """The database's own INSERT, with ON CONFLICT DO NOTHING / DO UPDATE (SQLite and PostgreSQL
    share the form). Only that database's dialect module is imported: a SQLite server never loads
    PostgreSQL's (about 0.1 s of start-up)."""
    return importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}").insert


async def take_numbers(
    conn: AsyncConnection, amounts: Mapping[str, int], ceilings: Mapping[str, int | None] | None = None
) -> dict[str, list[int]]:
    """Advance named counters; returns the numbers granted to each, in order.

    Guarantees: two transactions never receive the same number of the same counter; numbers
    past a counter's ceiling are never granted (fewer, possibly none, are returned instead).
    Counters are taken in sorted order so that two batches cannot deadlock.
    """
    ceilings = ceilings or {}
    granted: dict[str, list[int]] = {}
    insert = upsert_insert(conn)
    table = Counter.__table__
    for name in sorted(amounts):
        amount = amounts[name]
        if amount <= 0:
            granted[name] = []
            continue
        statement = (
            insert(table)
            .values(name=name, value=amount)
            .on_conflict_do_update(index_elements=[table.c.name], set_={"value": table.c.value + amount})
            .returning(table.c.value)
        )
        last = (await conn.execute(statement)).scalar_one()
        first = last - amount + 1
        ceiling = ceilings.get(name)
        if ceiling is not None and last > ceiling:
            await conn.execute(sa.update(table).where(table.c.name == name).values(value=max(ceiling, first - 1)))
            last = ceiling
        granted[name] = list(range(first, last + 1))
    return granted


async def return_numbers(conn: AsyncConnection, name: str, count: int) -> None:
    """Give back the last `count` numbers of a counter, taken by `take_numbers` in this same
    transaction and not used (e.g. no ticket number was free for them).

    Safe only there: the transaction still holds the counter's row (PostgreSQL) or the write lock
    (SQLite), so nobody took a number after them. Counts never get holes this way.
    """
    if count <= 0:
        return
    table = Counter.__table__
    await conn.execute(sa.update(table).where(table.c.name == name).values(value=table.c.value - count))


async def read_counter(conn: AsyncConnection, name: str) -> int:
    table = Counter.__table__
    value = (await conn.execute(sa.select(table.c.value).where(table.c.name == name))).scalar()
    return int(value or 0)


class KeyedGate:
    """A per-process queue per key (e.g. one slot) in front of the database lock.

    Requests for the same key wait here, holding no database connection, so a crowd racing
    for one slot cannot use up the connection pool that kiosks and clerks need; the database
    lock behind it still decides between server processes. Each key carries a small state
    dict while anyone waits on it (e.g. "found full at"), so a queue can be answered at once.
    """

    def __init__(self) -> None:
        self._keys: dict[Any, tuple[asyncio.Lock, list[int], dict[str, Any]]] = {}

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[dict[str, Any]]:
        lock, users, state = self._keys.setdefault(key, (asyncio.Lock(), [0], {}))
        users[0] += 1
        try:
            async with lock:
                yield state
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._keys.pop(key, None)


class Admission:
    """At most `limit` callers inside at once in this process; the rest wait parked, in arrival
    order, each under a key (e.g. the slot it wants).

    `turn_away(key, error)` answers every caller still waiting under `key` at once with a fresh
    `error()` (what they wait for is gone, e.g. the slot filled up here or in another process), so
    that nobody waits for a turn that could only tell them so.
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: deque[tuple[Any, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def enter(self, key: Any) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((key, turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled() and turn.exception() is None:
                    self._leave()   # given a place just as it was cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        while self._waiting:
            _key, turn = self._waiting.popleft()
            if not turn.done():     # skips the cancelled and the turned away
                turn.set_result(None)
                return
        self._free += 1

    def turn_away(self, key: Any, error: Callable[[], Exception]) -> int:
        """Answer every caller waiting under `key` with `error()`; returns how many there were."""
        kept: deque[tuple[Any, asyncio.Future[None]]] = deque()
        turned = 0
        for waiting_key, turn in self._waiting:
            if turn.done():
                continue
            if waiting_key == key:
                turn.set_exception(error())
                turned += 1
            else:
                kept.append((waiting_key, turn))
        self._waiting = kept
        return turned

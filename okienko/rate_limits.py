"""Rate limits on booking attempts, check-in codes and sign-ins, shared by every server process
through the database.

Each key (a client address, a hashed email or phone, a kiosk, a hashed account name and address)
counts hits in fixed windows; the count is an UPSERT that returns the new total, so several
processes agree without a lock of their own. Guesses are counted before they are checked (a
hundred sent at once cannot all slip under the limit) and given back when they turn out not to
be guesses (a known booking code, the right password).
Limits alone do not stop resellers (they rotate addresses); they slow bots down and protect the
office's mail and SMS budget. The binding to the person is what makes a booking worthless to
resell.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.storage.locking import upsert_insert
from okienko.storage.models import RateLimitHit

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def window_start(now: datetime, window: timedelta) -> datetime:
    elapsed = (now - EPOCH) // window
    return EPOCH + elapsed * window


async def hit(conn: AsyncConnection, key: str, limit: int, window: timedelta, now: datetime, *,
              refusal: str = "rate_limited") -> int:
    """Count one attempt for `key`; the error `refusal` (with `retry_after` seconds and `minutes`)
    once past `limit`. Returns the attempt's count in its window.

    A limit of 0 switches the check off (and counts nothing).
    """
    return (await hit_all(conn, [(key, limit, window)], now, refusal=refusal)).get(key, 0)


async def hit_all(conn: AsyncConnection, limits: list[tuple[str, int, timedelta]], now: datetime, *,
                  refusal: str = "rate_limited") -> dict[str, int]:
    """Count one attempt for each (key, limit, window) in one statement (a booking attempt counts
    for its address and its contacts at once, in one round trip); `refusal` with the longest
    wait once any is past its limit. Every key is counted, even when another one refuses.
    Returns each counted key's count in its window."""
    counted = {key: (limit, window, window_start(now, window)) for key, limit, window in limits if limit > 0}
    if not counted:
        return {}
    table = RateLimitHit.__table__
    insert = upsert_insert(conn)
    # Keys in a fixed order: two processes counting the same keys lock their rows in the same order.
    statement = (insert(table).values([{"key": key, "window_start": counted[key][2], "hits": 1}
                                       for key in sorted(counted)])
                 .on_conflict_do_update(index_elements=[table.c.key, table.c.window_start],
                                        set_={"hits": table.c.hits + 1})
                 .returning(table.c.key, table.c.hits))
    retry, counts = 0, {}
    for key, hits in (await conn.execute(statement)).all():
        limit, window, start = counted[key]
        counts[key] = hits
        if hits > limit:
            retry = max(retry, seconds_left(start, window, now))
    if retry:
        raise refused(refusal, retry)
    return counts


def seconds_left(start: datetime, window: timedelta, now: datetime) -> int:
    """Whole seconds until the window that began at `start` ends (at least 1): the Retry-After."""
    return max(1, int((start + window - now).total_seconds()) + 1)


def refused(code: str, retry_after: int) -> DomainError:
    """The error that answers 429 with `Retry-After: retry_after` and the wait in minutes and seconds."""
    return DomainError(code, retry_after=retry_after, minutes=max(1, (retry_after + 59) // 60), seconds=retry_after)


async def give_back(conn: AsyncConnection, key: str, window: timedelta, counted_at: datetime) -> None:
    """Uncount one attempt counted at `counted_at` that was no guess (e.g. a booking code that
    exists): whoever made it may try as often as before. One conditional UPDATE, atomic."""
    table = RateLimitHit.__table__
    await conn.execute(sa.update(table).where(table.c.key == key,
                                              table.c.window_start == window_start(counted_at, window),
                                              table.c.hits > 0).values(hits=table.c.hits - 1))


async def forget_key(conn: AsyncConnection, key: str) -> None:
    """Start `key` afresh (e.g. after a sign-in with the right password)."""
    table = RateLimitHit.__table__
    await conn.execute(sa.delete(table).where(table.c.key == key))


class ListingCounter:
    """Slot listings per client address and minute, counted in this process's memory only: a
    listing is a cached read, so a bot polling one process is slowed there at no cost to the
    database. With several server processes each counts its own share (documented)."""

    def __init__(self) -> None:
        self._minute = -1
        self._counts: dict[str, int] = {}

    def hit(self, client: str, limit: int, now: datetime) -> None:
        """Count one listing for `client`; `rate_limited` (retry at the next minute) past `limit`."""
        if limit <= 0:
            return
        minute = int((now - EPOCH).total_seconds() // 60)
        if minute != self._minute:
            self._minute, self._counts = minute, {}
        count = self._counts.get(client, 0) + 1
        self._counts[client] = count
        if count > limit:
            raise refused("rate_limited", max(1, 60 - int((now - EPOCH).total_seconds()) % 60))


async def forget_old(conn: AsyncConnection, now: datetime, older_than: timedelta = timedelta(days=2)) -> int:
    """Drop counts of windows long gone; returns how many rows went."""
    table = RateLimitHit.__table__
    result = await conn.execute(sa.delete(table).where(table.c.window_start < now - older_than))
    return result.rowcount or 0

"""Rate limits on booking attempts, shared by every server process through the database.

Each key (a client address, a hashed email or phone) counts hits in fixed windows; the count is
an UPSERT that returns the new total, so several processes agree without a lock of their own.
Limits alone do not stop resellers (they rotate addresses); they slow bots down and protect the
office's mail and SMS budget. The binding to the person is what makes a booking worthless to
resell.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from booking_api.errors import DomainError
from booking_api.models import RateLimitHit

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def window_start(now: datetime, window: timedelta) -> datetime:
    elapsed = (now - EPOCH) // window
    return EPOCH + elapsed * window


async def hit(conn: AsyncConnection, key: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one attempt for `key`; `rate_limited` (with `retry_after` seconds) once past `limit`.

    A limit of 0 switches the check off.
    """
    if limit <= 0:
        return
    start = window_start(now, window)
    table = RateLimitHit.__table__
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (insert(table).values(key=key, window_start=start, hits=1)
                 .on_conflict_do_update(index_elements=[table.c.key, table.c.window_start],
                                        set_={"hits": table.c.hits + 1})
                 .returning(table.c.hits))
    hits = (await conn.execute(statement)).scalar_one()
    if hits > limit:
        retry = max(1, int((start + window - now).total_seconds()) + 1)
        raise DomainError("rate_limited", retry_after=retry, minutes=max(1, (retry + 59) // 60))


async def forget_old(conn: AsyncConnection, now: datetime, older_than: timedelta = timedelta(days=2)) -> int:
    """Drop counts of windows long gone; returns how many rows went."""
    table = RateLimitHit.__table__
    result = await conn.execute(sa.delete(table).where(table.c.window_start < now - older_than))
    return result.rowcount or 0

"""The audit log: every change to the office made in the back office or from the command line,
who made it, when, and the before and after (the one place that writes `audit_log`).

Entries are written in the same transaction as the change, so a change and its record commit
together or not at all. Nothing here holds personal data of visitors: a booking is named by its
code, a person never by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.models import AuditEntry

CLI_ACTOR = "cli"
PAGE_SIZE = 200


@dataclass(frozen=True)
class Change:
    """One recorded change; `action` is `<what>.<verb>` (service.update, day.close, user.disable…)."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any


async def record_change(conn: AsyncConnection, *, office_id: int | None, actor: str, action: str, target: str,
                        before: Any, after: Any, now: datetime) -> None:
    """Write one entry; call it inside the transaction that makes the change."""
    await conn.execute(sa.insert(AuditEntry.__table__).values(
        office_id=office_id, at=now, actor=actor, action=action, target=target, before=before, after=after))


async def read_changes(conn: AsyncConnection, office_id: int | None, *, since: datetime | None = None,
                       until: datetime | None = None, action: str | None = None, older_than: int | None = None,
                       limit: int = PAGE_SIZE, actor: str | None = None) -> list[Change]:
    """The office's changes, newest first; `older_than` (an entry id) pages on; `action` matches a
    prefix (`service` finds service.update and service.add); `actor`: only that user's (e.g. what
    one call-centre operator did)."""
    table = AuditEntry.__table__
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    if office_id is not None:
        query = query.where(sa.or_(table.c.office_id == office_id, table.c.office_id.is_(None)))
    if since is not None:
        query = query.where(table.c.at >= since)
    if until is not None:
        query = query.where(table.c.at < until)
    if action:
        query = query.where(sa.or_(table.c.action == action, table.c.action.startswith(f"{action}.")))
    if actor:
        query = query.where(table.c.actor == actor)
    if older_than is not None:
        query = query.where(table.c.id < older_than)
    rows = (await conn.execute(query)).mappings().all()
    return [Change(row["id"], row["at"], row["actor"], row["action"], row["target"], row["before"], row["after"])
            for row in rows]

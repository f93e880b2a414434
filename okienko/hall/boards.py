"""What a call board shows, read in one consistent snapshot: the board's first message.

Numbers only, never anything personal: the last calls (number → window), who is at each
window, people waiting per service, the ticker line, and the sequence number the snapshot was
taken at (events after it follow over the WebSocket).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.events import current_seq, waiting_counts
from okienko.office.hours import local_moment, office_day
from okienko.storage.models import Ticket, TicketEvent
from okienko.office.directory import OfficeSetup

LAST_CALLS = 12
CALL_KINDS = ("called", "recalled")
SET_UP_KINDS = ("ticker", "setup")   # the office's set-up or notices changed (office/editing.py)


async def board_snapshot(conn: AsyncConnection, setup: OfficeSetup, now: datetime) -> dict[str, Any]:
    """The board's state at one sequence number (read inside one repeatable-read transaction)."""
    seq = await current_seq(conn, setup.id)
    day = office_day(setup, now)
    events, tickets = TicketEvent.__table__, Ticket.__table__
    start_of_day = local_moment(setup, day, 0)
    calls = (await conn.execute(
        sa.select(events.c.seq, events.c.kind, events.c.at, events.c.window_id, events.c.service_id, events.c.detail)
        .where(events.c.office_id == setup.id, events.c.kind.in_(CALL_KINDS), events.c.at >= start_of_day,
               events.c.seq <= seq)
        .order_by(events.c.seq.desc()).limit(LAST_CALLS))).mappings().all()
    at_windows = (await conn.execute(
        sa.select(tickets.c.window_id, tickets.c.number, tickets.c.status)
        .where(tickets.c.office_id == setup.id, tickets.c.office_day == day,
               tickets.c.status.in_(("called", "serving")), tickets.c.window_id.is_not(None)))).mappings().all()
    serving = {row["window_id"]: row for row in at_windows}
    waiting = await waiting_counts(conn, setup, [s.id for s in setup.services], day)
    return {
        "type": "snapshot", "seq": seq, "office": {"code": setup.code, "name": setup.name},
        "at": now.astimezone(setup.timezone).isoformat(), "ticker": setup.ticker,
        "tickers": setup.notices.get("ticker", {}),
        "calls": [{"seq": c["seq"], "number": (c["detail"] or {}).get("number"),
                   "window": setup.window_number(c["window_id"]),
                   "service": setup.service_by_id(c["service_id"]).code if c["service_id"] else None,
                   "at": c["at"].astimezone(setup.timezone).isoformat(), "recall": c["kind"] == "recalled"}
                  for c in calls],
        "windows": [{"window": w.number, "number": serving[w.id]["number"] if w.id in serving else None,
                     "status": serving[w.id]["status"] if w.id in serving else None} for w in setup.windows],
        "services": [{"code": s.code, "prefix": s.prefix, "names": s.names, "waiting": waiting.get(s.code, 0)}
                     for s in setup.offered(day) if s.walk_in],
    }


def board_message(event: dict[str, Any], timezone: Any) -> dict[str, Any]:
    """An event as a board receives it: no ticket id, nothing personal."""
    return {
        "type": "event", "seq": event["seq"], "kind": event["kind"], "number": event.get("number"),
        "window": event.get("window"), "service": event.get("service"), "waiting": event.get("waiting", {}),
        "at": datetime.fromisoformat(event["at"]).astimezone(timezone).isoformat(),
        **({"text": event["detail"].get("text", ""), "tickers": event["detail"].get("tickers", {})}
           if event["kind"] in SET_UP_KINDS else {}),
    }

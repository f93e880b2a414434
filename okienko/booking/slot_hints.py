"""Which slots are full, known at once by every server process: a hint that saves work, never a rule.

In a booking rush most attempts are for slots that have just filled up. The process that finds a
slot full (or takes its last place) remembers it for `seconds` and tells the other processes
through the live broker (memory, Redis or PostgreSQL NOTIFY), so that they too refuse that slot
from memory at once instead of each finding out with its own count. When places of a service may
have come free (a cancellation, a move, expired holds), every process forgets that service's full
slots at once.

A hint never books or refuses for good: a slot is remembered full for at most `seconds` (as stale
as a cached listing may be), and the count under the slot's lock (`bookings.take_place`) decides
every hold. Hints from different processes are not ordered against each other; a "full" that
overtakes a later "freed" costs at most `seconds` of refusals. A hint that cannot be sent (the
broker is away) is dropped: the other processes then find out by counting, as they would alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from datetime import datetime
from typing import Any, Awaitable, Callable

from okienko.logs import loggable

log = logging.getLogger("okienko.booking")
MAX_REMEMBERED = 4096   # full slots remembered per process (a rush has a few dozen)
MAX_UNSENT = 256        # hints waiting for the broker; older ones are dropped past this

SlotKey = tuple[int, datetime]  # (service id, slot start: aware, so any UTC offset of it is the same key)
Send = Callable[[str], Awaitable[None]]


class SlotHints:
    """This process's memory of full slots, shared with the others through `send`/`receive`.

    `on_full(key)` and `on_freed(service_id)` are called when this process learns something new,
    from itself or from another process (OnlineBooking shows the slot full in its cached listings,
    or recounts them).
    """

    def __init__(self, seconds: float, send: Send | None = None) -> None:
        self.seconds = seconds
        self.send = send
        self.on_full: Callable[[SlotKey], None] = lambda key: None
        self.on_freed: Callable[[int], None] = lambda service_id: None
        self._full: dict[SlotKey, float] = {}   # key -> time.monotonic() when it was last found full
        self._origin = secrets.token_hex(8)     # this process; its own hints come back and are skipped
        self._unsent: deque[str] = deque(maxlen=MAX_UNSENT)
        self._sender: asyncio.Task[None] | None = None

    def is_full(self, key: SlotKey) -> bool:
        """The slot was found full (here or in another process) less than `seconds` ago."""
        return time.monotonic() - self._full.get(key, -1e9) < self.seconds

    def full(self, key: SlotKey) -> None:
        """This process found the slot full: remember it and, unless it already knew, tell the others."""
        if self._remember(key):
            self._tell({"kind": "slot_full", "service_id": key[0], "starts_at": key[1].isoformat()})

    def freed(self, service_id: int) -> None:
        """Places of the service may have come free here: every process forgets its full slots."""
        self._forget(service_id)
        self._tell({"kind": "slot_freed", "service_id": service_id})

    def receive(self, message: str) -> None:
        """A hint from the broker (this process's own included, and skipped)."""
        try:
            hint = json.loads(message)
            if hint.get("origin") == self._origin or hint.get("kind") not in ("slot_full", "slot_freed"):
                return  # its own, or another kind of hint on the channel (okienko.office.directory)
            service_id = int(hint["service_id"])
            if hint["kind"] == "slot_full":
                self._remember((service_id, datetime.fromisoformat(hint["starts_at"])))
            elif hint["kind"] == "slot_freed":
                self._forget(service_id)
        except (ValueError, KeyError, TypeError, AttributeError) as error:  # another version's: ignore it
            log.warning("slot hint not understood (%s)", loggable(error))

    async def close(self) -> None:
        """Stop sending (hints not yet sent are dropped: they are only hints)."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None

    def _remember(self, key: SlotKey) -> bool:
        """Mark the slot full now; True when that is news here (not known full, or known too long ago)."""
        news = not self.is_full(key)
        if len(self._full) >= MAX_REMEMBERED and key not in self._full:
            self._full.clear()
        self._full[key] = time.monotonic()
        if news:
            self.on_full(key)
        return news

    def _forget(self, service_id: int) -> None:
        for key in [k for k in self._full if k[0] == service_id]:
            self._full.pop(key, None)
        self.on_freed(service_id)

    def _tell(self, hint: dict[str, Any]) -> None:
        """Queue a hint for the other processes; a request never waits for the broker."""
        if self.send is None:
            return
        self._unsent.append(json.dumps({**hint, "origin": self._origin}))
        if self._sender is None or self._sender.done():
            with contextlib.suppress(RuntimeError):  # no event loop (a CLI command): nobody to tell
                self._sender = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        # One sender at a time: a broker connection carries one command at once (asyncpg refuses two).
        assert self.send is not None
        while self._unsent:
            message = self._unsent.popleft()
            try:
                await self.send(message)
            except Exception as error:  # the broker is away: the others will count for themselves
                log.warning("slot hint not sent (%s)", loggable(error))

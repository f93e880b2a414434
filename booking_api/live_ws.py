"""Boards and phones, live: WebSockets that start with a snapshot and then follow the events.

Message types are listed in docs/live.md (a test checks the list against this module's
MESSAGE_TYPES).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from booking_api import bodies
from booking_api.http import identify, language_of, okienko, read_json, require_kiosk, ticket_view
from booking_api.sessions import SESSION_COOKIE, board_office, require_manager
from okienko.hall.boards import CALL_KINDS, SET_UP_KINDS, board_message
from okienko.container import Okienko
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.office.directory import OfficeSetup
from okienko.live import Subscriber
from okienko.staff.auth import DeviceIdentity
from okienko.staff.devices import BEAT_EVERY

MESSAGE_TYPES = {
    "board": ("snapshot", "event"),
    "ticket": ("ticket",),
    "kiosk": ("setup",),
}
EVENT_KINDS = ("issued", "called", "recalled", "started", "finished", "no_show", "transferred", "cancelled",
               "returned", "ticker", "setup", "window_taken", "window_left")
TOO_SLOW = 4408      # close code: the client did not keep up; reconnect for a fresh snapshot
NOT_ALLOWED = 4403
TICKET_REFRESH_SECONDS = 1.0
# A phone hears its own ticket's news (called, recalled, transferred) at once, but a move elsewhere in
# its queue (someone issued or called ahead of it) at most once per this many seconds: each view is a
# fresh read of the queue, and at a busy hall's peak every phone's queue moves several times a second
# (docs/benchmarks.md, "A whole day": the phones were the limit).
QUEUE_MOVE_GAP_SECONDS = 2.0
CLOSE_WAIT_SECONDS = 1.0


async def get_board(request: Request) -> Response:
    """GET /api/v1/board: the snapshot the board's WebSocket sends first."""
    language_of(request)
    setup = await board_office(request)
    return JSONResponse(await okienko(request).hall.board(setup))


async def set_ticker(request: Request) -> Response:
    """PUT /api/v1/board/ticker {"text": "..."} (manager): the hall board's running line, kept for its
    callers: it becomes the ticker in the office's default language (PUT /api/v1/admin/notices sets
    each language's)."""
    app = okienko(request)
    language_of(request)
    clerk, setup = await require_manager(request)
    body = await read_json(request, bodies.TICKER)
    text = body.get("text")
    if not isinstance(text, str) or len(text) > 500:
        raise DomainError("malformed_request", detail=_("the field “text” must be text of at most 500 characters"))
    await app.editor.set_ticker(setup, clerk.username, text)
    return JSONResponse({"text": text})


async def board_device(websocket: WebSocket) -> int | None:
    """The board device watching (None for staff: a board page opened in a clerk's browser)."""
    if websocket.cookies.get(SESSION_COOKIE) and not websocket.headers.get("authorization"):
        return None
    try:
        identity = await identify(websocket)
    except DomainError:
        return None
    return identity.id if isinstance(identity, DeviceIdentity) else None


async def _while_signed_in(websocket: WebSocket) -> None:
    """A device's socket (board or kiosk): identify it again every BEAT_EVERY, which notes its heartbeat
    while the socket stays open (the server's pings close a dead one), and at once whenever credentials
    change; once its token is revoked the socket closes (NOT_ALLOWED) and the device shows its sign-in
    page within a second of the revoke."""
    while True:
        try:
            await identify(websocket)
        except DomainError:
            with contextlib.suppress(Exception):
                await websocket.close(code=NOT_ALLOWED)
            return
        await okienko(websocket).auth.next_change(BEAT_EVERY.total_seconds())


def board_view(app: Okienko, setup: OfficeSetup) -> Callable[[dict[str, Any]], str | None]:
    """One shared function per office, so the hub encodes each event once for all its boards."""
    timezone = setup.timezone

    def encode(event: dict[str, Any]) -> str | None:
        if not event.get("for_boards", True):
            return None
        if event["kind"] in CALL_KINDS:
            # Encoded once per office, as the hub hands the call to this process's boards: the call-to-board
            # latency, from the call's commit (its `at`, from the same injected clock) to now.
            app.metrics.call_reached_boards(setup.code, (app.clock.now() - datetime.fromisoformat(event["at"]))
                                            .total_seconds())
        return json.dumps(board_message(event, timezone), ensure_ascii=False)

    return app.live.views.setdefault(("board", setup.id), encode)


async def board_socket(websocket: WebSocket) -> None:
    """/ws/board: a snapshot, then every event in sequence order."""
    app = okienko(websocket)
    try:
        setup = await board_office(websocket)
    except DomainError:
        await websocket.close(code=NOT_ALLOWED)
        return
    await websocket.accept()
    subscriber = app.live.subscribe(setup.id, board_view(app, setup), websocket.send_text)
    device_id = await board_device(websocket)
    try:
        with app.metrics.websocket_client("board"):
            snapshot = await app.hall.board(setup)
            await websocket.send_text(json.dumps(snapshot, ensure_ascii=False))
            app.live.snapshot_taken(subscriber, snapshot["seq"])
            await _follow(websocket, subscriber, *([_while_signed_in(websocket)] if device_id else []))
    finally:
        app.live.unsubscribe(subscriber)


async def _follow(websocket: WebSocket, subscriber: Subscriber, *also: Awaitable[Any]) -> None:
    """Keep the connection until the client leaves or falls too far behind."""
    async def listen() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return

    tasks = [asyncio.ensure_future(listen()), asyncio.ensure_future(subscriber.dropped.wait()),
             *(asyncio.ensure_future(work) for work in also)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    if subscriber.dropped.is_set():
        # A connection that stopped reading may never take the close frame: do not wait on it.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=TOO_SLOW), CLOSE_WAIT_SECONDS)


async def ticket_socket(websocket: WebSocket) -> None:
    """/ws/ticket/{id}: the visitor's phone; the ticket now, and again whenever its queue moves."""
    app = okienko(websocket)
    try:
        setup, ticket = await app.hall.ticket(websocket.path_params["ticket_id"])
    except DomainError:
        await websocket.close(code=NOT_ALLOWED)
        return
    language = language_of(websocket, websocket.query_params.get("lang") or ticket["language"])
    await websocket.accept()
    # Any move in a service sharing a window with the ticket's can change who is ahead of it.
    watched = {"services": app.hall.called_with(setup, ticket["service_id"])}
    pace = PhonePace()

    def concerns(event: dict[str, Any]) -> str | None:
        if event.get("ticket_id") == ticket["id"]:
            return "own"
        if event.get("service") in watched["services"]:
            return "moved"
        return None

    async def note(message: str) -> None:
        pace.note(own=message == "own")

    async def send_views() -> None:
        """One fresh view per burst of news: read the ticket again, send it, wait a moment."""
        while True:
            await pace.due()
            _setup, current = await app.hall.ticket(ticket["id"])
            view = await ticket_view(websocket, setup, current, language)
            watched["services"] = app.hall.called_with(setup, current["service_id"])
            await websocket.send_text(json.dumps({"type": "ticket", "ticket": view}, ensure_ascii=False))
            await asyncio.sleep(TICKET_REFRESH_SECONDS / 4)

    subscriber = app.live.subscribe(setup.id, concerns, note)
    try:
        with app.metrics.websocket_client("ticket"):
            app.live.snapshot_taken(subscriber, await app.hall.current_seq(setup.id))
            pace.note(own=True)  # the first message: the ticket as it is now
            await _follow(websocket, subscriber, send_views())
    finally:
        app.live.unsubscribe(subscriber)


class PhonePace:
    """When a phone's next view is due: at once for news of its own ticket, and for a move elsewhere
    in its queue no sooner than QUEUE_MOVE_GAP_SECONDS after the last view a move caused."""

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._own = False
        self._last_move = float("-inf")

    def note(self, own: bool) -> None:
        self._own = self._own or own
        self._wake.set()

    async def due(self) -> None:
        """Wait until a view is due; the news it answers is then taken."""
        loop = asyncio.get_running_loop()
        await self._wake.wait()
        deadline = self._last_move + QUEUE_MOVE_GAP_SECONDS
        while not self._own and loop.time() < deadline:
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), deadline - loop.time())
        if not self._own:
            self._last_move = loop.time()
        self._own = False
        self._wake.clear()


def kiosk_message(notices: dict[str, Any]) -> str:
    """What a kiosk hears: the office's set-up changed (read the services again), and its message lines."""
    return json.dumps({"type": "setup", "kiosk": notices.get("kiosk", {})}, ensure_ascii=False)


def _kiosk_view(event: dict[str, Any]) -> str | None:
    if event["kind"] not in SET_UP_KINDS:
        return None
    return kiosk_message({"kiosk": event["detail"].get("kiosk", {})})


async def kiosk_socket(websocket: WebSocket) -> None:
    """/ws/kiosk: the kiosk's message lines now, then a `setup` message whenever the back office changes
    the office's services, hours or notices, so the kiosk reads them again at once; closed (NOT_ALLOWED)
    as soon as the kiosk's token is revoked."""
    app = okienko(websocket)
    try:
        kiosk = await require_kiosk(websocket)
        setup = await app.offices.by_id(kiosk.office_id)
    except DomainError:
        await websocket.close(code=NOT_ALLOWED)
        return
    await websocket.accept()
    subscriber = app.live.subscribe(setup.id, _kiosk_view, websocket.send_text)
    try:
        with app.metrics.websocket_client("kiosk"):
            seq = await app.hall.current_seq(setup.id)   # then the notices: a change after `seq` follows as an event
            await websocket.send_text(kiosk_message(await app.editor.notices(setup)))
            app.live.snapshot_taken(subscriber, seq)
            await _follow(websocket, subscriber, _while_signed_in(websocket))
    finally:
        app.live.unsubscribe(subscriber)

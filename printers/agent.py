"""The print agent: prints tickets on a printer attached to the kiosk computer.

The server may run elsewhere; the agent keeps a WebSocket open to
``{server}/ws/print-agent`` (header ``Authorization: Bearer <kiosk device token>``)
and speaks JSON text frames:

* server -> agent: ``{"type": "job", "id": ..., "payload": "<base64 ESC/POS>"}``,
  ``{"type": "ping"}`` (needs no answer; the WebSocket's own pings keep the line alive);
* agent -> server: ``{"type": "hello", "agent_version": ..., "printed_ids": [...]}``
  first, then ``{"type": "ack", "id": ..., "ok": true}`` or
  ``{"type": "ack", "id": ..., "ok": false, "error": "<PrintError code>"}`` per job,
  and ``{"type": "status", "status": "<PrinterStatus value>"}`` on connecting,
  after each job and every ``status_interval`` seconds.

Guarantees:

* a job id is printed at most once: the id is written and fsynced to the journal
  after the printer took the bytes and before the ack, and a job whose id is in the
  journal is only acked, never printed again; only a crash between the printer
  taking the bytes and the fsync could repeat a ticket;
* jobs print one at a time, in the order they arrive;
* the agent reconnects by itself (after 0.5 s, doubling up to 10 s; back to 0.5 s
  after a connection that stayed up 10 s) and returns when ``stop`` is set or its
  task is cancelled.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import threading
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.uri import parse_uri

from printers.connections import PrintError, PrinterConfig, PrinterStatus, query_status, send

logger = logging.getLogger(__name__)

DEFAULT_JOURNAL_PATH = Path("var/print-agent-journal.jsonl")
PRINTED_IDS_IN_HELLO = 50
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 10.0
OPEN_TIMEOUT_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 2.0


class AgentJournal:
    """Ids of jobs this kiosk printed, in a JSON-lines file, so a re-sent job is not printed twice.

    Keeps the last ``remember`` ids; ``load`` rewrites the file to that many when it
    has grown to twice as long, and skips a line torn by a crash mid-write.
    Safe to use from several threads.
    """

    def __init__(self, path: Path, *, remember: int = 1000):
        self.path = Path(path)
        self.remember = remember
        self._printed: dict[str, None] = {}  # insertion-ordered: oldest first
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the journal file (a missing file is an empty journal)."""
        with self._lock:
            job_ids = self._read_ids()
            self._printed = dict.fromkeys(job_ids[-self.remember :])
            if len(job_ids) >= 2 * self.remember:
                self._rewrite(list(self._printed))

    def contains(self, job_id: str) -> bool:
        """True if this job was printed (and so must not be printed again)."""
        with self._lock:
            return job_id in self._printed

    def record(self, job_id: str) -> None:
        """Note a printed job; returns only after the line is fsynced to disk.

        The id is remembered in memory first, so even if the disk write fails this
        process does not print the job again.
        """
        line = json.dumps({"id": job_id, "printed_at": datetime.now(timezone.utc).isoformat()}) + "\n"
        with self._lock:
            self._printed.pop(job_id, None)
            self._printed[job_id] = None
            while len(self._printed) > self.remember:
                del self._printed[next(iter(self._printed))]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as journal_file:
                journal_file.write(line)
                journal_file.flush()
                os.fsync(journal_file.fileno())

    def recent(self, count: int = PRINTED_IDS_IN_HELLO) -> list[str]:
        """The last ``count`` printed ids, oldest first (sent in the hello)."""
        with self._lock:
            return list(self._printed)[-count:]

    def _read_ids(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        job_ids = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                job_ids.append(str(json.loads(line)["id"]))
            except (ValueError, KeyError, TypeError):
                logger.warning("print agent journal %s: line %d unreadable, skipped", self.path, number)
        return job_ids

    def _rewrite(self, job_ids: list[str]) -> None:
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(temporary, "w", encoding="utf-8") as journal_file:
            journal_file.writelines(json.dumps({"id": job_id}) + "\n" for job_id in job_ids)
            journal_file.flush()
            os.fsync(journal_file.fileno())
        os.replace(temporary, self.path)


async def run_agent(
    server_url: str,
    token: str,
    printer: PrinterConfig,
    journal_path: Path = DEFAULT_JOURNAL_PATH,
    *,
    status_interval: float = 30.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Print the server's jobs on ``printer`` until ``stop`` is set or the task is cancelled.

    ``server_url`` is the Okienko server ("https://okienko.example.pl", "ws://10.0.0.2:8000");
    ValueError if it is not an http(s) or ws(s) address.
    """
    url = print_agent_url(server_url)
    stop = stop or asyncio.Event()
    journal = AgentJournal(journal_path)
    await asyncio.to_thread(journal.load)
    agent = _PrintAgent(printer, journal, status_interval)
    delay = FIRST_RETRY_SECONDS
    while not stop.is_set():
        if await agent.serve_one_connection(url, token, stop) >= LONGEST_RETRY_SECONDS:
            delay = FIRST_RETRY_SECONDS  # it was a working connection, not a server refusing us
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)


def print_agent_url(server_url: str) -> str:
    """The agent's WebSocket address for a server address."""
    base = server_url.rstrip("/")
    for web_scheme, socket_scheme in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(web_scheme):
            base = socket_scheme + base[len(web_scheme) :]
    url = f"{base}/ws/print-agent"
    try:
        parse_uri(url)
    except WebSocketException as error:
        raise ValueError(f"print agent: {server_url!r} is not a server address: {error}") from None
    return url


def agent_version() -> str:
    """The installed Okienko version, reported in the hello."""
    try:
        return metadata.version("okienko")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _PrintAgent:
    def __init__(self, printer: PrinterConfig, journal: AgentJournal, status_interval: float):
        self.printer = printer
        self.journal = journal
        self.status_interval = status_interval
        self.printer_lock = threading.Lock()  # one job or status query at a time, even after a task is cancelled
        self.last_status = PrinterStatus.UNKNOWN

    async def serve_one_connection(self, url: str, token: str, stop: asyncio.Event) -> float:
        """Talk to the server until the connection ends; the seconds it was up (0 if never)."""
        loop = asyncio.get_running_loop()
        established_at = None
        try:
            async with connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                user_agent_header=f"okienko-print-agent/{agent_version()}",
                open_timeout=OPEN_TIMEOUT_SECONDS,
                close_timeout=CLOSE_TIMEOUT_SECONDS,
            ) as websocket:
                established_at = loop.time()
                logger.info("print agent connected to %s", url)
                await self._converse(websocket, stop)
        except (OSError, TimeoutError, WebSocketException) as error:
            logger.warning("print agent: connection to %s ended: %s", url, error)
        except Exception:  # a kiosk must keep printing: log the defect and reconnect
            logger.exception("print agent: unexpected failure talking to %s", url)
        return 0.0 if established_at is None else loop.time() - established_at

    async def _converse(self, websocket: ClientConnection, stop: asyncio.Event) -> None:
        hello = {"type": "hello", "agent_version": agent_version(), "printed_ids": self.journal.recent()}
        await websocket.send(json.dumps(hello))
        await self._report_status(websocket)
        tasks = [
            asyncio.create_task(self._receive_jobs(websocket)),
            asyncio.create_task(self._report_status_regularly(websocket)),
            asyncio.create_task(stop.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raises a dropped connection
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _receive_jobs(self, websocket: ClientConnection) -> None:
        async for message in websocket:
            request = _parse(message)
            if request.get("type") == "job":
                await self._print_job(websocket, request)
            elif request and request.get("type") != "ping":
                logger.info("print agent: ignored message of type %r", request.get("type"))

    async def _print_job(self, websocket: ClientConnection, job: dict[str, Any]) -> None:
        job_id = job.get("id")
        if not isinstance(job_id, str) or not job_id:
            logger.warning("print agent: job without an id ignored")
            return
        error_code = await asyncio.to_thread(self._print_once, job_id, job.get("payload"))
        ack: dict[str, Any] = {"type": "ack", "id": job_id, "ok": error_code is None}
        if error_code:
            ack["error"] = error_code
        await websocket.send(json.dumps(ack))
        await self._report_status(websocket)

    def _print_once(self, job_id: str, encoded_payload: Any) -> str | None:
        """Print unless the journal has the id; the PrintError code, or None when done (runs in a thread)."""
        try:
            payload = base64.b64decode(encoded_payload, validate=True)
        except (binascii.Error, TypeError, ValueError):
            logger.error("print agent: job %s has no valid base64 payload", job_id)
            return "printer_error"
        with self.printer_lock:
            if self.journal.contains(job_id):
                logger.info("print agent: job %s was already printed; acknowledging only", job_id)
                return None
            if self.last_status is PrinterStatus.PAPER_OUT:
                self.last_status = query_status(self.printer)
                if self.last_status is PrinterStatus.PAPER_OUT:
                    return "paper_out"
            try:
                send(self.printer, payload)
            except PrintError as error:
                logger.error("print agent: job %s not printed: %s", job_id, error)
                return error.code
            try:
                self.journal.record(job_id)
            except OSError as error:  # printed all the same: say so, but a restart could repeat it
                logger.error("print agent: job %s printed but not journaled: %s", job_id, error)
            return None

    async def _report_status(self, websocket: ClientConnection) -> None:
        status = await asyncio.to_thread(self._status_now)
        await websocket.send(json.dumps({"type": "status", "status": status.value}))

    def _status_now(self) -> PrinterStatus:
        with self.printer_lock:
            self.last_status = query_status(self.printer)
            return self.last_status

    async def _report_status_regularly(self, websocket: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.status_interval)
            await self._report_status(websocket)


def _parse(message: str | bytes) -> dict[str, Any]:
    try:
        request = json.loads(message)
    except ValueError:
        logger.warning("print agent: a message that is not JSON was ignored")
        return {}
    return request if isinstance(request, dict) else {}

"""The print agent against a real WebSocket server on loopback."""

import asyncio
import base64
import json
import socket
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from printers.agent import AgentJournal, print_agent_url, run_agent
from printers.connections import PrinterConfig
from printers.decode import decode
from printers.render import render_ticket
from printers.slip import TicketSlip

TOKEN = "kiosk-3-device-token"


def ticket_bytes(number: str = "C042") -> bytes:
    slip = TicketSlip(
        office_name="Urząd Wojewódzki",
        number=number,
        priority_label=None,
        service_lines=["Подання заяви", "Złożenie wniosku"],
        issued_line="24.11.2026 09:01",
        ahead_line="Przed Tobą / Перед вами: 0",
        wait_line="~5 min",
        track_url=f"https://okienko.example.pl/t/{number}",
        footer_lines=[],
    )
    return render_ticket(slip, "TM-T88V")


def job(job_id: str, payload: bytes) -> str:
    return json.dumps({"type": "job", "id": job_id, "payload": base64.b64encode(payload).decode()})


class ScriptedServer:
    """Okienko's side of /ws/print-agent, played by a script per connection."""

    def __init__(self, script):
        self.script = script
        self.connections: list[dict] = []

    async def handle(self, websocket: ServerConnection) -> None:
        seen = {"path": websocket.request.path, "authorization": websocket.request.headers.get("Authorization")}
        seen["messages"] = []
        self.connections.append(seen)
        await self.script(len(self.connections), websocket, seen["messages"])


async def next_message(websocket: ServerConnection, messages: list) -> dict:
    message = json.loads(await websocket.recv())
    messages.append(message)
    return message


async def until(condition, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


def printer_file_config(path: Path) -> PrinterConfig:
    return PrinterConfig(kind="file", path=str(path), attached_to_kiosk=True)


@pytest.mark.anyio
async def test_job_resent_after_a_dropped_connection_prints_once_and_is_acked(tmp_path):
    printer_file = tmp_path / "lp0"
    payload = ticket_bytes("C042")
    everything_seen = asyncio.Event()

    async def script(number: int, websocket: ServerConnection, messages: list) -> None:
        await next_message(websocket, messages)  # hello
        await next_message(websocket, messages)  # status on connecting
        if number == 1:
            await websocket.send(job("job-42", payload))
            await until(lambda: printer_file.exists() and printer_file.stat().st_size == len(payload))
            await websocket.close()  # dropped before the ack is read
            return
        await websocket.send('{"type": "ping"}')
        await websocket.send("not json")
        await websocket.send(job("job-42", payload))  # the server re-sends what it has no ack for
        async for raw in websocket:
            messages.append(json.loads(raw))
            statuses = [message for message in messages if message["type"] == "status"]
            if any(message["type"] == "ack" for message in messages) and len(statuses) >= 3:
                everything_seen.set()

    server = ScriptedServer(script)
    async with serve(server.handle, "127.0.0.1", 0) as websocket_server:
        port = websocket_server.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        agent = asyncio.create_task(
            run_agent(
                f"http://127.0.0.1:{port}/",
                TOKEN,
                printer_file_config(printer_file),
                tmp_path / "var" / "journal.jsonl",
                status_interval=0.1,
                stop=stop,
            )
        )
        async with asyncio.timeout(8):
            await everything_seen.wait()
        stop.set()
        async with asyncio.timeout(5):
            await agent

    first, second = server.connections[:2]
    assert printer_file.read_bytes() == payload  # printed exactly once
    assert decode(printer_file.read_bytes(), "TM-T88V").large_text == [("Urząd Wojewódzki", 1, 2), ("C042", 4, 4)]
    assert first["path"] == second["path"] == "/ws/print-agent"
    assert first["authorization"] == second["authorization"] == f"Bearer {TOKEN}"
    assert first["messages"][0]["type"] == "hello" and first["messages"][0]["printed_ids"] == []
    assert first["messages"][0]["agent_version"]
    assert first["messages"][1] == {"type": "status", "status": "online"}
    assert second["messages"][0]["printed_ids"] == ["job-42"]
    acks = [message for message in second["messages"] if message["type"] == "ack"]
    assert acks == [{"type": "ack", "id": "job-42", "ok": True}]
    assert {message["status"] for message in second["messages"] if message["type"] == "status"} == {"online"}
    journal = AgentJournal(tmp_path / "var" / "journal.jsonl")
    journal.load()
    assert journal.recent() == ["job-42"]


@pytest.mark.anyio
async def test_printer_failure_is_acked_with_its_code_and_the_job_stays_unprinted(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    dead_printer = PrinterConfig(kind="network", host="127.0.0.1", port=dead_port, timeout_seconds=1)
    answered = asyncio.Event()

    async def script(number: int, websocket: ServerConnection, messages: list) -> None:
        await next_message(websocket, messages)
        await next_message(websocket, messages)
        await websocket.send(job("job-7", ticket_bytes("C007")))
        await websocket.send(json.dumps({"type": "job", "id": "job-8", "payload": "@@not base64@@"}))
        while len([message for message in messages if message["type"] == "ack"]) < 2:
            await next_message(websocket, messages)
        answered.set()
        await websocket.wait_closed()

    server = ScriptedServer(script)
    async with serve(server.handle, "127.0.0.1", 0) as websocket_server:
        port = websocket_server.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        journal_path = tmp_path / "journal.jsonl"
        agent = asyncio.create_task(run_agent(f"ws://127.0.0.1:{port}", TOKEN, dead_printer, journal_path, stop=stop))
        async with asyncio.timeout(8):
            await answered.wait()
        stop.set()
        async with asyncio.timeout(5):
            await agent

    messages = server.connections[0]["messages"]
    assert messages[1] == {"type": "status", "status": "offline"}
    acks = [message for message in messages if message["type"] == "ack"]
    assert acks == [
        {"type": "ack", "id": "job-7", "ok": False, "error": "printer_offline"},
        {"type": "ack", "id": "job-8", "ok": False, "error": "printer_error"},
    ]
    assert not journal_path.exists()


@pytest.mark.anyio
async def test_agent_keeps_retrying_an_unreachable_server_and_stops_when_told(tmp_path):
    attempts: list[float] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(asyncio.get_running_loop().time())  # no WebSocket here: every attempt fails
        writer.close()
        await writer.wait_closed()

    listener = await asyncio.start_server(refuse, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        agent = asyncio.create_task(
            run_agent(f"ws://127.0.0.1:{port}", TOKEN, PrinterConfig(kind="none"), tmp_path / "j.jsonl", stop=stop)
        )
        await until(lambda: len(attempts) >= 2)   # it failed, and came back
        assert not agent.done()

        stop.set()
        async with asyncio.timeout(1):
            await agent


@pytest.mark.anyio
async def test_agent_backs_off_between_failed_attempts(tmp_path):
    loop = asyncio.get_running_loop()
    attempts: list[float] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(loop.time())  # not a WebSocket server: the handshake fails at once
        writer.close()
        await writer.wait_closed()

    listener = await asyncio.start_server(refuse, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        agent = asyncio.create_task(
            run_agent(f"ws://127.0.0.1:{port}", TOKEN, PrinterConfig(kind="none"), tmp_path / "j.jsonl", stop=stop)
        )
        await until(lambda: len(attempts) >= 3)
        stop.set()
        async with asyncio.timeout(1):
            await agent

    first_gap, second_gap = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert 0.45 < first_gap < 0.9
    assert 0.95 < second_gap < 1.5


@pytest.mark.anyio
async def test_cancelling_the_agent_closes_its_connection(tmp_path):
    connected = asyncio.Event()
    closed = asyncio.Event()

    async def script(number: int, websocket: ServerConnection, messages: list) -> None:
        connected.set()
        await websocket.wait_closed()
        closed.set()

    server = ScriptedServer(script)
    async with serve(server.handle, "127.0.0.1", 0) as websocket_server:
        port = websocket_server.sockets[0].getsockname()[1]
        agent = asyncio.create_task(
            run_agent(f"ws://127.0.0.1:{port}", TOKEN, printer_file_config(tmp_path / "lp0"), tmp_path / "j.jsonl")
        )
        async with asyncio.timeout(5):
            await connected.wait()
        agent.cancel()
        with pytest.raises(asyncio.CancelledError):
            await agent
        async with asyncio.timeout(5):
            await closed.wait()


def test_journal_survives_a_restart_and_a_torn_last_line(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = AgentJournal(path)
    journal.load()
    journal.record("job-1")
    journal.record("job-2")
    with open(path, "a", encoding="utf-8") as torn:
        torn.write('{"id": "job-3", "prin')  # the power went off mid-line

    restarted = AgentJournal(path)
    restarted.load()

    assert restarted.contains("job-1") and restarted.contains("job-2")
    assert not restarted.contains("job-3")
    assert restarted.recent() == ["job-1", "job-2"]


def test_journal_keeps_the_latest_ids_and_compacts_its_file(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = AgentJournal(path, remember=3)
    for number in range(7):
        journal.record(f"job-{number}")

    assert journal.recent() == ["job-4", "job-5", "job-6"]
    assert not journal.contains("job-3")
    reloaded = AgentJournal(path, remember=3)
    reloaded.load()
    assert reloaded.recent(2) == ["job-5", "job-6"]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("https://okienko.example.pl", "wss://okienko.example.pl/ws/print-agent"),
        ("http://10.0.0.2:8000/", "ws://10.0.0.2:8000/ws/print-agent"),
        ("ws://localhost:8000", "ws://localhost:8000/ws/print-agent"),
    ],
)
def test_print_agent_url(server, url):
    assert print_agent_url(server) == url


def test_print_agent_url_refuses_other_schemes():
    with pytest.raises(ValueError, match="not a server address"):
        print_agent_url("ftp://okienko.example.pl")

"""Printing at the kiosk as the visitor meets it: the slip in their hand, or a clear screen when it fails."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from okienko.storage.models import PrintJob, Ticket
from printers.decode import decode
from tests.conftest import demo_office_variant, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


class PrinterListener:
    """A network printer on loopback: accepts ESC/POS jobs on TCP and keeps the bytes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                chunks = []
                while data := connection.recv(65536):
                    chunks.append(data)
                self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.server.close()
        self.thread.join(timeout=2)


@pytest.fixture
def printer_listener():
    listener = PrinterListener()
    yield listener
    listener.close()


async def test_ticket_printed_on_a_network_printer(office_factory, printer_listener) -> None:
    office = await office_factory(TUESDAY, printer={"kind": "network", "host": "127.0.0.1",
                                                    "port": printer_listener.port, "profile": "TM-T88V",
                                                    "timeout_seconds": 2})
    await office.take("K")
    ticket = (await office.take("K", language="uk")).json()
    assert ticket["printed"] is True and ticket["print_problem"] is None
    for _ in range(50):
        if len(printer_listener.jobs) == 2:
            break
        await asyncio.sleep(0.02)
    slip = decode(printer_listener.jobs[-1], "TM-T88V")
    assert "K002" in slip.text
    assert "Отримання карти перебування" in slip.text and "Odbiór karty pobytu" in slip.text
    assert office.okienko.translator.format("uk", "People ahead: {count}", count=1) in slip.text
    assert slip.qr_data == [ticket["track_url"]]
    assert slip.cuts == 1


async def test_nobody_ahead_is_printed_in_the_kiosks_words(office_factory, printer_listener) -> None:
    office = await office_factory(TUESDAY, printer={"kind": "network", "host": "127.0.0.1",
                                                    "port": printer_listener.port, "profile": "TM-T88V",
                                                    "timeout_seconds": 2})
    first = (await office.take("K", language="uk")).json()
    assert first["estimated_wait_minutes"] == 0
    second = (await office.take("K", language="pl")).json()
    assert second["estimated_wait_minutes"] > 0
    for _ in range(50):
        if len(printer_listener.jobs) == 2:
            break
        await asyncio.sleep(0.02)
    nothing_to_wait, some_wait = (decode(job, "TM-T88V") for job in printer_listener.jobs)
    translator = office.okienko.translator
    # The kiosk's and the phone's "No wait", in both languages, never "about 0 min".
    no_wait = f"{translator.gettext('uk', 'No wait')} / {translator.gettext('pl', 'No wait')}"
    assert no_wait == "Без очікування / Bez oczekiwania"
    assert no_wait in nothing_to_wait.lines
    assert " 0 min" not in nothing_to_wait.text and " 0 хв" not in nothing_to_wait.text
    wait = translator.format("pl", "Estimated wait: about {minutes} min", minutes=second["estimated_wait_minutes"])
    assert wait in some_wait.lines   # the label and its value on one row


async def test_a_four_digit_number_is_printed_whole_and_large(office_factory, printer_listener, tmp_path) -> None:
    office = await office_factory(TUESDAY, office_file=demo_office_variant(tmp_path, {"number_digits": 4}),
                                  printer={"kind": "network", "host": "127.0.0.1", "port": printer_listener.port,
                                           "profile": "TM-T88V", "timeout_seconds": 2})
    ticket = (await office.take("K")).json()
    assert ticket["number"] == "K0001" and ticket["printed"] is True
    for _ in range(50):
        if printer_listener.jobs:
            break
        await asyncio.sleep(0.02)
    slip = decode(printer_listener.jobs[-1], "TM-T88V")
    assert ("K0001", 4, 4) in slip.large_text
    assert slip.qr_data == [ticket["track_url"]] and slip.cuts == 1


async def test_ticket_printed_to_a_device_file(office_factory, tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    office = await office_factory(TUESDAY, printer={"kind": "file", "path": str(path), "profile": "TM-T88V"})
    ticket = (await office.take("A", language="pl", priority="disability")).json()
    slip = decode(path.read_bytes(), "TM-T88V")
    assert ticket["printed"] is True
    assert "A001" in slip.text and "Złożenie wniosku o pobyt" in slip.text and "Osoba z niepełnosprawnością" in slip.text


async def test_a_dead_printer_loses_no_ticket_and_makes_no_second_one(office_factory) -> None:
    office = await office_factory(TUESDAY, printer={"kind": "network", "host": "127.0.0.1", "port": closed_port(),
                                                    "timeout_seconds": 1})
    first = await office.take("F", language="en", key="tap-1")
    body = first.json()
    assert first.status_code == 201 and body["number"] == "F001" and body["printed"] is False
    assert body["print_problem"]["error"] == "printer_offline"
    assert body["print_problem"]["message"] == "The printer is not working."
    retry = (await office.take("F", language="en", key="tap-1")).json()
    assert retry["id"] == body["id"]
    assert (retry["printed"], retry["print_problem"]["error"]) == (False, "printer_offline")
    async with office.okienko.db.read() as conn:
        tickets = (await conn.execute(sa.select(sa.func.count()).select_from(Ticket.__table__))).scalar()
        jobs = (await conn.execute(sa.select(PrintJob.__table__.c.status))).scalars().all()
    assert tickets == 1 and jobs == ["failed"]
    printers = (await office.client.get("/api/v1/printers", headers=office.kiosk())).json()["printers"]
    assert printers[0]["status"] == "offline"
    seen = (await office.client.get(f"/api/v1/tickets/{body['id']}")).json()
    assert seen["status"] == "waiting"


def closed_port() -> int:
    """A loopback port nobody listens on: a printer that is switched off."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


async def test_printer_health_is_checked_and_visible(office_factory) -> None:
    office = await office_factory(TUESDAY, printer={"kind": "network", "host": "127.0.0.1",
                                                    "port": closed_port(), "timeout_seconds": 1})
    await office.okienko.printing.check_printers()
    printers = (await office.client.get("/api/v1/printers", headers=office.kiosk())).json()["printers"]
    assert [(p["kiosk"], p["kind"], p["status"]) for p in printers] == [("hall-1", "network", "offline")]
    assert printers[0]["checked_at"] is not None


async def test_a_broken_database_is_a_503_not_a_500(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("A")
    async with office.okienko.db.engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE idempotency_keys")
    response = await office.take("A", key="k")
    assert response.status_code == 503 and response.json()["error"] == "busy"
    assert response.headers["retry-after"] == "1"

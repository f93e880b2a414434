"""Sending tickets to printers and asking their status, over real loopback sockets and files."""

import os
import socket
import threading
import time

import pytest
from escpos.printer import Dummy

from printers.connections import (
    PrintError,
    PrinterConfig,
    PrinterStatus,
    query_status,
    read_printer_status,
    send,
    status_from_replies,
)
from printers.decode import decode
from printers.render import render_ticket
from printers.slip import TicketSlip

DLE_EOT_PAPER, DLE_EOT_PRINTER = b"\x10\x04\x04", b"\x10\x04\x01"
PAPER_ADEQUATE, PAPER_NEAR_END, PAPER_END = 0x12, 0x1E, 0x72
PRINTER_ONLINE, PRINTER_OFFLINE = 0x16, 0x1E


def ticket_bytes() -> bytes:
    slip = TicketSlip(
        office_name="Urząd Wojewódzki",
        number="B007",
        priority_label=None,
        service_lines=["Отримання посвідки", "Odbiór karty pobytu"],
        issued_line="24.11.2026 08:15",
        ahead_line="Przed Tobą: 2",
        wait_line="~10 min",
        track_url="https://okienko.example.pl/t/B007",
        footer_lines=[],
    )
    return render_ticket(slip, "TM-T88V")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackPrinter:
    """A TCP 'printer' on 127.0.0.1 that serves one connection in a thread.

    ``replies`` maps a DLE EOT query to the status byte to answer; ``reads=False``
    accepts the connection and never reads from it.
    """

    def __init__(self, replies: dict[bytes, int] | None = None, reads: bool = True):
        self.replies = replies or {}
        self.reads = reads
        self.received = bytearray()
        self.release = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.thread.join(5)
        self.listener.close()

    def config(self, timeout_seconds: float = 2.0) -> PrinterConfig:
        return PrinterConfig(kind="network", host="127.0.0.1", port=self.port, timeout_seconds=timeout_seconds)

    def _serve(self) -> None:
        self.listener.settimeout(5)
        connection, _ = self.listener.accept()
        with connection:
            if not self.reads:
                self.release.wait(10)
                return
            connection.settimeout(5)
            while chunk := connection.recv(65536):
                self.received += chunk
                for query, status in self.replies.items():
                    if self.received.endswith(query):
                        connection.sendall(bytes([status]))


def test_ticket_sent_over_tcp_arrives_whole_and_decodes():
    payload = ticket_bytes()
    with LoopbackPrinter() as printer:
        send(printer.config(), payload)
    decoded = decode(bytes(printer.received), "TM-T88V")

    assert bytes(printer.received) == payload
    assert ("B007", 4, 4) in decoded.large_text
    assert "Отримання посвідки" in decoded.lines
    assert decoded.qr_data == ["https://okienko.example.pl/t/B007"]
    assert decoded.cuts == 1


def test_closed_port_is_printer_offline_at_once():
    started = time.monotonic()
    with pytest.raises(PrintError) as raised:
        send(PrinterConfig(kind="network", host="127.0.0.1", port=closed_port()), b"\x1b@")

    assert raised.value.code == "printer_offline"
    assert time.monotonic() - started < 1


def test_printer_that_never_reads_takes_a_small_ticket_into_its_buffer():
    with LoopbackPrinter(reads=False) as printer:
        started = time.monotonic()
        send(printer.config(timeout_seconds=1), ticket_bytes())

        assert time.monotonic() - started < 1


def test_printer_that_never_reads_times_out_on_a_long_job():
    with LoopbackPrinter(reads=False) as printer:
        started = time.monotonic()
        with pytest.raises(PrintError) as raised:
            send(printer.config(timeout_seconds=0.5), bytes(64 * 1024 * 1024))

        assert raised.value.code == "printer_timeout"
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("paper", "printer_state", "status"),
    [
        (PAPER_ADEQUATE, PRINTER_ONLINE, PrinterStatus.ONLINE),
        (PAPER_NEAR_END, PRINTER_ONLINE, PrinterStatus.PAPER_LOW),
        (PAPER_END, PRINTER_OFFLINE, PrinterStatus.PAPER_OUT),
        (PAPER_ADEQUATE, PRINTER_OFFLINE, PrinterStatus.OFFLINE),
    ],
)
def test_network_status_from_the_printers_answers(paper, printer_state, status):
    with LoopbackPrinter({DLE_EOT_PAPER: paper, DLE_EOT_PRINTER: printer_state}) as printer:
        assert query_status(printer.config()) is status

    assert bytes(printer.received) == DLE_EOT_PAPER + DLE_EOT_PRINTER


def test_network_status_of_a_silent_printer_is_unknown_within_the_timeout():
    with LoopbackPrinter() as printer:
        started = time.monotonic()
        assert query_status(printer.config(timeout_seconds=0.3)) is PrinterStatus.UNKNOWN
        assert time.monotonic() - started < 1


def test_network_status_of_a_closed_port_is_offline():
    assert query_status(PrinterConfig(kind="network", host="127.0.0.1", port=closed_port())) is PrinterStatus.OFFLINE


class ScriptedPrinter(Dummy):
    """A python-escpos printer that answers status queries from a script."""

    def __init__(self, answers: dict[bytes, bytes]):
        super().__init__(profile="TM-T88V")
        self.answers = answers

    def _read(self) -> bytes:
        return self.answers.get(self.output[-3:], b"")


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        ({DLE_EOT_PAPER: b"\x12", DLE_EOT_PRINTER: b"\x16"}, PrinterStatus.ONLINE),
        ({DLE_EOT_PAPER: b"\x1e", DLE_EOT_PRINTER: b"\x16"}, PrinterStatus.PAPER_LOW),
        ({DLE_EOT_PAPER: b"\x7e", DLE_EOT_PRINTER: b"\x1e"}, PrinterStatus.PAPER_OUT),
        ({DLE_EOT_PAPER: b"\x12", DLE_EOT_PRINTER: b"\x1e"}, PrinterStatus.OFFLINE),
        ({}, PrinterStatus.UNKNOWN),
        ({DLE_EOT_PAPER: b"\xff", DLE_EOT_PRINTER: b"\x00"}, PrinterStatus.UNKNOWN),  # not status bytes
    ],
)
def test_status_read_through_python_escpos(answers, status):
    assert read_printer_status(ScriptedPrinter(answers)) is status


def test_paper_status_alone_is_enough():
    assert status_from_replies(b"\x12", b"") is PrinterStatus.ONLINE


def test_file_printer_appends_each_ticket(tmp_path):
    printer_file = tmp_path / "lp0"
    config = PrinterConfig(kind="file", path=str(printer_file))

    send(config, b"\x1b@jeden\n")
    send(config, b"\x1b@dwa\n")

    assert decode(printer_file.read_bytes(), "TM-T88V").lines == ["jeden", "dwa"]
    assert query_status(config) is PrinterStatus.ONLINE


def test_plain_file_printer_creates_its_folder(tmp_path):
    config = PrinterConfig(kind="file", path=str(tmp_path / "printed" / "hall-1.escpos"))

    assert query_status(config) is PrinterStatus.ONLINE
    send(config, b"\x1b@B007\n")

    assert decode((tmp_path / "printed" / "hall-1.escpos").read_bytes(), "TM-T88V").lines == ["B007"]


def test_missing_device_file_is_offline():
    config = PrinterConfig(kind="file", path="/dev/usb/okienko-no-such-lp")

    with pytest.raises(PrintError) as raised:
        send(config, b"\x1b@")

    assert raised.value.code == "printer_offline"
    assert query_status(config) is PrinterStatus.OFFLINE


def test_device_file_that_blocks_times_out_instead_of_hanging(tmp_path):
    fifo = tmp_path / "stuck-printer"
    os.mkfifo(fifo)  # opening it for writing blocks until someone reads: like an lp device that hangs
    started = time.monotonic()
    try:
        with pytest.raises(PrintError) as raised:
            send(PrinterConfig(kind="file", path=str(fifo), timeout_seconds=0.3), b"\x1b@")
        assert raised.value.code == "printer_timeout"
        assert time.monotonic() - started < 1
    finally:
        with open(fifo, "rb") as reader:  # lets the abandoned writer finish
            assert reader.read() == b"\x1b@"


def test_job_given_up_behind_a_stuck_one_is_never_printed_late(tmp_path):
    fifo = tmp_path / "stuck-printer"
    os.mkfifo(fifo)
    config = PrinterConfig(kind="file", path=str(fifo), timeout_seconds=0.3)
    try:
        for ticket in (b"first", b"second"):
            with pytest.raises(PrintError, match="printer_timeout"):
                send(config, ticket)
        time.sleep(0.4)  # the second job's worker has given up waiting for the device
    finally:
        with open(fifo, "rb") as reader:  # the printer wakes up
            assert reader.read() == b"first"


@pytest.mark.parametrize(
    ("config", "library"),
    [
        (PrinterConfig(kind="usb", usb_vendor=0x04B8, usb_product=0x0202), "usb"),
        (PrinterConfig(kind="serial", device="/dev/ttyUSB9"), "serial"),
        (PrinterConfig(kind="cups", cups_printer="bilety"), "cups"),
    ],
)
def test_missing_driver_library_is_a_clear_printer_error(config, library):
    module = pytest.importorskip(f"escpos.printer.{library}")
    if module.is_usable():
        pytest.skip(f"the {library} library is installed here")

    with pytest.raises(PrintError, match="needs") as raised:
        send(config, b"\x1b@")

    assert raised.value.code == "printer_error"
    assert query_status(config) is PrinterStatus.UNKNOWN


def test_no_printer_configured():
    config = PrinterConfig(kind="none")

    with pytest.raises(PrintError) as raised:
        send(config, b"\x1b@")

    assert raised.value.code == "printer_offline"
    assert query_status(config) is PrinterStatus.UNKNOWN


def test_config_from_the_office_table():
    network = PrinterConfig.from_mapping({"kind": "network", "host": "10.0.0.7", "timeout_seconds": 3})
    usb = PrinterConfig.from_mapping({"kind": "usb", "usb_vendor": "0x04b8", "usb_product": "0e15", "attached_to_kiosk": True})

    assert (network.host, network.port, network.timeout_seconds, network.profile) == ("10.0.0.7", 9100, 3.0, "TM-T88V")
    assert (usb.usb_vendor, usb.usb_product, usb.attached_to_kiosk) == (0x04B8, 0x0E15, True)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"kind": "network", "host": "p", "hots": "x"}, "unknown key.*hots"),
        ({"host": "p"}, "'kind' is required"),
        ({"kind": "bluetooth"}, "kind must be one of"),
        ({"kind": "network"}, "needs 'host'"),
        ({"kind": "network", "host": "p", "port": 70000}, "port must be"),
        ({"kind": "network", "host": "p", "port": True}, "port must be"),
        ({"kind": "network", "host": "p", "profile": "TM-NOPE"}, "profile"),
        ({"kind": "network", "host": "p", "timeout_seconds": 0}, "timeout_seconds"),
        ({"kind": "usb", "usb_vendor": "epson", "usb_product": 1}, "usb_vendor must be a USB id"),
        ({"kind": "usb", "usb_vendor": 0x04B8}, "needs 'usb_product'"),
        ({"kind": "serial"}, "needs 'device'"),
        ({"kind": "file"}, "needs 'path'"),
        ({"kind": "file", "path": "/tmp/x", "attached_to_kiosk": "yes"}, "attached_to_kiosk"),
    ],
)
def test_bad_office_table_is_refused_with_a_clear_message(mapping, message):
    with pytest.raises(ValueError, match=message):
        PrinterConfig.from_mapping(mapping)

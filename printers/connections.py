"""Getting ticket bytes onto a printer, and asking a printer how it is.

Guarantees:

* :func:`send` and :func:`query_status` block for at most about
  ``timeout_seconds`` (network: socket timeouts; USB, serial, CUPS and device files:
  the work runs in a daemon thread that is abandoned when the time is up);
* :func:`send` either returns (every byte handed to the printer, its driver or its
  TCP connection) or raises :class:`PrintError` whose ``code`` is one of
  :data:`PRINT_ERROR_CODES`;
* :func:`query_status` never raises for an unreachable printer: it answers
  :attr:`PrinterStatus.OFFLINE`, or :attr:`PrinterStatus.UNKNOWN` when the printer
  cannot be asked (CUPS, "none", a printer that does not answer).

``attached_to_kiosk`` only tells the core to route jobs through the print agent;
these functions ignore it (the agent on the kiosk computer calls them itself).
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, TypeVar

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER

PRINTER_KINDS = ("network", "usb", "serial", "file", "cups", "none")
PRINT_ERROR_CODES = ("printer_offline", "paper_out", "printer_timeout", "printer_error")

# Epson ESC/POS status bytes (DLE EOT n): bits 1 and 4 always set, bits 0 and 7 clear.
_STATUS_FIXED_MASK, _STATUS_FIXED_BITS = 0x93, 0x12
_OFFLINE_BIT = 0x08  # DLE EOT 1: printer is offline
_NEAR_END_BITS = 0x0C  # DLE EOT 4: roll paper near-end sensor
_PAPER_END_BITS = 0x60  # DLE EOT 4: roll paper end sensor

_WHOLE_NUMBER_RANGES = (
    ("port", 1, 65535),
    ("baudrate", 1, 4_000_000),
    ("usb_vendor", 0, 0xFFFF),
    ("usb_product", 0, 0xFFFF),
)

Result = TypeVar("Result")


class PrinterStatus(str, Enum):
    """What a printer can tell about itself."""

    ONLINE = "online"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class PrintError(Exception):
    """A ticket could not be handed to the printer; ``code`` says why, for the kiosk and the log."""

    def __init__(self, code: str, message: str = ""):
        if code not in PRINT_ERROR_CODES:
            raise ValueError(f"unknown print error code {code!r}")
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


@dataclass(frozen=True)
class PrinterConfig:
    """Where one ticket printer is and how to reach it (a ``[printer]`` table of the office file)."""

    kind: str  # one of PRINTER_KINDS
    profile: str = "TM-T88V"  # python-escpos printer profile
    host: str | None = None  # network
    port: int = 9100
    usb_vendor: int | None = None  # usb
    usb_product: int | None = None
    device: str | None = None  # serial, e.g. "/dev/ttyUSB0"
    baudrate: int = 9600
    path: str | None = None  # file: "/dev/usb/lp0", or a plain file the bytes are appended to
    cups_printer: str | None = None  # cups; None = the CUPS default printer
    timeout_seconds: float = 5.0
    attached_to_kiosk: bool = False  # True: on the kiosk's own computer; jobs go through the print agent

    def __post_init__(self) -> None:
        problems = _config_problems(self)
        if problems:
            raise ValueError(f"printer configuration: {'; '.join(problems)}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> PrinterConfig:
        """Build from the office TOML table; ValueError names the bad key and what it should be.

        USB ids may be integers or hexadecimal strings ("0x04b8" or "04b8").
        """
        if not isinstance(mapping, Mapping):
            raise ValueError("printer configuration must be a table")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(
                f"printer configuration: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "kind" not in mapping:
            raise ValueError(f"printer configuration: 'kind' is required, one of {', '.join(PRINTER_KINDS)}")
        values = dict(mapping)
        for key in ("usb_vendor", "usb_product"):
            if isinstance(values.get(key), str):
                values[key] = _usb_id(key, values[key])
        if isinstance(values.get("timeout_seconds"), int) and not isinstance(values["timeout_seconds"], bool):
            values["timeout_seconds"] = float(values["timeout_seconds"])
        return cls(**values)


def send(config: PrinterConfig, payload: bytes) -> None:
    """Hand ``payload`` (a complete ESC/POS job) to the printer; raise PrintError if it cannot."""
    if config.kind == "network":
        _send_over_network(config, payload)
    elif config.kind == "file":
        _finish_within(config, lambda: _append_to_file(config.path or "", payload))
    elif config.kind in ("usb", "serial", "cups"):
        _finish_within(config, lambda: _send_through_escpos(config, payload))
    else:
        raise PrintError("printer_offline", "no printer is configured (kind 'none')")


def query_status(config: PrinterConfig) -> PrinterStatus:
    """Ask the printer for its paper and online state (DLE EOT 4 and DLE EOT 1)."""
    if config.kind == "network":
        return _network_status(config)
    if config.kind == "file":
        return _file_status(config.path or "")
    if config.kind in ("usb", "serial"):
        try:
            return _finish_within(config, lambda: _escpos_status(config))
        except PrintError:
            return PrinterStatus.UNKNOWN
    return PrinterStatus.UNKNOWN


def status_from_replies(paper_reply: bytes, printer_reply: bytes) -> PrinterStatus:
    """Interpret the answers to DLE EOT 4 (paper sensor) and DLE EOT 1 (printer).

    Paper out wins over offline (an Epson goes offline when the paper ends), offline
    over paper low; no valid answer to either query means UNKNOWN.
    """
    paper = _status_byte(paper_reply)
    printer = _status_byte(printer_reply)
    if paper is None and printer is None:
        return PrinterStatus.UNKNOWN
    if paper is not None and paper & _PAPER_END_BITS:
        return PrinterStatus.PAPER_OUT
    if printer is not None and printer & _OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper is not None and paper & _NEAR_END_BITS:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.ONLINE


def read_printer_status(printer: Any) -> PrinterStatus:
    """Status of an open python-escpos printer (Usb, Serial, Network, or a Dummy with a scripted ``_read``)."""
    return status_from_replies(printer.query_status(RT_STATUS_PAPER), printer.query_status(RT_STATUS_ONLINE))


# -- configuration checks ---------------------------------------------------------
def _config_problems(config: PrinterConfig) -> list[str]:
    problems = []
    if config.kind not in PRINTER_KINDS:
        problems.append(f"kind must be one of {', '.join(PRINTER_KINDS)}, not {config.kind!r}")
    if not isinstance(config.profile, str) or config.profile not in _escpos_profiles():
        problems.append(f"profile {config.profile!r} is not a python-escpos profile (e.g. 'TM-T88V', 'TM-T20II')")
    needed = {"network": ["host"], "usb": ["usb_vendor", "usb_product"], "serial": ["device"], "file": ["path"]}
    for key in needed.get(config.kind, []):
        if getattr(config, key) in (None, ""):
            problems.append(f"kind {config.kind!r} needs {key!r}")
    for key in ("host", "device", "path", "cups_printer"):
        if getattr(config, key) is not None and not isinstance(getattr(config, key), str):
            problems.append(f"{key} must be a string")
    for key, lowest, highest in _WHOLE_NUMBER_RANGES:
        value = getattr(config, key)
        if value is not None and (not _is_int(value) or not lowest <= value <= highest):
            problems.append(f"{key} must be a whole number from {lowest} to {highest}, not {value!r}")
    timeout = config.timeout_seconds
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 300:
        problems.append(f"timeout_seconds must be above 0 and at most 300, not {timeout!r}")
    if not isinstance(config.attached_to_kiosk, bool):
        problems.append("attached_to_kiosk must be true or false")
    return problems


def _escpos_profiles() -> Mapping[str, Any]:
    """python-escpos's printer profiles. Imported on first use, not with this module: the library
    parses its whole capabilities file when first imported (a few hundred milliseconds), which a
    server whose kiosks have no printer of their own never needs."""
    from escpos.capabilities import CAPABILITIES

    return CAPABILITIES["profiles"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _usb_id(key: str, text: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        raise ValueError(f"printer configuration: {key} must be a USB id such as 0x04b8, not {text!r}") from None


# -- network --------------------------------------------------------------------------
def _send_over_network(config: PrinterConfig, payload: bytes) -> None:
    deadline = time.monotonic() + config.timeout_seconds
    try:
        connection = socket.create_connection((config.host, config.port), timeout=config.timeout_seconds)
    except OSError as error:
        raise PrintError("printer_offline", f"cannot connect to {config.host}:{config.port}: {error}") from error
    with connection:
        try:
            connection.settimeout(max(0.01, deadline - time.monotonic()))
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)
        except TimeoutError as error:
            message = f"{config.host}:{config.port} did not take the job within {config.timeout_seconds} s"
            raise PrintError("printer_timeout", message) from error
        except OSError as error:
            message = f"connection to {config.host}:{config.port} broke: {error}"
            raise PrintError("printer_offline", message) from error
        _discard_pending_replies(connection)


def _discard_pending_replies(connection: socket.socket) -> None:
    """Read what the printer already sent (automatic status), so closing does not reset the connection."""
    connection.setblocking(False)
    try:
        while connection.recv(4096):
            pass
    except OSError:
        pass


def _network_status(config: PrinterConfig) -> PrinterStatus:
    deadline = time.monotonic() + config.timeout_seconds
    try:
        connection = socket.create_connection((config.host, config.port), timeout=config.timeout_seconds)
    except OSError:
        return PrinterStatus.OFFLINE
    with connection:
        paper = _ask(connection, RT_STATUS_PAPER, deadline)
        printer = _ask(connection, RT_STATUS_ONLINE, deadline) if paper else b""
    return status_from_replies(paper, printer)


def _ask(connection: socket.socket, query: bytes, deadline: float) -> bytes:
    """Send one real-time query and return the first valid status byte, or b"" on no answer."""
    try:
        connection.sendall(query)
        while (remaining := deadline - time.monotonic()) > 0:
            connection.settimeout(remaining)
            reply = connection.recv(16)
            if not reply:
                return b""
            for byte in reply:
                if _status_byte(bytes([byte])) is not None:
                    return bytes([byte])
    except OSError:
        pass
    return b""


def _status_byte(reply: bytes) -> int | None:
    if len(reply) < 1 or reply[-1] & _STATUS_FIXED_MASK != _STATUS_FIXED_BITS:
        return None
    return reply[-1]


# -- files and device files ---------------------------------------------------------
def _append_to_file(path: str, payload: bytes) -> None:
    try:
        if not _is_device(path):  # a plain file (demo, tests): its folder is created on first use
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "ab") as printer_file:
            printer_file.write(payload)
            printer_file.flush()
            _fsync_if_possible(printer_file.fileno())
    except OSError as error:
        unplugged = error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO)
        code = "printer_offline" if unplugged else "printer_error"
        raise PrintError(code, f"cannot write to {path}: {error}") from error


def _fsync_if_possible(descriptor: int) -> None:
    try:
        os.fsync(descriptor)
    except OSError as error:  # character devices such as /dev/usb/lp0 cannot be fsynced
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):
            raise


def _file_status(path: str) -> PrinterStatus:
    if os.path.exists(path):
        return PrinterStatus.ONLINE if os.access(path, os.W_OK) else PrinterStatus.OFFLINE
    if _is_device(path):
        return PrinterStatus.OFFLINE  # e.g. /dev/usb/lp0 disappears when the printer is off or unplugged
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    return PrinterStatus.ONLINE if os.access(folder, os.W_OK) else PrinterStatus.OFFLINE


def _is_device(path: str) -> bool:
    return os.path.abspath(path).startswith("/dev/")


# -- USB, serial and CUPS through python-escpos -------------------------------------------
def _escpos_printer(config: PrinterConfig) -> Any:
    """A python-escpos printer object for ``config``; PrintError if its library is missing."""
    from escpos.printer import cups, serial, usb  # imported late: they probe optional libraries

    milliseconds = int(config.timeout_seconds * 1000)
    if config.kind == "usb":
        _require(usb.is_usable(), "USB printing needs pyusb and libusb (pip install pyusb)")
        return usb.Usb(config.usb_vendor, config.usb_product, timeout=milliseconds, profile=config.profile)
    if config.kind == "serial":
        _require(serial.is_usable(), "serial printing needs pyserial (pip install pyserial)")
        return serial.Serial(
            config.device or "", config.baudrate, timeout=config.timeout_seconds, profile=config.profile
        )
    _require(cups.is_usable(), "CUPS printing needs pycups (pip install pycups) and a CUPS server")
    return cups.CupsPrinter(config.cups_printer or "", profile=config.profile)


def _require(usable: bool, message: str) -> None:
    if not usable:
        raise PrintError("printer_error", message)


def _send_through_escpos(config: PrinterConfig, payload: bytes) -> None:
    from escpos.exceptions import DeviceNotFoundError

    printer = _escpos_printer(config)
    try:
        printer.open(**({"job_name": "okienko-ticket"} if config.kind == "cups" else {}))
        printer._raw(payload)
    except DeviceNotFoundError as error:
        raise PrintError("printer_offline", str(error)) from error
    except PrintError:
        raise
    except Exception as error:  # pyusb, pyserial and pycups each raise their own errors
        code = "printer_timeout" if "timeout" in type(error).__name__.lower() else "printer_error"
        raise PrintError(code, f"{type(error).__name__}: {error}") from error
    finally:
        printer.close()  # for CUPS this submits the job


def _escpos_status(config: PrinterConfig) -> PrinterStatus:
    from escpos.exceptions import DeviceNotFoundError

    try:
        printer = _escpos_printer(config)
    except PrintError:
        return PrinterStatus.UNKNOWN
    try:
        printer.open()
        return read_printer_status(printer)
    except DeviceNotFoundError:
        return PrinterStatus.OFFLINE
    except Exception:  # a printer that does not answer status queries
        return PrinterStatus.UNKNOWN
    finally:
        printer.close()


def _finish_within(config: PrinterConfig, action: Callable[[], Result]) -> Result:
    """Run ``action`` in a daemon thread; PrintError("printer_timeout") if it is not done in time.

    A driver stuck in a write is abandoned rather than waited for: the kiosk must not hang.
    One device is used by one thread at a time, so a later job never interleaves with a
    stuck one, and a job given up on before it reached the device is not printed late.
    """
    seconds = config.timeout_seconds
    device_lock = _device_lock(config)
    given_up = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        if not device_lock.acquire(timeout=seconds):
            return
        try:
            if not given_up.is_set():
                outcome["value"] = action()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error
        finally:
            device_lock.release()

    worker = threading.Thread(target=run, name="printer-io", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() or not outcome:
        given_up.set()
        raise PrintError("printer_timeout", f"the printer did not finish within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


_device_locks: dict[tuple[Any, ...], threading.Lock] = {}
_device_locks_guard = threading.Lock()


def _device_lock(config: PrinterConfig) -> threading.Lock:
    where = (config.kind, config.path, config.device, config.usb_vendor, config.usb_product, config.cups_printer)
    with _device_locks_guard:
        return _device_locks.setdefault(where, threading.Lock())

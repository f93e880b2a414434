"""What came of printing a ticket: printed, or the problem (an error code the kiosk shows in words)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    problem: str | None = None   # an error code: no_printer, printer_offline, paper_out, printer_timeout, ...

"""What a ticket slip says, already translated by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TicketSlip:
    """The lines printed on one ticket, top to bottom.

    Every string is final text in the visitor's language(s); the printer package
    only lays it out and never translates or de-duplicates.
    """

    office_name: str
    number: str  # "A023"
    priority_label: str | None  # "★ Pierwszeństwo / Priority", or None for a regular ticket
    service_lines: list[str]  # the service in the visitor's language, then in Polish
    issued_line: str  # "24.11.2026 08:15"
    ahead_line: str  # "Przed Tobą / Перед вами: 4"
    wait_line: str  # "Szacowany czas oczekiwania / ...: ~25 min"
    track_url: str  # encoded in the QR code
    footer_lines: list[str] = field(default_factory=list)

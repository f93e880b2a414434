"""Printing tickets at the kiosk that issued them.

The ticket is committed before printing starts, so a printer that fails never loses a ticket
and never causes a second one: the visitor's screen shows the number and QR code large
instead. Every slip is a print job row; printers on the server's network are printed to
directly (in a thread, with a timeout), printers attached to a kiosk's own computer get the
job through that kiosk's print agent (see print_agents.py).

The ESC/POS renderer (python-escpos, Pillow, qrcode) is imported with the first slip printed, and
a kiosk without a printer never builds a printer configuration: a server whose kiosks have no
printer never loads the printer code (docs/benchmarks.md, "Start-up").
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from okienko.clock import Clock
from okienko.storage.db import Database
from okienko.i18n import Translator, _
from okienko.storage.models import Device, PrintJob
from okienko.office.directory import OfficeSetup
from okienko.hall.print_agents import AgentHub
from okienko.hall.print_outcome import PrintOutcome
from printers.connections import PrintError, PrinterConfig, PrinterStatus, query_status, send
from printers.slip import TicketSlip


def build_slip(setup: OfficeSetup, translator: Translator, ticket: dict[str, Any], people_ahead: int,
               wait: int, track_url: str, expected_at: datetime | None = None) -> TicketSlip:
    """What the slip says, in the visitor's language and in Polish."""
    language = ticket["language"]
    service = setup.service_by_id(ticket["service_id"])
    both = [language] if language == "pl" else [language, "pl"]

    def line(message: str, **params: Any) -> str:
        texts = []
        for lang in both:
            text = translator.format(lang, message, **params)
            if text not in texts:
                texts.append(text)
        return " / ".join(texts)

    priority = None
    if ticket["priority"]:
        category = setup.category(ticket["priority"])
        priority = f"{category.mark} " + " / ".join(dict.fromkeys(category.name(lang) for lang in both))
    names = list(dict.fromkeys(service.name(lang) for lang in both))
    issued = ticket["issued_at"].astimezone(setup.timezone)
    footer = [setup.ticket_footer[lang] for lang in both if setup.ticket_footer.get(lang)]
    ahead_line = line(_("People ahead: {count}"), count=people_ahead)
    # Nothing to wait: the kiosk's and the phone's words, never "about 0 min".
    wait_line = line(_("Estimated wait: about {minutes} min"), minutes=wait) if wait > 0 else line(_("No wait"))
    if ticket.get("appointment_at"):  # a checked-in booking is called at its slot, not by the queue
        slot = ticket["appointment_at"].astimezone(setup.timezone).strftime("%H:%M")
        expected = (expected_at or ticket["appointment_at"]).astimezone(setup.timezone).strftime("%H:%M")
        ahead_line = line(_("Booked visit: {time}"), time=slot)
        wait_line = line(_("You will be called at about {time}."), time=expected)
    return TicketSlip(
        office_name=setup.name, number=ticket["number"], priority_label=priority, service_lines=names,
        issued_line=issued.strftime("%d.%m.%Y %H:%M"),
        ahead_line=ahead_line, wait_line=wait_line,
        track_url=track_url, footer_lines=list(dict.fromkeys(footer)),
    )


class PrintService:
    def __init__(self, db: Database, clock: Clock, agents: AgentHub, timeout_seconds: float) -> None:
        self.db = db
        self.clock = clock
        self.agents = agents
        self.timeout_seconds = timeout_seconds
        self._printers: dict[int, PrinterConfig | None] = {}

    async def printer_for(self, device_id: int) -> PrinterConfig | None:
        if device_id not in self._printers:
            devices = Device.__table__
            async with self.db.read() as conn:
                mapping = (await conn.execute(sa.select(devices.c.printer).where(devices.c.id == device_id))).scalar()
            self._printers[device_id] = PrinterConfig.from_mapping(mapping) if _has_printer(mapping) else None
        return self._printers[device_id]

    async def print_slip(self, office_id: int, device_id: int, ticket_id: str, slip: TicketSlip) -> PrintOutcome:
        """Print a ticket's slip at its kiosk's printer; never raises for a printer problem."""
        printer = await self.printer_for(device_id)
        if printer is None:
            return PrintOutcome(False, "no_printer")
        payload = await asyncio.to_thread(_render, slip, printer.profile)
        job_id = secrets.token_urlsafe(12)
        await self._record(office_id, device_id, ticket_id, job_id, payload)
        if printer.attached_to_kiosk:
            outcome = await self.agents.print_via_agent(device_id, job_id, payload, self.timeout_seconds)
        else:
            outcome = await self._print_direct(printer, payload)
        await self._finish(job_id, device_id, outcome)
        return outcome

    async def outcome_of(self, ticket_id: str) -> PrintOutcome:
        """What became of a ticket's last print job (for a retried request)."""
        jobs = PrintJob.__table__
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(jobs.c.status, jobs.c.error).where(jobs.c.ticket_id == ticket_id)
                                      .order_by(jobs.c.created_at.desc()).limit(1))).first()
        if row is None:
            return PrintOutcome(False, "no_printer")
        if row.status == "printed":
            return PrintOutcome(True)
        return PrintOutcome(False, "agent_pending" if row.status == "pending" else row.error or "printer_error")

    async def _print_direct(self, printer: PrinterConfig, payload: bytes) -> PrintOutcome:
        try:
            await asyncio.wait_for(asyncio.to_thread(send, printer, payload), self.timeout_seconds)
        except PrintError as error:
            return PrintOutcome(False, error.code)
        except TimeoutError:
            return PrintOutcome(False, "printer_timeout")
        return PrintOutcome(True)

    async def _record(self, office_id: int, device_id: int, ticket_id: str, job_id: str, payload: bytes) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(sa.insert(PrintJob.__table__).values(
                id=job_id, office_id=office_id, device_id=device_id, ticket_id=ticket_id, payload=payload,
                status="pending", error=None, attempts=1, created_at=self.clock.now(), printed_at=None))

    async def _finish(self, job_id: str, device_id: int, outcome: PrintOutcome) -> None:
        jobs, devices = PrintJob.__table__, Device.__table__
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if outcome.printed:
                await conn.execute(sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == "pending")
                                   .values(status="printed", printed_at=now))
            elif outcome.problem != "agent_pending":
                await conn.execute(sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == "pending")
                                   .values(status="failed", error=outcome.problem))
            status = _status_after(outcome)
            if status:
                await conn.execute(sa.update(devices).where(devices.c.id == device_id)
                                   .values(printer_status=status, printer_checked_at=now))

    async def check_printers(self) -> None:
        """Ask every directly reachable printer how it is (online, paper low, paper out, offline)."""
        devices = Device.__table__
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(devices.c.id, devices.c.printer)
                                       .where(devices.c.kind == "kiosk", devices.c.active))).all()
        for device_id, mapping in rows:
            if not _has_printer(mapping):
                continue
            config = PrinterConfig.from_mapping(mapping)
            if config.attached_to_kiosk:
                continue
            try:
                status = await asyncio.wait_for(asyncio.to_thread(query_status, config), config.timeout_seconds + 1)
            except TimeoutError:
                status = PrinterStatus.OFFLINE
            await self.set_status(device_id, status.value)

    async def set_status(self, device_id: int, status: str) -> None:
        devices = Device.__table__
        async with self.db.transaction() as conn:
            await conn.execute(sa.update(devices).where(devices.c.id == device_id)
                               .values(printer_status=status, printer_checked_at=self.clock.now()))

    async def statuses(self, office_id: int, device_id: int | None = None) -> list[dict[str, Any]]:
        devices = Device.__table__
        query = sa.select(devices).where(devices.c.office_id == office_id, devices.c.kind == "kiosk",
                                         devices.c.active).order_by(devices.c.name)
        if device_id is not None:
            query = query.where(devices.c.id == device_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        result = []
        for row in rows:
            printer = row["printer"] or {"kind": "none"}
            result.append({
                "kiosk": row["name"], "kind": printer.get("kind", "none"),
                "attached_to_kiosk": bool(printer.get("attached_to_kiosk", False)),
                "status": "none" if printer.get("kind", "none") == "none" else row["printer_status"],
                "checked_at": _iso(row["printer_checked_at"]),
                "agent_connected": self.agents.connected(row["id"]),
            })
        return result


def _has_printer(mapping: dict[str, Any] | None) -> bool:
    """Whether a kiosk's stored `printer` table names a printer (kind "none" or no table: none)."""
    return bool(mapping) and mapping.get("kind") != "none"


def _render(slip: TicketSlip, profile: str) -> bytes:
    # Imported here, in the worker thread, so that the first slip's import does not hold up the
    # event loop either.
    from printers.render import render_ticket

    return render_ticket(slip, profile)


def _status_after(outcome: PrintOutcome) -> str | None:
    if outcome.printed:
        return None
    return {"printer_offline": "offline", "paper_out": "paper_out", "printer_timeout": "offline",
            "agent_offline": "offline"}.get(outcome.problem or "")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

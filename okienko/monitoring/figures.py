"""What `/metrics` reports from the database, read at scrape time.

These figures are the same whichever server process answers the scrape (several run behind a
proxy): tickets issued today and people waiting per service, the outbox's backlog, and when every
kiosk, board and printer was last heard from. Nothing here is kept in a process's memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.hall.events import waiting_counts
from okienko.notify.outbox import Backlog, backlog, count_failed
from okienko.office.directory import OfficeSetup
from okienko.office.hours import office_day
from okienko.staff.devices import device_states
from okienko.storage.models import Office, Ticket

PRINTER_STATUSES = ("online", "paper_low", "paper_out", "offline", "unknown")


@dataclass(frozen=True)
class ServiceFigures:
    office: str
    service: str
    issued_today: int      # tickets issued on the office's day so far, whatever became of them
    waiting: int           # people waiting now


@dataclass(frozen=True)
class DeviceFigures:
    """A working kiosk, board or kiosk printer (`kind` "printer", named after its kiosk)."""

    office: str
    kind: str
    name: str
    last_seen_seconds: float          # +Inf: never heard from
    printer_status: str | None = None  # printers only: one of PRINTER_STATUSES


@dataclass(frozen=True)
class Figures:
    services: tuple[ServiceFigures, ...]
    devices: tuple[DeviceFigures, ...]
    outbox: Backlog
    outbox_failed: int     # as /healthz's `failed_messages`


async def office_ids(conn: AsyncConnection) -> list[int]:
    """Every office of the installation."""
    offices = Office.__table__
    return [int(i) for i in (await conn.execute(sa.select(offices.c.id).order_by(offices.c.id))).scalars()]


async def read_figures(conn: AsyncConnection, setups: list[OfficeSetup], now: datetime) -> Figures:
    """The installation's figures at `now`, read in one transaction."""
    services: list[ServiceFigures] = []
    devices: list[DeviceFigures] = []
    for setup in setups:
        day = office_day(setup, now)
        issued = await _issued_counts(conn, setup, day)
        waiting = await waiting_counts(conn, setup, [s.id for s in setup.services], day)
        services.extend(ServiceFigures(setup.code, s.code, issued.get(s.id, 0), waiting.get(s.code, 0))
                        for s in setup.services)
        for device in await device_states(conn, setup.id, now):
            if not device.active:
                continue
            devices.append(DeviceFigures(setup.code, device.kind, device.name, _age(device.last_seen_at, now)))
            if device.has_printer:
                status = device.printer_status if device.printer_status in PRINTER_STATUSES else "unknown"
                devices.append(DeviceFigures(setup.code, "printer", device.name,
                                             _age(device.printer_checked_at, now), status))
    return Figures(tuple(services), tuple(devices), await backlog(conn, now), await count_failed(conn))


async def _issued_counts(conn: AsyncConnection, setup: OfficeSetup, day: object) -> dict[int, int]:
    tickets = Ticket.__table__
    rows = await conn.execute(sa.select(tickets.c.service_id, sa.func.count())
                              .where(tickets.c.office_id == setup.id, tickets.c.office_day == day)
                              .group_by(tickets.c.service_id))
    return {int(service_id): int(count) for service_id, count in rows.all()}


def _age(moment: datetime | None, now: datetime) -> float:
    return math.inf if moment is None else max(0.0, (now - moment).total_seconds())

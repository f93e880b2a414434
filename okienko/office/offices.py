"""The offices of one installation, side by side: `okienko office list` and the back office's
office picker (an administrator of no office switches between them). Several offices share the
database and the server processes; every row carries its `office_id` (README, "Many offices")."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.office.addresses import office_hosts
from okienko.storage.models import Device, Office, Service, User, Window


@dataclass(frozen=True)
class OfficeSummary:
    code: str
    name: str
    public_url: str               # '' : the installation's address (OKIENKO_PUBLIC_URL)
    hosts: tuple[str, ...]        # every host that reaches it (addresses.office_hosts)
    services: int                 # switched on
    windows: int
    devices: int                  # kiosks and boards switched on
    staff: int                    # accounts bound to it (administrators of no office are in none)


async def list_offices(conn: AsyncConnection) -> list[OfficeSummary]:
    """Every office, in the order they were first loaded, with what it counts."""
    offices = Office.__table__

    async def counts(table: sa.Table, *where: sa.ColumnElement[bool]) -> dict[int, int]:
        rows = await conn.execute(sa.select(table.c.office_id, sa.func.count()).where(*where)
                                  .group_by(table.c.office_id))
        return {office_id: count for office_id, count in rows if office_id is not None}

    services = await counts(Service.__table__, Service.__table__.c.active)
    windows = await counts(Window.__table__, Window.__table__.c.active)
    devices = await counts(Device.__table__, Device.__table__.c.active)
    staff = await counts(User.__table__)
    rows = (await conn.execute(sa.select(offices.c.id, offices.c.code, offices.c.name, offices.c.public_url,
                                         offices.c.hosts).order_by(offices.c.id))).mappings()
    return [OfficeSummary(code=row["code"], name=row["name"], public_url=row["public_url"] or "",
                          hosts=office_hosts(row["public_url"] or "", row["hosts"] or ()),
                          services=services.get(row["id"], 0), windows=windows.get(row["id"], 0),
                          devices=devices.get(row["id"], 0), staff=staff.get(row["id"], 0))
            for row in rows]

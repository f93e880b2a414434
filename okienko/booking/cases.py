"""Case numbers (znak sprawy) of follow-up visits, and the office's list of open cases.

A service with `case_number = true` books only with the case number of the visitor's matter,
one active booking per case number (checked under the slot's lock in `bookings.hold`, backed by
the partial UNIQUE index `uq_bookings_case_service`). Where the office sets `case_list = true`,
the number must also be in the list loaded from its CSV (`okienko cases load`). Case numbers are
kept only as keyed hashes (`people.case_key`): neither the bookings nor the list store them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.errors import DomainError
from okienko.storage.models import ACTIVE_BOOKING_STATUSES, Booking, OpenCase
from okienko.office.directory import OfficeSetup
from okienko.people import case_key, normalise_case_number

CASE_COLUMNS = ("case_number", "znak_sprawy")


async def check_open_case(conn: AsyncConnection, setup: OfficeSetup, key: str) -> None:
    """Where the office keeps a list of open cases, `unknown_case` (a problem on the case number
    field) for a case that is not in it; nothing otherwise."""
    if not setup.booking_policy.case_list:
        return
    table = OpenCase.__table__
    found = (await conn.execute(sa.select(table.c.case_key).where(table.c.office_id == setup.id,
                                                                  table.c.case_key == key))).first()
    if found is None:
        raise DomainError("unknown_case", fields={"case_number": "unknown_case"})


async def active_booking_of_case(conn: AsyncConnection, service_id: int, key: str) -> dict[str, Any] | None:
    table = Booking.__table__
    row = (await conn.execute(sa.select(table).where(table.c.service_id == service_id, table.c.case_key == key,
                                                     table.c.status.in_(ACTIVE_BOOKING_STATUSES)))).mappings().first()
    return dict(row) if row else None


def case_numbers_in_csv(text: str) -> list[str]:
    """The case numbers of a CSV file, normalised: from its column named case_number or
    znak_sprawy, or else its first column (a first row that is a header is skipped). Empty
    cells are left out."""
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lstrip("\ufeff").casefold() for cell in rows[0]]
    column = next((header.index(name) for name in CASE_COLUMNS if name in header), None)
    if column is not None:
        rows = rows[1:]
    else:
        column = 0
    return [normalise_case_number(row[column]) for row in rows if len(row) > column and row[column].strip()]


async def load_open_cases(conn: AsyncConnection, office_id: int, case_numbers: Iterable[str], *, secret_key: str,
                          now: datetime, replace: bool = False) -> dict[str, int]:
    """Add the case numbers (as keyed hashes only) to the office's open cases; with `replace`,
    the list becomes exactly these. Returns counts: read, added, already_there, removed, total."""
    table = OpenCase.__table__
    keys = {case_key(secret_key, number) for number in case_numbers if normalise_case_number(number)}
    existing = set((await conn.execute(sa.select(table.c.case_key).where(table.c.office_id == office_id))).scalars())
    removed = existing - keys if replace else set()
    for chunk in _chunks(sorted(removed)):
        await conn.execute(sa.delete(table).where(table.c.office_id == office_id, table.c.case_key.in_(chunk)))
    added = sorted(keys - existing)
    for chunk in _chunks(added):
        await conn.execute(sa.insert(table), [{"office_id": office_id, "case_key": key, "loaded_at": now}
                                              for key in chunk])
    total = (await conn.execute(sa.select(sa.func.count()).select_from(table)
                                .where(table.c.office_id == office_id))).scalar_one()
    return {"read": len(keys), "added": len(added), "already_there": len(keys & existing),
            "removed": len(removed), "total": int(total)}


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

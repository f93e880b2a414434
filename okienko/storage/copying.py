"""Moving an installation's data to another database (a demo's SQLite file to PostgreSQL):
`okienko copy-database`.

Guarantees: the target is brought to this version's schema by the migrations (never by the
models), is refused unless every table is empty, receives every table in the order of their
foreign keys in one transaction (a failure leaves it empty), has its PostgreSQL sequences moved
past the copied ids (the next ticket does not collide with a copied one), and is compared, table by
table, row for row, with the source before the copy is reported done.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.i18n import _
from okienko.settings import Settings
from okienko.storage.db import Database
from okienko.storage.models import metadata

BATCH_ROWS = 1000


class CopyRefused(Exception):
    """The copy cannot start or did not come out whole: an English msgid and its parameters."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params


@dataclass
class CopyReport:
    """What was copied: rows per table, in the order they were written."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def copy_database(source_url: str, target_url: str,
                        progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every row of the source (at this version's schema) into the migrated, empty target."""
    from okienko.storage.migrate import SchemaNotReady, database_label, open_migrated, upgrade_async

    if database_label(source_url) == database_label(target_url):
        raise CopyRefused(_("the source and the target are the same database"))
    try:
        source = await open_migrated(Settings(database_url=source_url))
    except SchemaNotReady as error:
        raise CopyRefused(_("the source database {database} is not at this version's schema ({problem}): run "
                            "`okienko migrate` on it first"), database=error.database,
                          problem=error.detail or error.problem) from None
    try:
        await upgrade_async(Settings(database_url=target_url))
        target = Database(target_url)
        try:
            return await _copy(source, target, progress)
        finally:
            await target.dispose()
    finally:
        await source.dispose()


async def _copy(source: Database, target: Database, progress: Callable[[str, int], None] | None) -> CopyReport:
    report = CopyReport()
    async with target.transaction(okienko_write=True) as into:
        for table in metadata.sorted_tables:
            if await _count(into, table):
                raise CopyRefused(_("the target database is not empty (table {table} has rows): copy only into a "
                                    "new database"), table=table.name)
        async with source.read() as out:
            for table in metadata.sorted_tables:
                copied = await _copy_table(out, into, table)
                report.rows[table.name] = copied
                if progress:
                    progress(table.name, copied)
        if target.dialect == "postgresql":
            await _move_sequences(into)
    async with source.read() as out, target.read() as into:
        for table in metadata.sorted_tables:
            there, here = await _count(out, table), await _count(into, table)
            if there != here:
                raise CopyRefused(_("table {table}: {source} rows in the source but {target} in the target"),
                                  table=table.name, source=there, target=here)
    return report


async def _count(conn: AsyncConnection, table: sa.Table) -> int:
    return (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()


async def _copy_table(out: AsyncConnection, into: AsyncConnection, table: sa.Table) -> int:
    """Rows read through the models' types (booleans, moments in UTC, JSON), in primary-key order,
    written in batches."""
    copied = 0
    rows = await out.stream(sa.select(table).order_by(*table.primary_key.columns))
    async for batch in rows.mappings().partitions(BATCH_ROWS):
        await into.execute(table.insert(), [dict(row) for row in batch])
        copied += len(batch)
    return copied


async def _move_sequences(into: AsyncConnection) -> None:
    """Each serial column's sequence just past the largest copied id (rows were written with their ids)."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not (column.autoincrement is True or (column.autoincrement == "auto" and
                                                     isinstance(column.type, sa.Integer) and
                                                     len(table.primary_key.columns) == 1)):
                continue
            sequence = (await into.execute(sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                                           {"table": table.name, "column": column.name})).scalar_one()
            if sequence:
                await into.execute(sa.text(f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") FROM '
                                           f'"{table.name}"), 0) + 1, false)'), {"sequence": sequence})


def copy_database_sync(source_url: str, target_url: str,
                       progress: Callable[[str, int], None] | None = None) -> CopyReport:
    # Alembic runs its own event loop (migrate.py): the copy runs in a loop of its own too.
    return asyncio.run(copy_database(source_url, target_url, progress))

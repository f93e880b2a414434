"""Alembic environment: runs migrations through the app's own async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from okienko.storage.db import Database
from okienko.storage.models import metadata

config = context.config
# PostgreSQL advisory lock key ("okienko" in ASCII): one migration at a time per database.
MIGRATION_LOCK = 0x6F6B69656E6B6F


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Server processes started side by side on an outdated schema each run the migrations
            # (`okienko serve` does before it starts): the first migrates, the others wait here
            # until it commits, then find the schema at head (Alembic reads the version after the
            # lock) and do nothing. Held to the end of the transaction.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def _online() -> None:
    db = Database(config.get_main_option("sqlalchemy.url"))
    try:
        async with db.engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await db.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())

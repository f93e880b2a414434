"""Alembic migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from okienko.storage.migrate import upgrade
from okienko.storage.models import metadata
from okienko.settings import Settings, async_url
from tests.conftest import drop_everything


async def _differences(url: str) -> list:
    engine = create_async_engine(async_url(url))
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    await engine.dispose()
    return diff


def test_migrations_match_the_models_and_run_twice(database_url: str) -> None:
    asyncio.run(drop_everything(database_url))
    settings = Settings(database_url=database_url)
    upgrade(settings)
    upgrade(settings)  # a second run is a no-op
    assert asyncio.run(_differences(database_url)) == []

"""Which database errors mean "the database cannot answer now" (a 503 `busy`, one log line per
outage), and which are some other failure."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
import sqlalchemy as sa

from okienko.storage.db import LOCK_TIMEOUT, unavailable_reason


@pytest.mark.parametrize(("error", "reason"), [
    (asyncpg.exceptions.InterfaceError("cannot call Connection.fetch(): connection is closed"), "connection closed"),
    (ConnectionRefusedError(111, "Connection refused"), "ConnectionRefusedError (errno 111)"),
    (sqlite3.OperationalError("database is locked"), LOCK_TIMEOUT),
    (sa.exc.TimeoutError(), "no free connection in the pool"),
    (asyncpg.exceptions.InterfaceError("the server expects 2 arguments, 1 was passed"), None),
    (sqlite3.IntegrityError("UNIQUE constraint failed: tickets.id"), None),
])
def test_what_counts_as_the_database_not_answering(error: BaseException, reason: str | None) -> None:
    assert unavailable_reason(error) == reason

"""A consistent copy of a running installation's database (`okienko backup`).

SQLite: the library's online backup, page by page, while the server keeps writing (a plain file
copy of a database in WAL mode can miss the last commits or tear). PostgreSQL: `pg_dump` in its
custom format, which `pg_restore` reads (docs/deployment.md, "Backups and restore").
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from okienko.i18n import _
from okienko.storage.copying import CopyRefused


def backup_database(database_url: str, into: Path) -> Path:
    """Write a backup of the database to `into` (refused when it exists: a backup is never
    overwritten by the next one by mistake)."""
    if into.exists():
        raise CopyRefused(_("{path} exists already: a backup is written to a new file"), path=str(into))
    if not into.parent.is_dir():
        raise CopyRefused(_("the folder {path} does not exist"), path=str(into.parent))
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(url.database or ""), into)
    else:
        _pg_dump(url, into)
    return into


def _sqlite_backup(source: Path, into: Path) -> None:
    if not source.is_file():
        raise CopyRefused(_("there is no database at {database}"), database=str(source))
    # Read-only: a backup never changes what it copies (nor makes a missing file).
    database = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(into)
    try:
        database.backup(copy)
    finally:
        copy.close()
        database.close()
    into.chmod(0o600)   # it holds visitors' bookings


def _pg_dump(url: sa.engine.URL, into: Path) -> None:
    """pg_dump, with the password in its environment (never on a command line others can read)."""
    plain = url.set(drivername="postgresql")
    environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={into}",
               "--dbname", plain.set(password=None).render_as_string(hide_password=False)]
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise CopyRefused(_("pg_dump is not installed (Debian: apt install postgresql-client)")) from None
    if done.returncode != 0:
        into.unlink(missing_ok=True)
        lines = done.stderr.strip().splitlines()
        raise CopyRefused(_("pg_dump failed: {reason}"), reason=lines[-1] if lines else f"exit {done.returncode}")
    into.chmod(0o600)

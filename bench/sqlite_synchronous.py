#!/usr/bin/env python3
"""What SQLite's `synchronous=FULL` costs Okienko, against the `NORMAL` it used before.

    .venv/bin/python bench/sqlite_synchronous.py commits [--batch 60] [--commits 300] [--rounds 3]
    .venv/bin/python bench/tickets.py --database sqlite --only okienko-sqlite \\
        --okienko ".venv/bin/python bench/sqlite_synchronous.py okienko"

`commits` times one group commit of `--batch` ticket-sized rows in WAL mode with each setting, on the
disk of the current folder (FULL adds an fsync of the WAL per commit). `okienko` runs `okienko …` with
the database opened `synchronous=NORMAL`, for `bench/tickets.py --okienko`, so that both settings are
measured by the same benchmark (run it once with and once without `--okienko`).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def commits(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sqlite_synchronous.py commits")
    parser.add_argument("--batch", type=int, default=60, help="rows per commit (tickets in one group commit)")
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sqlite-synchronous-", dir=".") as folder:
        for round_ in range(args.rounds):
            for mode in ("NORMAL", "FULL"):
                db = sqlite3.connect(Path(folder) / f"{mode}-{round_}.db", isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA synchronous={mode}")
                db.execute("CREATE TABLE tickets (id TEXT PRIMARY KEY, number TEXT, issued_at REAL, detail TEXT)")
                took = []
                for commit in range(args.commits):
                    rows = [(f"{commit}-{n}-{'x' * 24}", f"A{n % 1000:03d}", time.time(), "{}" * 60)
                            for n in range(args.batch)]
                    started = time.perf_counter()
                    db.execute("BEGIN IMMEDIATE")
                    db.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?)", rows)
                    db.execute("COMMIT")
                    took.append((time.perf_counter() - started) * 1000)
                db.close()
                took.sort()
                print(f"{mode:6} round {round_ + 1}: {args.batch} rows per commit, median "
                      f"{statistics.median(took):.2f} ms, p90 {took[int(len(took) * 0.9)]:.2f} ms")
    return 0


def okienko(argv: list[str]) -> int:
    from sqlalchemy import event

    from okienko_server import cli
    from okienko.storage import db

    okienko_pragmas = db._sqlite_pragmas

    def normal_pragmas(engine: Any) -> None:
        okienko_pragmas(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _normal(dbapi_connection: Any, _record: Any) -> None:   # after Okienko's own: NORMAL wins
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    db._sqlite_pragmas = normal_pragmas
    return cli.main(argv)


if __name__ == "__main__":
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command not in ("commits", "okienko"):
        sys.exit(__doc__)
    sys.exit(commits(rest) if command == "commits" else okienko(rest))

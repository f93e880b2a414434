"""The ceilings tickets.py and booking.py measure Okienko against: a bare Starlette app served
exactly as `okienko serve` serves Okienko (`uvicorn.run`, one process), in a process of its own:

    .venv/bin/python bench/ceilings.py KIND PORT TARGET

  ceiling-a             POST /api/v1/tickets: parse the JSON body, answer 201 {"ok": true}
  ceiling-b-sqlite      the same plus one INSERT per request (stdlib sqlite3, WAL, on the loop);
                        TARGET: the database file
  ceiling-b-postgresql  the same plus one INSERT ... RETURNING per request (asyncpg pool of 20,
                        autocommit); TARGET: the database URL
  ceiling-get           GET /api/v1/slots answering {"ok": true}
  ceiling-get-listing   GET /api/v1/slots answering with a pre-encoded body (as Okienko answers
                        from its cache); TARGET: the file holding that body

Every kind answers GET /healthz, so that common.wait_ready sees it start.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from common import HOST

KINDS = ("ceiling-a", "ceiling-b-sqlite", "ceiling-b-postgresql", "ceiling-get", "ceiling-get-listing")


def serve(kind: str, port: int, target: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    lifespan: Any = None
    path, method = "/api/v1/tickets", "POST"
    if kind == "ceiling-a":
        async def endpoint(request: Request) -> Response:
            body = await request.json()
            if not isinstance(body, dict):
                return JSONResponse({"ok": False}, status_code=400)
            return JSONResponse({"ok": True}, status_code=201)

    elif kind == "ceiling-b-sqlite":
        db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)  # autocommit
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL (no fsync per commit): with one commit per request, FULL would measure the disk, not
        # the ceiling. Okienko uses FULL, one fsync per group commit (db.py, docs/benchmarks.md).
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, service TEXT NOT NULL, "
                   "language TEXT NOT NULL, created_at REAL NOT NULL)")

        async def endpoint(request: Request) -> Response:
            body = await request.json()
            cursor = db.execute("INSERT INTO bench_rows (service, language, created_at) VALUES (?, ?, ?)",
                                (body["service"], body["language"], time.time()))
            return JSONResponse({"ok": True, "id": cursor.lastrowid}, status_code=201)

    elif kind == "ceiling-b-postgresql":
        import asyncpg

        pools: list[Any] = []

        @contextlib.asynccontextmanager
        async def pool_lifespan(app: Any):
            pool = await asyncpg.create_pool(target, min_size=20, max_size=20)  # Okienko: pool_size=20
            await pool.execute("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, "
                               "service text NOT NULL, language text NOT NULL, created_at timestamptz NOT NULL)")
            pools.append(pool)
            yield
            await pool.close()

        lifespan = pool_lifespan

        async def endpoint(request: Request) -> Response:
            body = await request.json()
            row_id = await pools[0].fetchval(
                "INSERT INTO bench_rows (service, language, created_at) VALUES ($1, $2, now()) RETURNING id",
                body["service"], body["language"])
            return JSONResponse({"ok": True, "id": row_id}, status_code=201)

    elif kind == "ceiling-get":
        path, method = "/api/v1/slots", "GET"

        async def endpoint(request: Request) -> Response:
            return JSONResponse({"ok": True})

    elif kind == "ceiling-get-listing":
        path, method = "/api/v1/slots", "GET"
        listing = Path(target).read_bytes()

        async def endpoint(request: Request) -> Response:  # as Okienko answers from its cache: encoded once
            return Response(listing, media_type="application/json", headers={"Cache-Control": "public, max-age=1"})
    else:
        raise SystemExit(f"unknown ceiling {kind}; one of {', '.join(KINDS)}")

    app = Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), Route(path, endpoint, methods=[method])],
                    lifespan=lifespan)
    # The same call as okienko_server.cli._serve: loop and http "auto" (uvloop, httptools when installed).
    uvicorn.run(app, host=HOST, port=port, log_level="warning", ws_per_message_deflate=False)


def command(kind: str, port: int, target: str) -> list[str]:
    """The command line that serves ceiling `kind` on `port`."""
    return [sys.executable, str(Path(__file__).resolve()), kind, str(port), target]


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])

"""Every request has an id (the caller's sane `X-Request-ID`, else a new one), sent back and stamped on
each log line written while it is answered; in the JSON log format each line is one JSON object, and
an access line shows the route's template and the redacted target, never a token, a secret or a
person's data (docs/monitoring.md)."""

from __future__ import annotations

import json
import logging
from typing import Any, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from okienko.monitoring.metrics import Metrics
from okienko_server.request_log import RequestLog
from okienko_server.server_log import JsonLines, RedactSecrets, log_config
from tests.okienko.booking.test_bookings import TUESDAY

pytestmark = pytest.mark.anyio


class Lines(logging.Handler):
    """What the server's handler would write, kept as parsed JSON lines."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RedactSecrets())
        self.setFormatter(JsonLines())
        self.written: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.written.append(self.format(record))

    @property
    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.written]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler, logger = Lines(), logging.getLogger("okienko")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_json_access_lines_carry_the_request_id_and_no_secret(office_factory: Any, lines: Lines) -> None:
    office = await office_factory(TUESDAY, log_format="json")
    ticket = (await office.take("F")).json()
    lines.written.clear()
    answer = await office.client.get("/api/v1/bookings/K7M3QD", params={"secret": "link-secret-xyz", "lang": "en"},
                                     headers={"X-Request-ID": "trace-42"})
    assert answer.headers["X-Request-ID"] == "trace-42"
    [line] = lines.parsed
    assert line["request_id"] == "trace-42" and line["logger"] == "okienko.access" and line["level"] == "info"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/bookings/{code}", answer.status_code)
    assert line["message"] == f"GET /api/v1/bookings/…?secret=…&lang=en {answer.status_code}"
    assert isinstance(line["duration_ms"], float) and line["time"].endswith("+00:00")

    followed = await office.client.get(f"/t/{ticket['id']}", headers={"X-Request-ID": "bad id with spaces"})
    generated = followed.headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "bad id with spaces"   # not sane: a new one
    await office.take("F")
    searched = await office.client.get("/api/v1/staff/bookings", params={"day": "2026-12-01", "name": "Olena Kowalenko"})
    assert lines.parsed[-1]["message"] == f"GET /api/v1/staff/bookings?day=2026-12-01&name=… {searched.status_code}"
    text = "\n".join(lines.written)
    assert [line["request_id"] for line in lines.parsed[1:2]] == [generated]
    assert lines.parsed[1]["route"] == "/t/{ticket_id}"
    for secret in (ticket["id"], "K7M3QD", "link-secret-xyz", office.kiosk_token, "bad id", "Olena"):
        assert secret not in text


async def test_text_format_keeps_uvicorns_access_lines_and_still_answers_the_id(office_factory: Any,
                                                                                 lines: Lines) -> None:
    office = await office_factory(TUESDAY)
    answer = await office.client.get("/healthz")
    assert len(answer.headers["X-Request-ID"]) == 32
    assert lines.written == []   # the access line is uvicorn's own in the text format


async def test_every_line_written_during_a_request_carries_its_id(lines: Lines) -> None:
    async def noisy(request: Request) -> PlainTextResponse:
        logging.getLogger("okienko.hall").warning("printer at %s is slow for olena@example.com", "/t/secret-ticket")
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/noisy", noisy)], middleware=[Middleware(RequestLog, metrics=Metrics())])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await client.get("/noisy", headers={"X-Request-ID": "abc.123:x"})
        await client.get("/noisy")
    first, second = lines.parsed
    assert first["request_id"] == "abc.123:x" and len(second["request_id"]) == 32
    assert first["message"] == "printer at /t/… is slow for …" and first["logger"] == "okienko.hall"
    logging.getLogger("okienko").warning("between requests")
    assert lines.parsed[-1]["request_id"] is None


def test_the_json_format_writes_every_handler_as_json_lines() -> None:
    config = log_config("info", "json")
    assert {formatter["()"] for formatter in config["formatters"].values()} == {"okienko_server.server_log.JsonLines"}
    assert "()" not in log_config("info")["formatters"]["default"] or \
        log_config("info")["formatters"]["default"]["()"] != "okienko_server.server_log.JsonLines"

"""The JSON API as kiosks and integrators use it: clear 4xx errors in the caller's language, never a 500."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from starlette.routing import Mount, Route, WebSocketRoute

from okienko_server.app import routes
from okienko.errors import ERRORS
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def test_services_list_what_the_kiosk_shows(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("F")
    body = (await office.client.get("/api/v1/services", headers={"Accept-Language": "ru"})).json()
    assert body["language"] == "ru"
    fingerprints = next(s for s in body["services"] if s["code"] == "F")
    assert fingerprints["name"] == "Отпечатки пальцев"
    assert (fingerprints["open_now"], fingerprints["waiting"], fingerprints["estimated_wait_minutes"]) == (True, 1, 2)
    assert [c["code"] for c in body["priority_categories"]] == ["pregnancy", "disability", "large_family", "veteran"]


@pytest.mark.parametrize("headers, body, status, code", [
    ({}, {"service": "A"}, 401, "missing_token"),
    ({"Authorization": "Bearer nope"}, {"service": "A"}, 401, "invalid_token"),
])
async def test_a_kiosk_must_sign_in(office_factory, headers, body, status, code) -> None:
    office = await office_factory(TUESDAY)
    response = await office.client.post("/api/v1/tickets", headers={**headers, "Accept-Language": "uk"}, json=body)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert re.search("[а-яіїє]", response.json()["message"])  # in Ukrainian


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "malformed_request"),
    (b"[1, 2]", "malformed_request"),
    (b'{"service": 7}', "wrong_type"),
    (b'{"service": "A", "priority": 3}', "wrong_type"),
    (b'{"service": "A", "priorty": "pregnancy"}', "unknown_field"),
    (b'{"service": "A", "language": "de"}', "unknown_language"),
    (b'{"service": "Q"}', "unknown_service"),
    (b"\xff\xfe", "malformed_request"),
    (b'{"service": "A", "language": {"pl": 1}}', "wrong_type"),
    (b'{"service": "A", "language": ["pl"]}', "wrong_type"),
    (b'{"service": NaN}', "malformed_request"),
    (b'{"service": "A", "x": Infinity}', "malformed_request"),
    (b"[" * 30_000 + b"]" * 30_000, "malformed_request"),
    (b'{"service": ' + b"9" * 5000 + b"}", "malformed_request"),
])
async def test_bad_input_gets_a_clear_error(office_factory, raw, code) -> None:
    office = await office_factory(TUESDAY)
    response = await office.client.post("/api/v1/tickets", content=raw, headers=office.kiosk())
    assert 400 <= response.status_code < 500
    assert response.json()["error"] == code and response.json()["message"]


@pytest.mark.parametrize("path", ["/api/v1/bookings", "/api/v1/waiting-list", "/api/v1/draws/1/entries",
                                  "/api/v1/bookings/ABCDEF/cancel"])
async def test_an_object_as_language_is_a_clear_error_on_public_routes(office_factory, path) -> None:
    office = await office_factory(TUESDAY)
    response = await office.client.post(path, json={"language": {"pl": 1}})
    assert (response.status_code, response.json()["error"]) == (400, "wrong_type")
    assert "language" in response.json()["message"]


async def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(office_factory) -> None:
    office = await office_factory(TUESDAY)
    limit = office.settings.max_body_bytes
    declared = await office.client.post("/api/v1/bookings", content=b" " * (limit + 1),
                                        headers={"Accept-Language": "uk"})
    assert declared.status_code == 413
    assert declared.json()["error"] == "body_too_large" and re.search("[а-яіїє]", declared.json()["message"])

    async def chunked():   # no Content-Length: counted while it streams in
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024
    streamed = await office.client.post("/api/v1/tickets", content=chunked(), headers=office.kiosk())
    assert (streamed.status_code, streamed.json()["error"]) == (413, "body_too_large")
    within = await office.client.post("/api/v1/tickets", content=b'{"service": "A"}' + b" " * (limit - 100),
                                      headers=office.kiosk())
    assert within.status_code == 201, within.text


async def test_long_idempotency_key_is_refused(office_factory) -> None:
    office = await office_factory(TUESDAY)
    response = await office.take("A", key="k" * 101)
    assert response.status_code == 400 and response.json()["error"] == "malformed_request"


async def test_unknown_ticket_and_address(office_factory) -> None:
    office = await office_factory(TUESDAY)
    missing = await office.client.get("/api/v1/tickets/not-a-ticket?lang=pl")
    assert missing.status_code == 404
    assert missing.json() == {"error": "ticket_not_found",
                              "message": "Nie ma takiego biletu. Proszę ponownie zeskanować kod QR z biletu."}
    assert (await office.client.get("/api/v1/nothing")).json()["error"] == "not_found"
    assert (await office.client.delete("/api/v1/services")).status_code == 405


async def test_tracking_page_and_qr(office_factory) -> None:
    office = await office_factory(TUESDAY)
    await office.take("K")
    ticket = (await office.take("K", language="uk")).json()
    page = await office.client.get(f"/t/{ticket['id']}")
    assert page.status_code == 200
    assert "K002" in page.text and "Отримання карти перебування" in page.text and 'lang="uk"' in page.text
    qr = await office.client.get(f"/t/{ticket['id']}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.content
    assert (await office.client.get("/t/unknown")).status_code == 404


async def test_printers_are_visible_to_staff_and_to_the_kiosk_itself(office_factory) -> None:
    office = await office_factory(TUESDAY)
    seen = (await office.client.get("/api/v1/printers", headers=office.kiosk())).json()["printers"]
    assert [(p["kiosk"], p["status"]) for p in seen] == [("hall-1", "none")]
    assert (await office.client.get("/api/v1/printers")).status_code == 401


async def test_health(office_factory) -> None:
    office = await office_factory(TUESDAY)
    assert (await office.client.get("/healthz")).json()["status"] == "ok"


async def test_openapi_documents_every_route_and_error(office_factory) -> None:
    office = await office_factory(TUESDAY)
    document = (await office.client.get("/openapi.json")).json()
    validate(document)
    documented = set(document["paths"])
    for route in routes():
        if isinstance(route, Route) and route.path.startswith(("/api/", "/healthz", "/openapi")):
            assert route.path in documented, route.path
    assert set(document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]) == set(ERRORS)


def test_every_error_code_is_in_the_api_docs() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for code in ERRORS:
        assert f"`{code}`" in doc, code


def test_every_route_is_listed_in_the_api_docs() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for route in routes():
        if isinstance(route, (Route, WebSocketRoute)) and not isinstance(route, Mount):
            assert route.path in doc, route.path


def test_a_hall_process_and_a_public_process_split_the_routes() -> None:
    hall = {route.path for route in routes("hall")}
    public = {route.path for route in routes("public")}
    everything = {route.path for route in routes()}
    assert "/api/v1/tickets" in hall and "/kiosk/" in hall and "/api/v1/check-in" in hall
    assert "/api/v1/slots" not in hall and "/book" not in hall
    assert "/api/v1/slots" in public and "/book" in public and "/t/{ticket_id}" in public
    assert "/api/v1/tickets" not in public and "/kiosk/" not in public
    assert hall | public == everything


async def test_every_answer_says_nosniff_and_a_wrong_method_says_what_is_allowed(office_factory) -> None:
    office = await office_factory(TUESDAY)
    for answer in [await office.client.get("/"), await office.client.get("/api/v1/services"),
                   await office.client.get("/no/such/page"), await office.client.get("/book"),
                   await office.client.post("/api/v1/tickets", content=b"{", headers=office.kiosk())]:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
    wrong = await office.client.delete("/api/v1/services")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "GET" in wrong.headers["allow"]

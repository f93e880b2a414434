"""Request bodies as the OpenAPI document describes them: every field a route documents is taken,
any other is refused with `unknown_field` naming it, a wrong type is a 4xx, and a console form and
a WebSocket message are held to the same size limit as JSON."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from booking_api.bodies import _is, json_types
from okienko.staff.auth import add_user, issue_staff_token
from okienko.i18n import Translator
from tests.conftest import Office, running_demo, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
KIOSK_ROUTES = ("/api/v1/tickets", "/api/v1/check-in")
# A plausible value for each documented field, so that a route gets past the fields it checks first.
PLAUSIBLE: dict[str, Any] = {
    "service": "A", "language": "pl", "priority": None, "start": "2026-12-03T10:00:00+01:00",
    "name": "Olena Kovalenko", "birth_date": "1990-04-12", "document_number": "FE 123456",
    "document_country": "UA", "phone": "+48 600 700 800", "email": "olena@example.com", "case_number": "",
    "code": "123456", "secret": "not-the-secret", "receipt": "not-the-receipt", "paused": True,
    "text": "Kasa czynna do 15:00", "preferences": [], "ticket": "return", "number": "A001",
    "window": "2", "kind": "kiosk", "username": "nowa.osoba", "role": "clerk",
    "hours": ["09:00-13:00"], "services": None, "walk_in": True, "booking": True, "reason": "Sobota informacyjna",
    "starts_at": "2026-12-04T09:00:00+01:00", "document_end": "56", "caller_language": "uk",
    # The back office's office set-up (/api/v1/admin/…).
    "timezone": "Europe/Warsaw", "default_language": "pl", "closed_on_public_holidays": True,
    "priority_mode": "first", "recalls_before_no_show": 1, "transfer_position": "end", "closures": [],
    "ticket_footer": {}, "prefix": "Q", "names": {"pl": "Q", "en": "Q", "uk": "Q", "ru": "Q"},
    "number_digits": 3, "average_service_minutes": 10, "daily_limit": None, "last_ticket_minutes_before_close": 15,
    "mark": "*", "confirm": False, "ticker": {}, "kiosk": {}, "event_only": False, "board_languages": ["pl", "en"],
    # The back office's events (/api/v1/admin/events).
    "date": "2027-01-16", "opens": "08:00", "closes": "15:00", "titles": {"pl": "Sobota informacyjna"},
    "descriptions": {}, "booking_opens_at": None, "preview": True,
    # The back office's closure calendars and .ics import (/api/v1/admin/closure-…).
    "url": "http://127.0.0.1:1/closures.ics", "ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
    # The staff calendar feeds (/api/v1/admin/calendar-feeds).
    "scope": "service", "target": "A", "with_names": False, "label": "Okno 3",
}
WRONG_TYPES = [{"pl": 1}, ["A"], 10 ** 40, True]
# Bodies another system writes (an SMS gateway's delivery report carries whatever fields it adds):
# open by design, and read for the fields they name only (tests/okienko/notify/test_sms.py).
FROM_GATEWAYS = ("/api/v1/sms/delivery-report",)


def bodies(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path with sample ids, body schema) of every route that takes a JSON body."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None or path in FROM_GATEWAYS:
                continue
            schema = content["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            sample = re.sub(r"\{(draw_id|entry_id)\}", "1", path).replace("{action}", "transfer")
            found.append((method.upper(), re.sub(r"\{\w+\}", "sample", sample), schema))
    return found


async def manager_headers(office: Office) -> dict[str, str]:
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "kierowniczka", "manager", "correct horse battery")
        token = await issue_staff_token(conn, "kierowniczka", office.clock.now())
    return {"Authorization": f"Bearer {token}"}


async def test_every_documented_body_is_closed_and_the_app_holds_to_it(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    document = (await office.client.get("/openapi.json")).json()
    staff = await manager_headers(office)
    routes = bodies(document)
    assert len(routes) >= 15
    for method, path, schema in routes:
        assert schema["additionalProperties"] is False, path
        headers = office.kiosk() if path in KIOSK_ROUTES else staff
        refused = await office.client.request(method, f"{path}?lang=en", headers=headers,
                                              json={**{name: PLAUSIBLE[name] for name in schema.get("required", [])},
                                                    "servcie": "A"})
        assert (refused.status_code, refused.json()["error"]) == (400, "unknown_field"), (path, refused.text)
        assert "“servcie”" in refused.json()["message"]
        every_field = {name: PLAUSIBLE[name] for name in schema["properties"]}
        taken = await office.client.request(method, path, headers=headers, json=every_field)
        assert taken.status_code < 500, (path, taken.text)
        assert taken.status_code < 400 or taken.json()["error"] != "unknown_field", (path, taken.text)


async def test_a_wrong_type_for_any_field_is_a_clear_4xx(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    document = (await office.client.get("/openapi.json")).json()
    staff = await manager_headers(office)
    for method, path, schema in bodies(document):
        headers = office.kiosk() if path in KIOSK_ROUTES else staff
        for name in schema["properties"]:
            for wrong in WRONG_TYPES:
                if any(_is(wrong, kind) for kind in json_types(schema["properties"][name])):
                    continue   # not a wrong type for this field (a flag given true, a list of codes)
                body = {**{field: PLAUSIBLE[field] for field in schema["properties"]}, name: wrong}
                answer = await office.client.request(method, path, headers=headers, json=body)
                assert 400 <= answer.status_code < 500, (path, name, wrong, answer.text)
                assert set(answer.json()) >= {"error", "message"}


async def test_unknown_fields_are_named_in_the_callers_language_and_cut_short(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    names = ["z" * 100, "extra", "more", "and_more"]
    answer = await office.client.post("/api/v1/tickets", headers={**office.kiosk(), "Accept-Language": "pl"},
                                      json={"service": "A", **{name: 1 for name in names}})
    assert answer.status_code == 400
    message = answer.json()["message"]
    expected = Translator().gettext("pl", "This address does not take these fields: {names}. Check their names "
                                          "in the API documentation.")
    assert message == expected.format(names="“and_more”, “extra”, “more”, …")
    assert "z" * 41 not in message


async def test_a_clerk_action_without_a_body_needs_none_but_refuses_unknown_fields(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    clerk = await office.clerk("1")
    await office.take("A")
    called = await office.client.post("/api/v1/windows/1/call-next", headers=clerk)
    ticket = called.json()["id"]
    assert (await office.client.post(f"/api/v1/tickets/{ticket}/recall", headers=clerk)).status_code == 200
    refused = await office.client.post(f"/api/v1/tickets/{ticket}/start", headers=clerk, json={"force": True})
    assert (refused.status_code, refused.json()["error"]) == (400, "unknown_field")
    assert (await office.client.post(f"/api/v1/tickets/{ticket}/start", headers=clerk, json={})).status_code == 200


async def test_a_console_form_over_the_body_limit_is_refused(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    limit = office.settings.max_body_bytes
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    declared = await office.client.post("/console/login", headers=form,
                                        content=b"username=a&password=" + b"x" * limit)
    assert (declared.status_code, declared.json()["error"]) == (413, "body_too_large")

    async def chunked():   # no Content-Length: counted while it streams in
        yield b"username=a&password="
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024
    streamed = await office.client.post("/console/login", headers=form, content=chunked())
    assert (streamed.status_code, streamed.json()["error"]) == (413, "body_too_large")
    within = await office.client.post("/console/login", headers=form, content=b"username=a&password=wrong")
    assert within.status_code == 401


def test_a_websocket_message_past_the_body_limit_closes_the_connection(tmp_path: Path) -> None:
    with running_demo(tmp_path) as demo:
        ticket = httpx.post(f"{demo.url}/api/v1/tickets", json={"service": "A"},
                            headers={"Authorization": f"Bearer {demo.token('kiosk', 'hall-1')}"}).json()
        with connect(f"{demo.url.replace('http', 'ws')}/ws/ticket/{ticket['id']}") as phone:
            assert ticket["id"] in phone.recv(timeout=10)
            phone.send("x" * 65_537)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    phone.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009   # message too big

"""The back office's office set-up over the API, as a manager would use it: a change is checked as the
office file is (the same message, in the manager's language), written to the audit log, and seen at
once by what the kiosks read; anything that would break the day asks first or is refused."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from websockets.asyncio.client import connect

from okienko.i18n import LANGUAGES, Translator
from okienko.office.config_file import load_office, parse_office
from okienko.office.export import export_office, office_document
from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from tests.conftest import serving, warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
ADMIN = "/api/v1/admin"


async def manager(office: Any, username: str = "kierownik", home: str = "demo") -> dict[str, str]:
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, username, "manager", "correct horse battery", home)
        return {"Authorization": f"Bearer {await issue_staff_token(conn, username, office.clock.now())}"}


async def kiosk_service(office: Any, code: str, language: str = "pl") -> dict[str, Any] | None:
    """A service as the kiosk reads it (GET /api/v1/services), or None when the kiosk no longer offers it."""
    answer = await office.client.get("/api/v1/services", params={"lang": language}, headers=office.kiosk())
    return next((s for s in answer.json()["services"] if s["code"] == code), None)


async def test_a_service_s_hours_edited_in_the_back_office_reach_the_kiosk_at_once(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    assert (await kiosk_service(office, "A"))["open_now"] is True
    week = (await office.client.get(f"{ADMIN}/office", headers=boss)).json()["services"][0]["hours"]
    assert week == {day: ["08:00-15:00"] for day in ("tue", "wed", "thu", "fri")} | {"mon": ["10:00-17:30"]}
    # `hours` is the whole week (a day left out is closed); a day's ranges as a list or as the file's text.
    answer = await office.client.put(f"{ADMIN}/services/A", headers=boss,
                                     json={"hours": {**week, "tue": ["13:00-15:00"], "wed": "08:00-12:00, 13:00-15:00"}})
    assert answer.status_code == 200, answer.text
    service = answer.json()["service"]
    assert service["hours"]["tue"] == ["13:00-15:00"]
    assert service["hours"]["wed"] == ["08:00-12:00", "13:00-15:00"]
    assert service["hours"]["mon"] == ["10:00-17:30"] and service["active"] is True
    now = await kiosk_service(office, "A", "en")
    assert now["open_now"] is False and now["closed_reason"]["error"] == "service_not_open_yet"
    assert "13:00" in now["closed_reason"]["message"]
    # A day left empty closes the service that day.
    closed = await office.client.put(f"{ADMIN}/services/A", headers=boss, json={"hours": {**week, "tue": []}})
    assert "tue" not in closed.json()["service"]["hours"]
    assert (await kiosk_service(office, "A"))["closed_reason"]["error"] == "service_closed_today"


async def test_a_mistake_gets_the_office_file_s_own_message_in_the_manager_s_language(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    texts = {}
    for language in ("en", "pl"):
        answer = await office.client.put(f"{ADMIN}/services/A", headers=boss, params={"lang": language},
                                         json={"hours": {"tue": ["8-15"]}})
        assert answer.status_code == 422
        body = answer.json()
        assert (body["error"], body["field"]) == ("office_invalid", "service[0] (A).hours.tue")
        texts[language] = body["message"]
    # What `okienko office check` says of the same file.
    document = await _document(office)
    document["service"][0]["hours"]["tue"] = "8-15"
    with pytest.raises(ValueError) as refused:
        parse_office(document)
    assert str(refused.value) == "service[0] (A).hours.tue: '8-15' is not HH:MM-HH:MM"
    assert texts["en"] == f"The office data is not valid: {refused.value}"
    assert texts["pl"] == Translator().format("pl", "The office data is not valid: {detail}", detail=(
        "{field}: {value} is not HH:MM-HH:MM", {"field": "service[0] (A).hours.tue", "value": "'8-15'"}))
    assert texts["pl"] != texts["en"] and "service[0] (A).hours.tue" in texts["pl"]
    # Nothing was changed.
    assert (await kiosk_service(office, "A"))["open_now"] is True
    missing = await office.client.post(f"{ADMIN}/services", headers=boss, params={"lang": "en"},
                                       json={"code": "Z", "prefix": "Z", "names": {"pl": "Zet", "en": "Zed"}})
    assert missing.status_code == 422 and missing.json()["message"].endswith(": service[7] (Z).names: missing uk, ru")


async def test_a_new_service_and_window_are_offered_at_once(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    names = {"pl": "Legalizacja pracy", "en": "Work permits", "uk": "Дозволи на роботу", "ru": "Разрешения на работу"}
    added = await office.client.post(f"{ADMIN}/services", headers=boss, json={
        "code": "W", "prefix": "W", "names": names, "hours": {"tue": ["08:00-15:00"]}})
    assert added.status_code == 201, added.text
    assert added.json()["service"] == {
        "code": "W", "prefix": "W", "names": names, "number_digits": 3, "average_service_minutes": 10.0,
        "daily_limit": None, "last_ticket_minutes_before_close": 15, "walk_in": True,
        "hours": {"tue": ["08:00-15:00"]}, "booking": None, "event_only": False, "active": True, "waiting": 0}
    window = await office.client.post(f"{ADMIN}/windows", headers=boss,
                                      json={"number": "13", "name": "Praca", "services": ["W"]})
    assert window.status_code == 201 and window.json()["window"]["services"] == ["W"]
    assert (await kiosk_service(office, "W"))["open_now"] is True
    ticket = await office.take("W")
    assert ticket.status_code == 201 and ticket.json()["number"] == "W001"
    twice = await office.client.post(f"{ADMIN}/windows", headers=boss, json={"number": "13"})
    assert twice.status_code == 422 and twice.json()["field"] == "window[12] (13)"


async def test_switching_off_a_service_with_people_waiting_asks_first(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    ticket = (await office.take("B")).json()
    asked = await office.client.post(f"{ADMIN}/services/B/switch-off", headers=boss, params={"lang": "en"})
    assert asked.status_code == 409
    assert (asked.json()["error"], asked.json()["waiting"]) == ("service_has_waiting", 1)
    assert asked.json()["message"].startswith("People are waiting for service B today (1)")
    assert (await kiosk_service(office, "B")) is not None
    done = await office.client.post(f"{ADMIN}/services/B/switch-off", headers=boss, json={"confirm": True})
    assert done.status_code == 200, done.text
    assert (done.json()["service"]["active"], done.json()["service"]["waiting"]) == (False, 0)
    assert await kiosk_service(office, "B") is None
    tracked = await office.client.get(f"/api/v1/tickets/{ticket['id']}")
    assert tracked.json()["status"] == "cancelled"
    view = (await office.client.get(f"{ADMIN}/office", headers=boss)).json()
    assert [w["services"] for w in view["windows"] if w["number"] == "3"] == [["A"]]
    # Back on: with the windows that served it.
    again = await office.client.post(f"{ADMIN}/services/B/switch-on", headers=boss)
    assert again.status_code == 200 and again.json()["service"]["active"] is True
    view = (await office.client.get(f"{ADMIN}/office", headers=boss)).json()
    assert [w["services"] for w in view["windows"] if w["number"] == "3"] == [["A", "B"]]
    assert [s["code"] for s in view["services"]] == ["A", "F", "K", "B", "I", "C", "D"]
    assert (await office.take("B")).status_code == 201


async def test_a_window_with_a_visitor_at_it_is_not_switched_off(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    clerk = await office.clerk("1", username="anna")
    await office.take("A")
    called = (await office.press(clerk, "/api/v1/windows/1/call-next")).json()
    view = (await office.client.get(f"{ADMIN}/office", headers=boss)).json()
    window = next(w for w in view["windows"] if w["number"] == "1")
    assert window["clerk"] == "anna" and window["ticket"]["number"] == called["number"]
    refused = await office.client.post(f"{ADMIN}/windows/1/switch-off", headers=boss, json={"confirm": True})
    assert refused.status_code == 409 and refused.json()["error"] == "window_in_use"
    await office.press(clerk, f"/api/v1/tickets/{called['id']}/start")
    await office.press(clerk, f"/api/v1/tickets/{called['id']}/finish")
    off = await office.client.post(f"{ADMIN}/windows/1/switch-off", headers=boss)
    assert off.status_code == 200 and off.json()["window"]["active"] is False
    on = await office.client.post(f"{ADMIN}/windows/1/switch-on", headers=boss)
    assert on.json()["window"] == {"number": "1", "name": "", "services": ["A"], "active": True,
                                   "clerk": None, "ticket": None}


async def test_every_change_is_in_the_audit_log_with_before_and_after(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    await office.client.put(f"{ADMIN}/office", headers=boss, json={"recalls_before_no_show": 2})
    await office.client.put(f"{ADMIN}/priorities/veteran", headers=boss, json={"mark": "V"})
    await office.client.put(f"{ADMIN}/notices", headers=boss, json={"kiosk": {"pl": "Okno 3 dziś nieczynne"}})
    same = await office.client.put(f"{ADMIN}/office", headers=boss, json={"recalls_before_no_show": 2})
    assert same.status_code == 200 and same.json()["office"]["recalls_before_no_show"] == 2
    log = (await office.client.get(f"{ADMIN}/audit", headers=boss)).json()["changes"]
    assert [(c["actor"], c["action"], c["target"]) for c in log] == [
        ("kierownik", "notices.update", "demo"), ("kierownik", "priority.update", "veteran"),
        ("kierownik", "office.update", "demo")]   # the change that changed nothing is not recorded
    assert (log[2]["before"]["recalls_before_no_show"], log[2]["after"]["recalls_before_no_show"]) == (1, 2)
    assert (log[1]["before"]["mark"], log[1]["after"]["mark"]) == ("★", "V") or log[1]["after"]["mark"] == "V"
    assert log[0]["after"]["kiosk"] == {"pl": "Okno 3 dziś nieczynne"} and log[0]["at"].endswith("+01:00")
    only = (await office.client.get(f"{ADMIN}/audit", headers=boss, params={"action": "priority"})).json()
    assert [c["action"] for c in only["changes"]] == ["priority.update"]
    older = (await office.client.get(f"{ADMIN}/audit", headers=boss, params={"older_than": log[1]["id"]})).json()
    assert [c["id"] for c in older["changes"]] == [log[2]["id"]]
    exported = await office.client.get(f"{ADMIN}/audit.csv", headers=boss)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["action"] for row in rows] == ["notices.update", "priority.update", "office.update"]
    assert json.loads(rows[2]["after"])["recalls_before_no_show"] == 2


async def test_an_export_after_edits_loads_back_unchanged(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    edits = [("PUT", f"{ADMIN}/services/F", {"hours": {"sat": ["09:00-13:00"]}, "daily_limit": None}),
             ("PUT", f"{ADMIN}/services/A", {"booking": {"slot_minutes": 30, "places": 2,
                                                         "days": {"tue": ["08:00-12:00"]}}}),
             ("POST", f"{ADMIN}/services/K/switch-off", None),
             ("PUT", f"{ADMIN}/windows/5", {"name": "Odciski", "services": ["F", "A"]}),
             ("POST", f"{ADMIN}/priorities", {"code": "senior", "mark": "S", "names": {
                 "pl": "Senior", "en": "Senior", "uk": "Літня людина", "ru": "Пожилой человек"}}),
             ("PUT", f"{ADMIN}/office", {"name": "Urząd (po zmianach)", "closures": ["2026-12-24"]})]
    for method, path, body in edits:
        answer = await office.client.request(method, path, headers=boss, json=body)
        assert answer.status_code in (200, 201), (path, answer.text)
    async with office.okienko.db.engine.begin() as conn:
        text = await export_office(conn, "demo")
        document = await office_document(conn, "demo")
        await load_office(conn, parse_office(document))
        assert await export_office(conn, "demo") == text
    assert 'name = "Urząd (po zmianach)"' in text and 'sat = "09:00-13:00"' in text
    assert '[[service]]\ncode = "K"' not in text and 'code = "senior"' in text


async def test_only_the_office_s_own_managers_may(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ours = await manager(office)
    async with office.okienko.db.engine.begin() as conn:
        document = await office_document(conn, "demo")
        document["office"].update(code="other", name="Another office")
        document["kiosk"], document["board"] = [], []
        await load_office(conn, parse_office(document))
    theirs = await manager(office, "obcy", "other")
    clerk = await office.clerk("1")
    for headers, status in ((theirs, 403), (clerk, 403), (office.kiosk(), 403), ({}, 401)):
        answer = await office.client.put(f"{ADMIN}/services/A", headers=headers, params={"office": "demo"},
                                         json={"daily_limit": 1})
        assert answer.status_code == status, answer.text
    own = await office.client.put(f"{ADMIN}/services/A", headers=theirs, json={"daily_limit": 1})
    assert own.status_code == 200   # their own office's service A
    assert (await kiosk_service(office, "A"))["daily_limit"] == 120
    view = (await office.client.get(f"{ADMIN}/office", headers=ours)).json()
    assert view["office"]["code"] == "demo" and view["languages"] == list(LANGUAGES)


async def test_notices_reach_the_board_and_the_kiosk_live(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    async with office.okienko.db.engine.begin() as conn:
        board = {"Authorization": f"Bearer {await issue_device_token(conn, 'demo', 'board', 'hall')}"}
    async with serving(office.app) as url:
        socket_url = url.replace("http://", "ws://")
        async with connect(f"{socket_url}/ws/board", additional_headers=board) as hall, \
                connect(f"{socket_url}/ws/kiosk", additional_headers=office.kiosk()) as kiosk:
            assert json.loads(await hall.recv())["tickers"] == {}
            assert json.loads(await kiosk.recv()) == {"type": "setup", "kiosk": {}}
            answer = await office.client.put(f"{ADMIN}/notices", headers=boss, json={
                "ticker": {"pl": "Dziś do 15:00", "en": "Today until 15:00"},
                "kiosk": {"pl": "Okno 3 nieczynne", "uk": "Вікно 3 не працює"}})
            assert answer.status_code == 200
            assert answer.json() == {"ticker": {"pl": "Dziś do 15:00", "en": "Today until 15:00"},
                                     "kiosk": {"pl": "Okno 3 nieczynne", "uk": "Вікно 3 не працює"}}
            event = json.loads(await hall.recv())
            assert (event["kind"], event["text"]) == ("ticker", "Dziś do 15:00  •  Today until 15:00")
            assert event["tickers"] == {"pl": "Dziś do 15:00", "en": "Today until 15:00"}
            assert json.loads(await kiosk.recv())["kiosk"]["uk"] == "Вікно 3 не працює"
            # Any other change of the set-up: the kiosk reads its services again.
            await office.client.put(f"{ADMIN}/services/A", headers=boss, json={"daily_limit": 99})
            assert json.loads(await kiosk.recv())["type"] == "setup"
            assert json.loads(await hall.recv())["kind"] == "setup"
    snapshot = (await office.client.get("/api/v1/board", headers=board)).json()
    assert snapshot["ticker"] == "Dziś do 15:00  •  Today until 15:00"
    english = await office.client.get("/board/", params={"lang": "en"}, headers=board)
    assert "Today until 15:00  •  Dziś do 15:00" in english.text
    for language, line in (("uk", "Вікно 3 не працює"), ("en", "Okno 3 nieczynne")):   # else the office's
        page = await office.client.get("/kiosk/", params={"lang": language}, headers=office.kiosk())
        assert line in page.text
    # The board's old single line still works: it is the ticker in the office's language.
    await office.client.put("/api/v1/board/ticker", headers=boss, json={"text": "Zamknięte o 14:00"})
    assert (await office.client.get(f"{ADMIN}/notices", headers=boss)).json()["ticker"] == {"pl": "Zamknięte o 14:00"}


async def _document(office: Any) -> dict[str, Any]:
    async with office.okienko.db.engine.begin() as conn:
        return await office_document(conn, "demo")


async def test_a_signed_in_manager_changes_with_the_console_s_csrf_token(office_factory: Any) -> None:
    """The back office's screen signs in as the console does (cookie); a change needs X-CSRF-Token."""
    office = await office_factory(TUESDAY)
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "ewa", "manager", "correct horse battery", "demo")
    signed_in = await office.client.post("/console/login", data={"username": "ewa", "password": "correct horse battery"})
    assert signed_in.status_code in (302, 303), signed_in.text
    page = await office.client.get("/console/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert (await office.client.get(f"{ADMIN}/notices")).status_code == 200
    refused = await office.client.put(f"{ADMIN}/notices", json={"kiosk": {"pl": "x"}})
    assert (refused.status_code, refused.json()["error"]) == (403, "csrf_failed")
    done = await office.client.put(f"{ADMIN}/notices", json={"kiosk": {"pl": "x"}}, headers={"X-CSRF-Token": token})
    assert done.status_code == 200
    log = (await office.client.get(f"{ADMIN}/audit")).json()["changes"]
    assert [(c["actor"], c["action"]) for c in log] == [("ewa", "notices.update")]


async def test_a_date_s_own_hours_reach_the_kiosk_live_too(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    async with serving(office.app) as url:
        async with connect(url.replace("http://", "ws://") + "/ws/kiosk", additional_headers=office.kiosk()) as kiosk:
            assert json.loads(await kiosk.recv())["type"] == "setup"
            saved = await office.client.put(f"{ADMIN}/days/2026-12-01", headers=boss, json={
                "hours": ["13:00-15:00"], "services": None, "walk_in": True, "booking": True, "reason": "Szkolenie"})
            assert saved.status_code == 200, saved.text
            assert json.loads(await kiosk.recv()) == {"type": "setup", "kiosk": {}}
    assert (await kiosk_service(office, "A"))["closed_reason"]["error"] == "service_not_open_yet"


async def test_a_booking_schedule_cut_asks_first_then_tells_each_person(office_factory: Any) -> None:
    from tests.okienko.booking.test_bookings import PERSON, book, mails, text_of
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    thursday = await book(office, start="2026-12-03T10:00:00+01:00")
    friday = await book(office, start="2026-12-04T10:00:00+01:00",
                        person={**PERSON, "document_number": "FE 999999", "email": "piatek@example.com"})
    await office.okienko.outbox.deliver_due()
    sent_before = len(mails(office))
    service = next(s for s in (await office.client.get(f"{ADMIN}/office", headers=headers)).json()["services"]
                   if s["code"] == "A")
    days = {day: ranges for day, ranges in service["booking"]["days"].items() if day != "thu"}
    change = {"booking": {**service["booking"], "days": days}}

    asked = await office.client.put(f"{ADMIN}/services/A?lang=en", headers=headers, json=change)
    assert asked.status_code == 409, asked.text
    assert asked.json()["error"] == "bookings_cut_off" and asked.json()["count"] == 1
    assert asked.json()["bookings"] == [{"code": thursday["code"], "starts_at": "2026-12-03T09:00:00+00:00"}]
    assert "this change: 1." in asked.json()["message"] and "Olena" not in asked.text
    unchanged = await office.client.get(f"/api/v1/bookings/{thursday['code']}", params={"secret": thursday["secret"]})
    assert unchanged.json()["flag"] is None   # refused: nothing changed, nobody told

    saved = await office.client.put(f"{ADMIN}/services/A", headers=headers, json={**change, "confirm": True})
    assert saved.status_code == 200, saved.text
    assert "thu" not in saved.json()["service"]["booking"]["days"]
    await office.okienko.outbox.deliver_due()
    sent = mails(office)[sent_before:]
    assert [m["To"] for m in sent] == [PERSON["email"]]   # the Friday visit keeps its slot, unbothered
    assert thursday["code"] in text_of(sent[0]) and "/book/manage/" in text_of(sent[0])
    old_link = await office.client.get(f"/api/v1/bookings/{thursday['code']}", params={"secret": thursday["secret"]})
    assert old_link.status_code == 404   # a new link came with the message
    kept = await office.client.get(f"/api/v1/bookings/{friday['code']}", params={"secret": friday["secret"]})
    assert kept.json()["flag"] is None
    flagged = await office.client.get(f"{ADMIN}/bookings", headers=headers, params={"flag": "day_closed"})
    assert [b["code"] for b in flagged.json()["bookings"]] == [thursday["code"]]
    audit = (await office.client.get(f"{ADMIN}/audit", headers=headers)).json()["changes"]
    assert audit[0]["action"] == "service.update" and audit[0]["after"]["told"] == [thursday["code"]]

    # Editing again (a name) is not held up by the booking already told.
    renamed = await office.client.put(f"{ADMIN}/services/A", headers=headers,
                                      json={"names": {**service["names"], "en": "Residence application"}})
    assert renamed.status_code == 200, renamed.text


async def test_the_office_s_digits_and_booking_rules_are_edited_like_the_file(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    saved = await office.client.put(f"{ADMIN}/office", headers=headers, json={
        "number_digits": 4, "booking": {"hold_minutes": 15, "release_mode": "draw"}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["office"]["number_digits"] == 4
    assert saved.json()["office"]["booking"] == {"hold_minutes": 15, "release_mode": "draw"}
    wrong = await office.client.put(f"{ADMIN}/office?lang=en", headers=headers, json={"booking": {"hold_minuts": 5}})
    assert wrong.status_code == 422 and wrong.json()["error"] == "office_invalid"
    assert "hold_minuts" in wrong.json()["message"]
    zone = await office.client.put(f"{ADMIN}/office?lang=en", headers=headers, json={"timezone": "Europe/Warsow"})
    assert zone.status_code == 422 and "Europe/Warsow" in zone.json()["message"]

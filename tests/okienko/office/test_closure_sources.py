"""Closure calendars, polled from a real HTTP server on loopback: a new closure day takes its slots away
and flags its bookings (their people told, in their language, through the outbox), a date the calendar
drops reopens, a manager's own hours win, an unchanged calendar (ETag) is not read again, a broken or
unreachable one changes nothing and shows its error. SQLite and PostgreSQL."""

from __future__ import annotations

import http.server
import logging
import threading
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from okienko.storage.models import AuditEntry, Booking
from tests.conftest import Office, free_port
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, mails
from tests.okienko.office.test_days import THURSDAY, UKRAINIAN, manager, set_day, slot_days

pytestmark = pytest.mark.anyio

FRIDAY = "2026-12-04"
TOKEN = "s3cr3t-t0ken"


def vcalendar(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Urząd//Zamknięcia//PL", *events, "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def all_day(uid: str, day: str, summary: str) -> str:
    compact = day.replace("-", "")
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T080000Z\r\nDTSTART;VALUE=DATE:{compact}\r\n" \
           f"SUMMARY:{summary}\r\nEND:VEVENT"


def timed(uid: str, day: str, start: str, end: str, summary: str) -> str:
    compact = day.replace("-", "")
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T080000Z\r\n"
            f"DTSTART;TZID=Europe/Warsaw:{compact}T{start.replace(':', '')}00\r\n"
            f"DTEND;TZID=Europe/Warsaw:{compact}T{end.replace(':', '')}00\r\nSUMMARY:{summary}\r\nEND:VEVENT")


class CalendarServer:
    """A closure calendar on loopback: what it serves (with an ETag), and the requests it answered."""

    def __init__(self) -> None:
        self.body = vcalendar()
        self.etag = '"v0"'
        self.requests: list[dict[str, str]] = []
        self.port = free_port()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append({"path": self.path, "if-none-match": self.headers.get("If-None-Match", "")})
                if self.headers.get("If-None-Match") == server.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, body: bytes, etag: str) -> None:
        self.body, self.etag = body, etag

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/zamkniecia.ics?token={TOKEN}"


@pytest.fixture(scope="module")
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


async def flags(office: Office) -> dict[str, Any]:
    async with office.okienko.db.read() as conn:
        table = Booking.__table__
        return dict((await conn.execute(sa.select(table.c.code, table.c.flag))).all())


async def test_a_closure_day_from_the_calendar_takes_its_slots_and_tells_the_people_booked(
        office_factory: Any, calendar_server: CalendarServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    olena = await book(office, start=f"{THURSDAY}T10:00:00+01:00", language="en")
    iryna = await book(office, start=f"{THURSDAY}T13:00:00+01:00", person=UKRAINIAN, language="uk")
    friday = await book(office, start=f"{FRIDAY}T13:00:00+01:00",
                        person={**PERSON, "document_number": "FE 222333", "email": "third@example.com"})
    await office.okienko.outbox.deliver_due()
    before = len(mails(office))
    calendar_server.serve(vcalendar(all_day("awaria@urzad", THURSDAY, "Awaria prądu – urząd zamknięty"),
                                    timed("krotki@urzad", FRIDAY, "08:00", "12:00", "Скорочений день")), '"v1"')

    added = await office.client.post("/api/v1/admin/closure-calendars", headers=headers,
                                     json={"name": "Zamknięcia", "url": calendar_server.url})
    assert added.status_code == 201, added.text
    answer = added.json()
    assert answer["poll"]["status"] == "ok" and answer["poll"]["changed"] == [THURSDAY, FRIDAY]
    assert sorted(a["code"] for a in answer["poll"]["affected"]) == sorted(
        [olena["code"], iryna["code"], friday["code"]])
    assert answer["calendar"]["host"] == f"127.0.0.1:{calendar_server.port}" and answer["calendar"]["days"] == 2
    assert TOKEN not in added.text

    days = await slot_days(office, THURSDAY, FRIDAY)
    assert not days.get(THURSDAY) and days[FRIDAY] and max(days[FRIDAY]) < "12:00"
    assert set((await flags(office)).values()) == {"day_closed"}
    await office.okienko.outbox.deliver_due()
    told = mails(office)[before:]
    assert sorted(m["To"] for m in told) == ["iryna@example.com", "olena@example.com", "third@example.com"]
    assert all("/book/manage/" in m.get_body(preferencelist=("plain",)).get_content() for m in told)
    listed = (await office.client.get("/api/v1/admin/days", headers=headers,
                                      params={"from": THURSDAY, "to": FRIDAY})).json()["days"]
    assert [(d["date"], d["kind"], d["own"], d.get("source"), d["reason"]) for d in listed] == [
        (THURSDAY, "closed", False, "Zamknięcia", "Awaria prądu – urząd zamknięty"),
        (FRIDAY, "hours", False, "Zamknięcia", "Скорочений день")]
    # Not the manager's: the Days page cannot take it back, only the calendar can.
    assert (await office.client.delete(f"/api/v1/admin/days/{THURSDAY}", headers=headers)).status_code == 404

    # Unchanged: the server answers 304 to the ETag, nothing is read again.
    calendar_id = answer["calendar"]["id"]
    again = await office.client.post(f"/api/v1/admin/closure-calendars/{calendar_id}/poll", headers=headers)
    assert again.json()["poll"]["status"] == "unchanged"
    assert calendar_server.requests[-1]["if-none-match"] == '"v1"'

    # A manager's own hours win over the calendar's; the date the calendar drops reopens.
    await set_day(office, headers, FRIDAY, hours=["08:00-14:00"], reason="Dyżur")
    calendar_server.serve(vcalendar(timed("krotki@urzad", FRIDAY, "08:00", "10:00", "Скорочений день")), '"v2"')
    polled = (await office.client.post(f"/api/v1/admin/closure-calendars/{calendar_id}/poll",
                                       headers=headers)).json()["poll"]
    assert polled["status"] == "ok" and polled["changed"] == [THURSDAY, FRIDAY] and polled["told"] == 0
    days = await slot_days(office, THURSDAY, FRIDAY)
    assert "10:00" in days[THURSDAY] and max(days[FRIDAY]) >= "13:00"

    async with office.okienko.db.read() as conn:
        audit = (await conn.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.__table__.c.id)))\
            .mappings().all()
    calendar_entries = [(a["actor"], a["action"], a["target"]) for a in audit if a["action"] == "day.calendar"]
    assert calendar_entries[:2] == [("calendar:Zamknięcia", "day.calendar", THURSDAY),
                                    ("calendar:Zamknięcia", "day.calendar", FRIDAY)]
    assert TOKEN not in str([dict(a) for a in audit]) and TOKEN not in caplog.text

    # Taking the calendar away reopens nothing more (the manager's Friday stays) and tells nobody.
    removed = await office.client.delete(f"/api/v1/admin/closure-calendars/{calendar_id}", headers=headers)
    assert removed.status_code == 200 and removed.json() == {"told": 0, "affected": []}
    listed = (await office.client.get("/api/v1/admin/days", headers=headers,
                                      params={"from": THURSDAY, "to": FRIDAY})).json()["days"]
    assert [(d["date"], d["own"], d["hours"]) for d in listed] == [(FRIDAY, True, ["08:00-14:00"])]


async def test_a_broken_or_unreachable_calendar_changes_nothing_and_shows_its_error(
        office_factory: Any, calendar_server: CalendarServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    olena = await book(office, start=f"{THURSDAY}T10:00:00+01:00", language="en")
    calendar_server.serve(vcalendar(all_day("a@urzad", THURSDAY, "Zamknięte")), '"b1"')
    added = (await office.client.post("/api/v1/admin/closure-calendars", headers=headers,
                                      json={"name": "Plan", "url": calendar_server.url})).json()
    assert added["poll"]["told"] == 1
    calendar_id = added["calendar"]["id"]

    calendar_server.serve(b"<html>Service unavailable</html>", '"b2"')
    broken = (await office.client.post(f"/api/v1/admin/closure-calendars/{calendar_id}/poll",
                                       headers=headers)).json()
    assert broken["poll"]["status"] == "error" and broken["poll"]["changed"] == []
    assert broken["calendar"]["status"] == "error" and broken["calendar"]["error"]
    assert broken["calendar"]["days"] == 1   # the last good answer stands: Thursday stays closed
    assert not (await slot_days(office, THURSDAY, FRIDAY)).get(THURSDAY)

    unreachable = await office.client.post("/api/v1/admin/closure-calendars", headers=headers, json={
        "name": "Gone", "url": f"http://user:{TOKEN}@127.0.0.1:{free_port()}/x.ics?key={TOKEN}"})
    assert unreachable.status_code == 201
    assert unreachable.json()["poll"]["status"] == "error"
    assert unreachable.json()["poll"]["error"].startswith("cannot connect")
    listed = (await office.client.get("/api/v1/admin/closure-calendars", headers=headers)).json()["calendars"]
    assert [(c["name"], c["status"]) for c in listed] == [("Plan", "error"), ("Gone", "error")]
    assert TOKEN not in str(listed) and TOKEN not in caplog.text
    assert "127.0.0.1" in caplog.text   # the host is logged, the rest of the address not
    assert (await flags(office))[olena["code"]] == "day_closed"

    # The worker: nothing is due before the interval; then both are polled once, even if asked twice.
    closures = office.okienko.closures
    assert await closures.poll_due() == 0
    office.clock.advance(seconds=closures.poll_seconds + 1)
    calendar_server.serve(vcalendar(), '"b3"')   # the plan dropped Thursday: it reopens
    assert await closures.poll_due() == 2
    assert await closures.poll_due() == 0
    assert (await slot_days(office, THURSDAY, FRIDAY))[THURSDAY]


async def test_a_closure_calendar_needs_a_name_and_an_http_address(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    for body in ({"name": "", "url": "https://example.com/a.ics"}, {"name": "A", "url": "file:///etc/passwd"},
                 {"name": "A", "url": "https://example.com/a.ics", "kind": "webcal"}):
        refused = await office.client.post("/api/v1/admin/closure-calendars", headers=headers, json=body)
        assert refused.status_code in (400, 422) and refused.json()["error"] in ("closure_source_invalid", "wrong_type")
    missing = await office.client.post("/api/v1/admin/closure-calendars/999/poll", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "closure_source_not_found"

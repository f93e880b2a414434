"""The server's log keeps no secret and no personal data: a real `okienko demo` through a whole
booking day (a booking confirmed with the emailed code, its manage link, a draw entry and its
receipt, a kiosk signed in by its token, a booked visitor checked in, the desk's document check,
the ticket followed on a phone, a database failure during a hold), then every value used is
looked for in everything the server wrote."""

from __future__ import annotations

import contextlib
import logging
import secrets
import sqlite3
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from websockets.sync.client import connect

from okienko.booking.bookings import CODE_ALPHABET
from okienko.logs import loggable
from okienko.storage.models import Booking, Office, Service
from okienko.people import document_hash
from okienko_server.server_log import RedactSecrets, redact_target
from tests.okienko.notify.test_outbox import Inbox, code_in
from tests.conftest import Demo, free_port, running_demo

BOOKER = {"name": "Bożena Tajemnicza", "birth_date": "1987-06-05", "document_number": "ZX 987654",
          "document_country": "PL", "phone": "+48 601 602 603", "email": "bozena.tajemnicza@example.org"}
ENTRANT = {"name": "Wiesław Ukryty", "birth_date": "1979-02-03", "document_number": "QW 123987",
           "email": "wieslaw.ukryty@example.net"}
# The database refuses to store her booking: a trigger put in by the test (see `fail_holds_of`).
UNLUCKY = {"name": "Marta Usterka", "birth_date": "1969-12-11", "document_number": "MU 555444",
           "phone": "+48 605 444 333", "email": "marta.usterka@example.org"}
CHECKED_IN = {"name": "Halyna Potaemna", "birth_date": "1991-09-08", "document_number": "HP 424242",
              "email": "halyna.potaemna@example.com"}


@pytest.fixture
def mail() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)
    return found


def code_sent_to(inbox: Inbox, address: str) -> str:
    message = wait_for(lambda: next((m for m in reversed(inbox.messages) if m["To"] == address), None),
                       f"the code mailed to {address}")
    return code_in(message)


def first_free_slot(client: httpx.Client, service: str, skip: int = 0) -> str:
    listing = client.get("/api/v1/slots", params={"service": service}).json()
    free = [slot["start"] for day in listing["days"] for slot in day["slots"] if slot["free"] > 0]
    return free[skip]


def secret_key(demo: Demo) -> str:
    return (demo.data_dir / "secret.key").read_text().strip()


def book_today(database: Path, person: dict[str, str], key: str) -> str:
    """A confirmed booking of service A starting in a few minutes, put straight into the demo's
    database (the demo books from tomorrow on); its code."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    starts_at = now + timedelta(minutes=3)
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            office = conn.execute(sa.select(Office.__table__.c.id, Office.__table__.c.timezone)).one()
            services = Service.__table__
            service_id = conn.execute(sa.select(services.c.id).where(services.c.office_id == office.id,
                                                                     services.c.code == "A")).scalar_one()
            conn.execute(sa.insert(Booking.__table__).values(
                id=secrets.token_urlsafe(16), office_id=office.id, service_id=service_id,
                office_day=starts_at.astimezone(ZoneInfo(office.timezone)).date(), starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=20), place=99, status="confirmed", code=code, secret_hash="",
                person_key=secrets.token_hex(32), person_name=person["name"],
                birth_date=date.fromisoformat(person["birth_date"]),
                document_hash=document_hash(key, person["document_number"]), document_masked="HP****42",
                document_country="", email=person["email"], phone="", language="pl", confirm_attempts=0,
                sequence=0, created_at=now, confirmed_at=now))
    finally:
        engine.dispose()
    return code


def fail_holds_of(database: Path, name: str) -> None:
    """From now on the database fails (an arithmetic overflow, not a constraint) to store a hold for `name`."""
    with sqlite3.connect(database) as conn:
        conn.execute(f"CREATE TRIGGER okienko_test_fault BEFORE INSERT ON bookings WHEN NEW.person_name = '{name}' "
                     "BEGIN SELECT abs(-9223372036854775808); END")


def forms_of(person: dict[str, str]) -> list[str]:
    """Every way a person's details could be written into a log line."""
    found = [person["name"], *person["name"].split(), person["birth_date"], person["email"],
             person["email"].split("@")[0], person["document_number"], person["document_number"].replace(" ", "")]
    birth = date.fromisoformat(person["birth_date"])
    found += [birth.strftime("%d.%m.%Y"), repr(birth)]
    if "phone" in person:
        digits = person["phone"].replace(" ", "")
        found += [person["phone"], digits, digits[3:]]
    return found


def test_a_whole_booking_day_leaves_no_secret_and_no_personal_data_in_the_log(
        tmp_path: Path, mail: tuple[Controller, Inbox]) -> None:
    controller, inbox = mail
    smtp = {"OKIENKO_SMTP_HOST": "127.0.0.1", "OKIENKO_SMTP_PORT": str(controller.port), "OKIENKO_LOG_LEVEL": "info"}
    with running_demo(tmp_path, env=smtp) as demo, contextlib.ExitStack() as stack:
        started = len(demo.log)   # what the demo printed for its operator (sign-in links) comes before
        database = tmp_path / "demo.db"
        key = secret_key(demo)
        kiosk_token, manager_token = demo.token("kiosk", "hall-1"), demo.staff_token("kierownik")
        client = stack.enter_context(httpx.Client(base_url=demo.url, timeout=15))
        used: list[str] = [kiosk_token, manager_token, "okienko-demo", key]

        # A visitor books online, confirms with the emailed code, opens the manage link.
        held = client.post("/api/v1/bookings?lang=pl", json={"service": "A", "start": first_free_slot(client, "A"),
                                                             "language": "pl", **BOOKER})
        assert held.status_code == 202, held.text
        assert client.get(f"/book/confirm/{held.json()['id']}").status_code == 200
        code = code_sent_to(inbox, BOOKER["email"])
        confirmed = client.post(f"/api/v1/bookings/{held.json()['id']}/confirm", json={"code": code})
        assert confirmed.status_code == 201, confirmed.text
        booking = confirmed.json()
        secret = booking["secret"]
        assert client.get(f"/book/manage/{booking['code']}", params={"secret": secret, "lang": "pl"}).status_code == 200
        assert client.get(f"/api/v1/bookings/{booking['code']}", params={"secret": secret}).status_code == 200
        assert client.get(f"/api/v1/bookings/{booking['code']}/calendar.ics",
                          headers={"X-Booking-Secret": secret}).status_code == 200
        used += [held.json()["id"], code, booking["code"], secret, *forms_of(BOOKER)]

        # Another enters the demo's open draw and follows the entry with the receipt.
        draw = next(d for d in client.get("/api/v1/draws", params={"service": "F"}).json()["draws"]
                    if d["status"] == "open")
        entered = client.post(f"/api/v1/draws/{draw['id']}/entries", json={**ENTRANT, "preferences": []})
        assert entered.status_code == 202, entered.text
        entry_code = code_sent_to(inbox, ENTRANT["email"])
        receipt = client.post(f"/api/v1/draw-entries/{entered.json()['id']}/confirm",
                              json={"code": entry_code}).json()["receipt"]
        assert client.get(f"/api/v1/draw-entries/{entered.json()['id']}", params={"receipt": receipt}).status_code == 200
        assert client.get(f"/book/draw/{entered.json()['id']}", params={"receipt": receipt}).status_code == 200
        used += [entered.json()["id"], entry_code, receipt, *forms_of(ENTRANT)]

        # The hall: a kiosk signs in with its token; a booked visitor checks in and follows the ticket.
        kiosk = stack.enter_context(httpx.Client(base_url=demo.url, timeout=15, follow_redirects=True))
        assert kiosk.get(demo.links("kiosk")["hall-1"]).status_code == 200
        booked_today = book_today(database, CHECKED_IN, key)
        ticket = kiosk.post("/api/v1/check-in", json={"code": booked_today, "language": "uk"},
                            headers={"Authorization": f"Bearer {kiosk_token}"})
        assert ticket.status_code == 201, ticket.text
        ticket_id = ticket.json()["id"]
        assert client.get(f"/t/{ticket_id}").status_code == 200
        assert client.get(f"/api/v1/tickets/{ticket_id}").status_code == 200
        with connect(f"{demo.url.replace('http', 'ws')}/ws/ticket/{ticket_id}") as phone:
            assert ticket_id in phone.recv(timeout=10)
        used += [booked_today, ticket_id, *forms_of(CHECKED_IN)]

        # The desk checks the visitor's document; a clerk signs in to the console with a password.
        manager = {"Authorization": f"Bearer {manager_token}"}
        checked = client.post(f"/api/v1/tickets/{ticket_id}/document-check", headers=manager,
                              json={"document_number": CHECKED_IN["document_number"]})
        assert checked.json()["matched"] is True, checked.text
        signed_in = client.post("/console/login", data={"username": "urzednik", "password": "okienko-demo"})
        assert signed_in.status_code in (200, 303), signed_in.text

        # The database fails while holding a place for someone: 503, logged, without her details.
        fail_holds_of(database, UNLUCKY["name"])
        failed = client.post("/api/v1/bookings", json={"service": "A", "start": first_free_slot(client, "A", 1),
                                                       **UNLUCKY})
        assert (failed.status_code, failed.json()["error"]) == (503, "busy"), failed.text
        used += forms_of(UNLUCKY) + [document_hash(key, UNLUCKY["document_number"]),
                                     document_hash(key, BOOKER["document_number"])]
        wait_for(lambda: any("database error on POST /api/v1/bookings" in line for line in demo.log[started:]),
                 "the database error in the log")
    logged = "".join(demo.log[started:])

    # The log was written: each request is there, by its route, with the secrets hidden.
    for line in ('"POST /api/v1/bookings?lang=pl HTTP/1.1" 202', '"GET /kiosk/enroll?token=… HTTP/1.1" 303',
                 '"GET /book/manage/…?secret=…&lang=pl HTTP/1.1" 200', '"POST /api/v1/bookings/…/confirm HTTP/1.1" 201',
                 '"GET /api/v1/draw-entries/…?receipt=… HTTP/1.1" 200', '"WebSocket /ws/ticket/…" [accepted]',
                 '"POST /api/v1/tickets/…/document-check HTTP/1.1" 200', "integer overflow",
                 "[SQL parameters hidden due to hide_parameters=True]"):
        assert line in logged, logged
    leaked = sorted({value for value in used if value and value in logged})
    assert leaked == [], logged


def test_request_targets_are_redacted_by_route_and_query() -> None:
    assert redact_target("/kiosk/enroll?token=abc") == "/kiosk/enroll?token=…"
    assert redact_target("/board/enroll?token=abc&lang=uk") == "/board/enroll?token=…&lang=uk"
    assert redact_target("/api/v1/bookings/K7M3QD/calendar.ics?secret=s") == "/api/v1/bookings/…/calendar.ics?secret=…"
    assert redact_target("/book/qr/K7M3QD.svg") == "/book/qr/….svg"
    assert redact_target("/api/v1/tickets/t1/start") == "/api/v1/tickets/…/start"
    assert redact_target("/ws/ticket/t1") == "/ws/ticket/…"
    assert redact_target("/api/v1/staff/bookings?day=2026-12-01&name=Olena") == \
        "/api/v1/staff/bookings?day=2026-12-01&name=…"
    assert redact_target("/api/v1/windows/3/call-next") == "/api/v1/windows/3/call-next"   # no secret here
    assert redact_target("/api/v1/draws/12?lang=en&x") == "/api/v1/draws/12?lang=en&…"


def test_errors_are_logged_without_the_values_they_quote() -> None:
    refused = OSError("{'olena@example.com': (550, b'5.1.1 <olena@example.com>: Recipient address rejected')}")
    assert "olena" not in loggable(refused) and loggable(refused).startswith("OSError: ")
    assert loggable(ValueError("invalid input for query argument $3: 'Olena' (expected str)")) == \
        "ValueError: invalid input for query argument $3: … (expected str)"
    assert loggable(TimeoutError("database is locked")) == "TimeoutError: database is locked"


def test_every_log_line_is_scrubbed_of_email_addresses_and_targets() -> None:
    record = logging.LogRecord("okienko.outbox", logging.WARNING, __file__, 1, "sent to %s from %s",
                               ("olena@example.com", "/t/secret-ticket?lang=pl"), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "sent to … from /t/…?lang=pl"
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/book/manage/K7M3QD?secret=s", "1.1", 200), None)
    assert RedactSecrets().filter(access)
    assert access.args == ("127.0.0.1:5000", "GET", "/book/manage/…?secret=…", "1.1", 200)

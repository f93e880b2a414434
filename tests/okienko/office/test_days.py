"""A date's own hours from the back office: an extra Saturday, shorter hours, a closed day with bookings
(who is affected, flagged, told in their language). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from okienko.i18n import Translator
from okienko.staff.auth import add_user, issue_staff_token
from okienko.storage.models import AuditEntry, Booking, DayHours, Office as OfficeRow, OutboxMessage
from tests.conftest import Office, free_port, serving, warsaw
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, mails, text_of
from tests.okienko.notify.test_outbox import Inbox

pytestmark = pytest.mark.anyio

SATURDAY = "2026-12-12"
THURSDAY = "2026-12-03"
UKRAINIAN = {"name": "Iryna Shevchenko", "birth_date": "1985-02-20", "document_number": "EK 987654",
             "phone": "+48 600 111 222", "email": "iryna@example.com"}


@pytest.fixture
def smtp_inbox() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def manager(office: Office, username: str = "kierownik") -> dict[str, str]:
    """A manager of the demo office with a staff token: the headers to act with."""
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, username, "manager", "correct horse battery", "demo")
        token = await issue_staff_token(conn, username, office.clock.now())
    return {"Authorization": f"Bearer {token}"}


async def set_day(office: Office, headers: dict[str, str], day: str, **body: Any) -> Any:
    answer = await office.client.put(f"/api/v1/admin/days/{day}", headers=headers, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def slot_days(office: Office, first: str, last: str, service: str = "A") -> dict[str, list[str]]:
    office.okienko.booking._listings.clear()
    listing = await office.client.get("/api/v1/slots", params={"service": service, "from": first, "to": last})
    assert listing.status_code == 200, listing.text
    return {day["date"]: [slot["start"][11:16] for slot in day["slots"]] for day in listing.json()["days"]}


async def test_a_saturday_opened_with_extra_hours_gives_tickets_and_slots_that_saturday_only(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    saved = await set_day(office, headers, SATURDAY, hours=["09:00-13:00"], reason="Information Saturday")
    assert saved == {"day": {"date": SATURDAY, "kind": "hours", "hours": ["09:00-13:00"], "services": None,
                             "walk_in": True, "booking": True, "reason": "Information Saturday"},
                     "told": 0, "affected": []}
    days = await slot_days(office, SATURDAY, "2026-12-19")
    # A's 20-minute slots in the Saturday's hours, its break (12:00-12:20) kept; no slots a week later.
    assert days[SATURDAY] == ["09:00", "09:20", "09:40", "10:00", "10:20", "10:40", "11:00", "11:20", "11:40",
                              "12:20", "12:40"]
    assert "2026-12-19" not in days
    assert "2026-12-14" in days   # the Monday after: its weekly hours, untouched
    booked = await book(office, start=f"{SATURDAY}T09:20:00+01:00")
    assert booked["start"] == f"{SATURDAY}T09:20:00+01:00"

    office.clock.set(warsaw(2026, 12, 12, 10, 0))
    ticket = await office.take("K")
    assert ticket.status_code == 201, ticket.text
    office.clock.set(warsaw(2026, 12, 19, 10, 0))
    refused = await office.take("K")
    assert refused.status_code == 409 and refused.json()["error"] == "service_closed_today"


async def test_changed_hours_cut_the_kiosks_availability_at_once(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)   # Tuesday 09:00: A is open 08:00-15:00, last ticket an hour before
    headers = await manager(office)
    assert (await office.take("A")).status_code == 201
    await set_day(office, headers, "2026-12-01", hours=["08:00-09:30"], services=["A"], booking=False,
                  reason="Staff training")
    refused = await office.take("A")
    assert refused.status_code == 409 and refused.json()["error"] == "service_cutoff_passed"
    assert (await office.take("K")).status_code == 201   # another service keeps its hours
    shown = {s["code"]: s for s in (await office.client.get("/api/v1/services")).json()["services"]}
    assert shown["A"]["open_now"] is False and shown["K"]["open_now"] is True
    # Walk-ins only: A's slots that day are the weekly ones.
    setup = await office.okienko.offices.get()
    assert setup.service("A").booking.dates == {} and setup.service("A").dates

    removed = await office.client.delete("/api/v1/admin/days/2026-12-01", headers=headers)
    assert removed.status_code == 200 and removed.json() == {"day": None, "told": 0, "affected": []}
    assert (await office.take("A")).status_code == 201
    again = await office.client.delete("/api/v1/admin/days/2026-12-01", headers=headers)
    assert again.status_code == 404 and again.json()["error"] == "not_found"


async def test_closing_a_day_with_bookings_previews_them_then_flags_and_tells_each_in_their_language(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    olena = await book(office, start=f"{THURSDAY}T10:00:00+01:00", language="en")
    iryna = await book(office, start=f"{THURSDAY}T13:00:00+01:00", person=UKRAINIAN, language="uk")
    later = await book(office, start="2026-12-04T10:00:00+01:00", person={**PERSON, "document_number": "FE 111111",
                                                                          "email": "other@example.com"})
    await office.okienko.outbox.deliver_due()
    before = len(mails(office))

    preview = await office.client.post(f"/api/v1/admin/days/{THURSDAY}/preview", headers=headers,
                                       json={"hours": ["08:00-12:00"], "reason": "Power cut"})
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"count": 1, "affected": [{
        "code": iryna["code"], "service": "A", "service_name": "Złożenie wniosku o pobyt",
        "starts_at": f"{THURSDAY}T13:00:00+01:00", "name": "Iryna Shevchenko", "language": "uk",
        "contact": "email"}]}
    closed = await office.client.post(f"/api/v1/admin/days/{THURSDAY}/preview", headers=headers,
                                      json={"hours": []})
    assert [a["code"] for a in closed.json()["affected"]] == [olena["code"], iryna["code"]]
    async with office.okienko.db.read() as conn:   # a preview changes nothing
        flags = (await conn.execute(sa.select(Booking.__table__.c.flag))).scalars().all()
        assert set(flags) == {None}

    saved = await set_day(office, headers, THURSDAY, hours=[], reason="Power cut")
    assert saved["told"] == 2 and saved["day"]["kind"] == "closed"
    assert [a["name"] for a in saved["affected"]] == ["Olena Kovalenko", "Iryna Shevchenko"]
    listed = (await office.client.get("/api/v1/admin/days", headers=headers,
                                      params={"from": "2026-12-01", "to": "2026-12-31"})).json()["days"]
    assert {d["date"]: (d["kind"], d["bookings"]) for d in listed} == {
        THURSDAY: ("closed", 2), "2026-12-24": ("holiday", 0), "2026-12-25": ("holiday", 0),
        "2026-12-26": ("holiday", 0), "2026-12-31": ("closed", 0)}

    await office.okienko.outbox.deliver_due()
    sent = mails(office)[before:]
    assert sorted(m["To"] for m in sent) == ["iryna@example.com", "olena@example.com"]   # one each, not the 4th
    translator = Translator()
    for message, code, language in ((next(m for m in sent if m["To"] == "olena@example.com"), olena["code"], "en"),
                                    (next(m for m in sent if m["To"] == "iryna@example.com"), iryna["code"], "uk")):
        body = text_of(message)
        hello = translator.gettext(language, "Hello {name},\n\nThe office ({office}) has changed its hours: your "
                                             "visit ({service}, {when}, booking code {code}) cannot take place at "
                                             "that time.\n\nPlease choose another time with this link. You can "
                                             "choose before everyone else: also days that are not yet open for "
                                             "booking, up to {days} days further ahead.\n\n{link}\n\nThis link "
                                             "replaces the one in earlier messages. Your booking code stays the "
                                             "same.\n")
        assert hello.split("{name}")[0] in body and code in body
        english = "Your visit {when} cannot take place: please choose another time"
        subject = translator.gettext(language, english)
        assert message["Subject"].startswith(subject.split("{when}")[0])
        if language == "uk":   # in Ukrainian, not English
            assert subject != english and "Olena" not in body
        link = re.search(r"/book/manage/(\w+)\?secret=([\w-]+)", body)
        assert link and link.group(1) == code
        mine = await office.client.get(f"/api/v1/bookings/{code}", params={"secret": link.group(2)})
        assert mine.status_code == 200 and mine.json()["flag"] == "day_closed"
    old_link = await office.client.get(f"/api/v1/bookings/{olena['code']}", params={"secret": olena["secret"]})
    assert old_link.status_code == 404   # the new link replaces the old one
    still = await office.client.get(f"/api/v1/bookings/{later['code']}", params={"secret": later["secret"]})
    assert still.json()["flag"] is None

    async with office.okienko.db.read() as conn:
        audit = (await conn.execute(sa.select(AuditEntry.__table__))).mappings().all()
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [("kierownik", "day.set", THURSDAY)]
    assert audit[0]["after"]["told"] == [olena["code"], iryna["code"]]
    assert "Olena" not in str(audit[0]["after"]) and "olena@" not in str(audit[0]["after"])


async def test_the_message_goes_through_real_smtp(office_factory: Any, smtp_inbox: Any) -> None:
    controller, inbox = smtp_inbox
    office = await office_factory(TUESDAY, smtp_host="127.0.0.1", smtp_port=controller.port,
                                  mail_from="rezerwacje@urzad.test")
    headers = await manager(office)
    iryna = await book_by_smtp(office, inbox, UKRAINIAN, "uk")
    saved = await set_day(office, headers, THURSDAY, hours=[])
    assert saved["affected"][0]["contact"] == "email"
    assert await office.okienko.outbox.deliver_due() == 1
    message = inbox.messages[-1]
    subject = Translator().gettext("uk", "Your visit {when} cannot take place: please choose another time")
    assert message["To"] == UKRAINIAN["email"] and message["Subject"].startswith(subject.split("{when}")[0])
    assert iryna in text_of(message) and f"/book/manage/{iryna}?secret=" in text_of(message)
    assert "EK987654" not in text_of(message) and "987654" not in text_of(message)
    async with office.okienko.db.read() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(OutboxMessage.__table__)
                                   .where(OutboxMessage.__table__.c.sent_at.is_(None)))).scalar_one()
    assert left == 0


async def book_by_smtp(office: Office, inbox: Any, person: dict[str, str], language: str) -> str:
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": f"{THURSDAY}T10:00:00+01:00",
                                                               "language": language, **person})
    assert held.status_code == 202, held.text
    await office.okienko.outbox.deliver_due()
    code = re.search(r"\b(\d{6})\b", text_of(inbox.messages[-1]))
    assert code
    confirmed = await office.client.post(f"/api/v1/bookings/{held.json()['id']}/confirm", json={"code": code.group(1)})
    assert confirmed.status_code == 201
    await office.okienko.outbox.deliver_due()
    return confirmed.json()["code"]


async def test_taking_an_extra_saturday_away_tells_its_people_too(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    await set_day(office, headers, SATURDAY, hours=["09:00-13:00"], services=["A"])
    booked = await book(office, start=f"{SATURDAY}T09:00:00+01:00")
    removed = await office.client.delete(f"/api/v1/admin/days/{SATURDAY}", headers=headers)
    assert removed.status_code == 200 and removed.json()["told"] == 1
    assert removed.json()["affected"][0]["code"] == booked["code"]
    assert SATURDAY not in await slot_days(office, SATURDAY, SATURDAY)


async def test_hours_are_checked_as_the_office_file_checks_them(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    cases = [({"hours": ["9-12"]}, "hours", "day.hours: '9-12' is not HH:MM-HH:MM"),
             ({"hours": ["09:00-12:00"], "services": ["Z"]}, "services", "day.services: unknown service 'Z'"),
             ({"hours": ["09:00-12:00", "11:00-13:00"]}, "hours", "day.hours: the ranges overlap"),
             ({"hours": ["09:00-12:00"], "walk_in": False, "booking": False}, "day",
              "day: the hours are for walk_in, booking or both (both are false)")]
    for body, field, message in cases:
        answer = await office.client.put(f"/api/v1/admin/days/{SATURDAY}?lang=en", headers=headers, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"error": "office_invalid", "message": f"The office data is not valid: {message}",
                                 "field": field}
    closure = await office.client.put("/api/v1/admin/days/2026-12-31", headers=headers, json={"hours": ["09:00-12:00"]})
    assert closure.status_code == 422 and closure.json()["field"] == "hours"
    bad_date = await office.client.put("/api/v1/admin/days/2026-13-01", headers=headers, json={"hours": []})
    assert bad_date.status_code == 400 and bad_date.json()["error"] == "malformed_request"


async def test_opening_a_public_holiday_is_the_managers_choice_and_two_saves_at_once_both_land(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    assert (await slot_days(office, "2026-12-23", "2026-12-24"))["2026-12-24"] == []   # Wigilia: closed
    first, second = await asyncio.gather(
        office.client.put("/api/v1/admin/days/2026-12-24", headers=headers, json={"hours": ["08:00-09:00"]}),
        office.client.put("/api/v1/admin/days/2026-12-24", headers=headers, json={"hours": ["08:00-10:00"]}))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    days = (await office.client.get("/api/v1/admin/days", headers=headers,
                                    params={"from": "2026-12-24", "to": "2026-12-24"})).json()["days"]
    assert len(days) == 1 and days[0]["kind"] == "hours" and days[0]["own"] is True
    assert (await slot_days(office, "2026-12-24", "2026-12-24"))["2026-12-24"][0] == "08:00"
    async with office.okienko.db.read() as conn:
        table = DayHours.__table__
        rows = (await conn.execute(sa.select(sa.func.count()).select_from(table)
                                   .where(table.c.day == date(2026, 12, 24)))).scalar_one()
    assert rows == 1


async def test_where_the_office_sends_sms_the_person_also_gets_one_without_the_link(office_factory: Any) -> None:
    received: list[dict[str, Any]] = []

    async def gateway(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"queued": True})

    async with serving(Starlette(routes=[Route("/send", gateway, methods=["POST"])])) as url:
        office = await office_factory(TUESDAY, sms_gateway_url=f"{url}/send", sms_gateway_token="sms-token")
        async with office.okienko.db.engine.begin() as conn:
            table = OfficeRow.__table__
            policy = (await conn.execute(sa.select(table.c.booking_policy))).scalar_one()
            await conn.execute(sa.update(table).values(booking_policy={**policy, "sms": True}))
        office.okienko.offices.invalidate()
        iryna = await book(office, start=f"{THURSDAY}T10:00:00+01:00", person=UKRAINIAN, language="uk")
        await office.okienko.outbox.deliver_due()
        received.clear()
        headers = await manager(office)
        preview = await office.client.post(f"/api/v1/admin/days/{THURSDAY}/preview", headers=headers,
                                           json={"hours": []})
        assert preview.json()["affected"][0]["contact"] == "email+sms"
        await set_day(office, headers, THURSDAY, hours=[])
        assert await office.okienko.outbox.deliver_due() == 2
    assert len(received) == 1 and received[0]["to"] == "+48600111222"
    expected = Translator().gettext("uk", "{office}: your visit {when} cannot take place. Choose another time: "
                                          "see your email.")
    assert received[0]["text"].startswith(expected.split("{when}")[0].format(office="DEMO"))
    assert "secret" not in received[0]["text"] and iryna["code"] not in received[0]["text"]

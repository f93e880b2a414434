"""Information Saturdays managed from the back office's front door (okienko/office/events.py): the
rules an event is checked by, one event per date, the audit log, and what a published event's
people hear when it moves or is cancelled (same UID, higher SEQUENCE; METHOD:CANCEL). SQLite and
PostgreSQL, an injected clock (Tuesday 1 December 2026, 09:00 in Warsaw)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa

from okienko.errors import DomainError
from okienko.storage.models import AuditEntry, Booking
from tests.conftest import Office, warsaw
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, last_mail_to, mails, text_of
from tests.okienko.office.test_days import UKRAINIAN

pytestmark = pytest.mark.anyio

SATURDAY, NEXT_SATURDAY = "2026-12-12", "2026-12-19"
TITLES = {"pl": "Sobota informacyjna", "en": "Information Saturday"}


def form(**changes: Any) -> dict[str, Any]:
    return {"date": SATURDAY, "opens": "08:00", "closes": "15:00", "titles": TITLES,
            "descriptions": {"pl": "Konsultacje i składanie wniosków."}, "services": ["C"],
            "booking_opens_at": "2026-12-01T08:00", **changes}


async def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await call
    return raised.value


async def test_a_draft_is_checked_created_listed_and_published_with_its_audit_entries(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    events = office.okienko.office_events
    setup = await office.okienko.offices.get()
    assert await events.event_only_services(setup) == ["C", "D"]

    created = await events.create(setup, form(), actor="kierownik")
    shown = created.event
    assert (shown["date"], shown["opens"], shown["closes"], shown["status"], shown["sequence"]) == (
        SATURDAY, "08:00", "15:00", "draft", 0)
    assert shown["booking_opens_at"] == "2026-12-01T08:00:00+01:00" and shown["bookings"] == 0
    assert created.warnings == [] and created.told == []

    friday = await events.create(setup, form(date="2026-12-18", titles={"pl": "Piątek otwarty"}), actor="kierownik")
    assert friday.warnings == ["not_saturday"] and friday.event["warnings"] == ["not_saturday"]
    listed = await events.events(setup)
    assert [(e["date"], e["status"]) for e in listed] == [("2026-12-18", "draft"), (SATURDAY, "draft")]

    published = await events.publish_event(setup, shown["id"], actor="kierownik")
    assert published.event["status"] == "published"
    again = await events.publish_event(setup, shown["id"], actor="kierownik")   # nothing more to do
    assert again.event == published.event
    async with office.okienko.db.read() as conn:
        entries = (await conn.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.__table__.c.id)
                                      )).mappings().all()
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == [
        ("event.create", "kierownik", str(shown["id"])), ("event.create", "kierownik", str(friday.event["id"])),
        ("event.publish", "kierownik", str(shown["id"]))]
    assert entries[2]["before"]["status"] == "draft" and entries[2]["after"]["status"] == "published"


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"date": "2026-12-01"}, "event_date_invalid", "date"),            # today is not in the future
    ({"date": "12/12/2026"}, "event_date_invalid", "date"),
    ({"opens": "15:00", "closes": "08:00"}, "event_hours_invalid", "closes"),
    ({"opens": "8"}, "event_hours_invalid", "opens"),
    ({"closes": "24:30"}, "event_hours_invalid", "closes"),
    ({"titles": {"en": "Information Saturday"}}, "event_title_missing", "titles.pl"),
    ({"titles": {"pl": "x" * 201}}, "event_text_invalid", "titles.pl"),
    ({"titles": {"de": "Infotag", "pl": "Sobota"}}, "event_text_invalid", "titles.de"),
    ({"services": ["A"]}, "event_service_invalid", "services"),       # a weekday service
    ({"services": ["Z"]}, "event_service_invalid", "services"),
    ({"booking_opens_at": "2026-12-12T08:00"}, "event_booking_opens_invalid", "booking_opens_at"),
    ({"booking_opens_at": "soon"}, "event_booking_opens_invalid", "booking_opens_at"),
    ({"date": "2026-12-31"}, "event_on_closure", "date"),              # the demo's closure
])
async def test_each_rule_refuses_with_its_code_and_field(office_factory: Any, changes: dict[str, Any], code: str,
                                                         field: str) -> None:
    office = await office_factory(TUESDAY)
    setup = await office.okienko.offices.get()
    error = await refusal(office.okienko.office_events.create(setup, form(**changes), actor="kierownik"))
    assert (error.code, error.params["field"]) == (code, field)
    assert await office.okienko.office_events.events(setup) == []


async def test_one_event_per_date_even_when_two_managers_save_at_once(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    events = office.okienko.office_events
    setup = await office.okienko.offices.get()
    outcomes = await asyncio.gather(*(events.create(setup, form(), actor=f"kierownik{i}") for i in range(3)),
                                    return_exceptions=True)
    made = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(made) == 1 and [e.code for e in refused] == ["event_exists", "event_exists"]
    assert refused[0].params["day"] == date.fromisoformat(SATURDAY)
    other = await events.create(setup, form(date=NEXT_SATURDAY), actor="kierownik")
    moved_onto = await refusal(events.update(setup, other.event["id"], {"date": SATURDAY}, actor="kierownik"))
    assert moved_onto.code == "event_exists"
    # A cancelled event frees its date.
    await events.cancel(setup, made[0].event["id"], actor="kierownik")
    again = await events.update(setup, other.event["id"], {"date": SATURDAY}, actor="kierownik")
    assert again.event["date"] == SATURDAY
    cancelled = await refusal(events.update(setup, made[0].event["id"], {"opens": "09:00"}, actor="kierownik"))
    assert cancelled.code == "event_cancelled"
    assert (await refusal(events.publish_event(setup, made[0].event["id"], actor="x"))).code == "event_cancelled"
    assert (await refusal(events.event(setup, 999))).code == "event_not_found"


async def calendar_of(office: Office, address: str) -> tuple[Any, Any]:
    mail = await last_mail_to(office, address)
    part = [p for p in mail.walk() if p.get_content_type() == "text/calendar"][0]
    return mail, icalendar.Calendar.from_ical(part.get_content())


async def test_moving_a_published_event_moves_its_bookings_with_an_updated_invite_and_cancelling_cancels_them(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    events = office.okienko.office_events
    setup = await office.okienko.offices.get()
    event = (await events.create(setup, form(), actor="kierownik")).event
    await events.publish_event(setup, event["id"], actor="kierownik")
    olena = await book(office, start=f"{SATURDAY}T09:00:00+01:00", service="C", language="en")
    iryna = await book(office, start=f"{SATURDAY}T14:30:00+01:00", service="C", person=UKRAINIAN, language="uk")
    assert (await events.event(setup, event["id"]))["bookings"] == 2
    await office.okienko.outbox.deliver_due()
    before = len(mails(office))

    # The preview names who would be told and changes nothing.
    preview = await events.update(setup, event["id"], {"date": NEXT_SATURDAY, "closes": "12:00"}, actor="kierownik",
                                  preview=True)
    assert [(t.booking["code"], t.outcome) for t in preview.told] == [(olena["code"], "moved"),
                                                                       (iryna["code"], "cut_off")]
    assert (await events.event(setup, event["id"]))["date"] == SATURDAY
    await office.okienko.outbox.deliver_due()
    assert len(mails(office)) == before

    # Moved a week on and shortened: Olena's 09:00 moves with her; Iryna's 14:30 is gone that day.
    moved = await events.update(setup, event["id"], {"date": NEXT_SATURDAY, "closes": "12:00"}, actor="kierownik")
    assert moved.event["sequence"] == 1 and moved.event["date"] == NEXT_SATURDAY
    assert [(t.booking["code"], t.outcome) for t in moved.told] == [(olena["code"], "moved"),
                                                                     (iryna["code"], "cut_off")]
    mail, calendar = await calendar_of(office, PERSON["email"])
    invite = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "REQUEST"
    assert str(invite["uid"]) == olena["calendar_uid"] and int(invite["sequence"]) == 1
    assert invite.decoded("dtstart") == warsaw(2026, 12, 19, 9, 0)
    assert "moved" in text_of(mail)
    told_iryna = await last_mail_to(office, UKRAINIAN["email"])
    assert "Оберіть" in told_iryna["Subject"] or "оберіть" in told_iryna["Subject"], told_iryna["Subject"]
    async with office.okienko.db.read() as conn:
        table = Booking.__table__
        rows = {row["code"]: row for row in (await conn.execute(sa.select(table))).mappings()}
    assert rows[olena["code"]]["starts_at"] == warsaw(2026, 12, 19, 9, 0) and rows[olena["code"]]["flag"] is None
    assert rows[iryna["code"]]["flag"] == "day_closed" and rows[iryna["code"]]["status"] == "confirmed"

    # Cancelled: the booking left is cancelled, its person gets METHOD:CANCEL with a higher SEQUENCE.
    preview = await events.cancel(setup, event["id"], actor="kierownik", preview=True)
    assert [(t.booking["code"], t.outcome) for t in preview.told] == [(olena["code"], "cancelled")]
    cancelled = await events.cancel(setup, event["id"], actor="kierownik")
    assert cancelled.event["status"] == "cancelled" and cancelled.event["sequence"] == 2
    assert [t.booking["code"] for t in cancelled.told] == [olena["code"]]
    _mail, calendar = await calendar_of(office, PERSON["email"])
    invite = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "CANCEL"
    assert str(invite["uid"]) == olena["calendar_uid"] and int(invite["sequence"]) == 2
    async with office.okienko.db.read() as conn:
        status = (await conn.execute(sa.select(Booking.__table__.c.status).where(
            Booking.__table__.c.code == olena["code"]))).scalar_one()
        audit = (await conn.execute(sa.select(AuditEntry.__table__).where(
            AuditEntry.__table__.c.action.startswith("event.")).order_by(AuditEntry.__table__.c.id))).mappings().all()
    assert status == "cancelled"
    assert [(a["action"], a["after"]["told"]) for a in audit][-2:] == [
        ("event.update", {olena["code"]: "moved", iryna["code"]: "cut_off"}),
        ("event.cancel", {olena["code"]: "cancelled"})]
    assert "Kovalenko" not in str([dict(a) for a in audit])   # bookings by code, never by name


async def test_a_draft_changes_without_telling_anyone_and_its_title_only_change_keeps_bookings(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    events = office.okienko.office_events
    setup = await office.okienko.offices.get()
    event = (await events.create(setup, form(), actor="kierownik")).event
    walk_in = await events.update(setup, event["id"], {"opens": "09:00", "booking_opens_at": None}, actor="kierownik")
    assert walk_in.event["opens"] == "09:00" and walk_in.event["booking_opens_at"] is None
    assert walk_in.event["sequence"] == 0 and walk_in.told == []
    changed = await events.update(setup, event["id"], {"booking_opens_at": "2026-12-01T08:30"}, actor="kierownik")
    assert changed.event["booking_opens_at"] == "2026-12-01T08:30:00+01:00"
    await events.publish_event(setup, event["id"], actor="kierownik")
    olena = await book(office, start=f"{SATURDAY}T10:00:00+01:00", service="C")
    retitled = await events.update(setup, event["id"], {"titles": {**TITLES, "uk": "Інформаційна субота"}},
                                   actor="kierownik")
    assert retitled.told == [] and retitled.event["sequence"] == 2 - 1   # the feed's SEQUENCE rises
    assert retitled.event["titles"]["uk"] == "Інформаційна субота"
    assert (await events.event(setup, event["id"]))["bookings"] == 1
    async with office.okienko.db.read() as conn:
        flag = (await conn.execute(sa.select(Booking.__table__.c.flag).where(
            Booking.__table__.c.code == olena["code"]))).scalar_one()
    assert flag is None


async def test_a_published_event_made_walk_in_only_tells_its_booked_people_to_choose_another_time(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    events = office.okienko.office_events
    setup = await office.okienko.offices.get()
    event = (await events.create(setup, form(), actor="kierownik")).event
    await events.publish_event(setup, event["id"], actor="kierownik")
    olena = await book(office, start=f"{SATURDAY}T11:00:00+01:00", service="C")
    later = await events.update(setup, event["id"], {"booking_opens_at": "2026-12-01T08:45"}, actor="kierownik")
    assert later.told == []   # still open for booking: her slot is there
    walk_in = await events.update(setup, event["id"], {"booking_opens_at": None}, actor="kierownik")
    assert [(t.booking["code"], t.outcome) for t in walk_in.told] == [(olena["code"], "cut_off")]
    assert "choose another time" in (await last_mail_to(office, PERSON["email"]))["Subject"]

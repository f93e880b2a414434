"""The back office's bookings: the day's list and its search (code, name, time), one booking's
history, cancel and move on the visitor's behalf (the visitor is told; the audit log names the
manager, never the visitor). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from okienko.i18n import Translator
from okienko.storage.models import AuditEntry
from tests.conftest import warsaw
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, last_mail_to, text_of
from tests.okienko.office.test_days import UKRAINIAN, manager

pytestmark = pytest.mark.anyio

DAY = "2026-12-03"
LUKASZ = {"name": "Łukasz Żółtowski", "birth_date": "1979-11-02", "document_number": "AB 445566",
          "document_country": "PL", "phone": "+48 601 222 333", "email": "lukasz@example.com"}


async def three_bookings(office: Any) -> dict[str, dict[str, Any]]:
    return {"olena": await book(office, start=f"{DAY}T10:00:00+01:00"),
            "lukasz": await book(office, start=f"{DAY}T10:20:00+01:00", person=LUKASZ, language="pl"),
            "iryna": await book(office, start=f"{DAY}T13:00:00+01:00", person=UKRAINIAN, language="uk")}


async def test_the_days_bookings_are_listed_and_found_by_code_name_or_time(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    booked = await three_bookings(office)

    async def found(**params: str) -> list[str]:
        answer = await office.client.get("/api/v1/admin/bookings", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        return [b["code"] for b in answer.json()["bookings"]]

    listed = (await office.client.get("/api/v1/admin/bookings", headers=headers,
                                      params={"day": DAY, "lang": "en"})).json()["bookings"]
    assert listed[0] == {"code": booked["olena"]["code"], "service": "A",
                         "service_name": "Filing a residence application", "starts_at": f"{DAY}T10:00:00+01:00",
                         "status": "confirmed", "name": "Olena Kovalenko", "language": "en", "flag": None}
    assert [b["name"] for b in listed] == ["Olena Kovalenko", "Łukasz Żółtowski", "Iryna Shevchenko"]
    assert await found(day=DAY, q=booked["iryna"]["code"][:4].lower()) == [booked["iryna"]["code"]]
    assert await found(day=DAY, q="lukasz zol") == [booked["lukasz"]["code"]]
    assert await found(day=DAY, q="13:00") == [booked["iryna"]["code"]]
    assert await found(day=DAY, q="9:40") == []
    assert await found(q=booked["lukasz"]["code"]) == [booked["lukasz"]["code"]]   # a code: any day
    assert await found(day="2026-12-04") == []
    assert await found(flag="day_closed") == []
    bad = await office.client.get("/api/v1/admin/bookings", headers=headers, params={"flag": "other"})
    assert bad.status_code == 400 and bad.json()["error"] == "malformed_request"


async def test_moving_and_cancelling_on_the_visitors_behalf_tells_them_and_is_audited(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    booked = await three_bookings(office)
    iryna, olena = booked["iryna"]["code"], booked["olena"]["code"]
    office.clock.set(warsaw(2026, 12, 2, 14, 0))   # past the visitors' own deadline to move
    own = await office.client.post(f"/api/v1/bookings/{iryna}/reschedule",
                                   json={"secret": booked["iryna"]["secret"], "start": "2026-12-04T09:00:00+01:00"})
    assert own.status_code == 409 and own.json()["error"] == "too_late_to_change"

    moved = await office.client.post(f"/api/v1/admin/bookings/{iryna}/move", headers=headers,
                                     json={"starts_at": "2026-12-04T09:00:00+01:00"})
    assert moved.status_code == 200, moved.text
    shown = moved.json()["booking"]
    assert shown["starts_at"] == "2026-12-04T09:00:00+01:00" and shown["sequence"] == 1
    assert shown["email"] == UKRAINIAN["email"] and shown["can_cancel"] is True
    mail = await last_mail_to(office, UKRAINIAN["email"])
    subject = Translator().gettext("uk", "Booking {code} moved: {service}, {when}")
    assert mail["Subject"].startswith(subject.split("{service}")[0].format(code=iryna))
    assert "invite.ics" in [part.get_filename() for part in mail.iter_attachments()]

    cancelled = await office.client.post(f"/api/v1/admin/bookings/{olena}/cancel", headers=headers,
                                         json={"reason": "Asked by phone"})
    assert cancelled.status_code == 200 and cancelled.json()["booking"]["status"] == "cancelled"
    mail = await last_mail_to(office, PERSON["email"])
    assert mail["Subject"] == f"Booking {olena} cancelled" and olena in text_of(mail)
    again = await office.client.post(f"/api/v1/admin/bookings/{olena}/cancel", headers=headers, json={})
    assert again.status_code == 409 and again.json()["error"] == "booking_not_active"

    detail = (await office.client.get(f"/api/v1/admin/bookings/{iryna}", headers=headers)).json()
    assert [event["kind"] for event in detail["history"]] == ["held", "confirmed", "moved"]
    assert detail["history"][-1]["detail"] == {"before": "2026-12-03T12:00:00+00:00", "by": "kierownik"}
    async with office.okienko.db.read() as conn:
        audit = (await conn.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.__table__.c.id))
                 ).mappings().all()
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [
        ("kierownik", "booking.move", iryna), ("kierownik", "booking.cancel", olena)]
    assert audit[1]["after"] == {"status": "cancelled", "starts_at": f"{DAY}T10:00:00+01:00", "flag": None,
                                 "reason": "Asked by phone"}
    assert "Olena" not in str([dict(a) for a in audit]) and "@" not in str([dict(a) for a in audit])

    nowhere = await office.client.post(f"/api/v1/admin/bookings/{iryna}/move", headers=headers,
                                       json={"starts_at": "2026-12-04T09:05:00+01:00"})
    assert nowhere.status_code == 409 and nowhere.json()["error"] == "no_such_slot"
    unknown = await office.client.get("/api/v1/admin/bookings/ZZZZZZ", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "booking_not_found"


async def test_a_clerk_or_another_offices_manager_cannot(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booked = await book(office)
    clerk = await office.clerk()
    answer = await office.client.get(f"/api/v1/admin/bookings/{booked['code']}", headers=clerk)
    assert answer.status_code == 403 and answer.json()["error"] == "forbidden"

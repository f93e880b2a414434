"""Importing a one-off .ics file (next year's closure plan) in the back office: the preview says what it
changes and whom it cuts off without writing anything; applying it saves the dates as the office's own
(as the Days page would), flags and tells the people cut off, and a second import changes nothing.
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from okienko.storage.models import AuditEntry, Booking
from tests.okienko.booking.test_bookings import TUESDAY, book, mails
from tests.okienko.office.test_closure_sources import all_day, timed, vcalendar
from tests.okienko.office.test_days import THURSDAY, manager, set_day, slot_days

pytestmark = pytest.mark.anyio

PLAN = vcalendar(
    all_day("remont@urzad", THURSDAY, "Remont sali obsługi"),
    all_day("sylwester@urzad", "2026-12-31", "Sylwester"),                 # the office file closes it already
    timed("dst@urzad", "2027-03-29", "08:00", "12:00", "Після зміни часу"),   # the day after the clocks change
    timed("same@urzad", "2026-12-08", "09:00", "13:00", "Szkolenie"),
).decode()


async def test_an_imported_closure_plan_is_previewed_then_applied_as_the_managers_own_days(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    headers = await manager(office)
    olena = await book(office, start=f"{THURSDAY}T10:00:00+01:00", language="uk")
    await set_day(office, headers, "2026-12-08", hours=["09:00-13:00"], reason="Szkolenie")
    await office.okienko.outbox.deliver_due()
    before = len(mails(office))

    preview = await office.client.post("/api/v1/admin/closure-import/preview", headers=headers,
                                       json={"ics": PLAN, "language": "pl"})
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert [(c["date"], c["before"]["kind"], c["after"]["kind"], c["after"]["hours"], c["after"]["reason"])
            for c in plan["changes"]] == [
        (THURSDAY, "weekly", "closed", [], "Remont sali obsługi"),
        ("2027-03-29", "holiday", "hours", ["08:00-12:00"], "Після зміни часу")]   # Easter Monday: shown
    assert plan["skipped"] == [{"date": "2026-12-08", "why": "same"}, {"date": "2026-12-31", "why": "office_closure"}]
    assert plan["count"] == 1 and plan["affected"][0]["code"] == olena["code"]
    async with office.okienko.db.read() as conn:   # a preview writes nothing
        assert set((await conn.execute(sa.select(Booking.__table__.c.flag))).scalars()) == {None}

    applied = await office.client.post("/api/v1/admin/closure-import", headers=headers, json={"ics": PLAN})
    assert applied.status_code == 200, applied.text
    assert applied.json()["told"] == 1 and [c["date"] for c in applied.json()["changes"]] == [THURSDAY, "2027-03-29"]
    assert not (await slot_days(office, THURSDAY, THURSDAY)).get(THURSDAY)
    listed = (await office.client.get("/api/v1/admin/days", headers=headers,
                                      params={"from": THURSDAY, "to": THURSDAY})).json()["days"]
    assert [(d["kind"], d["own"], d["reason"]) for d in listed] == [("closed", True, "Remont sali obsługi")]
    await office.okienko.outbox.deliver_due()
    assert [m["To"] for m in mails(office)[before:]] == ["olena@example.com"]
    async with office.okienko.db.read() as conn:
        entries = (await conn.execute(sa.select(AuditEntry.__table__).where(
            AuditEntry.__table__.c.action == "day.set").order_by(AuditEntry.__table__.c.id))).mappings().all()
    imported = [e for e in entries if (e["after"] or {}).get("via") == "import"]
    assert [(e["actor"], e["target"]) for e in imported] == [("kierownik", THURSDAY), ("kierownik", "2027-03-29")]
    assert imported[0]["after"]["told"] == [olena["code"]]

    again = (await office.client.post("/api/v1/admin/closure-import", headers=headers, json={"ics": PLAN})).json()
    assert again["changes"] == [] and again["told"] == 0 and len(again["skipped"]) == 4

    refused = await office.client.post("/api/v1/admin/closure-import/preview", headers=headers,
                                       json={"ics": "<html>not a calendar</html>", "language": "uk"})
    assert refused.status_code == 422 and refused.json()["error"] == "calendar_unreadable"

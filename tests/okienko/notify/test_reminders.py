"""Reminders before a visit, with the injected clock, on SQLite and PostgreSQL: when they go (quiet
hours included), what they say, that their link works, and that each goes once."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.notify.reminders import ReminderSweeper
from okienko.notify.sms import for_sms, segments
from okienko.office.directory import OfficeDirectory
from okienko.storage.db import Database
from okienko.storage.locking import Locks
from okienko.storage.models import BookingReminder, OutboxMessage
from tests.conftest import DEMO_OFFICE, Office, warsaw
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book, mails, text_of

pytestmark = pytest.mark.anyio

OTHER = {"name": "Ivan Petrenko", "birth_date": "1985-02-03", "document_number": "EP 765432",
         "phone": "+48 601 222 333", "email": "ivan@example.com"}


def office_with(tmp_path: Path, **rules: Any) -> Path:
    """The demo office with `[office.booking]` rules set (e.g. reminders=[3])."""
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in rules.items())
    path = tmp_path / "office-with-reminders.toml"
    path.write_text(DEMO_OFFICE.read_text(encoding="utf-8").replace("[office.booking]\n", "[office.booking]\n" + lines),
                    encoding="utf-8")
    return path


async def reminders_to(office: Office, address: str) -> list[Any]:
    await office.okienko.outbox.deliver_due()
    return [m for m in mails(office) if m["To"] == address and "Reminder" in m["Subject"]]


async def at(office: Office, moment: Any) -> int:
    """Stand the clock at `moment` and sweep once; returns how many reminders were written."""
    office.clock.set(moment)
    return await office.okienko.reminders.sweep()


async def test_a_reminder_goes_24_hours_before_once_with_a_link_that_works(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office)
    assert await at(office, warsaw(2026, 12, 2, 9, 59)) == 0
    assert await at(office, warsaw(2026, 12, 2, 10, 0)) == 1
    assert await at(office, warsaw(2026, 12, 2, 10, 1)) == 0            # once, however often the sweep runs
    [reminder] = await reminders_to(office, PERSON["email"])
    text = text_of(reminder)
    assert booking["code"] in text and "Thursday, 3 December 2026, 10:00" in text
    assert "Passport, the completed application, 4 photos" in text      # what to bring
    assert "a freed place helps someone else" in text
    assert "FE 123456" not in text and "123456" not in text              # never the document number
    secret = re.search(r"/book/manage/\w+\?secret=([\w-]+)", text)
    assert secret
    fresh = await office.client.get(f"/api/v1/bookings/{booking['code']}", params={"secret": secret.group(1)})
    assert fresh.status_code == 200 and fresh.json()["status"] == "confirmed"
    # The reminder's link replaces the confirmation's (only hashes are stored: a new secret was made).
    old = await office.client.get(f"/api/v1/bookings/{booking['code']}", params={"secret": booking["secret"]})
    assert old.status_code == 404
    cancelled = await office.client.post(f"/api/v1/bookings/{booking['code']}/cancel",
                                         json={"secret": secret.group(1)})
    assert cancelled.status_code == 200
    assert await at(office, warsaw(2026, 12, 3, 8, 0)) == 0             # cancelled: no 2-hour reminder


async def test_the_second_reminder_goes_2_hours_before_in_the_person_s_language(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office, language="uk")
    assert await at(office, warsaw(2026, 12, 2, 10, 0)) == 1
    assert await at(office, warsaw(2026, 12, 3, 7, 59)) == 0
    assert await at(office, warsaw(2026, 12, 3, 8, 0)) == 1
    await office.okienko.outbox.deliver_due()
    sent = [m for m in mails(office) if m["To"] == PERSON["email"]][-2:]
    assert all(m["Subject"].startswith("Нагадування") for m in sent), [m["Subject"] for m in sent]
    assert "Паспорт, заповнена заява" in text_of(sent[-1])


async def test_a_cancelled_booking_gets_no_reminder_and_a_moved_one_gets_them_for_its_new_time(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    cancelled = await book(office)
    moved = await book(office, person=OTHER)
    response = await office.client.post(f"/api/v1/bookings/{cancelled['code']}/cancel",
                                        json={"secret": cancelled["secret"]})
    assert response.status_code == 200
    office.clock.set(warsaw(2026, 12, 1, 10, 0))
    response = await office.client.post(f"/api/v1/bookings/{moved['code']}/reschedule",
                                        json={"secret": moved["secret"], "start": "2026-12-04T09:00:00+01:00"})
    assert response.status_code == 200, response.text
    assert await at(office, warsaw(2026, 12, 2, 10, 0)) == 0             # the old time's 24 hours: nothing
    assert await at(office, warsaw(2026, 12, 3, 8, 0)) == 0
    assert await at(office, warsaw(2026, 12, 3, 9, 0)) == 1              # 24 hours before the new time
    [reminder] = await reminders_to(office, OTHER["email"])
    assert "Friday, 4 December 2026, 09:00" in text_of(reminder)
    assert await reminders_to(office, PERSON["email"]) == []


async def test_no_reminder_for_a_moment_before_the_booking_was_made(office_factory: Any) -> None:
    office = await office_factory(warsaw(2026, 12, 2, 12, 0))            # 22 hours before the visit
    await book(office)
    assert await at(office, warsaw(2026, 12, 2, 12, 1)) == 0             # its 24-hour moment was before it
    assert await at(office, warsaw(2026, 12, 3, 8, 0)) == 1


async def test_quiet_hours_move_a_reminder_to_their_end_or_skip_it(office_factory: Any, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=office_with(tmp_path, reminders=[3]))
    await book(office)                                                   # Thursday 10:00: 07:00 is quiet
    await book(office, start="2026-12-03T08:40:00+01:00", person=OTHER)   # 05:40 -> 08:00: too close, skipped
    assert await at(office, warsaw(2026, 12, 3, 7, 0)) == 0
    assert await at(office, warsaw(2026, 12, 3, 7, 59)) == 0
    assert await at(office, warsaw(2026, 12, 3, 8, 0)) == 1
    assert len(await reminders_to(office, PERSON["email"])) == 1
    assert await at(office, warsaw(2026, 12, 3, 8, 30)) == 0
    assert await reminders_to(office, OTHER["email"]) == []


async def test_quiet_hours_that_pass_midnight_hold_an_evening_reminder_to_the_morning(
        office_factory: Any, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=office_with(tmp_path, reminders=[14], quiet_hours="20:00-09:00"))
    await book(office)                                                   # 14 hours before: Wednesday 20:00
    assert await at(office, warsaw(2026, 12, 2, 20, 0)) == 0
    assert await at(office, warsaw(2026, 12, 3, 0, 30)) == 0
    assert await at(office, warsaw(2026, 12, 3, 9, 0)) == 1               # one hour before the visit


async def test_after_a_pause_only_the_latest_due_reminder_goes_and_never_in_quiet_hours(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office)
    assert await at(office, warsaw(2026, 12, 2, 22, 0)) == 0             # the 24-hour one is due, but it is night
    assert await at(office, warsaw(2026, 12, 3, 8, 5)) == 1              # both due: one message
    assert len(await reminders_to(office, PERSON["email"])) == 1
    assert await at(office, warsaw(2026, 12, 3, 8, 10)) == 0


async def test_no_reminders_when_the_office_has_none(office_factory: Any, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=office_with(tmp_path, reminders=[], quiet_hours=""))
    await book(office)
    assert await at(office, warsaw(2026, 12, 2, 10, 0)) == 0
    assert await at(office, warsaw(2026, 12, 3, 9, 0)) == 0


async def test_two_processes_sweeping_at_once_write_each_reminder_once(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office)
    await book(office, person=OTHER)
    # A second server process: its own connections and locks, the same database and clock.
    db = Database.from_settings(office.settings)
    other = ReminderSweeper(db, Locks(db), office.clock, OfficeDirectory(db, ""), office.okienko.reminders.notifier)
    try:
        office.clock.set(warsaw(2026, 12, 2, 10, 0))
        for _ in range(3):
            written = await asyncio.gather(office.okienko.reminders.sweep(), other.sweep(),
                                           office.okienko.reminders.sweep(), other.sweep())
            assert sum(written) in (0, 2)
        async with office.okienko.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(BookingReminder.__table__))).mappings().all()
            outbox = OutboxMessage.__table__
            messages = (await conn.execute(sa.select(sa.func.count()).where(
                outbox.c.subject.like("Reminder%")))).scalar_one()
    finally:
        await db.dispose()
    assert len(rows) == 2 and len({row["booking_id"] for row in rows}) == 2
    assert messages == 2
    assert len(await reminders_to(office, PERSON["email"])) == 1
    assert len(await reminders_to(office, OTHER["email"])) == 1


async def test_where_the_office_sends_sms_the_reminder_goes_by_sms_too_short_and_without_the_link(
        office_factory: Any, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=office_with(tmp_path, sms=True),
                                  sms_gateway_url="http://127.0.0.1:9/send")
    booking = await book(office, language="pl")
    assert await at(office, warsaw(2026, 12, 2, 10, 0)) == 1
    outbox = OutboxMessage.__table__
    async with office.okienko.db.engine.connect() as conn:
        texts = (await conn.execute(sa.select(outbox.c.body).where(
            outbox.c.channel == "sms", outbox.c.body.like("%przypomnienie%")))).scalars().all()
    assert len(texts) == 1
    [text] = texts
    assert booking["code"] in text and "czw. 3.12, 10:00" in text and "secret" not in text and "http" not in text
    assert segments(for_sms(text)).parts == 1

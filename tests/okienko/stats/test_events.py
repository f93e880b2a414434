"""After an information day: what each event made, per service and in total, from a day played
through the real front doors (the kiosk's tickets and check-in, the clerks' buttons, online
bookings and the sweeper's no-shows), with the clock standing at each moment; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.errors import DomainError
from okienko.stats.events import events_figures
from okienko.stats.figures import percentile
from okienko.storage.models import Event, Service
from tests.conftest import Office, warsaw
from tests.okienko.booking.test_bookings import PERSON, book

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)
EVENT_DAY = date(2026, 12, 3)          # a Thursday: the demo office's services have hours then
SLOT = "2026-12-03T10:00:00+01:00"
BOOKING_OPENS = warsaw(2026, 11, 20, 8, 0)   # its slots open at the event's own moment
PEOPLE = [PERSON, {**PERSON, "name": "Ivan Petrenko", "document_number": "FE 654321", "email": "ivan@example.com"},
          {**PERSON, "name": "Maria Sidorova", "document_number": "FE 111222", "email": "maria@example.com"}]


async def add_event(office: Office, day: date, services: list[str], *, status: str = "published",
                    closes: str = "12:00", title: str = "Sobota informacyjna", office_code: str = "demo") -> int:
    """An event row as the back office's events section writes it (okienko/office/events.py is
    another capability's front door: these tests need only its table)."""
    now = office.clock.now()
    hours, minutes = (int(part) for part in closes.split(":"))
    async with office.okienko.db.engine.begin() as conn:
        office_id = (await conn.execute(sa.text("SELECT id FROM offices WHERE code = :code"),
                                        {"code": office_code})).scalar_one()
        event_id = (await conn.execute(sa.insert(Event.__table__).values(
            office_id=office_id, day=day, opens_minute=8 * 60, closes_minute=hours * 60 + minutes,
            titles={"pl": title, "en": f"{title} (en)"}, descriptions={}, services=services,
            booking_opens_at=BOOKING_OPENS, status=status, sequence=0, created_at=now, updated_at=now)
            .returning(Event.__table__.c.id))).scalar_one()
    office.okienko.offices.invalidate()   # as the events section does: the day now belongs to the event
    return event_id


async def at(office: Office, hour: int, minute: int) -> None:
    office.clock.set(warsaw(2026, 12, 3, hour, minute))


async def call(office: Office, clerk: dict[str, str], window: str, number: str) -> str:
    answer = await office.press(clerk, f"/api/v1/windows/{window}/call", number=number)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


async def act(office: Office, clerk: dict[str, str], ticket_id: str, action: str, **body: Any) -> None:
    answer = await office.press(clerk, f"/api/v1/tickets/{ticket_id}/{action}", **body)
    assert answer.status_code == 200, answer.text


async def play_the_day(office: Office) -> dict[str, int]:
    """Bookings made on Tuesday, then the event's Thursday (its services A and the event-only K);
    returns the events' ids. What happens, and what the figures must say, is in the comments."""
    async with office.okienko.db.engine.begin() as conn:
        await conn.execute(sa.update(Service.__table__).where(Service.__table__.c.code == "K").values(event_only=True))
    office.okienko.offices.invalidate()
    event = await add_event(office, EVENT_DAY, ["A", "K"], closes="12:00")
    empty = await add_event(office, date(2026, 11, 28), ["A"], title="Pierwsza sobota")
    draft = await add_event(office, date(2026, 11, 21), ["A"], status="draft")
    # Three bookings of A at 10:00: one will check in, one will not come, one is cancelled.
    comes, missing, cancelled = [await book(office, SLOT, person) for person in PEOPLE]
    gone = await office.client.post(f"/api/v1/bookings/{cancelled['code']}/cancel", json={"secret": cancelled["secret"]})
    assert gone.status_code == 200, gone.text

    await at(office, 9, 50)
    w1, w2, w3 = [(await office.take("A")).json()["number"] for _ in range(3)]
    k1, k2 = [(await office.take("K")).json()["number"] for _ in range(2)]
    await at(office, 9, 55)   # early for 10:00: the wait is counted from 10:00
    checked_in = await office.client.post("/api/v1/check-in", headers=office.kiosk(),
                                          json={"code": comes["code"], "language": "en"})
    assert checked_in.status_code == 201, checked_in.text
    b1 = checked_in.json()["number"]

    await at(office, 10, 0)
    a_desk, k_desk = await office.clerk("1"), await office.clerk("8")
    ticket = await call(office, a_desk, "1", w1)                      # A: waited 10 min
    await at(office, 10, 2)
    await act(office, a_desk, ticket, "start")
    await at(office, 10, 10)
    await act(office, a_desk, ticket, "finish")                       # A: served in 8 min
    ticket = await call(office, a_desk, "1", b1)                      # A: booked, waited 10 min
    await at(office, 10, 11)
    await act(office, a_desk, ticket, "start")
    await at(office, 10, 15)
    await act(office, a_desk, ticket, "finish")                       # A: served in 4 min
    ticket = await call(office, a_desk, "1", w2)                      # A: waited 25 min
    await at(office, 10, 16)
    await act(office, a_desk, ticket, "recall")
    await at(office, 10, 17)
    await act(office, a_desk, ticket, "no-show")                     # A: a no-show
    await at(office, 10, 20)
    ticket = await call(office, k_desk, "8", k1)                      # K: waited 30 min
    await act(office, k_desk, ticket, "start")
    await at(office, 10, 26)
    await act(office, k_desk, ticket, "finish")                       # K: served in 6 min
    await at(office, 10, 30)
    ticket = await call(office, k_desk, "8", k2)                      # K: waited 40 min
    await at(office, 10, 31)
    await act(office, k_desk, ticket, "transfer", service="A")        # K -> A: waits in A from 10:31
    # The event closes at 12:00 with w3 and k2 waiting in A; w3 is still served after it.
    await at(office, 12, 30)
    ticket = await call(office, a_desk, "1", w3)                      # A: waited 2 h 40 min
    await act(office, a_desk, ticket, "start")
    await at(office, 12, 35)
    await act(office, a_desk, ticket, "finish")                       # A: served in 5 min
    await at(office, 16, 0)
    await office.okienko.booking.sweep()                              # the booking not checked in: no-show
    assert missing["code"]
    return {"event": event, "empty": empty, "draft": draft}


async def figures_of(office: Office, ids: list[int] | None) -> list[Any]:
    setup = await office.okienko.offices.get("demo")
    async with office.okienko.db.read() as conn:
        return await events_figures(conn, setup, ids, office.clock.now())


async def test_an_events_figures_per_service_and_in_total(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ids = await play_the_day(office)
    [event] = await figures_of(office, [ids["event"]])
    assert (event.day, event.over, event.title("en")) == (EVENT_DAY, True, "Sobota informacyjna (en)")
    rows = {row.code: row.figures for row in event.rows}
    assert list(rows) == ["A", "K"]
    a, k, total = rows["A"], rows["K"], event.total
    # Bookings of the day: three made (one checked in, one missed, one cancelled).
    assert (a.bookings_made, a.bookings_checked_in, a.bookings_no_show, a.bookings_cancelled,
            a.bookings_confirmed) == (3, 1, 1, 1, 0)
    assert (k.bookings_made, total.bookings_made) == (0, 3)
    # Tickets: A issued 3 walk-in + 1 booked, served 3, one no-show; K issued 2, served 1, sent one on.
    assert (a.tickets_issued, a.tickets_walk_in, a.tickets_booked, a.served, a.no_shows) == (4, 3, 1, 3, 1)
    assert (k.tickets_issued, k.tickets_walk_in, k.tickets_booked, k.served, k.no_shows) == (2, 2, 0, 1, 0)
    assert (k.transferred_out, a.transferred_out) == (1, 0)
    # At 12:00 w3 and the ticket transferred from K were waiting in A; K's queue was empty.
    assert (a.waiting_at_close, k.waiting_at_close, total.waiting_at_close) == (2, 0, 2)
    # Waits (seconds): A 600, 600 (booked: from 10:00), 1500, 9600; K 1800, 2400.
    assert (a.wait_median_seconds, a.wait_p90_seconds, a.waits_measured) == (1050, 9600, 4)
    assert (k.wait_median_seconds, k.wait_p90_seconds) == (2100, 2400)
    assert (total.wait_median_seconds, total.wait_p90_seconds, total.waits_measured) == (1650, 9600, 6)
    # Service times: A 480, 240, 300; K 360.
    assert (a.service_median_seconds, a.service_p90_seconds) == (300, 480)
    assert (k.service_median_seconds, k.service_p90_seconds, k.services_measured) == (360, 360, 1)
    assert (total.service_median_seconds, total.service_p90_seconds, total.served) == (330, 480, 4)


async def test_events_side_by_side_and_the_default_choice(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ids = await play_the_day(office)
    # By default the last published events on or before today (the draft is left out), oldest first.
    compared = await figures_of(office, None)
    assert [e.id for e in compared] == [ids["empty"], ids["event"]]
    quiet = compared[0]
    assert [row.code for row in quiet.rows] == ["A"]
    assert (quiet.total.tickets_issued, quiet.total.served, quiet.total.wait_median_seconds) == (0, 0, None)
    chosen = await figures_of(office, [ids["event"], ids["draft"]])
    assert [e.id for e in chosen] == [ids["draft"], ids["event"]]
    with pytest.raises(DomainError) as refused:
        await figures_of(office, [ids["event"], 999_999])
    assert refused.value.code == "event_not_found"


async def test_while_the_event_runs_the_queue_is_counted_now(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    event = await add_event(office, EVENT_DAY, ["K"], closes="14:00")
    await at(office, 9, 0)
    await office.take("K")
    await office.take("K")
    [running] = await figures_of(office, [event])
    assert (running.over, running.total.tickets_issued, running.total.waiting_at_close) == (False, 2, 2)


def test_the_90th_percentile_is_a_wait_someone_had() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5
    assert percentile([float(n) for n in range(1, 11)], 90) == 9
    assert percentile([float(n) for n in range(1, 12)], 90) == 10

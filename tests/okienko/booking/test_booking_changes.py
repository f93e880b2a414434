"""Cancel until the visit starts, move until `change_until_hours` before: what the API and the
booking's page say. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from okienko.i18n import Translator

from tests.okienko.booking.test_bookings import TUESDAY, book
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio

START = "2026-12-03T10:00:00+01:00"


async def test_a_visitor_may_cancel_until_the_visit_starts_but_move_only_until_the_deadline(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office, start=START)
    assert booking["change_until"] == "2026-12-02T10:00:00+01:00"
    assert booking["cancel_until"] == START
    office.clock.set(warsaw(2026, 12, 3, 9, 0))   # past the move deadline, an hour before the visit
    page = await office.client.get(f"/book/manage/{booking['code']}",
                                   params={"secret": booking["secret"], "lang": "en"})
    assert ("You can still cancel the visit until it starts (December 3, 2026, 10:00); moving it was possible "
            "until December 2, 2026, 10:00.") in page.text
    assert 'id="move-start"' not in page.text and 'id="cancel-start"' in page.text
    moved = await office.client.post(f"/api/v1/bookings/{booking['code']}/reschedule",
                                     json={"secret": booking["secret"], "start": "2026-12-04T09:00:00+01:00"})
    assert moved.status_code == 409 and moved.json()["error"] == "too_late_to_change"
    assert moved.json()["message"] == Translator().gettext(
        "pl", "A booking can be moved until {hours} hours before the visit.").format(hours=24)
    cancelled = await office.client.post(f"/api/v1/bookings/{booking['code']}/cancel",
                                         json={"secret": booking["secret"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_cancelling_ends_when_the_visit_starts(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    booking = await book(office, start=START)
    page = await office.client.get(f"/book/manage/{booking['code']}",
                                   params={"secret": booking["secret"], "lang": "en"})
    assert ("You can move the visit until December 2, 2026, 10:00 and cancel it until it starts "
            "(December 3, 2026, 10:00).") in page.text
    assert 'id="move-start"' in page.text
    office.clock.set(warsaw(2026, 12, 3, 10, 0))
    late = await office.client.post(f"/api/v1/bookings/{booking['code']}/cancel", json={"secret": booking["secret"]})
    assert late.status_code == 409 and late.json()["error"] == "too_late_to_cancel"
    assert late.json()["message"] == Translator().gettext("pl", "The visit has already started: it can no longer be cancelled.")
    page = await office.client.get(f"/book/manage/{booking['code']}",
                                   params={"secret": booking["secret"], "lang": "en"})
    assert 'id="cancel-start"' not in page.text
    assert "can no longer be cancelled or moved online" in page.text

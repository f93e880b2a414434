"""Small faults found while making booking fair: the night the clocks go back, ... (SQLite and
PostgreSQL where a database is involved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.okienko.booking.test_bookings import PERSON
from tests.conftest import DEMO_OFFICE, warsaw

pytestmark = pytest.mark.anyio


def night_office(tmp_path: Path) -> Path:
    """The demo office with service A booked on Sunday nights, in 30-minute slots."""
    text = DEMO_OFFICE.read_text(encoding="utf-8")
    weekdays = 'days = { mon = "10:00-17:20", tue = "08:00-14:40", wed = "08:00-14:40", thu = "08:00-14:40", fri = "08:00-14:40" }'
    assert weekdays in text and "slot_minutes = 20\n" in text
    text = text.replace(weekdays, 'days = { sun = "00:00-06:00" }', 1).replace("slot_minutes = 20\n", "slot_minutes = 30\n", 1)
    path = tmp_path / "night-office.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("start, answer", [
    ("2026-10-25T02:30:00+02:00", 202),             # the first 02:30: a listed slot
    ("2026-10-25T02:30:00+01:00", "no_such_slot"),  # the second 02:30 (an hour later): not a slot
    ("2026-10-25T03:00:00+01:00", 202),
])
async def test_on_the_night_the_clocks_go_back_only_listed_instants_can_be_booked(
        office_factory: Any, tmp_path: Path, start: str, answer: Any) -> None:
    office = await office_factory(warsaw(2026, 10, 20, 9, 0), office_file=night_office(tmp_path))
    listing = await office.client.get("/api/v1/slots", params={"service": "A", "from": "2026-10-25",
                                                               "to": "2026-10-25"})
    starts = [slot["start"] for slot in listing.json()["days"][0]["slots"]]
    assert "2026-10-25T02:30:00+02:00" in starts and "2026-10-25T02:30:00+01:00" not in starts
    held = await office.client.post("/api/v1/bookings", json={"service": "A", "start": start, "language": "en",
                                                               **PERSON})
    if answer == 202:
        assert held.status_code == 202, held.text
        assert held.json()["start"] == start
    else:
        assert held.status_code == 409 and held.json()["error"] == answer


@pytest.mark.parametrize("entry_id", ["1555785541836694292357124568939233280", "٣", "-1"])
async def test_an_id_past_any_database_integer_is_unknown_not_a_crash(office_factory: Any, entry_id: str) -> None:
    """Found by the fuzzer: a waiting-list id of 37 digits overflowed the database driver (a 500)."""
    office = await office_factory(warsaw(2026, 12, 1, 9, 0))
    answer = await office.client.post(f"/api/v1/waiting-list/{entry_id}/leave", json={"secret": "x" * 20})
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"

"""The event statistics as the API gives them to a manager: the events side by side (JSON and
CSV), the last past events by default, and the refusals (a clerk, a malformed list, an event that
is not the office's, too many at once)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from tests.booking_api.test_admin_today import manager
from tests.okienko.stats.test_events import TUESDAY, add_event, play_the_day

pytestmark = pytest.mark.anyio


async def test_a_manager_sees_events_side_by_side_as_json_and_csv(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    ids = await play_the_day(office)
    boss = await manager(office)
    answer = await office.client.get(f"/api/v1/admin/events/stats?lang=en&ids={ids['event']},{ids['empty']}",
                                     headers=boss)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert [(e["id"], e["day"], e["opens"], e["closes"], e["over"]) for e in body["events"]] == [
        (ids["empty"], "2026-11-28", "08:00", "12:00", True), (ids["event"], "2026-12-03", "08:00", "12:00", True)]
    event = body["events"][1]
    assert event["title"] == "Sobota informacyjna (en)"
    a, k = event["services"]
    assert (a["code"], a["name"], k["code"]) == ("A", "Filing a residence application", "K")
    assert (a["bookings_made"], a["tickets_walk_in"], a["tickets_booked"], a["served"], a["no_shows"],
            a["waiting_at_close"], a["wait_median_seconds"], a["service_p90_seconds"]) == (3, 3, 1, 3, 1, 2, 1050, 480)
    assert (event["total"]["tickets_issued"], event["total"]["served"], event["total"]["wait_p90_seconds"]) == (6, 4, 9600)
    assert "name" not in event["total"]
    # Nothing about any person: no number, no name, no code of a ticket or a booking.
    assert "Olena" not in answer.text and "ticket_id" not in answer.text and "A001" not in answer.text
    assert [c["id"] for c in body["choices"]] == [ids["event"], ids["empty"]]   # newest first; no draft

    default = (await office.client.get("/api/v1/admin/events/stats", headers=boss)).json()
    assert [e["id"] for e in default["events"]] == [ids["empty"], ids["event"]]

    for path in (f"/api/v1/admin/events/stats.csv?lang=en&ids={ids['event']}",
                 f"/api/v1/admin/events/stats?lang=en&ids={ids['event']}&format=csv"):
        exported = await office.client.get(path, headers=boss)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(r["service"], r["service_name"], r["served"], r["wait_median_seconds"]) for r in rows] == [
            ("A", "Filing a residence application", "3", "1050"), ("K", "Collecting a residence card", "1", "2100"),
            ("", "Total", "4", "1650")]


async def test_what_is_refused(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    event = await add_event(office, date(2026, 11, 28), ["A"])
    clerk = await office.clerk("1")
    assert (await office.client.get("/api/v1/admin/events/stats", headers=clerk)).status_code == 403
    for ids, status, code in [("1,x", 400, "malformed_request"), ("-1", 400, "malformed_request"),
                              (f"{event},424242", 404, "event_not_found"),
                              (",".join(str(n) for n in range(1, 14)), 400, "too_many_events")]:
        answer = await office.client.get(f"/api/v1/admin/events/stats?lang=en&ids={ids}", headers=boss)
        assert (answer.status_code, answer.json()["error"]) == (status, code), ids
        assert answer.json()["message"]
    ok = await office.client.get(f"/api/v1/admin/events/stats?ids={event}, {event}", headers=boss)
    assert [e["id"] for e in ok.json()["events"]] == [event]

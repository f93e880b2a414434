"""The back office's events over HTTP (/api/v1/admin/events): a manager creates a draft, sees the
warning for a day that is not a Saturday, publishes it, previews and cancels it; refusals are
4xx `{"error", "message", "field"}` in the manager's language, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.okienko.booking.test_bookings import TUESDAY, book
from tests.okienko.office.test_days import manager
from tests.okienko.office.test_events import NEXT_SATURDAY, SATURDAY, form

pytestmark = pytest.mark.anyio
EVENTS = "/api/v1/admin/events"


async def test_a_manager_creates_publishes_and_cancels_an_information_saturday(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    created = await office.client.post(EVENTS, headers=boss, json={**form(), "language": "en"})
    assert created.status_code == 201, created.text
    event = created.json()["event"]
    assert created.json()["warnings"] == [] and created.json()["told"] == 0
    assert (event["status"], event["services"], event["bookings"]) == ("draft", ["C"], 0)

    listed = (await office.client.get(EVENTS, headers=boss)).json()
    assert [e["id"] for e in listed["events"]] == [event["id"]]
    assert listed["event_only_services"] == ["C", "D"]

    sunday = await office.client.post(EVENTS, headers=boss, json=form(date="2026-12-13"))
    assert sunday.status_code == 201 and sunday.json()["warnings"] == ["not_saturday"]

    published = await office.client.post(f"{EVENTS}/{event['id']}/publish", headers=boss)
    assert published.status_code == 200 and published.json()["event"]["status"] == "published"
    booked = await book(office, start=f"{SATURDAY}T10:00:00+01:00", service="C", language="uk")

    moved = await office.client.put(f"{EVENTS}/{event['id']}", headers=boss,
                                    json={"date": NEXT_SATURDAY, "preview": True, "language": "en"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["told"] == 1 and moved.json()["affected"][0] == {
        "code": booked["code"], "service": "C", "service_name": "Consultations",
        "starts_at": f"{NEXT_SATURDAY}T10:00:00+01:00", "name": "Olena Kovalenko", "language": "uk",
        "contact": "email", "outcome": "moved"}
    one = (await office.client.get(f"{EVENTS}/{event['id']}", headers=boss)).json()
    assert one["event"]["date"] == SATURDAY and one["event"]["bookings"] == 1   # the preview kept nothing

    preview = await office.client.post(f"{EVENTS}/{event['id']}/cancel", headers=boss, json={"preview": True})
    assert preview.json()["told"] == 1 and preview.json()["event"]["status"] == "cancelled"
    assert (await office.client.get(f"{EVENTS}/{event['id']}", headers=boss)).json()["event"]["status"] == "published"
    cancelled = await office.client.post(f"{EVENTS}/{event['id']}/cancel", headers=boss)
    assert cancelled.status_code == 200 and cancelled.json()["affected"][0]["outcome"] == "cancelled"
    assert cancelled.json()["event"]["bookings"] == 0


@pytest.mark.parametrize(("path", "method", "body", "status", "code"), [
    (EVENTS, "post", {"date": "2026-12-12"}, 422, "event_hours_invalid"),
    (EVENTS, "post", {**form(), "colour": "red"}, 400, "unknown_field"),
    (EVENTS, "post", {**form(), "services": "C"}, 400, "wrong_type"),
    (EVENTS, "post", form(titles={"en": "Saturday"}), 422, "event_title_missing"),
    (f"{EVENTS}/12345", "get", None, 404, "event_not_found"),
    (f"{EVENTS}/x1", "put", {"opens": "09:00"}, 404, "event_not_found"),
    (f"{EVENTS}/99999999999999999999/publish", "post", None, 404, "event_not_found"),
])
async def test_refusals_are_4xx_with_a_code(office_factory: Any, path: str, method: str, body: Any, status: int,
                                            code: str) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    kwargs = {} if body is None else {"json": body}
    answer = await getattr(office.client, method)(path, headers=boss, params={"lang": "pl"}, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code and answer.json()["message"]


async def test_a_second_event_on_the_date_is_409_event_exists_in_the_managers_language(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    assert (await office.client.post(EVENTS, headers=boss, json=form())).status_code == 201
    twice = await office.client.post(EVENTS, headers=boss, json={**form(), "language": "uk"})
    assert twice.status_code == 409 and twice.json()["error"] == "event_exists"
    # the day in words, in the manager's language: "12 грудня 2026", never "2026-12-12"
    assert twice.json()["field"] == "date" and "12 грудня 2026" in twice.json()["message"]


async def test_a_service_is_marked_event_only_in_the_service_form_and_offered_to_events(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss = await manager(office)
    names = {"pl": "Odbiór karty w sobotę", "en": "Collecting a card on Saturday", "uk": "Отримання карти в суботу",
             "ru": "Получение карты в субботу"}
    added = await office.client.post("/api/v1/admin/services", headers=boss, json={
        "code": "KS", "prefix": "KS", "names": names, "event_only": True})
    assert added.status_code == 201, added.text
    assert added.json()["service"]["event_only"] is True and added.json()["service"]["hours"] == {}
    listed = (await office.client.get(EVENTS, headers=boss)).json()
    assert listed["event_only_services"] == ["C", "D", "KS"]
    created = await office.client.post(EVENTS, headers=boss, json=form(services=["KS", "C"]))
    assert created.status_code == 201 and created.json()["event"]["services"] == ["KS", "C"]
    # Unticked, it is a weekday service again: an event can no longer list it.
    edited = await office.client.put("/api/v1/admin/services/KS", headers=boss,
                                     json={"event_only": False, "hours": {"tue": ["08:00-15:00"]}})
    assert edited.status_code == 200 and edited.json()["service"]["event_only"] is False
    refused = await office.client.put(f"{EVENTS}/{created.json()['event']['id']}", headers=boss,
                                      json={"opens": "09:00"})
    assert refused.status_code == 422 and refused.json()["error"] == "event_service_invalid"
    exported = await office.client.get("/api/v1/admin/office", headers=boss)
    assert {s["code"]: s["event_only"] for s in exported.json()["services"]}["C"] is True

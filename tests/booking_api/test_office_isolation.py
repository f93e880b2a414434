"""A manager of one office sees nothing of another (docs/security.md, "Several offices"): every GET
route staff may use (the back office's sections and `/api/v1/admin/…`, exports, the audit log,
statistics, devices, staff, the console's and call centre's reads; the route table of
test_roles.py) asked by a manager of the demo office, with the ids, codes and names of Łódź's
things in the path and the query, and again with `?office=lodz`: nothing of Łódź comes back. An
administrator of no office asking `?office=lodz` does see it (else the test could not fail)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from back_office.pages import SECTIONS
from okienko.storage.models import Device
from tests.booking_api.test_roles import TABLE
from tests.okienko.booking.test_bookings import PERSON, TUESDAY, book
from tests.two_offices import add_lodz

pytestmark = pytest.mark.anyio

MANAGER, ANONYMOUS = 5, 0   # columns of test_roles.TABLE
# What only Łódź's things say: its code and name, its ticket numbers, its event's title, its staff's
# and devices' names (filled in with its booking code and ticket id as they are made).
MARKERS = ["lodz", "Łódzki", "Łódź", "L0001", "MO0001", "Sobota w Łodzi", "lodz.visitor"]


def staff_get_routes() -> list[str]:
    """Every GET route a manager may use that an anonymous visitor may not."""
    return sorted(path for (method, path), row in TABLE.items()
                  if method == "GET" and row.split()[MANAGER] == "Y" and row.split()[ANONYMOUS] == "N")


def revealed(answer: Any, markers: list[str]) -> list[str]:
    text = answer.text
    return [marker for marker in markers if marker.lower() in text.lower()]


async def test_a_manager_sees_nothing_of_another_office_on_any_route(office_factory: Any) -> None:
    two = await add_lodz(await office_factory(TUESDAY))
    try:
        lodz_manager = await two.staff("lodz", "manager")
        demo_manager = await two.staff("demo", "manager")
        admin = await two.staff("", "admin")
        async with two.demo.okienko.db.engine.connect() as conn:
            device_id = (await conn.execute(sa.select(Device.__table__.c.id).where(
                Device.__table__.c.name == "lodz-hall-1"))).scalar_one()
        lodz_clerk = await two.staff("lodz", "clerk", window="1")
        # Łódź's day: tickets, a call, a booking, an event, a calendar link, audit entries.
        ticket = (await two.lodz.take("L")).json()
        await two.lodz.take("M")
        await two.lodz.press(lodz_clerk, "/api/v1/windows/1/call-next")
        booking = await book(two.lodz, "2026-12-03T10:00:00+01:00", {**PERSON, "email": "lodz.visitor@example.com"},
                             service="L", language="pl")
        lodz = two.lodz.client
        event = await lodz.post("/api/v1/admin/events", headers=lodz_manager, json={
            "date": "2027-01-16", "opens": "09:00", "closes": "13:00", "titles": {"pl": "Sobota w Łodzi"}})
        assert event.status_code == 201, event.text
        feed = await lodz.post("/api/v1/admin/calendar-feeds", headers=lodz_manager,
                               json={"scope": "service", "target": "L"})
        assert feed.status_code == 201, feed.text
        markers = MARKERS + [booking["code"], ticket["id"]]
        values = {"ticket_id": ticket["id"], "code": booking["code"], "id": str(event.json()["event"]["id"]),
                  "feed_id": str(feed.json()["feed"]["id"]), "device_id": str(device_id), "username": two.usernames[-1],
                  "service": "M", "window": "1", "number": "1", "date": "2026-12-03", "draw_id": "1",
                  "entry_id": "1", "priority": "pregnancy", "feed_token": "x", "file": "georgian",
                      "chart": "services"}
        query = {"day": "2026-12-03", "from": "2026-12-01", "to": "2026-12-31", "q": booking["code"],
                 "ids": values["id"], "service": "M", "secret": booking["secret"],
                     "period": "month", "date": "2026-12-03"}
        sections = list(SECTIONS)   # every back-office section, the statistics' too
        asked, leaks = 0, []
        for template in staff_get_routes():
            paths = [template.replace("{section}", section) for section in sections] \
                if "{section}" in template else [template.format(**values)]
            for path in paths:
                for extra in ({}, {"office": "lodz"}):
                    answer = await two.demo.client.get(path, params={**query, **extra}, headers=demo_manager)
                    asked += 1
                    assert answer.status_code < 500, f"{path}: {answer.status_code}"
                    if extra and path.startswith(("/api/v1/admin/", "/admin/")) and path != "/admin/password":
                        assert answer.status_code == 403, f"{path}?office=lodz as demo's manager: {answer.status_code}"
                    found = revealed(answer, markers)
                    if found:
                        leaks.append(f"GET {path} {extra}: {found}")
        assert asked > 60 and leaks == []
        # The same routes show Łódź to an administrator who asks for it, and to Łódź's own manager.
        for path in ("/api/v1/admin/today", "/api/v1/admin/users", "/api/v1/admin/devices", "/api/v1/admin/audit",
                     "/api/v1/admin/audit.csv", f"/api/v1/admin/bookings/{booking['code']}",
                     "/api/v1/admin/events", "/api/v1/admin/calendar-feeds", "/api/v1/admin/office"):
            for headers, params in ((admin, {"office": "lodz"}), (lodz_manager, {})):
                answer = await two.demo.client.get(path, params=params, headers=headers)
                assert answer.status_code == 200 and revealed(answer, markers), f"{path}: {answer.text[:200]}"
        mine = await two.demo.client.get("/api/v1/admin/users", headers=demo_manager)
        assert "lodz" not in json.dumps(mine.json())
    finally:
        await two.close()

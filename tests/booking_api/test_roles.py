"""Who may do what: every route of the app (HTTP and WebSocket), asked by every role, against one
explicit table. A route added without a row in the table fails `test_every_route_has_a_row`.

Roles: anonymous; the kiosk and the board devices of office "demo" (a kiosk's print agent signs
in with its kiosk's token: it is no role of its own); a clerk at window 1; a clerk at window 2
("clerk of another window"); a manager of "demo" at no window; a manager of a second office,
"other", loaded from the same file (so window 1 and the service codes exist there too).

Each cell says what the role gets:
  Y  let through (whatever the request then meets: a 2xx, or a 4xx about the request itself);
  N  refused for who it is: 401 or 403 (JSON, or the sign-in page), a redirect to the console's
     sign-in, a WebSocket turned away;
  O  refused because the thing is someone else's: another office's ticket (`ticket_not_found`),
     another window's ticket or window (`not_at_this_window`, `window_not_held`, `window_taken`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from okienko_server.app import routes
from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from okienko.office.config_file import load_office, read_office_file
from okienko.storage.models import Device, metadata
from tests.okienko.booking.test_bookings import TUESDAY, book
from tests.conftest import DEMO_OFFICE, demo_office_variant, serving

pytestmark = pytest.mark.anyio

ROLES = ("anonymous", "kiosk", "board", "clerk", "clerk_other_window", "manager", "manager_other_office")
EVERYONE = "Y Y Y Y Y Y Y"

# What each role may do.             anonymous kiosk board clerk clerk_other_window manager manager_other_office
TABLE: dict[tuple[str, str], str] = {
    ("GET", "/"):                                             EVERYONE,
    ("GET", "/queue"):                                        EVERYONE,
    ("GET", "/accessibility"):                                EVERYONE,
    ("GET", "/favicon.ico"):                                  EVERYONE,
    ("GET", "/fonts/scripts.css"):                            EVERYONE,
    ("GET", "/fonts/{file}.ttf"):                             EVERYONE,
    ("GET", "/healthz"):                                      EVERYONE,
    ("GET", "/readyz"):                                       EVERYONE,
    # Only the monitoring server (a token or an allow-list, docs/monitoring.md): unset here, so nobody.
    ("GET", "/metrics"):                                      "N N N N N N N",
    ("GET", "/openapi.json"):                                 EVERYONE,
    ("GET", "/api/v1/services"):                              EVERYONE,
    ("GET", "/api/v1/events"):                                EVERYONE,
    ("GET", "/calendar/events.ics"):                          EVERYONE,
    # A staff feed: its token is the key (an unknown one is `feed_not_found`, for anyone alike).
    ("GET", "/calendar/staff/{feed_token}.ics"):              EVERYONE,
    # The visitor's own: whoever holds the ticket's id, the manage link, the code, the receipt.
    ("GET", "/api/v1/tickets/{ticket_id}"):                   EVERYONE,
    ("POST", "/api/v1/tickets/{ticket_id}/cancel"):           EVERYONE,
    ("PUT", "/api/v1/tickets/{ticket_id}/phone"):             EVERYONE,
    ("DELETE", "/api/v1/tickets/{ticket_id}/phone"):          EVERYONE,
    ("GET", "/t/{ticket_id}"):                                EVERYONE,
    ("GET", "/t/{ticket_id}/qr.svg"):                         EVERYONE,
    ("WS", "/ws/ticket/{ticket_id}"):                         EVERYONE,
    ("GET", "/api/v1/slots"):                                 EVERYONE,
    ("POST", "/api/v1/bookings"):                             EVERYONE,
    ("POST", "/api/v1/bookings/{booking_id}/confirm"):        EVERYONE,
    ("GET", "/api/v1/bookings/{code}"):                       EVERYONE,
    ("GET", "/api/v1/bookings/{code}/calendar.ics"):          EVERYONE,
    ("POST", "/api/v1/bookings/{code}/cancel"):               EVERYONE,
    ("POST", "/api/v1/bookings/{code}/reschedule"):           EVERYONE,
    ("GET", "/api/v1/draws"):                                 EVERYONE,
    ("GET", "/api/v1/draws/{draw_id}"):                       EVERYONE,
    ("POST", "/api/v1/draws/{draw_id}/entries"):              EVERYONE,
    ("GET", "/api/v1/draw-entries/{entry_id}"):               EVERYONE,
    ("POST", "/api/v1/draw-entries/{entry_id}/confirm"):      EVERYONE,
    ("POST", "/api/v1/draw-entries/{entry_id}/withdraw"):     EVERYONE,
    ("POST", "/api/v1/waiting-list"):                         EVERYONE,
    ("POST", "/api/v1/waiting-list/{entry_id}/leave"):        EVERYONE,
    ("GET", "/book"):                                         EVERYONE,
    ("GET", "/book/draw/{entry_id}"):                         EVERYONE,
    ("GET", "/book/draws/{draw_id}"):                         EVERYONE,
    ("GET", "/book/confirm/{booking_id}"):                    EVERYONE,
    ("GET", "/book/manage/{code}"):                           EVERYONE,
    ("GET", "/book/qr/{code}.svg"):                           EVERYONE,
    # The kiosk: tickets, check-in, its own printer and print agent, its screen.
    ("POST", "/api/v1/tickets"):                              "N Y N N N N N",
    ("POST", "/api/v1/check-in"):                             "N Y N N N N N",
    ("WS", "/ws/print-agent"):                                "N Y N N N N N",
    ("WS", "/ws/kiosk"):                                      "N Y N N N N N",   # the back office's changes, live
    ("GET", "/kiosk/"):                                       "N Y N N N N N",
    ("GET", "/kiosk/enroll"):                                 "N Y N N N N N",   # with the role's token as ?token=
    ("GET", "/api/v1/printers"):                              "N Y N Y Y Y Y",   # a kiosk sees its own printer
    # Staff: a clerk acts at their own window; a manager on any ticket of their own office.
    ("POST", "/api/v1/tickets/{ticket_id}/document-check"):   "N N N Y O Y O",
    ("POST", "/api/v1/tickets/{ticket_id}/{action}"):         "N N N Y O Y O",
    ("GET", "/api/v1/windows"):                               "N N N Y Y Y Y",   # the chooser: who sits where
    ("GET", "/api/v1/windows/{window}"):                      "N N N Y O O O",
    ("POST", "/api/v1/windows/{window}/sign-in"):             "N N N Y O O Y",   # window 1 of "other" is free
    ("POST", "/api/v1/windows/{window}/sign-out"):            "N N N Y Y Y Y",   # leaves one's own window
    ("POST", "/api/v1/windows/{window}/pause"):               "N N N Y O O O",
    ("POST", "/api/v1/windows/{window}/call-next"):           "N N N Y O O O",
    ("POST", "/api/v1/windows/{window}/call"):                "N N N Y O O O",
    ("GET", "/api/v1/staff/bookings"):                        "N N N Y Y Y Y",   # of one's own office
    ("PUT", "/api/v1/board/ticker"):                          "N N N N N Y Y",   # of one's own office
    # The back office: managers of the office (the requests name ?office=demo: another's manager is refused).
    ("GET", "/api/v1/admin/days"):                            "N N N N N Y N",
    ("POST", "/api/v1/admin/days/{date}/preview"):            "N N N N N Y N",
    ("PUT", "/api/v1/admin/days/{date}"):                     "N N N N N Y N",
    ("DELETE", "/api/v1/admin/days/{date}"):                  "N N N N N Y N",
    ("GET", "/api/v1/admin/closure-calendars"):               "N N N N N Y N",
    ("POST", "/api/v1/admin/closure-calendars"):              "N N N N N Y N",
    ("POST", "/api/v1/admin/closure-calendars/{id}/poll"):    "N N N N N Y N",
    ("DELETE", "/api/v1/admin/closure-calendars/{id}"):       "N N N N N Y N",
    ("POST", "/api/v1/admin/closure-import/preview"):         "N N N N N Y N",
    ("POST", "/api/v1/admin/closure-import"):                 "N N N N N Y N",
    ("GET", "/api/v1/admin/bookings"):                        "N N N N N Y N",
    ("GET", "/api/v1/admin/bookings/{code}"):                 "N N N N N Y N",
    ("POST", "/api/v1/admin/bookings/{code}/cancel"):         "N N N N N Y N",
    ("POST", "/api/v1/admin/bookings/{code}/move"):           "N N N N N Y N",
    ("POST", "/api/v1/sms/delivery-report"):                  EVERYONE,
    ("GET", "/api/v1/admin/messages"):                        "N N N N N Y N",
    ("POST", "/api/v1/admin/messages/{id}/resend"):           "N N N N N Y N",
    # Information Saturdays (tests/booking_api/test_admin_events.py).
    ("GET", "/api/v1/admin/events"):                          "N N N N N Y N",
    ("POST", "/api/v1/admin/events"):                         "N N N N N Y N",
    ("GET", "/api/v1/admin/events/{id}"):                     "N N N N N Y N",
    ("PUT", "/api/v1/admin/events/{id}"):                     "N N N N N Y N",
    ("POST", "/api/v1/admin/events/{id}/publish"):            "N N N N N Y N",
    ("POST", "/api/v1/admin/events/{id}/cancel"):             "N N N N N Y N",
    # The call centre: operators (tests/booking_api/test_call_centre.py), managers and admins of the office.
    ("GET", "/api/v1/call-centre/slots"):                     "N N N N N Y N",
    ("POST", "/api/v1/call-centre/bookings"):                 "N N N N N Y N",
    ("POST", "/api/v1/call-centre/draws/{draw_id}/entries"):  "N N N N N Y N",
    ("POST", "/api/v1/call-centre/lookup"):                   "N N N N N Y N",
    ("POST", "/api/v1/call-centre/bookings/{code}/move"):     "N N N N N Y N",
    ("POST", "/api/v1/call-centre/bookings/{code}/cancel"):   "N N N N N Y N",
    ("GET", "/api/v1/admin/office"):                          "N N N N N Y N",
    ("PUT", "/api/v1/admin/office"):                          "N N N N N Y N",
    ("POST", "/api/v1/admin/services"):                       "N N N N N Y N",
    ("PUT", "/api/v1/admin/services/{service}"):              "N N N N N Y N",
    ("POST", "/api/v1/admin/services/{service}/switch-off"):  "N N N N N Y N",
    ("POST", "/api/v1/admin/services/{service}/switch-on"):   "N N N N N Y N",
    ("POST", "/api/v1/admin/windows"):                        "N N N N N Y N",
    ("PUT", "/api/v1/admin/windows/{window}"):                "N N N N N Y N",
    ("POST", "/api/v1/admin/windows/{window}/switch-off"):    "N N N N N Y N",
    ("POST", "/api/v1/admin/windows/{window}/switch-on"):     "N N N N N Y N",
    ("POST", "/api/v1/admin/priorities"):                     "N N N N N Y N",
    ("PUT", "/api/v1/admin/priorities/{priority}"):           "N N N N N Y N",
    ("POST", "/api/v1/admin/priorities/{priority}/switch-off"):"N N N N N Y N",
    ("POST", "/api/v1/admin/priorities/{priority}/switch-on"):"N N N N N Y N",
    ("GET", "/api/v1/admin/notices"):                         "N N N N N Y N",
    ("PUT", "/api/v1/admin/notices"):                         "N N N N N Y N",
    ("GET", "/api/v1/admin/audit"):                           "N N N N N Y N",
    ("GET", "/api/v1/admin/audit.csv"):                       "N N N N N Y N",
    ("GET", "/console/"):                                     "N N N Y Y Y Y",
    ("GET", "/console/login"):                                EVERYONE,
    ("POST", "/console/login"):                               EVERYONE,          # the password decides
    ("POST", "/console/logout"):                              EVERYONE,          # ends one's own session only
    # The board, and staff watching it (of their own office).
    ("GET", "/api/v1/board"):                                 "N N Y Y Y Y Y",
    ("WS", "/ws/board"):                                      "N N Y Y Y Y Y",
    ("GET", "/board/"):                                       "N N Y Y Y Y Y",
    ("GET", "/board/window/{number}"):                        "N N Y Y Y Y Y",
    ("GET", "/board/announcement.wav"):                       "N N Y Y Y Y Y",
    ("GET", "/board/enroll"):                                 "N N Y N N N N",   # with the role's token as ?token=
    ("POST", "/api/v1/devices/heartbeat"):                    "N Y Y N N N N",
    ("GET", "/console/password"):                             "N N N Y Y Y Y",   # staff with a temporary password
    ("POST", "/console/password"):                            "N N N Y Y Y Y",
    # The back office, asked with ?office=demo: a manager of another office is refused.
    ("GET", "/api/v1/admin/today"):                           "N N N N N Y N",
    ("POST", "/api/v1/admin/tickets/{ticket_id}/hand"):       "N N N N N Y N",
    ("GET", "/api/v1/admin/events/stats"):                    "N N N N N Y N",
    ("GET", "/api/v1/admin/events/stats.csv"):                "N N N N N Y N",
    ("GET", "/api/v1/admin/stats"):                           "N N N N N Y N",
    ("GET", "/api/v1/admin/stats.csv"):                       "N N N N N Y N",
    ("GET", "/api/v1/admin/stats.xlsx"):                      "N N N N N Y N",
    ("GET", "/api/v1/admin/stats/charts/{chart}.svg"):        "N N N N N Y N",
    ("GET", "/api/v1/admin/calendar-feeds"):                  "N N N N N Y N",
    ("POST", "/api/v1/admin/calendar-feeds"):                 "N N N N N Y N",
    ("POST", "/api/v1/admin/calendar-feeds/{feed_id}/revoke"): "N N N N N Y N",
    ("GET", "/api/v1/admin/devices"):                         "N N N N N Y N",
    ("POST", "/api/v1/admin/devices"):                        "N N N N N Y N",
    ("PUT", "/api/v1/admin/devices/{device_id}"):             "N N N N N Y N",
    ("POST", "/api/v1/admin/devices/{device_id}/revoke"):     "N N N N N Y N",
    ("POST", "/api/v1/admin/devices/{device_id}/enrol"):      "N N N N N Y N",
    ("GET", "/api/v1/admin/users"):                           "N N N N N Y N",
    ("POST", "/api/v1/admin/users"):                          "N N N N N Y N",
    ("PUT", "/api/v1/admin/users/{username}"):                "N N N N N Y N",
    ("POST", "/api/v1/admin/users/{username}/disable"):       "N N N N N Y N",
    ("POST", "/api/v1/admin/users/{username}/enable"):        "N N N N N Y N",
    ("POST", "/api/v1/admin/users/{username}/reset-password"): "N N N N N Y N",
    ("POST", "/api/v1/admin/users/{username}/unlock"):        "N N N N N Y N",
    # The back office: managers (and admins), each of their own office; a clerk gets the 403 page.
    ("GET", "/admin/"):                                       "N N N N N Y Y",
    ("GET", "/admin/{section}"):                              "N N N N N Y Y",
    ("GET", "/admin/login"):                                  EVERYONE,
    ("POST", "/admin/login"):                                 EVERYONE,          # the password decides
    ("POST", "/admin/logout"):                                EVERYONE,          # ends one's own session only
    ("GET", "/admin/password"):                               "N N N Y Y Y Y",   # staff with a temporary password
    ("POST", "/admin/password"):                              "N N N Y Y Y Y",
    # The call centre's screen: operators, managers and admins (a clerk gets the 403 page).
    ("GET", "/call-centre/"):                                 "N N N N N Y Y",
    ("GET", "/call-centre/login"):                            EVERYONE,
    ("POST", "/call-centre/login"):                           EVERYONE,          # the password decides
    ("POST", "/call-centre/logout"):                          EVERYONE,          # ends one's own session only
    ("GET", "/call-centre/password"):                         "N N N Y Y Y Y",   # staff with a temporary password
    ("POST", "/call-centre/password"):                        "N N N Y Y Y Y",
}
NOT_THEIRS = {"ticket_not_found", "not_at_this_window", "window_not_held", "window_taken"}
DESK_USER, DESK_PASSWORD = "desk", "correct horse battery"
SPARE_USER, SPARE_DEVICE = "spare", "spare-board"   # what the back office's routes act on


def route_table() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD comes with GET)."""
    found = set()
    for route in routes():
        if isinstance(route, WebSocketRoute):
            found.add(("WS", route.path))
        elif isinstance(route, Route):
            found.update((method, route.path) for method in route.methods or () if method != "HEAD")
        else:
            assert isinstance(route, Mount) and route.path.endswith("/static"), route
    return found


def test_every_route_has_a_row() -> None:
    served = route_table()
    assert served - set(TABLE) == set(), "routes without a row in TABLE: say who may use them"
    assert set(TABLE) - served == set(), "rows for routes that are gone"
    for row in TABLE.values():
        assert len(row.split()) == len(ROLES) and set(row.split()) <= {"Y", "N", "O"}, row


@dataclass
class Hall:
    """Two offices, a device and a person for every role, and the things they act on."""

    client: httpx.AsyncClient
    url: str
    tokens: dict[str, str | None]
    values: dict[str, str] = field(default_factory=dict)
    query: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return {"Authorization": f"Bearer {token}"} if token else {}


async def open_hall(office: Any, url: str) -> Hall:
    other = read_office_file(DEMO_OFFICE)
    other.code, other.name = "other", "Another office"
    other.devices = [(kind, f"other-{name}", {"kind": "none"} if kind == "kiosk" else printer)
                     for kind, name, printer in other.devices]
    now = office.clock.now()
    async with office.okienko.db.engine.begin() as conn:
        await load_office(conn, other)
        tokens: dict[str, str | None] = {"anonymous": None, "kiosk": office.kiosk_token,
                                         "board": await issue_device_token(conn, "demo", "board", "hall")}
        for role, kind, home in [("clerk", "clerk", "demo"), ("clerk_other_window", "clerk", "demo"),
                                 ("manager", "manager", "demo"), ("manager_other_office", "manager", "other")]:
            await add_user(conn, role, kind, "correct horse battery", home)
            tokens[role] = await issue_staff_token(conn, role, now)
        await add_user(conn, DESK_USER, "clerk", DESK_PASSWORD, "demo")
        await add_user(conn, SPARE_USER, "clerk", DESK_PASSWORD, "demo")
        await issue_device_token(conn, "demo", "board", SPARE_DEVICE)
        spare_device = (await conn.execute(sa.select(Device.__table__.c.id).where(
            Device.__table__.c.name == SPARE_DEVICE))).scalar_one()
    hall = Hall(office.client, url, tokens)
    booking = await book(office)
    hall.values = {"code": booking["code"], "booking_id": "unknown-hold", "draw_id": "1", "entry_id": "1",
                   "window": "1", "number": "1", "action": "recall", "username": SPARE_USER,
                   "device_id": str(spare_device), "date": "2026-12-12", "service": "ZZ", "priority": "nobody",
                   "section": "days", "id": "unknown-message", "file": "georgian",
                   "feed_token": "unknown-token", "feed_id": "999", "chart": "heat_map"}
    secret = {"secret": booking["secret"]}
    hall.query = {"/api/v1/bookings/{code}": secret, "/api/v1/bookings/{code}/calendar.ics": secret,
                  "/book/manage/{code}": secret, "/api/v1/slots": {"service": "A"},
                  "/board/announcement.wav": {"number": "A001", "window": "1"},
                  **{route: {"office": "demo"} for method, route in TABLE
                     if route.startswith(("/api/v1/admin/", "/api/v1/call-centre/"))}}
    return hall


async def press(hall: Hall, role: str, path: str, body: Any = None) -> httpx.Response:
    return await hall.client.post(path, headers=hall.headers(role), json=body)


async def set_the_scene(hall: Hall) -> None:
    """Before each route (unless the last one left every row as this left them, database_rows): the
    clerks at windows 1 and 2, the managers at none, and a fresh ticket called to window 1 (the one
    the ticket routes name)."""
    for role, window in (("clerk", "1"), ("clerk_other_window", "2")):
        assert (await press(hall, role, f"/api/v1/windows/{window}/sign-in")).status_code == 200
    for role in ("manager", "manager_other_office"):
        assert (await press(hall, role, "/api/v1/windows/1/sign-out")).status_code == 204
    in_hand = (await hall.client.get("/api/v1/windows/1", headers=hall.headers("clerk"))).json()["ticket"]
    if in_hand:
        if in_hand["status"] == "called":
            await press(hall, "clerk", f"/api/v1/tickets/{in_hand['id']}/start")
        await press(hall, "clerk", f"/api/v1/tickets/{in_hand['id']}/finish")
    issued = await press(hall, "kiosk", "/api/v1/tickets", {"service": "A"})
    assert issued.status_code == 201, issued.text
    called = await press(hall, "clerk", "/api/v1/windows/1/call-next")
    assert called.status_code == 200, called.text
    hall.values["ticket_id"] = called.json()["id"]


# Written to by requests that change nothing a scene is made of (who asked, from where, when).
LOGS = {"audit_log", "rate_limit_hits"}


async def database_rows(office: Any) -> list[Any]:
    """Every row of the database but the logs: where a route left them as the last scene did (a GET
    that changed nothing, a refused request), the scene stands as set and is not set again (a
    scene is ten requests, most of them writes: most of this test's time)."""
    async with office.okienko.db.engine.connect() as conn:
        return [sorted(map(repr, (await conn.execute(table.select())).all()))
                for table in metadata.sorted_tables if table.name not in LOGS]


BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/tickets"): {"service": "A"},
    ("POST", "/api/v1/check-in"): {"code": "AAAAAA"},
    ("PUT", "/api/v1/tickets/{ticket_id}/phone"): {"phone": "+48600700800"},
    ("POST", "/api/v1/tickets/{ticket_id}/document-check"): {"document_number": "FE 123456"},
    ("POST", "/api/v1/windows/{window}/pause"): {"paused": False},
    ("POST", "/api/v1/windows/{window}/call"): {"number": "A999"},
    ("PUT", "/api/v1/board/ticker"): {"text": "Welcome"},
    ("POST", "/api/v1/admin/tickets/{ticket_id}/hand"): {"window": "2"},
    ("POST", "/api/v1/admin/days/{date}/preview"): {"hours": ["09:00-12:00"]},
    ("PUT", "/api/v1/admin/days/{date}"): {"hours": ["09:00-12:00"], "reason": "information Saturday"},
    ("POST", "/api/v1/admin/closure-calendars"): {"name": "Plan", "url": "http://127.0.0.1:1/closures.ics"},
    ("POST", "/api/v1/admin/closure-import/preview"): {"ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"},
    ("POST", "/api/v1/admin/closure-import"): {"ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"},
    ("POST", "/api/v1/admin/events"): {"date": "2027-01-16", "opens": "08:00", "closes": "15:00",
                                       "titles": {"pl": "Sobota informacyjna"}},
    ("PUT", "/api/v1/admin/events/{id}"): {"opens": "09:00"},
    ("POST", "/api/v1/admin/bookings/{code}/move"): {"starts_at": "2026-12-04T09:00:00+01:00"},
    ("POST", "/api/v1/admin/calendar-feeds"): {"scope": "service", "target": "A"},
    ("POST", "/api/v1/call-centre/lookup"): {"name": "Nobody", "birth_date": "1990-01-01", "document_end": "99"},
}
FORMS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/console/login"): {"username": DESK_USER, "password": DESK_PASSWORD},
    ("POST", "/console/logout"): {},
    ("POST", "/admin/login"): {"username": DESK_USER, "password": DESK_PASSWORD},
    ("POST", "/call-centre/login"): {"username": DESK_USER, "password": DESK_PASSWORD},
    ("POST", "/admin/logout"): {},
    ("POST", "/console/password"): {},
    ("POST", "/admin/password"): {},
    ("POST", "/call-centre/logout"): {},
    ("POST", "/call-centre/password"): {},
}
ENROLMENT = ("/kiosk/enroll", "/board/enroll")
SIGN_IN_PAGES = ("/console/login", "/admin/login", "/call-centre/login")
SIGN_OUT_FORMS = ("/console/logout", "/admin/logout", "/call-centre/logout")


async def send(hall: Hall, method: str, template: str, role: str) -> httpx.Response:
    """The route's HTTP request as `role` would send it."""
    path = template.format(**hall.values)
    query = dict(hall.query.get(template, {}))
    headers = hall.headers(role)
    if template in ENROLMENT:   # the token in the address is the credential
        headers, query = {}, {"token": hall.tokens[role]} if hall.tokens[role] else {}
    if (method, template) in FORMS:
        answer = await hall.client.request(method, path, params=query, headers=headers,
                                           data=FORMS[(method, template)])
    else:
        answer = await hall.client.request(method, path, params=query, headers=headers,
                                           json=BODIES.get((method, template), {} if method != "GET" else None))
    hall.client.cookies.clear()   # a sign-in or an enrolment must not carry over to the next role
    return answer


async def ask(hall: Hall, method: str, template: str, role: str) -> str:
    """Send the route's request as `role`; what came back, as Y, N or O (or a description of
    anything else, which fails the test)."""
    if method == "WS":
        headers = {} if template in ENROLMENT else hall.headers(role)
        return await ask_socket(hall, template.format(**hall.values), headers)
    answer = await send(hall, method, template, role)
    error = None
    if answer.headers.get("content-type", "").startswith("application/json"):
        error = answer.json().get("error") if isinstance(answer.json(), dict) else None
    if answer.status_code >= 500:
        return f"{answer.status_code} {answer.text[:200]}"
    if answer.status_code in (401, 403):
        return "N"
    if answer.status_code in (302, 303) and answer.headers["location"].startswith(SIGN_IN_PAGES):
        return "N" if template not in SIGN_OUT_FORMS else "Y"
    return "O" if error in NOT_THEIRS else "Y"


async def ask_socket(hall: Hall, path: str, headers: dict[str, str]) -> str:
    url = hall.url.replace("http://", "ws://") + path
    try:
        async with connect(url, additional_headers=headers, open_timeout=10) as socket:
            if path != "/ws/print-agent":   # the board and the phone get their first message at once
                json.loads(await socket.recv())
            return "Y"
    except InvalidStatus as refused:
        return "N" if refused.response.status_code == 403 else f"WebSocket {refused.response.status_code}"


async def test_every_role_may_do_what_the_table_says_and_nothing_else(office_factory: Any, tmp_path: Path) -> None:
    # A fresh ticket of A before each of up to ~130 routes: more than A's daily limit in the demo office.
    office = await office_factory(TUESDAY, office_file=demo_office_variant(tmp_path, service_keys={
        "A": {"daily_limit": None}}))
    async with serving(office.app) as url:
        hall = await open_hall(office, url)
        wrong = []
        left: list[Any] = []   # the database as the last scene left it
        for (method, template), row in sorted(TABLE.items(), key=lambda item: item[0][1]):
            if not left or await database_rows(office) != left:
                await set_the_scene(hall)
                left = await database_rows(office)
            for role, expected in zip(ROLES, row.split()):
                got = await ask(hall, method, template, role)
                if got != expected:
                    wrong.append(f"{method} {template} as {role}: expected {expected}, got {got}")
    assert wrong == []


async def test_staff_of_an_office_see_only_their_own_office(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    async with serving(office.app) as url:
        hall = await open_hall(office, url)
        printers = await hall.client.get("/api/v1/printers", params={"office": "demo"},
                                         headers=hall.headers("manager_other_office"))
        assert printers.status_code == 200
        assert [printer["kiosk"] for printer in printers.json()["printers"]] == ["other-hall-1", "other-hall-2"]
        desk = await hall.client.get("/api/v1/staff/bookings", params={"office": "demo", "day": "2026-12-03"},
                                     headers=hall.headers("manager_other_office"))
        assert desk.status_code == 200 and desk.json()["bookings"] == []
        ours = await hall.client.get("/api/v1/staff/bookings", params={"day": "2026-12-03"},
                                     headers=hall.headers("manager"))
        assert [b["code"] for b in ours.json()["bookings"]] == [hall.values["code"]]

"""The offices of day.py: their office files, the simulated clock they run on, and their set-up on a
fresh database (offices, kiosk and board tokens, one clerk with a staff token per window).

A library for bench/day.py, not a benchmark.

**The clock.** A day's walk-in queue needs no clock of its own: every office is open 00:00-24:00,
and the day is compressed by issuing its tickets at a higher rate. Only the draw needs time to pass
(its entry window must close while the benchmark runs), so every server runs on a started clock
(`OKIENKO_CLOCK_START`, okienko/clock.py `StartedClock`): at `close_after` seconds after its start
the clock reads 09:00 of the simulated day, the end of the draw's window (08:00-09:00). Each server
gets the moment that matches its own start, so the two processes agree to within their start-up.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from common import OFFICE_TZ

WALK_IN = tuple("ABCDEFGH")           # eight walk-in services, each with its own prefix
FIRST_COME, DRAWN = "R", "L"          # booked first come; released by draw (the lottery)
SLOT_MINUTES = 15
VISIT_HOURS = "08:00-16:00"           # 32 slots of 15 minutes a day
SLOTS_PER_DAY = 32
DRAW_OPENS, DRAW_CLOSES = dt.time(8, 0), dt.time(9, 0)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Office:
    code: str
    letter: str                          # "" for a single office, else the second letter of its prefixes
    windows: int
    first_come_places: int               # per slot
    first_come_days: int                 # bookable days (from tomorrow)
    draw_places: int                     # per slot of the drawn day
    kiosk: str = ""                      # tokens, filled in by set_up
    board: str = ""
    clerks: dict[str, str] = field(default_factory=dict)    # window -> staff token

    def prefix(self, service: str) -> str:
        return service + self.letter

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "letter": self.letter, "windows": self.windows, "kiosk": self.kiosk,
                "board": self.board, "clerks": self.clerks, "services": list(WALK_IN),
                "prefixes": {s: self.prefix(s) for s in WALK_IN}}


def plan_offices(count: int, windows: int, bookings: int, draw_places: int) -> list[Office]:
    """`count` offices, each with `windows` windows, room for `bookings` first-come bookings over
    about two weeks and `draw_places` places on the drawn day."""
    if count > 26:
        raise SystemExit("at most 26 offices (one letter each in their prefixes)")
    days = 13
    per_slot = max(1, -(-bookings // (days * SLOTS_PER_DAY)))
    draw_per_slot = max(1, -(-draw_places // SLOTS_PER_DAY))
    return [Office(code="day" if count == 1 else f"day{k + 1:02d}",
                   letter="" if count == 1 else string.ascii_uppercase[k],
                   windows=windows, first_come_places=per_slot, first_come_days=days, draw_places=draw_per_slot)
            for k in range(count)]


def office_toml(office: Office) -> str:
    all_day = ", ".join(f'{day} = "00:00-24:00"' for day in WEEK)
    visits = ", ".join(f'{day} = "{VISIT_HOURS}"' for day in WEEK)

    def service(code: str, booking: list[str], own: list[str] | None = None) -> list[str]:
        own = own or []
        return ["[[service]]", f'code = "{code}"', f'prefix = "{office.prefix(code)}"',
                f'names = {{ pl = "Usługa {code}", en = "Service {code}", uk = "Послуга {code}", ru = "Услуга {code}" }}',
                "average_service_minutes = 5", "last_ticket_minutes_before_close = 0", f"hours = {{ {all_day} }}",
                *own, *(["", "[service.booking]", *booking] if booking else []), ""]

    parts = [
        "# Written by bench/day.py: open all day every day, no public holidays, no rate limits, no printer.",
        "[office]", f'code = "{office.code}"', f'name = "Day benchmark {office.code}"', f'timezone = "{OFFICE_TZ}"',
        "closed_on_public_holidays = false", 'priority_mode = "first"', "",
        "[office.booking]",
        "# 0 switches the limits off: every client of the benchmark is 127.0.0.1.",
        "per_address_per_hour = 0", "per_contact_per_day = 0", "listings_per_address_per_minute = 0",
        "reminders = []", "",
    ]
    for code in WALK_IN:
        # Four digits: the busiest service takes over 999 tickets a day at scale 1, and a number
        # used twice in a day would mix two visitors' calls in the figures.
        parts += service(code, [], ["number_digits = 4"])
    parts += service(FIRST_COME, [f"slot_minutes = {SLOT_MINUTES}", f"places = {office.first_come_places}",
                                  f"days = {{ {visits} }}", f"horizon_days = {office.first_come_days}",
                                  "first_day = 1", 'release_time = "00:00"'])
    minutes = (DRAW_CLOSES.hour - DRAW_OPENS.hour) * 60
    parts += service(DRAWN, [f"slot_minutes = {SLOT_MINUTES}", f"places = {office.draw_places}",
                             f"days = {{ {visits} }}", "horizon_days = 1", "first_day = 1",
                             f'release_time = "{DRAW_OPENS:%H:%M}"', 'release_mode = "draw"',
                             f"draw_minutes = {minutes}"])
    for number in range(1, office.windows + 1):
        turn = (number - 1) % len(WALK_IN)       # each window prefers another service first
        order = [*WALK_IN[turn:], *WALK_IN[:turn], FIRST_COME, DRAWN]
        parts += ["[[window]]", f'number = "{number}"', f"services = {order!r}".replace("'", '"'), ""]
    parts += ["[[kiosk]]", 'name = "hall-1"', "[kiosk.printer]", 'kind = "none"', ""]
    return "\n".join(parts)


def simulated_day() -> dt.date:
    """The simulated day: today in the office's time zone (the walk-ins' office day)."""
    return dt.datetime.now(ZoneInfo(OFFICE_TZ)).date()


def clock_start(close_after: float, started_late: float) -> str:
    """OKIENKO_CLOCK_START for a server started `started_late` s after the first one, so that
    every server's clock reads the end of the draw window `close_after` s after the first start."""
    closes = dt.datetime.combine(simulated_day(), DRAW_CLOSES, tzinfo=ZoneInfo(OFFICE_TZ))
    return (closes - dt.timedelta(seconds=close_after - started_late)).isoformat()


async def set_up(url: str, folder: Path, offices: list[Office]) -> None:
    """A fresh, stamped schema, every office loaded, and the tokens the clients need, in-process
    (one transaction; a clerk per window: 40 `okienko user add` + `token create` would take a minute)."""
    from common import fresh_schema
    from okienko.office.config_file import load_office, read_office_file
    from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
    from okienko.staff.passwords import hash_password
    from okienko.storage.db import Database

    await fresh_schema(url, stamp=True)
    password = "bench-clerk-password"
    hashed = hash_password(password)      # argon2 once, not once per clerk
    db = Database(url)
    try:
        if url.startswith("postgresql"):
            # Live events go out on the Redis channel `okienko:office:<office id>` and slot hints name
            # the service id, on a Redis that tests and other installations may share (their offices
            # and services are 1, 2, ...): ids of our own, so that neither side hears the other.
            async with db.transaction(okienko_write=True) as conn:
                for table in ("offices", "services"):
                    await conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 7100)"))
        for office in offices:
            path = folder / f"{office.code}.toml"
            path.write_text(office_toml(office))
            async with db.transaction(okienko_write=True) as conn:
                await load_office(conn, read_office_file(path), always_open=False)
                office.kiosk = await issue_device_token(conn, office.code, "kiosk", "hall-1")
                office.board = await issue_device_token(conn, office.code, "board", "hall")
                now = dt.datetime.now(dt.timezone.utc)
                for number in range(1, office.windows + 1):
                    user = f"clerk-{office.code}-{number}"
                    await add_user(conn, user, "clerk", password, office.code, password_hash=hashed)
                    office.clerks[str(number)] = await issue_staff_token(conn, user, now)
    finally:
        await db.dispose()

"""The office booking.py's Okienko runs load, and the week listing they read.

Services: T, walk-in tickets for the rush's kiosk; R, the race (only tomorrow can be booked:
race_slots x race_places places in all); A, the demo office's service A (a week lists 97 slots),
read by slot-reads and the rush and held by the rush's holders.

A library for bench/booking.py, not a benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from common import OFFICE_TZ

RACE_SERVICE, READ_SERVICE, TICKET_SERVICE = "R", "A", "T"
RACE_SLOT_MINUTES = 5
# The week listing read by slot-reads and rush: the demo office's service A (config/demo-office.toml).
READ_DAYS = {"mon": "10:00-17:20", "tue": "08:00-14:40", "wed": "08:00-14:40", "thu": "08:00-14:40",
             "fri": "08:00-14:40"}
READ_BREAK = "12:00-12:20"
READ_SLOT_MINUTES = 20
READ_HORIZON_DAYS = 30


def office_toml(race_slots: int, race_places: int, read_places: int) -> str:
    all_week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    walk_in = ", ".join(f'{day} = "00:00-24:00"' for day in all_week)
    race_end = 8 * 60 + race_slots * RACE_SLOT_MINUTES
    race_days = ", ".join(f'{day} = "08:00-{race_end // 60:02d}:{race_end % 60:02d}"' for day in all_week)
    read_days = ", ".join(f'{day} = "{hours}"' for day, hours in READ_DAYS.items())

    def service(code: str, booking: list[str]) -> list[str]:
        return ["[[service]]", f'code = "{code}"', f'prefix = "{code}"',
                f'names = {{ pl = "Usługa {code}", en = "Service {code}", uk = "Послуга {code}", ru = "Услуга {code}" }}',
                "average_service_minutes = 0.001", "last_ticket_minutes_before_close = 0",
                f"hours = {{ {walk_in} }}", *booking, ""]

    return "\n".join([
        "# Written by bench/booking.py: open all week, no public holidays, no rate limits, no printer.",
        "[office]", 'code = "bench"', 'name = "Benchmark office"', f'timezone = "{OFFICE_TZ}"',
        "closed_on_public_holidays = false", 'priority_mode = "first"', "",
        "[office.booking]",
        "# 0 switches the limits off: every client of the benchmark is 127.0.0.1 and books and lists many times.",
        "per_address_per_hour = 0", "per_contact_per_day = 0", "listings_per_address_per_minute = 0", "",
        # T: walk-in tickets for the kiosk of the rush scenario.
        *service(TICKET_SERVICE, []),
        # R: the race. Only tomorrow can be booked (horizon 1 day, released at midnight): exactly
        # race_slots x race_places places in all.
        *service(RACE_SERVICE, ["[service.booking]", f"slot_minutes = {RACE_SLOT_MINUTES}", f"places = {race_places}",
                                f"days = {{ {race_days} }}", "horizon_days = 1", "first_day = 1",
                                'release_time = "00:00"']),
        # A: the demo office's service A (a week lists 97 slots), with enough places per slot that
        # the rush's holds never run out.
        *service(READ_SERVICE, ["[service.booking]", f"slot_minutes = {READ_SLOT_MINUTES}", f"places = {read_places}",
                                f"days = {{ {read_days} }}", f'breaks = ["{READ_BREAK}"]',
                                f"horizon_days = {READ_HORIZON_DAYS}", "first_day = 1", 'release_time = "06:00"']),
        "[[window]]", 'number = "1"', f'services = ["{TICKET_SERVICE}", "{RACE_SERVICE}", "{READ_SERVICE}"]', "",
        "[[kiosk]]", 'name = "hall-1"', "[kiosk.printer]", 'kind = "none"', "",
    ])


def office_today() -> dt.date:
    return dt.datetime.now(ZoneInfo(OFFICE_TZ)).date()


def week_path() -> str:
    first = office_today() + dt.timedelta(days=1)
    return f"/api/v1/slots?service={READ_SERVICE}&from={first}&to={first + dt.timedelta(days=6)}"


def synthetic_listing(places: int) -> bytes:
    """A listing of the week shaped and sized as Okienko's (for the ceiling with a listing body)."""
    zone = ZoneInfo(OFFICE_TZ)
    first = office_today() + dt.timedelta(days=1)
    last = first + dt.timedelta(days=6)
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    pause = [int(x[:2]) * 60 + int(x[3:]) for x in READ_BREAK.split("-")]
    days = []
    for offset in range(7):
        day = first + dt.timedelta(days=offset)
        hours = READ_DAYS.get(names[day.weekday()])
        if not hours:
            continue
        opens, closes = (int(x[:2]) * 60 + int(x[3:]) for x in hours.split("-"))
        slots = []
        for minute in range(opens, closes - READ_SLOT_MINUTES + 1, READ_SLOT_MINUTES):
            if minute < pause[1] and pause[0] < minute + READ_SLOT_MINUTES:
                continue
            start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
            end = start + dt.timedelta(minutes=READ_SLOT_MINUTES)
            slots.append({"start": start.isoformat(), "end": end.isoformat(), "places": places, "free": places})
        days.append({"date": day.isoformat(), "closed": None, "slots": slots})
    listing = {"service": READ_SERVICE, "timezone": OFFICE_TZ, "from": first.isoformat(), "to": last.isoformat(),
               "places_per_slot": places, "slot_minutes": READ_SLOT_MINUTES,
               "next_release_at": dt.datetime.combine(office_today() + dt.timedelta(days=1), dt.time(6), tzinfo=zone)
               .isoformat(), "days": days}
    return json.dumps(listing, ensure_ascii=False, separators=(",", ":")).encode()

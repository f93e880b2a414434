"""The office as it stands in the database, written back as an office file (docs/office-config.md).

Guarantee: loading the exported file (`config_file.load_office`) changes nothing in the database;
what the file format cannot say (tickets, tokens, the demo's `always_open`, services and windows
switched off) is left out, and the load leaves it as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.office.config_file import WEEKDAYS
from okienko.office.directory import read_day_rules
from okienko.storage.models import (Closure, Device, Office, PriorityCategory, Service, ServiceHours, Window,
                                    WindowService)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
OFFICE_KEYS = ("code", "name", "timezone", "default_language", "closed_on_public_holidays", "priority_mode",
               "recalls_before_no_show", "transfer_position")
SERVICE_KEYS = ("code", "prefix", "names", "number_digits", "average_service_minutes", "daily_limit",
                "last_ticket_minutes_before_close", "walk_in")


class UnknownOffice(LookupError):
    """No office with that code (or none at all) in the database."""


async def export_office(conn: AsyncConnection, office_code: str | None = None) -> str:
    """The office file of `office_code` (default: the first office) as TOML text."""
    offices = Office.__table__
    query = sa.select(offices).order_by(offices.c.id).limit(1)
    if office_code:
        query = sa.select(offices).where(offices.c.code == office_code)
    office = (await conn.execute(query)).mappings().first()
    if office is None:
        raise UnknownOffice(office_code or "")
    closures = Closure.__table__
    days = (await conn.execute(sa.select(closures.c.day).where(closures.c.office_id == office["id"])
                               .order_by(closures.c.day))).scalars().all()
    lines = ["# Exported by `okienko office export`: the office as it stands in the database.",
             "# `okienko office load` of this file changes nothing; docs/office-config.md explains every key.",
             "", "[office]"]
    lines += [_pair(key, office[key]) for key in OFFICE_KEYS]
    lines.append(_pair("closures", [day.isoformat() for day in days]))
    if office["ticket_footer"]:
        lines += ["", "[office.ticket_footer]", *(_pair(k, v) for k, v in office["ticket_footer"].items())]
    if office["booking_policy"]:
        lines += ["", "[office.booking]", *(_pair(k, v) for k, v in office["booking_policy"].items())]
    lines += await _priorities(conn, office["id"])
    codes = {}
    for service in await _active(conn, Service, office["id"]):
        codes[service["id"]] = service["code"]
        lines += ["", "[[service]]", *(_pair(key, service[key]) for key in SERVICE_KEYS if service[key] is not None)]
        hours = await _hours(conn, service["id"])
        if hours:
            lines.append(_pair("hours", hours))
        if service["booking"]:
            lines += ["", "[service.booking]", *_slot_schedule(service["booking"])]
    lines += await _windows(conn, office["id"], codes)
    lines += await _days(conn, office["id"])
    for kind in ("kiosk", "board"):
        for device in await _active(conn, Device, office["id"], Device.__table__.c.kind == kind):
            lines += ["", f"[[{kind}]]", _pair("name", device["name"])]
            if kind == "kiosk" and device["printer"]:
                lines += [f"[{kind}.printer]", *(_pair(k, v) for k, v in device["printer"].items() if v is not None)]
    return "\n".join(lines) + "\n"


async def _active(conn: AsyncConnection, model: Any, office_id: int, *where: Any) -> list[Any]:
    table = model.__table__
    order = table.c.sort_order if "sort_order" in table.c else table.c.id
    return list((await conn.execute(sa.select(table).where(table.c.office_id == office_id, table.c.active, *where)
                                    .order_by(order, table.c.id))).mappings().all())


async def _priorities(conn: AsyncConnection, office_id: int) -> list[str]:
    lines: list[str] = []
    for priority in await _active(conn, PriorityCategory, office_id):
        lines += ["", "[[priority]]", _pair("code", priority["code"]), _pair("mark", priority["mark"]),
                  _pair("names", priority["names"])]
    return lines


async def _hours(conn: AsyncConnection, service_id: int) -> dict[str, str]:
    hours = ServiceHours.__table__
    rows = (await conn.execute(sa.select(hours.c.weekday, hours.c.opens_minute, hours.c.closes_minute)
                               .where(hours.c.service_id == service_id)
                               .order_by(hours.c.weekday, hours.c.opens_minute))).all()
    by_day: dict[str, list[str]] = {}
    for weekday, opens, closes in rows:
        by_day.setdefault(WEEKDAYS[weekday], []).append(_range(opens, closes))
    return {day: ", ".join(ranges) for day, ranges in by_day.items()}


async def _windows(conn: AsyncConnection, office_id: int, codes: dict[int, str]) -> list[str]:
    links = WindowService.__table__
    lines: list[str] = []
    for window in await _active(conn, Window, office_id):
        served = (await conn.execute(sa.select(links.c.service_id).where(links.c.window_id == window["id"])
                                     .order_by(links.c.position))).scalars().all()
        lines += ["", "[[window]]", _pair("number", window["number"])]
        if window["name"]:
            lines.append(_pair("name", window["name"]))
        lines.append(_pair("services", [codes[service_id] for service_id in served if service_id in codes]))
    return lines


async def _days(conn: AsyncConnection, office_id: int) -> list[str]:
    """The dates with their own hours, as `[[day]]` tables (every key written, so nothing is left to a default)."""
    lines: list[str] = []
    for rule in await read_day_rules(conn, office_id):
        lines += ["", "[[day]]", _pair("date", rule.day.isoformat()),
                  _pair("hours", ", ".join(_range(a, b) for a, b in rule.ranges))]
        if rule.services is not None:
            lines.append(_pair("services", list(rule.services)))
        lines += [_pair("walk_in", rule.walk_in), _pair("booking", rule.booking), _pair("reason", rule.reason)]
    return lines


def _slot_schedule(booking: dict[str, Any]) -> list[str]:
    """A service's stored slot schedule (SlotSchedule.to_mapping) in the file's words."""
    days = {WEEKDAYS[int(day)]: ", ".join(_range(a, b) for a, b in ranges)
            for day, ranges in sorted(booking["days"].items(), key=lambda item: int(item[0]))}
    release = int(booking.get("release_minute", 6 * 60))
    lines = [_pair("slot_minutes", booking["slot_minutes"]), _pair("places", booking["places"]),
             _pair("days", days), _pair("breaks", [_range(a, b) for a, b in booking.get("breaks", [])]),
             _pair("horizon_days", booking.get("horizon_days", 30)), _pair("first_day", booking.get("first_day", 1)),
             _pair("release_time", f"{release // 60:02d}:{release % 60:02d}")]
    for key in ("release_mode", "draw_minutes"):
        if booking.get(key) is not None:
            lines.append(_pair(key, booking[key]))
    lines.append(_pair("case_number", bool(booking.get("case_number", False))))
    if booking.get("what_to_bring"):
        lines.append(_pair("what_to_bring", booking["what_to_bring"]))
    return lines


def _range(opens: int, closes: int) -> str:
    return f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"


def _pair(key: str, value: Any) -> str:
    return f"{_key(key)} = {_value(value)}"


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """A TOML value: JSON's string escapes are TOML's, and a whole float is written as a whole number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(_pair(str(k), v) for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")

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

from okienko.office.config_file import DEFAULT_BOARD_LANGUAGES, WEEKDAYS
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
    return office_toml(await office_document(conn, office_code))


async def office_document(conn: AsyncConnection, office_code: str | None = None) -> dict[str, Any]:
    """The office as an office file's tables (what `tomllib` reads from the exported file, in the
    same order): `config_file.parse_office` takes it as it is. Only what is switched on."""
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
    head: dict[str, Any] = {key: office[key] for key in OFFICE_KEYS}
    head["closures"] = [day.isoformat() for day in days]
    head["board_languages"] = list(office["board_languages"] or DEFAULT_BOARD_LANGUAGES)
    if office["public_url"]:
        head["public_url"] = office["public_url"]
    if office["hosts"]:
        head["hosts"] = list(office["hosts"])
    if office["ticket_footer"]:
        head["ticket_footer"] = dict(office["ticket_footer"])
    if office["booking_policy"]:
        head["booking"] = dict(office["booking_policy"])
    document: dict[str, Any] = {"office": head, "priority": await _priorities(conn, office["id"]), "service": []}
    codes = {}
    for service in await _active(conn, Service, office["id"]):
        codes[service["id"]] = service["code"]
        document["service"].append(await _service_item(conn, service))
    document["window"] = await _windows(conn, office["id"], codes)
    document["day"] = await _days(conn, office["id"])
    for kind in ("kiosk", "board"):
        document[kind] = []
        for device in await _active(conn, Device, office["id"], Device.__table__.c.kind == kind):
            item = {"name": device["name"]}
            if kind == "kiosk" and device["printer"]:
                item["printer"] = {k: v for k, v in device["printer"].items() if v is not None}
            document[kind].append(item)
    return document


async def switched_off(conn: AsyncConnection, office_code: str) -> dict[str, Any]:
    """What an office file cannot hold: the office's switched-off services, windows and priority
    categories, each as the document would hold it, and every service's place (`orders`)."""
    office_id = (await conn.execute(sa.select(Office.__table__.c.id)
                                    .where(Office.__table__.c.code == office_code))).scalar()
    if office_id is None:
        raise UnknownOffice(office_code)
    found: dict[str, Any] = {"service": [], "window": [], "priority": [], "orders": {}, "windows_of": {}}
    services = Service.__table__
    codes = {}
    for service in (await conn.execute(sa.select(services).where(services.c.office_id == office_id)
                                       .order_by(services.c.sort_order, services.c.id))).mappings():
        codes[service["id"]] = service["code"]
        found["orders"][service["code"]] = service["sort_order"]
        if not service["active"]:
            found["service"].append(await _service_item(conn, service))
    for model, key in ((Window, "window"), (PriorityCategory, "priority")):
        table = model.__table__
        for row in (await conn.execute(sa.select(table).where(table.c.office_id == office_id, sa.not_(table.c.active))
                                       .order_by(table.c.id))).mappings():
            found[key].append(await _window_item(conn, row, codes) if key == "window" else _priority_item(row))
    return found


def office_toml(document: dict[str, Any]) -> str:
    """An office document (`office_document`) as the office file's TOML text."""
    lines = ["# Exported by `okienko office export`: the office as it stands in the database.",
             "# `okienko office load` of this file changes nothing; docs/office-config.md explains every key.",
             "", "[office]"]
    head = document["office"]
    lines += [_pair(key, value) for key, value in head.items() if key not in ("ticket_footer", "booking")]
    for key in ("ticket_footer", "booking"):
        if head.get(key):
            lines += ["", f"[office.{key}]", *(_pair(k, v) for k, v in head[key].items())]
    for priority in document.get("priority", []):
        lines += ["", "[[priority]]", *(_pair(k, v) for k, v in priority.items())]
    for service in document.get("service", []):
        lines += ["", "[[service]]", *(_pair(k, v) for k, v in service.items() if k != "booking")]
        if service.get("booking"):
            lines += ["", "[service.booking]", *(_pair(k, v) for k, v in service["booking"].items())]
    for window in document.get("window", []):
        lines += ["", "[[window]]", *(_pair(k, v) for k, v in window.items())]
    for day in document.get("day", []):
        lines += ["", "[[day]]", *(_pair(k, v) for k, v in day.items())]
    for kind in ("kiosk", "board"):
        for device in document.get(kind, []):
            lines += ["", f"[[{kind}]]", *(_pair(k, v) for k, v in device.items() if k != "printer")]
            if device.get("printer"):
                lines += [f"[{kind}.printer]", *(_pair(k, v) for k, v in device["printer"].items())]
    return "\n".join(lines) + "\n"


async def _active(conn: AsyncConnection, model: Any, office_id: int, *where: Any) -> list[Any]:
    table = model.__table__
    order = table.c.sort_order if "sort_order" in table.c else table.c.id
    return list((await conn.execute(sa.select(table).where(table.c.office_id == office_id, table.c.active, *where)
                                    .order_by(order, table.c.id))).mappings().all())


async def _priorities(conn: AsyncConnection, office_id: int) -> list[dict[str, Any]]:
    return [_priority_item(priority) for priority in await _active(conn, PriorityCategory, office_id)]


def _priority_item(priority: Any) -> dict[str, Any]:
    return {"code": priority["code"], "mark": priority["mark"], "names": priority["names"]}


async def _service_item(conn: AsyncConnection, service: Any) -> dict[str, Any]:
    item = {key: service[key] for key in SERVICE_KEYS if service[key] is not None}
    if service["event_only"]:   # only when set: files of offices without events stay as they were
        item["event_only"] = True
    hours = await _hours(conn, service["id"])
    if hours:
        item["hours"] = hours
    if service["booking"]:
        item["booking"] = _slot_schedule(service["booking"])
    return item


async def _hours(conn: AsyncConnection, service_id: int) -> dict[str, str]:
    hours = ServiceHours.__table__
    rows = (await conn.execute(sa.select(hours.c.weekday, hours.c.opens_minute, hours.c.closes_minute)
                               .where(hours.c.service_id == service_id)
                               .order_by(hours.c.weekday, hours.c.opens_minute))).all()
    by_day: dict[str, list[str]] = {}
    for weekday, opens, closes in rows:
        by_day.setdefault(WEEKDAYS[weekday], []).append(_range(opens, closes))
    return {day: ", ".join(ranges) for day, ranges in by_day.items()}


async def _windows(conn: AsyncConnection, office_id: int, codes: dict[int, str]) -> list[dict[str, Any]]:
    return [await _window_item(conn, window, codes) for window in await _active(conn, Window, office_id)]


async def _window_item(conn: AsyncConnection, window: Any, codes: dict[int, str]) -> dict[str, Any]:
    links = WindowService.__table__
    served = (await conn.execute(sa.select(links.c.service_id).where(links.c.window_id == window["id"])
                                 .order_by(links.c.position))).scalars().all()
    item: dict[str, Any] = {"number": window["number"]}
    if window["name"]:
        item["name"] = window["name"]
    item["services"] = [codes[service_id] for service_id in served if service_id in codes]
    return item


async def _days(conn: AsyncConnection, office_id: int) -> list[dict[str, Any]]:
    """The dates with their own hours, as `[[day]]` tables (every key written, so nothing is left to a default)."""
    days: list[dict[str, Any]] = []
    for rule in await read_day_rules(conn, office_id):
        item: dict[str, Any] = {"date": rule.day.isoformat(), "hours": ", ".join(_range(a, b) for a, b in rule.ranges)}
        if rule.services is not None:
            item["services"] = list(rule.services)
        item.update(walk_in=rule.walk_in, booking=rule.booking, reason=rule.reason)
        days.append(item)
    return days


def _slot_schedule(booking: dict[str, Any]) -> dict[str, Any]:
    """A service's stored slot schedule (SlotSchedule.to_mapping) in the file's words."""
    days = {WEEKDAYS[int(day)]: ", ".join(_range(a, b) for a, b in ranges)
            for day, ranges in sorted(booking["days"].items(), key=lambda item: int(item[0]))}
    release = int(booking.get("release_minute", 6 * 60))
    schedule: dict[str, Any] = {
        "slot_minutes": booking["slot_minutes"], "places": booking["places"],
        **({"days": days} if days else {}),   # an event-only service's may have none
        "breaks": [_range(a, b) for a, b in booking.get("breaks", [])],
        "horizon_days": booking.get("horizon_days", 30), "first_day": booking.get("first_day", 1),
        "release_time": f"{release // 60:02d}:{release % 60:02d}"}
    for key in ("release_mode", "draw_minutes"):
        if booking.get(key) is not None:
            schedule[key] = booking[key]
    schedule["case_number"] = bool(booking.get("case_number", False))
    if booking.get("what_to_bring"):
        schedule["what_to_bring"] = booking["what_to_bring"]
    return schedule


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

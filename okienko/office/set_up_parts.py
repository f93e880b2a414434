"""The office document's parts (export.office_document) as the back office shows them, and a
manager's edits applied to them: the same keys and values as the office file, with each weekday's
opening ranges as a list (the file's one text is taken too)."""

from __future__ import annotations

import copy
from typing import Any

from okienko.office.export import SERVICE_KEYS

SERVICE_EDITABLE = tuple(key for key in SERVICE_KEYS if key != "code") + ("event_only", "hours", "booking")


def ranges_of(value: Any) -> list[str]:
    """"08:00-12:00, 13:00-15:00" (the file's way) as ["08:00-12:00", "13:00-15:00"]."""
    return [part.strip() for part in str(value).split(",") if part.strip()]


def joined(value: Any) -> Any:
    """A list of ranges in the file's words (one text); anything else as it is, for the parser to judge."""
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return value


def office_view(head: dict[str, Any]) -> dict[str, Any]:
    view = {key: copy.deepcopy(value) for key, value in head.items()}
    view.setdefault("ticket_footer", {})
    view.setdefault("booking", {})
    return view


def service_view(item: dict[str, Any], active: bool, waiting: int) -> dict[str, Any]:
    view: dict[str, Any] = {key: copy.deepcopy(item.get(key)) for key in SERVICE_KEYS}
    view["hours"] = {day: ranges_of(ranges) for day, ranges in (item.get("hours") or {}).items()}
    booking = item.get("booking")
    if booking:
        booking = copy.deepcopy(booking)
        booking["days"] = {day: ranges_of(ranges) for day, ranges in (booking.get("days") or {}).items()}
    view["booking"] = booking or None
    view["event_only"] = bool(item.get("event_only", False))
    view["active"] = active
    view["waiting"] = waiting
    return view


def service_item(item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A service of the document with `changes` (the back office's shape) applied."""
    item = copy.deepcopy(item)
    for key, value in changes.items():
        if key not in SERVICE_EDITABLE and not (key == "code" and "code" not in item):
            continue
        if key == "hours" and isinstance(value, dict):
            value = {day: joined(ranges) for day, ranges in value.items() if ranges not in ("", [], None)}
        elif key == "booking" and isinstance(value, dict):
            value = copy.deepcopy(value)
            if isinstance(value.get("days"), dict):
                value["days"] = {day: joined(ranges) for day, ranges in value["days"].items()}
        if value is None or (key in ("hours", "booking") and value == {}) or (key == "event_only" and value is False):
            item.pop(key, None)
        else:
            item[key] = copy.deepcopy(value)
    return item


def window_view(item: dict[str, Any], active: bool, at_window: dict[str, Any]) -> dict[str, Any]:
    return {"number": item["number"], "name": item.get("name", ""), "services": list(item.get("services", [])),
            "active": active, "clerk": at_window.get("clerk"), "ticket": at_window.get("ticket")}


def window_item(item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    item = copy.deepcopy(item)
    for key in ("number", "name", "services"):
        if key in changes and (key != "number" or "number" not in item):
            item[key] = copy.deepcopy(changes[key]) if changes[key] is not None else ([] if key == "services" else "")
    if not item.get("name"):
        item.pop("name", None)
    return item


def priority_item(item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    item = copy.deepcopy(item)
    for key in ("code", "mark", "names"):
        if key in changes and changes[key] is not None and (key != "code" or "code" not in item):
            item[key] = copy.deepcopy(changes[key])
    return item


def find_item(items: list[dict[str, Any]], key: str, value: str) -> int | None:
    for index, item in enumerate(items):
        if str(item.get(key)) == value:
            return index
    return None


def place_of(orders: dict[str, int], services: list[dict[str, Any]], code: str) -> int:
    """Where a service switched on again goes: its old place among the others."""
    mine = orders.get(code, len(orders))
    return sum(1 for item in services if orders.get(item["code"], 0) < mine)

"""A one-off .ics file imported in the back office (next year's closure plan): what it would change,
shown first, then applied through the front door of the managers' own days (`OfficeDays.save_many`).

Guarantees:
- the preview and the apply read the file by the same function and compare it with the office by the
  same rule (`plan`), so what the preview lists is what applying does (as of the moment it is applied);
- a date the office file closes stays closed (skipped), a date whose own hours are what the file says
  is left alone; every other date the file names becomes a date with its own hours, as if a manager
  had set it on the Days page: the bookings it cuts off are flagged and their people told;
- nothing is written by a preview.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from calendar_sync.closure_calendar import CalendarDay, CalendarError, read_closure_calendar
from okienko.booking.changes import cut_off_bookings
from okienko.errors import DomainError
from okienko.office.config_file import DaySpec
from okienko.office.cut_off import Affected
from okienko.office.days import OfficeDays, day_json, rule_of, with_rule
from okienko.office.directory import DayRule, OfficeSetup
from okienko.office.hours import holiday_name, office_day

VIA = "import"


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would do: `changes` the dates it sets (before and after, as the Days API
    shows them), `skipped` the dates it names that stay as they are (and why), `affected` the bookings
    it would cut off."""

    changes: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    specs: list[DaySpec]
    affected: list[Affected]


async def read_file(setup: OfficeSetup, ics: str, today: date, horizon_days: int) -> dict[date, CalendarDay]:
    """The file's dates from today on (read in a thread: a large file never holds the server up);
    `calendar_unreadable` for a file that is not a calendar."""
    try:
        return await asyncio.to_thread(read_closure_calendar, ics.encode("utf-8"), today,
                                       today + timedelta(days=horizon_days), setup.timezone)
    except CalendarError:
        raise DomainError("calendar_unreadable") from None


def _spec(found: CalendarDay) -> DaySpec:
    return DaySpec(day=found.day, ranges=list(found.ranges), reason=found.reason)


def _state(setup: OfficeSetup, day: date, language: str) -> dict[str, Any]:
    """The date as it is now, as the Days API shows it (weekly: its plain weekly hours)."""
    rule = setup.day_rules.get(day)
    if rule is not None:
        return {**day_json(rule), "source": rule.source or None}
    name = holiday_name(day, language) if setup.closed_on_public_holidays else None
    if name:
        return {"date": day.isoformat(), "kind": "holiday", "hours": [], "reason": name}
    return {"date": day.isoformat(), "kind": "weekly", "hours": [], "reason": ""}


async def plan(days: OfficeDays, setup: OfficeSetup, ics: str, language: str, horizon_days: int) -> ImportPlan:
    """What importing `ics` would change now (the module's guarantees); nothing is written."""
    now = days.clock.now()
    found = await read_file(setup, ics, office_day(setup, now), horizon_days)
    changes, skipped, specs = [], [], []
    changed = setup
    for day, entry in found.items():
        spec = _spec(entry)
        rule: DayRule = rule_of(spec)
        if day in setup.closures:
            skipped.append({"date": day.isoformat(), "why": "office_closure"})
            continue
        current = setup.day_rules.get(day)
        if current is not None and not current.source and current.ranges == rule.ranges \
                and current.services is None and current.walk_in and current.booking:
            skipped.append({"date": day.isoformat(), "why": "same"})
            continue
        specs.append(spec)
        changes.append({"date": day.isoformat(), "before": _state(setup, day, language), "after": day_json(rule)})
        changed = with_rule(changed, day, rule)
    dated = {spec.day for spec in specs}
    async with days.db.read() as conn:
        rows = await cut_off_bookings(conn, changed, now, None) if specs else []
    affected = [Affected(row, days.notifier.contact_of(changed, row)) for row in rows
                if row["office_day"] in dated]
    return ImportPlan(changes, skipped, specs, affected)


async def apply(days: OfficeDays, setup: OfficeSetup, ics: str, language: str, horizon_days: int, *,
                actor: str) -> tuple[ImportPlan, list[Affected]]:
    """Import `ics` now: the plan as `plan` makes it, saved as the managers' own days; who was told."""
    found = await plan(days, setup, ics, language, horizon_days)
    told = await days.save_many(setup, found.specs, actor=actor, via=VIA)
    return found, told

"""The period a report covers: one office day, an ISO week (Monday to Sunday) or a calendar month,
always in office-local days (a day is what `office_day` says: Europe/Warsaw's date, not UTC's).

Periods are named as people and file names write them: `2026-12-04` (day), `2026-W49` (ISO week),
`2026-12` (month); `Period.parse` reads the kind and any date inside the period.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from okienko.errors import DomainError
from okienko.i18n import _

KINDS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    kind: str        # day | week | month
    first: date
    last: date       # inclusive

    @classmethod
    def containing(cls, kind: str, day: date) -> "Period":
        """The day, ISO week or month `day` falls in."""
        if kind == "day":
            return cls("day", day, day)
        if kind == "week":
            monday = day - timedelta(days=day.weekday())
            return cls("week", monday, monday + timedelta(days=6))
        if kind == "month":
            return cls("month", day.replace(day=1),
                       day.replace(day=calendar.monthrange(day.year, day.month)[1]))
        raise DomainError("malformed_request", detail=_("the period must be “day”, “week” or “month”"))

    @classmethod
    def parse(cls, kind: str | None, given: str | None, today: date) -> "Period":
        """`kind` (default day) and a date inside the period (`2026-12-04`; `2026-W49` for a week,
        `2026-12` for a month work too); no date: the period containing `today`."""
        kind = (kind or "day").strip()
        given = (given or "").strip()
        if not given:
            return cls.containing(kind, today)
        try:
            if kind == "week" and "-W" in given.upper():
                year, week = given.upper().split("-W")
                return cls.containing(kind, date.fromisocalendar(int(year), int(week), 1))
            if kind == "month" and len(given) == 7:
                return cls.containing(kind, date.fromisoformat(given + "-01"))
            return cls.containing(kind, date.fromisoformat(given))
        except ValueError:
            raise DomainError("malformed_request",
                              detail=_("the date must be written as 2026-12-04 (a week: 2026-W49, a month: 2026-12)")
                              ) from None

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def name(self) -> str:
        """How the period is written: in file names, headings, the API."""
        if self.kind == "week":
            year, week, _day = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        return self.first.isoformat()

    def previous(self) -> "Period":
        return Period.containing(self.kind, self.first - timedelta(days=1))

    def next(self) -> "Period":
        return Period.containing(self.kind, self.last + timedelta(days=1))

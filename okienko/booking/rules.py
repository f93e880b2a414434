"""The rules of online booking, as configured per office and per service (configuration as data).

The office file's `[office.booking]` becomes a `BookingPolicy`, each `[service.booking]` a
`SlotSchedule`; both are stored as JSON with their rows and read into the office snapshot.
docs/office-config.md documents every key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any
from okienko.i18n import text_in


@dataclass(frozen=True)
class SlotSchedule:
    """One service's bookable slots: weekly hours, breaks, slot length, places, horizon and release."""

    slot_minutes: int
    places: int
    days: dict[int, tuple[tuple[int, int], ...]]   # weekday (0 = Monday) -> (opens, closes) minutes
    breaks: tuple[tuple[int, int], ...] = ()
    horizon_days: int = 30
    first_day: int = 1
    release_minute: int = 6 * 60
    what_to_bring: dict[str, str] = field(default_factory=dict)
    release_mode: str | None = None        # "first_come" | "draw"; None: the office's
    draw_minutes: int | None = None        # the draw's entry window; None: the office's
    case_number: bool = False              # a booking needs the case number (follow-up visits)
    # A date's own booking hours (the office's `[[day]]`, okienko/office/days.py), over `days` and
    # the public holidays; () closes the date. Read into the office snapshot, never stored with
    # the schedule (the office's day_hours table holds them).
    dates: dict[date, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # When a date of its own opens for booking (an information Saturday's `booking_opens_at`), over
    # the weekly release rule; read into the snapshot from the events, never stored with the schedule.
    releases: dict[date, datetime] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> "SlotSchedule | None":
        """The schedule stored with the service; None when the service takes no bookings. A schedule
        with no weekly days is bookable only on dates of its own (an event-only service's)."""
        if not raw or "slot_minutes" not in raw:
            return None
        return cls(slot_minutes=int(raw["slot_minutes"]), places=int(raw["places"]),
                   days={int(day): tuple((int(a), int(b)) for a, b in ranges) for day, ranges in raw["days"].items()},
                   breaks=tuple((int(a), int(b)) for a, b in raw.get("breaks", ())),
                   horizon_days=int(raw.get("horizon_days", 30)), first_day=int(raw.get("first_day", 1)),
                   release_minute=int(raw.get("release_minute", 6 * 60)),
                   what_to_bring={str(k): str(v) for k, v in dict(raw.get("what_to_bring", {})).items()},
                   release_mode=raw.get("release_mode"),
                   draw_minutes=None if raw.get("draw_minutes") is None else int(raw["draw_minutes"]),
                   case_number=bool(raw.get("case_number", False)))

    def to_mapping(self) -> dict[str, Any]:
        raw = asdict(self)
        raw.pop("dates")
        raw.pop("releases")
        raw["days"] = {str(day): [list(r) for r in ranges] for day, ranges in self.days.items()}
        raw["breaks"] = [list(b) for b in self.breaks]
        return raw

    def bring(self, language: str) -> str:
        return text_in(self.what_to_bring, language)


@dataclass(frozen=True)
class BookingPolicy:
    """An office's rules for holds, changes, check-in, the waiting list and rate limits."""

    hold_minutes: int = 10                 # an unconfirmed hold frees its place after this
    code_attempts: int = 5                 # wrong one-time codes before the hold is dropped
    change_until_hours: int = 24           # cancel or move up to this long before the slot
    check_in_early_minutes: int = 30       # the kiosk accepts a booking this long before its slot
    check_in_late_minutes: int = 15        # ... and this long after its start; later it is a no-show
    call_booked_minutes_before: int = 5    # call-next serves a booked ticket from this long before its slot
    booked_order: str = "first"            # "first": due booked tickets before everyone; "service": within the window's order
    waitlist: bool = False                 # freed places are offered to the service's waiting list first
    waitlist_offer_minutes: int = 120      # how long one person's offer is held
    per_address_per_hour: int = 20         # booking attempts per client address
    per_contact_per_day: int = 5           # booking attempts per email or phone
    sms: bool = False                      # send the code by SMS too (needs an SMS gateway in the settings)
    retention_days: int = 90               # personal data of finished bookings is erased after this (GDPR)
    release_mode: str = "first_come"       # "first_come" | "draw": how a newly released day is given out
    draw_minutes: int = 60                 # a draw's entry window, from the day's release moment
    freed_places: str = "random"           # "random": back at a random moment within freed_delay_minutes;
                                           # "next_release": with the next day's release
    freed_delay_minutes: int = 60
    listings_per_address_per_minute: int = 120   # slot listings per client address
    case_number_pattern: str = r"^[A-Z]{2,6}(-[IVX]{1,4})?(-[A-Z]{1,4})?\.\d{4}\.\d{1,7}\.\d{4}$"
    case_list: bool = False                # refuse case numbers that are not in the loaded list of open cases
    rebook_ahead_days: int = 14            # a booking whose day the office closed may move this many days
                                           # past the public's last bookable day (okienko/booking/changes.py)
    reminders: tuple[int, ...] = (24, 2)   # hours before a visit that a reminder goes (okienko/notify/reminders.py)
    quiet_hours: str = "21:00-08:00"       # office-local hours no reminder goes in; "": none
    near_turn_ahead: int = 3               # a walk-in who gave a mobile number gets an SMS once this many
                                           # people or fewer are ahead (okienko/hall/ticket_phones.py)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any] | None) -> "BookingPolicy":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in dict(raw or {}).items() if k in known}
        if "reminders" in values:   # stored as a JSON list
            values["reminders"] = tuple(int(hours) for hours in values["reminders"])
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["reminders"] = list(self.reminders)
        return raw

    def release_mode_of(self, schedule: SlotSchedule) -> str:
        """How the service's days are released: its own setting, else the office's."""
        return schedule.release_mode or self.release_mode

    def draw_minutes_of(self, schedule: SlotSchedule) -> int:
        return schedule.draw_minutes if schedule.draw_minutes is not None else self.draw_minutes

    def check_in_window(self, starts_at: datetime) -> tuple[datetime, datetime]:
        """When the kiosk takes the code of a visit starting at `starts_at`: from
        `check_in_early_minutes` before it to `check_in_late_minutes` after it, both included.
        The kiosk, the sweeper that marks no-shows (`missed_before`) and the booking's page all
        take the window from here, so what the visitor is told is what the kiosk does."""
        return (starts_at - timedelta(minutes=self.check_in_early_minutes),
                starts_at + timedelta(minutes=self.check_in_late_minutes))

    def missed_before(self, now: datetime) -> datetime:
        """Visits starting before this are past their check-in window at `now` (no-shows):
        `now > check_in_window(start)[1]`, put as a bound on the start for a query."""
        return now - timedelta(minutes=self.check_in_late_minutes)


def quiet_span(text: str) -> tuple[int, int] | None:
    """The office's `quiet_hours` ("21:00-08:00", office-local, may pass midnight) as (start, end)
    minutes of the day; None for "" (no quiet hours). Raises ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    start, dash, end = text.partition("-")
    if not dash:
        raise ValueError(text)
    minutes = []
    for part in (start, end):
        hours, colon, mins = part.strip().partition(":")
        if not (colon and hours.isdigit() and mins.isdigit() and len(mins) == 2):
            raise ValueError(text)
        minute = int(hours) * 60 + int(mins)
        if int(hours) > 24 or int(mins) > 59 or minute > 24 * 60:
            raise ValueError(text)
        minutes.append(minute % (24 * 60))
    if minutes[0] == minutes[1]:
        raise ValueError(text)
    return minutes[0], minutes[1]

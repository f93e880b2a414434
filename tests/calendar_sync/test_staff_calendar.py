"""The staff calendars: the feed a clerk subscribes to and the resource written to CalDAV, read
back by two independent parsers (icalendar and vobject), with times compared in Europe/Warsaw on
both days the clocks change in 2027 (28 March, 31 October), the repeated hour included; Polish and
Cyrillic text survives the round trip; lines are CRLF and at most 75 octets."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from calendar_sync.staff_calendar import Visit, caldav_resource, staff_feed

WARSAW = ZoneInfo("Europe/Warsaw")
STAMP = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SUMMARY = "Łukasz Żółtowski — Składanie wniosku; pobyt, czasowy"
DESCRIPTION = "Kod rezerwacji: K7M4QX\nІрина Шевченко, Беларуская мова: «прывітанне», ёжик\\тест"


def visit(uid: str, start: datetime, minutes: int = 20, **changes: object) -> Visit:
    fields = dict(uid=uid, sequence=0, start=start, end=start + timedelta(minutes=minutes), summary=SUMMARY,
                  description=DESCRIPTION, location="Urząd Wojewódzki, ul. Długa 1", modified=STAMP)
    fields.update(changes)
    return Visit(**fields)  # type: ignore[arg-type]


# 01:30 on the spring day (before the gap), 03:30 (after it), 02:30 twice on the autumn day (the
# repeated hour: first in summer time, then in winter time), and an ordinary afternoon.
SPRING_BEFORE = datetime(2027, 3, 28, 1, 30, tzinfo=WARSAW)
SPRING_AFTER = datetime(2027, 3, 28, 3, 30, tzinfo=WARSAW)
AUTUMN_FIRST = datetime(2027, 10, 31, 2, 30, tzinfo=WARSAW)
AUTUMN_SECOND = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=WARSAW)
VISITS = [visit("a1@okienko", SPRING_BEFORE), visit("a2@okienko", SPRING_AFTER, sequence=2),
          visit("a3@okienko", AUTUMN_FIRST, minutes=10),
          visit("a4@okienko", AUTUMN_SECOND.astimezone(UTC), minutes=10, cancelled=True, sequence=1),
          visit("a5@okienko", datetime(2027, 10, 31, 14, 0, tzinfo=WARSAW))]
EXPECTED_UTC = [datetime(2027, 3, 28, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
                datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
                datetime(2027, 10, 31, 13, 0, tzinfo=UTC)]


def feed() -> bytes:
    return staff_feed(name="Urząd — Okno 3", tz=WARSAW, visits=VISITS, stamp=STAMP)


def test_icalendar_reads_each_visit_at_its_moment_with_uid_sequence_and_status() -> None:
    calendar = icalendar.Calendar.from_ical(feed())
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["X-WR-CALNAME"]) == "Urząd — Okno 3"
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT15M"
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["a1@okienko", "a2@okienko", "a3@okienko", "a4@okienko", "a5@okienko"]
    assert [e.decoded("DTSTART").astimezone(UTC) for e in events] == EXPECTED_UTC
    assert [e.decoded("DTSTART").astimezone(WARSAW).strftime("%H:%M %Z") for e in events] == [
        "01:30 CET", "03:30 CEST", "02:30 CEST", "02:30 CET", "14:00 CET"]
    assert [int(e["SEQUENCE"]) for e in events] == [0, 2, 0, 1, 0]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED"] * 3 + ["CANCELLED", "CONFIRMED"]
    assert all(str(e["TRANSP"]) == "OPAQUE" for e in events)
    assert str(events[0]["SUMMARY"]) == SUMMARY and str(events[0]["DESCRIPTION"]) == DESCRIPTION
    timezone = calendar.walk("VTIMEZONE")[0]
    assert [part.name for part in timezone.subcomponents] == ["DAYLIGHT", "STANDARD"]


def test_vobject_reads_the_same_visits_and_text() -> None:
    calendar = vobject.readOne(feed().decode("utf-8"))
    events = calendar.vevent_list
    assert [e.dtstart.value.astimezone(UTC) for e in events] == EXPECTED_UTC
    assert [e.dtend.value.astimezone(UTC) - e.dtstart.value.astimezone(UTC) for e in events] == [
        timedelta(minutes=20), timedelta(minutes=20), timedelta(minutes=10), timedelta(minutes=10),
        timedelta(minutes=20)]
    assert events[0].summary.value == SUMMARY and events[0].description.value == DESCRIPTION
    assert events[3].status.value == "CANCELLED" and events[1].sequence.value == "2"


def test_a_caldav_resource_is_one_event_without_method() -> None:
    raw = caldav_resource(VISITS[1], WARSAW, STAMP)
    calendar = icalendar.Calendar.from_ical(raw)
    assert "METHOD" not in calendar and len(calendar.walk("VEVENT")) == 1
    assert calendar.walk("VEVENT")[0].decoded("DTSTART") == SPRING_AFTER
    assert vobject.readOne(raw.decode("utf-8")).vevent.uid.value == "a2@okienko"


def test_lines_are_crlf_and_at_most_75_octets_and_no_escape_is_split() -> None:
    long = visit("a6@okienko", SPRING_AFTER, summary=("Ż;,\\" * 40) + "Ш" * 40)
    raw = staff_feed(name="Urząd", tz=WARSAW, visits=[long], stamp=STAMP)
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line and len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")   # no character split across a fold
        assert (len(line) - len(line.rstrip(b"\\"))) % 2 == 0   # an escape such as \; is never cut in two
    assert str(icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]["SUMMARY"]) == long.summary


@pytest.mark.parametrize("change", [{"uid": "with space"}, {"sequence": -1}, {"end": SPRING_BEFORE},
                                    {"start": datetime(2027, 3, 28, 9, 0)}])
def test_what_no_client_takes_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        staff_feed(name="x", tz=WARSAW, visits=[dataclasses.replace(visit("a@okienko", SPRING_AFTER), **change)],
                   stamp=STAMP)

"""The information Saturdays' feed, read back by two independent parsers (icalendar and vobject),
with times compared in Europe/Warsaw on both days the clocks change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from calendar_sync.events_feed import PublicEvent, events_feed

WARSAW = ZoneInfo("Europe/Warsaw")
STAMP = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def event(uid: str, start: datetime, end: datetime, **changes: object) -> PublicEvent:
    fields = dict(uid=uid, sequence=0, start=start, end=end, summary="Sobota informacyjna; konsultacje, złożenie",
                  description="Konsultacje w sprawach legalizacji pobytu.\nВізьміть паспорт, будь ласка, дякуємо!",
                  location="Urząd Wojewódzki, ul. Długa 1", modified=STAMP, url="https://urzad.example/book?lang=uk")
    fields.update(changes)
    return PublicEvent(**fields)  # type: ignore[arg-type]


# The Saturday before and the Saturday after each change, and the change days themselves.
EVENTS = [
    event("event-1-demo@okienko", datetime(2027, 3, 27, 8, 0, tzinfo=WARSAW), datetime(2027, 3, 27, 15, 0, tzinfo=WARSAW)),
    event("event-2-demo@okienko", datetime(2027, 3, 28, 8, 0, tzinfo=WARSAW), datetime(2027, 3, 28, 15, 0, tzinfo=WARSAW),
          sequence=3),
    event("event-3-demo@okienko", datetime(2027, 10, 31, 8, 0, tzinfo=WARSAW),
          datetime(2027, 10, 31, 15, 0, tzinfo=WARSAW), cancelled=True, sequence=1),
]


def test_icalendar_reads_every_event_with_its_uid_sequence_status_and_warsaw_times() -> None:
    raw = events_feed(name="Urząd Wojewódzki", tz=WARSAW, events=EVENTS, stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["X-WR-CALNAME"]) == "Urząd Wojewódzki"
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert list(found) == ["event-1-demo@okienko", "event-2-demo@okienko", "event-3-demo@okienko"]
    spring, change_day, autumn = found.values()
    assert spring.decoded("DTSTART") == datetime(2027, 3, 27, 8, 0, tzinfo=WARSAW)
    assert spring.decoded("DTSTART").astimezone(UTC).hour == 7        # winter time, UTC+1
    assert change_day.decoded("DTSTART").astimezone(UTC).hour == 6    # summer time from that night, UTC+2
    assert autumn.decoded("DTEND").astimezone(UTC).hour == 14         # winter time again on 31 October
    assert int(change_day["SEQUENCE"]) == 3 and str(autumn["STATUS"]) == "CANCELLED"
    assert str(spring["STATUS"]) == "CONFIRMED" and str(spring["TRANSP"]) == "TRANSPARENT"
    assert str(spring["SUMMARY"]) == "Sobota informacyjna; konsultacje, złożenie"
    assert "Візьміть паспорт, будь ласка" in str(spring["DESCRIPTION"])


def test_vobject_reads_the_same_events_and_times() -> None:
    raw = events_feed(name="Urząd Wojewódzki", tz=WARSAW, events=EVENTS, stamp=STAMP)
    calendar = vobject.readOne(raw.decode("utf-8"))
    events = calendar.vevent_list
    assert [e.uid.value for e in events] == ["event-1-demo@okienko", "event-2-demo@okienko", "event-3-demo@okienko"]
    starts = [e.dtstart.value.astimezone(UTC) for e in events]
    assert starts == [datetime(2027, 3, 27, 7, 0, tzinfo=UTC), datetime(2027, 3, 28, 6, 0, tzinfo=UTC),
                      datetime(2027, 10, 31, 7, 0, tzinfo=UTC)]
    assert events[0].summary.value == "Sobota informacyjna; konsultacje, złożenie"
    assert events[0].description.value.endswith("Візьміть паспорт, будь ласка, дякуємо!")
    assert events[2].status.value == "CANCELLED" and events[1].sequence.value == "3"


def test_lines_end_in_crlf_and_fit_75_octets() -> None:
    raw = events_feed(name="Urząd Wojewódzki", tz=WARSAW, events=EVENTS, stamp=STAMP)
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75


def test_an_empty_feed_is_still_a_calendar() -> None:
    raw = events_feed(name="Urząd", tz=WARSAW, events=[], stamp=STAMP)
    assert icalendar.Calendar.from_ical(raw).walk("VEVENT") == []


@pytest.mark.parametrize("bad", [dict(uid="has space"), dict(sequence=-1),
                                 dict(end=datetime(2027, 3, 27, 7, 0, tzinfo=WARSAW))])
def test_a_bad_event_is_refused(bad: dict[str, object]) -> None:
    fields: dict[str, object] = dict(uid="event-9@okienko", start=datetime(2027, 3, 27, 8, 0, tzinfo=WARSAW),
                                     end=datetime(2027, 3, 27, 15, 0, tzinfo=WARSAW))
    fields.update(bad)
    with pytest.raises(ValueError):
        events_feed(name="Urząd", tz=WARSAW, events=[event(**fields)], stamp=STAMP)  # type: ignore[arg-type]

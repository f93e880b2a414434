"""Booking confirmation files: read back with the icalendar parser and an independent one (vobject),
and checked byte by byte."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from calendar_sync.ics import booking_calendar, timezone_lines

WARSAW = ZoneInfo("Europe/Warsaw")
LONG_TEXT = (
    "Proszę zabrać: dowód osobisty, zdjęcie; wniosek\\formularz A-1.\n"
    "Ząb, gęś, łąka, źdźbło, ŻÓŁĆ, ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę,ąę;\n"
    "Візьміть паспорт, фото; заяву. Вікно № 3, поверх 2.\n"
    "Ґанок, їжак, єнот, щастя\\\\,,;;\n\n"
    "Приходьте за 10 хвилин, будь ласка, дякуємо!"
)


def confirmation(**changes) -> bytes:
    fields = dict(
        uid="booking-42@okienko.example", sequence=0, method="REQUEST",
        start=datetime(2026, 1, 14, 9, 0, tzinfo=WARSAW), end=datetime(2026, 1, 14, 9, 20, tzinfo=WARSAW),
        tz=WARSAW, summary="Wizyta: dowód osobisty", description="Okienko 3, parter.",
        location="Urząd Miasta, ul. Długa 1; Warszawa", organizer_email="rejestracja@urzad.example",
        organizer_name="Urząd Miasta, Wydział Spraw Obywatelskich", attendee_email="jan.kowalski@example.org",
        stamp=datetime(2026, 1, 2, 12, 30, 5, tzinfo=UTC), url="https://urzad.example/rezerwacje/42",
    )
    fields.update(changes)
    return booking_calendar(**fields)


def parsed(raw: bytes) -> tuple[icalendar.Calendar, icalendar.Event, icalendar.Timezone]:
    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    (timezone,) = calendar.walk("VTIMEZONE")
    return calendar, event, timezone


def rule(part) -> tuple[int, str]:
    recur = part["RRULE"]
    assert recur["FREQ"] == ["YEARLY"]
    (month,), (day,) = recur["BYMONTH"], recur["BYDAY"]
    return int(month), day


@pytest.mark.parametrize(
    ("wall", "offset"),
    [
        (datetime(2026, 3, 29, 10, 0), timedelta(hours=2)),  # the morning after clocks go forward
        (datetime(2026, 10, 25, 10, 0), timedelta(hours=1)),  # the morning after clocks go back
        (datetime(2026, 1, 14, 9, 0), timedelta(hours=1)),
        (datetime(2026, 7, 15, 13, 40), timedelta(hours=2)),
    ],
)
def test_start_and_end_round_trip_to_the_same_moment_in_warsaw(wall, offset):
    start = wall.replace(tzinfo=WARSAW).astimezone(UTC)  # given in UTC, written in Warsaw time
    raw = confirmation(start=start, end=start + timedelta(minutes=20))
    _, event, timezone = parsed(raw)

    assert f"DTSTART;TZID=Europe/Warsaw:{wall:%Y%m%dT%H%M%S}\r\n".encode() in raw
    decoded = event.decoded("dtstart")
    assert decoded == start
    assert decoded.tzinfo.key == "Europe/Warsaw"
    assert decoded.utcoffset() == offset
    assert event.decoded("dtend") == start + timedelta(minutes=20)
    # A client without its own zone data reads the wall time through the file's VTIMEZONE alone.
    file_zone = timezone.to_tz(lookup_tzid=False)
    assert wall.replace(tzinfo=file_zone).utcoffset() == offset


def test_dtstamp_is_the_stamp_in_utc():
    raw = confirmation(stamp=datetime(2026, 7, 1, 14, 30, 5, tzinfo=WARSAW))
    assert b"\r\nDTSTAMP:20260701T123005Z\r\n" in raw
    assert parsed(raw)[1].decoded("dtstamp") == datetime(2026, 7, 1, 12, 30, 5, tzinfo=UTC)


def test_the_repeated_hour_after_clocks_go_back_is_written_in_utc():
    second_half_past_two = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=WARSAW)
    first_ten_to_three = datetime(2026, 10, 25, 2, 50, tzinfo=WARSAW)  # later on the clock, earlier in time
    with pytest.raises(ValueError):
        confirmation(start=second_half_past_two, end=first_ten_to_three)

    raw = confirmation(start=second_half_past_two, end=second_half_past_two.astimezone(UTC) + timedelta(minutes=20))
    assert b"\r\nDTSTART:20261025T013000Z\r\n" in raw
    assert b"\r\nDTEND:20261025T015000Z\r\n" in raw
    # PEP 495: a fold=1 time never equals a time in another zone, so compare the UTC moments.
    assert parsed(raw)[1].decoded("dtstart") == second_half_past_two.astimezone(UTC)


@pytest.mark.parametrize("day", [datetime(2026, 1, 14, 9, 0), datetime(2027, 6, 1, 9, 0)])
def test_warsaw_timezone_has_standard_and_daylight_rules(day):
    # 2027's last Sundays fall on other dates (28 March, 31 October) than 1970's; the 1970 starts stay.
    start = day.replace(tzinfo=WARSAW)
    _, _, timezone = parsed(confirmation(start=start, end=start + timedelta(minutes=20)))
    assert timezone["TZID"] == "Europe/Warsaw"
    (standard,) = timezone.walk("STANDARD")
    (daylight,) = timezone.walk("DAYLIGHT")
    assert standard["TZOFFSETTO"].td == timedelta(hours=1)
    assert standard["TZOFFSETFROM"].td == timedelta(hours=2)
    assert rule(standard) == (10, "-1SU")
    assert standard.decoded("dtstart") == datetime(1970, 10, 25, 3, 0)
    assert str(standard["TZNAME"]) == "CET"
    assert daylight["TZOFFSETTO"].td == timedelta(hours=2)
    assert rule(daylight) == (3, "-1SU")
    assert daylight.decoded("dtstart") == datetime(1970, 3, 29, 2, 0)
    assert str(daylight["TZNAME"]) == "CEST"
    assert b"RDATE" not in confirmation()


def test_zone_without_daylight_saving_gets_a_single_standard_part():
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 5, 1, 10, 0, tzinfo=tokyo)
    _, _, timezone = parsed(confirmation(tz=tokyo, start=start, end=start + timedelta(hours=1)))
    assert timezone.walk("DAYLIGHT") == []
    (standard,) = timezone.walk("STANDARD")
    assert standard["TZOFFSETFROM"].td == standard["TZOFFSETTO"].td == timedelta(hours=9)
    assert standard.decoded("dtstart") == datetime(1970, 1, 1, 0, 0)
    assert "RRULE" not in standard


def test_new_york_rules_use_the_ordinal_sunday():
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 6, 1, 10, 0, tzinfo=new_york)
    _, _, timezone = parsed(confirmation(tz=new_york, start=start, end=start + timedelta(hours=1)))
    (daylight,) = timezone.walk("DAYLIGHT")
    (standard,) = timezone.walk("STANDARD")
    assert rule(daylight) == (3, "2SU")
    assert rule(standard) == (11, "1SU")
    assert daylight["TZOFFSETTO"].td == timedelta(hours=-4)
    assert standard["TZOFFSETTO"].td == timedelta(hours=-5)


def test_the_timezone_is_built_once_and_every_file_gets_the_same_rules():
    # Built once per zone and year (every confirmation needs it): a caller changing its copy changes
    # nothing for the next one, and another year gets its own rules.
    first = timezone_lines(WARSAW, 2026)
    first.append("X-BROKEN:1")
    assert timezone_lines(WARSAW, 2026) == first[:-1]
    assert confirmation().count(b"BEGIN:VTIMEZONE") == 1
    assert "DTSTART:19700329T020000" in timezone_lines(WARSAW, 2027)
    assert timezone_lines(ZoneInfo("Asia/Tokyo"), 2026) != first[:-1]


@pytest.mark.parametrize("key", ["Europe/Warsaw", "America/New_York", "Australia/Sydney", "America/Santiago",
                                 "Asia/Jerusalem", "Asia/Tokyo"])
def test_file_timezone_agrees_with_zone_data_every_hour_of_the_year(key):
    zone = ZoneInfo(key)
    start = datetime(2026, 2, 10, 10, 0, tzinfo=zone)
    file_zone = parsed(confirmation(tz=zone, start=start, end=start + timedelta(hours=1)))[2].to_tz(
        lookup_tzid=False)
    moment, wrong = datetime(2026, 1, 1, tzinfo=UTC), []
    while moment.year == 2026:
        if moment.astimezone(file_zone).utcoffset() != moment.astimezone(zone).utcoffset():
            wrong.append(moment)
        moment += timedelta(hours=1)
    assert wrong == []


def test_request_is_confirmed_with_a_reminder_and_the_people_involved():
    calendar, event, _ = parsed(confirmation())
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert "Okienko" in calendar["PRODID"]
    assert event["STATUS"] == "CONFIRMED"
    assert event["TRANSP"] == "OPAQUE"
    assert event["SEQUENCE"] == 0
    assert event["LOCATION"] == "Urząd Miasta, ul. Długa 1; Warszawa"
    assert event["URL"] == "https://urzad.example/rezerwacje/42"
    assert event["ORGANIZER"] == "mailto:rejestracja@urzad.example"
    assert event["ORGANIZER"].params["CN"] == "Urząd Miasta, Wydział Spraw Obywatelskich"
    assert event["ATTENDEE"] == "mailto:jan.kowalski@example.org"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("trigger") == timedelta(hours=-2)
    assert alarm["DESCRIPTION"] == "Wizyta: dowód osobisty"


def test_optional_attendee_and_url_are_left_out():
    raw = confirmation(attendee_email=None, url=None)
    _, event, _ = parsed(raw)
    assert "ATTENDEE" not in event
    assert "URL" not in event


def test_cancel_removes_the_same_event():
    request = parsed(confirmation())[1]
    calendar, cancel, _ = parsed(confirmation(method="CANCEL", sequence=3))
    assert calendar["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["UID"] == request["UID"] == "booking-42@okienko.example"
    assert cancel["SEQUENCE"] == 3
    assert cancel.decoded("dtstart") == request.decoded("dtstart")
    assert cancel.walk("VALARM") == []


@pytest.mark.parametrize("padding", range(6))  # shifts every fold, so some land where a naive cut splits
def test_long_text_folds_at_75_octets_without_splitting_characters_or_escapes(padding):
    description = "x" * padding + LONG_TEXT
    raw = confirmation(description=description, summary="Ł" * 50, location=",;\\" * 40)

    assert raw.endswith(b"\r\n")
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) == 75  # the long lines really were folded, to the limit
    assert all(len(line) <= 75 for line in physical)
    segments = [line.decode("utf-8") for line in physical]  # each physical line is whole UTF-8

    logical, folds = [], []
    for segment in segments:
        if segment.startswith(" "):
            folds[-1].append(len(logical[-1]))
            logical[-1] += segment[1:]
        else:
            logical.append(segment)
            folds.append([])
    for line, fold_points in zip(logical, folds):
        escape_boundaries = {match.end() for match in re.finditer(r"\\.|.", line)}
        assert set(fold_points) <= escape_boundaries, line

    expected = "DESCRIPTION:" + "x" * padding + (
        "Proszę zabrać: dowód osobisty\\, zdjęcie\\; wniosek\\\\formularz A-1.\\n"
        "Ząb\\, gęś\\, łąka\\, źdźbło\\, ŻÓŁĆ\\, " + "ąę\\," * 17 + "ąę\\;\\n"
        "Візьміть паспорт\\, фото\\; заяву. Вікно № 3\\, поверх 2.\\n"
        "Ґанок\\, їжак\\, єнот\\, щастя\\\\\\\\\\,\\,\\;\\;\\n\\n"
        "Приходьте за 10 хвилин\\, будь ласка\\, дякуємо!"
    )
    assert expected in logical
    _, event, _ = parsed(raw)
    assert event["DESCRIPTION"] == description
    assert event["SUMMARY"] == "Ł" * 50
    assert event["LOCATION"] == ",;\\" * 40


def test_any_line_break_in_text_becomes_an_escaped_newline():
    raw = confirmation(description="pierwsza\r\ndruga\rtrzecia\nczwarta")
    assert b"DESCRIPTION:pierwsza\\ndruga\\ntrzecia\\nczwarta\r\n" in raw
    assert parsed(raw)[1]["DESCRIPTION"] == "pierwsza\ndruga\ntrzecia\nczwarta"


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "PUBLISH"},
        {"method": "request"},
        {"start": datetime(2026, 1, 14, 9, 0)},
        {"end": datetime(2026, 1, 14, 9, 20)},
        {"stamp": datetime(2026, 1, 2, 12, 0)},
        {"uid": "booking 42"},
        {"uid": "booking\t42"},
        {"uid": ""},
        {"end": datetime(2026, 1, 14, 8, 0, tzinfo=WARSAW)},
        {"sequence": -1},
        {"attendee_email": "jan kowalski@example.org"},
        {"url": "https://urzad.example/\r\nX-EVIL:1"},
    ],
)
def test_invalid_input_is_refused(changes):
    with pytest.raises(ValueError):
        confirmation(**changes)


@pytest.mark.parametrize("start", [datetime(2026, 3, 29, 9, 0, tzinfo=WARSAW), datetime(2026, 10, 25, 9, 0, tzinfo=WARSAW)])
def test_a_second_independent_parser_reads_the_same_invite(start):
    """vobject (its own parser and time-zone code, not icalendar's) reads the request and the
    cancellation alike, on both days the clocks change."""
    import vobject

    for method, sequence in (("REQUEST", 0), ("CANCEL", 1)):
        raw = confirmation(method=method, sequence=sequence, start=start, end=start + timedelta(minutes=20),
                           description=LONG_TEXT)
        calendar = vobject.readOne(raw.decode("utf-8"))
        assert calendar.method.value == method
        event = calendar.vevent
        assert event.uid.value == "booking-42@okienko.example" and event.sequence.value == str(sequence)
        assert event.dtstart.value.astimezone(UTC) == start.astimezone(UTC)
        assert event.dtend.value - event.dtstart.value == timedelta(minutes=20)
        assert event.description.value == LONG_TEXT.replace("\r\n", "\n")
        assert event.location.value == "Urząd Miasta, ul. Długa 1; Warszawa"
        assert event.status.value == ("CONFIRMED" if method == "REQUEST" else "CANCELLED")

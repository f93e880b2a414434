"""Reading a closure calendar: all-day and timed events, recurrences with EXDATE, cancelled events, TZID,
UTC and floating times in Warsaw's wall time on the days the clocks change (2027-03-28, 2027-10-31),
Polish and Cyrillic summaries; and fetching one (ETag, CalDAV REPORT) without its token anywhere."""

from __future__ import annotations

from datetime import date

import httpx
import icalendar
import pytest

from calendar_sync.closure_calendar import CalendarDay, CalendarError, read_closure_calendar
from calendar_sync.closure_fetch import FetchError, fetch_calendar, host_of

pytestmark = pytest.mark.anyio

FIRST, LAST = date(2026, 12, 1), date(2027, 12, 31)


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//PL\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


def event(uid: str, *lines: str) -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n" + "".join(f"{line}\r\n" for line in lines) \
        + "END:VEVENT\r\n"


def test_all_day_events_close_every_date_they_cover_with_polish_and_cyrillic_reasons() -> None:
    days = read_closure_calendar(calendar(
        event("a", "DTSTART;VALUE=DATE:20271224", "DTEND;VALUE=DATE:20271227", "SUMMARY:Wigilia – urząd zamknięty"),
        event("b", "DTSTART;VALUE=DATE:20270102", "SUMMARY:Санітарний день; прибирання"),
        event("c", "DTSTART;VALUE=DATE:20270105", "STATUS:CANCELLED", "SUMMARY:Odwołane")), FIRST, LAST)
    assert days == {
        date(2027, 1, 2): CalendarDay(date(2027, 1, 2), (), "Санітарний день; прибирання"),
        date(2027, 12, 24): CalendarDay(date(2027, 12, 24), (), "Wigilia – urząd zamknięty"),
        date(2027, 12, 25): CalendarDay(date(2027, 12, 25), (), "Wigilia – urząd zamknięty"),
        date(2027, 12, 26): CalendarDay(date(2027, 12, 26), (), "Wigilia – urząd zamknięty")}


def test_timed_events_give_their_hours_in_warsaw_time_on_both_days_the_clocks_change() -> None:
    days = read_closure_calendar(calendar(
        # UTC: 06:00Z is 08:00 after the spring change (CEST), 07:00Z is 08:00 after the autumn one (CET).
        event("spring", "DTSTART:20270328T060000Z", "DTEND:20270328T100000Z", "SUMMARY:Krótki dzień"),
        event("autumn", "DTSTART:20271031T070000Z", "DTEND:20271031T110000Z", "SUMMARY:Короткий день"),
        # A TZID of another zone, and a floating time (the office's own wall time).
        event("kyiv", "DTSTART;TZID=Europe/Kyiv:20270329T100000", "DTEND;TZID=Europe/Kyiv:20270329T130000"),
        event("floating", "DTSTART:20271101T090000", "DTEND:20271101T120000", "SUMMARY:Szkolenie"),
        event("floating2", "DTSTART:20271101T130000", "DTEND:20271101T140000", "SUMMARY:Szkolenie")), FIRST, LAST)
    assert days[date(2027, 3, 28)] == CalendarDay(date(2027, 3, 28), ((8 * 60, 12 * 60),), "Krótki dzień")
    assert days[date(2027, 10, 31)] == CalendarDay(date(2027, 10, 31), ((8 * 60, 12 * 60),), "Короткий день")
    assert days[date(2027, 3, 29)].ranges == ((9 * 60, 12 * 60),)   # Kyiv is an hour ahead of Warsaw
    assert days[date(2027, 11, 1)].ranges == ((9 * 60, 12 * 60), (13 * 60, 14 * 60))
    assert days[date(2027, 11, 1)].reason == "Szkolenie"


def test_recurrences_are_expanded_with_their_exceptions_and_a_closure_wins_over_hours() -> None:
    days = read_closure_calendar(calendar(
        # Every Friday of March 2027 the office closes at 12:00, except the 19th; DST in between.
        event("fri", "DTSTART;TZID=Europe/Warsaw:20270305T080000", "DTEND;TZID=Europe/Warsaw:20270305T120000",
              "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20270331T000000Z", "EXDATE;TZID=Europe/Warsaw:20270319T080000",
              "SUMMARY:Piątek krócej"),
        # Yearly closure on 2 May, and on the 26th one all-day closure over a Friday's hours.
        event("may", "DTSTART;VALUE=DATE:20260502", "RRULE:FREQ=YEARLY", "SUMMARY:Dzień wolny"),
        event("closed", "DTSTART;VALUE=DATE:20270326", "SUMMARY:Inwentaryzacja")), FIRST, LAST)
    fridays = {day: found.ranges for day, found in days.items() if day.month == 3}
    assert fridays == {date(2027, 3, 5): ((480, 720),), date(2027, 3, 12): ((480, 720),),
                       date(2027, 3, 26): ()}
    assert days[date(2027, 3, 26)].reason == "Inwentaryzacja"
    assert [day for day in days if day.month == 5] == [date(2027, 5, 2)]   # 2026's is before FIRST


def test_an_event_past_midnight_gives_each_date_its_part_and_a_whole_date_closes_it() -> None:
    days = read_closure_calendar(calendar(event(
        "long", "DTSTART;TZID=Europe/Warsaw:20270104T120000", "DTEND;TZID=Europe/Warsaw:20270106T100000")),
        FIRST, LAST)
    assert {day: found.ranges for day, found in days.items()} == {
        date(2027, 1, 4): ((720, 1440),), date(2027, 1, 5): (), date(2027, 1, 6): ((0, 600),)}


def test_not_a_calendar_is_refused_whole() -> None:
    for junk in (b"<html>Service unavailable</html>", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n"):
        with pytest.raises(CalendarError):
            read_closure_calendar(junk, FIRST, LAST)


def test_what_it_reads_is_what_icalendar_reads() -> None:
    raw = calendar(event("x", "DTSTART;VALUE=DATE:20270611", "SUMMARY:Boże Ciało – zamknięte"))
    parsed = icalendar.Calendar.from_ical(raw)
    vevent = next(iter(parsed.walk("VEVENT")))
    assert str(vevent["SUMMARY"]) == read_closure_calendar(raw, FIRST, LAST)[date(2027, 6, 11)].reason


async def test_fetching_asks_with_the_etag_and_reads_a_caldav_report() -> None:
    seen: list[httpx.Request] = []
    ics = calendar(event("a", "DTSTART;VALUE=DATE:20270102", "SUMMARY:Zamknięte"))

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"1"':
            return httpx.Response(304)
        if request.method == "REPORT":
            xml = ('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                   '<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"a"</d:getetag>'
                   f'<c:calendar-data>{ics.decode()}</c:calendar-data></d:prop></d:propstat></d:response>'
                   '</d:multistatus>')
            return httpx.Response(207, content=xml.encode())
        return httpx.Response(200, content=ics, headers={"ETag": '"1"'})

    transport = httpx.MockTransport(answer)
    url = "https://kalendarz:hasło-123@cloud.example.gov.pl/remote.php/dav/calendars/urzad/zamkniecia/"
    fetched = await fetch_calendar(url, "ics", first=FIRST, last=LAST, transport=transport)
    assert fetched.files == [ics] and fetched.etag == '"1"'
    assert seen[-1].headers["authorization"].startswith("Basic ") and "hasło" not in str(seen[-1].url)
    assert (await fetch_calendar(url, "ics", etag='"1"', first=FIRST, last=LAST, transport=transport)).files is None
    report = await fetch_calendar(url, "caldav", first=FIRST, last=LAST, transport=transport)
    assert seen[-1].method == "REPORT" and b"time-range" in seen[-1].content and seen[-1].headers["depth"] == "1"
    assert read_closure_calendar(report.files or [], FIRST, LAST)[date(2027, 1, 2)].reason == "Zamknięte"
    assert host_of(url) == "cloud.example.gov.pl"

    with pytest.raises(FetchError) as refused:
        await fetch_calendar(url, "ics", first=FIRST, last=LAST,
                             transport=httpx.MockTransport(lambda request: httpx.Response(403)))
    assert refused.value.reason == "HTTP 403"
    with pytest.raises(FetchError):
        await fetch_calendar("file:///etc/passwd", "ics", first=FIRST, last=LAST, transport=transport)


def test_a_recurrence_of_every_minute_is_refused_not_expanded_for_a_year() -> None:
    with pytest.raises(CalendarError, match="more often than daily"):
        read_closure_calendar(calendar(event("x", "DTSTART:20261201T080000Z", "DTEND:20261201T080100Z",
                                             "RRULE:FREQ=MINUTELY")), FIRST, LAST)

"""The office file: the demo loads, mistakes are named, a reload keeps what should be kept."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.config_keys import Table, item_path, walk
from okienko.storage.models import Device, Service, Window
from okienko.office.directory import read_setup
from okienko.office.export import export_office
from okienko.office.config_file import (LANGUAGES, OFFICE_FILE, WEEKDAYS, OfficeFileError, load_office, parse_office,
                                       read_office_file)
from tests.conftest import DEMO_OFFICE, close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_office_describes_a_foreigners_department() -> None:
    spec = read_office_file(DEMO_OFFICE)
    assert len(spec.windows) == 12
    assert {s.code for s in spec.services} >= {"A", "F", "K", "B", "I"}
    for service in spec.services:   # an event-only service's hours are its events'
        assert set(service.names) >= {"pl", "en", "uk", "ru"} and (service.hours or service.event_only)
    assert [s.code for s in spec.services if s.event_only] == ["C", "D"]
    assert next(s for s in spec.services if s.code == "C").booking["days"] == {}
    assert [kind for kind, _name, _printer in spec.devices].count("kiosk") >= 1


def test_event_only_is_true_or_false_and_spares_an_event_service_weekly_booking_days() -> None:
    def office(**service: Any) -> dict[str, Any]:
        return {"office": {"code": "x", "name": "X"}, "service": [
            {"code": "C", "prefix": "C", **service,
             "names": {"pl": "Konsultacje", "en": "Consultations", "uk": "Консультації", "ru": "Консультации"}}]}

    spec = parse_office(office(event_only=True, booking={"slot_minutes": 15, "places": 2}))
    assert spec.services[0].event_only and spec.services[0].booking["slot_minutes"] == 15
    assert parse_office(office()).services[0].event_only is False
    with pytest.raises(OfficeFileError) as wrong:
        parse_office(office(event_only="yes"))
    assert wrong.value.field == "service[0] (C).event_only"
    with pytest.raises(OfficeFileError) as weekly:   # a weekday service still needs its booking days
        parse_office(office(booking={"slot_minutes": 15, "places": 2}))
    assert weekly.value.field == "service[0] (C).booking.days"


def test_the_example_production_file_is_valid() -> None:
    spec = read_office_file(ROOT / "config" / "office.example.toml")
    assert spec.services and spec.windows


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / "config").glob("*office*.toml")))
def test_every_shipped_office_file_loads_clean(name: str) -> None:
    read_office_file(ROOT / "config" / name)


@pytest.mark.parametrize("change, words", [
    ({"prefix": "a1"}, "service[0] (A).prefix"),
    ({"hours": {"mon": "8-15"}}, "service[0] (A).hours.mon: '8-15' is not HH:MM-HH:MM"),
    ({"hours": {"mon": "15:00-08:00"}}, "must open before it closes"),
    ({"hours": {"someday": "08:00-15:00"}}, "service[0] (A).hours.someday: unknown key; known: mon, tue"),
    ({"names": {"pl": "X"}}, "service[0] (A).names: missing en"),
    ({"daily_limit": "many"}, "service[0] (A).daily_limit"),
    ({"number_digits": 5}, "service[0] (A).number_digits: 3 or 4, got 5"),
    ({"number_digits": "4"}, "service[0] (A).number_digits: 3 or 4, got '4'"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "slots": 3}},
     "service[0] (A).booking.slots: unknown key; known: slot_minutes, places"),
    ({"booking": {"days": {}}}, "service[0] (A).booking.days: at least one day with hours"),
    ({"booking": {"days": {"mon": "8-12"}}}, "service[0] (A).booking.days.mon: '8-12' is not HH:MM-HH:MM"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "slot_minutes": 2}}, "slot_minutes must be at least 5"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "release_time": "6am"}}, "service[0] (A).booking.release_time"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "what_to_bring": {"pl": "x"}}},
     "service[0] (A).booking.what_to_bring: missing en"),
])
def test_mistakes_are_named(change: dict, words: str) -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"},
               "hours": {"mon": "08:00-15:00"}}
    service.update(change)
    with pytest.raises(OfficeFileError, match=re.escape(words)):
        parse_office({"office": {"code": "x", "name": "X"}, "service": [service]})


@pytest.mark.parametrize("booking, words", [
    ({"hold_minutes": "ten"}, "office.booking.hold_minutes"),
    ({"waitlist": "yes"}, "office.booking.waitlist: expected true or false"),
    ({"booked_order": "last"}, "office.booking.booked_order: 'first' or 'service'"),
    ({"holdminutes": 5}, "office.booking.holdminutes: unknown key; did you mean hold_minutes?"),
    ({"reminders": [24, 0]}, "office.booking.reminders: a list of whole hours from 1 to 336"),
    ({"reminders": 24}, "office.booking.reminders: a list of whole hours"),
    ({"quiet_hours": "21-8"}, "office.booking.quiet_hours: '21-8' is not HH:MM-HH:MM"),
    ({"quiet_hours": "08:00-08:00"}, "office.booking.quiet_hours: '08:00-08:00' is not HH:MM-HH:MM"),
])
def test_booking_policy_mistakes_are_named(booking: dict, words: str) -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"}}
    with pytest.raises(OfficeFileError, match=re.escape(words)):
        parse_office({"office": {"code": "x", "name": "X", "booking": booking}, "service": [service]})


def test_number_digits_come_from_the_service_else_the_office_else_three() -> None:
    names = {"pl": "a", "en": "a", "uk": "a", "ru": "a"}
    services = [{"code": "A", "prefix": "A", "names": names}, {"code": "B", "prefix": "B", "names": names,
                                                                "number_digits": 3}]
    assert [s.number_digits for s in parse_office({"office": {"code": "x", "name": "X"},
                                                   "service": services}).services] == [3, 3]
    assert [s.number_digits for s in parse_office({"office": {"code": "x", "name": "X", "number_digits": 4},
                                                   "service": services}).services] == [4, 3]
    with pytest.raises(OfficeFileError, match="office.number_digits: 3 or 4, got True"):
        parse_office({"office": {"code": "x", "name": "X", "number_digits": True}, "service": services})


def test_window_with_unknown_service_is_named() -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"}}
    with pytest.raises(OfficeFileError, match=r"window\[0\] \(1\).services: unknown service 'Z'"):
        parse_office({"office": {"code": "x", "name": "X"}, "service": [service],
                      "window": [{"number": "1", "services": ["Z"]}]})


def demo_raw() -> dict[str, Any]:
    return tomllib.loads(DEMO_OFFICE.read_text(encoding="utf-8"))


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(OfficeFileError) as refused:
        parse_office(raw)
    return str(refused.value)


def first_table(raw: dict[str, Any], path: str, table: Table = OFFICE_FILE,
                where: str = "") -> tuple[dict[str, Any], str] | None:
    """The first table of `raw` at the schema path `path` (`service.booking`), with its path as a
    message names it (`service[0] (A).booking`)."""
    if not path:
        return raw, where
    key, _, rest = path.partition(".")
    inner, value = table.tables[key], raw.get(key)
    here = f"{where}.{key}" if where else key
    items = [(value, here)] if inner.named_by is None else \
        [(item, item_path(here, i, item, inner.named_by)) for i, item in enumerate(value or [])]
    for item, item_where in items:
        found = first_table(item, rest, inner, item_where) if isinstance(item, dict) else None
        if found:
            return found
    return None


@pytest.mark.parametrize("path", [path for path, _table in walk(OFFICE_FILE)], ids=lambda path: path or "top")
def test_an_unknown_key_in_any_table_stops_the_load_with_its_path(path: str) -> None:
    raw = demo_raw()
    found = first_table(raw, path)
    assert found, f"the demo office has no {path} table to try"
    table, where = found
    table["zzz_typo"] = 1
    expected = f"{where}.zzz_typo" if where else "zzz_typo"
    assert refusal(raw).startswith(f"{expected}: unknown key;")


@pytest.mark.parametrize("path, key, value, message", [
    ("service.1", "daily_limt", 50, "service[1] (F).daily_limt: unknown key; did you mean daily_limit?"),
    ("office", "timezon", "Europe/Warsaw", "office.timezon: unknown key; did you mean timezone?"),
    ("office", "number_digit", 4, "office.number_digit: unknown key; did you mean number_digits?"),
    ("office.booking", "waitlsit", True, "office.booking.waitlsit: unknown key; did you mean waitlist?"),
    ("office.ticket_footer", "de", "Danke", "office.ticket_footer.de: unknown key; known: pl, en, uk, ru, be, vi, hi, ka, tr"),
    ("service.0.hours", "monday", "08:00-15:00", "service[0] (A).hours.monday: unknown key; did you mean mon?"),
    ("service.0.booking", "place", 3, "service[0] (A).booking.place: unknown key; did you mean places?"),
    ("service.0.names", "ua", "Подання", "service[0] (A).names.ua: unknown key; known: pl, en, uk, ru, be, vi, hi, ka, tr"),
    ("window.3", "nmae", "Okno", "window[3] (4).nmae: unknown key; did you mean name?"),
    ("priority.0", "marks", "P", "priority[0] (pregnancy).marks: unknown key; did you mean mark?"),
    ("kiosk.0.printer", "hots", "10.0.0.7", "kiosk[0] (hall-1).printer.hots: unknown key; did you mean host?"),
    ("board.0", "printer", {"kind": "none"}, "board[0] (hall).printer: unknown key; known: name"),
    ("", "services", [], "services: unknown key; did you mean service?"),
])
def test_a_typo_names_where_it_is_and_what_was_meant(path: str, key: str, value: Any, message: str) -> None:
    raw = demo_raw()
    table: Any = raw
    for part in filter(None, path.split(".")):
        table = table[int(part)] if part.isdigit() else table[part]
    table[key] = value
    assert refusal(raw) == message


def test_every_unknown_key_is_named_at_once() -> None:
    raw = demo_raw()
    raw["service"][1]["daily_limt"] = 50
    raw["window"][0]["nmae"] = "Okno"
    raw["office"]["booking"]["hold_minute"] = 5
    assert refusal(raw).splitlines() == [
        "office.booking.hold_minute: unknown key; did you mean hold_minutes?",
        "service[1] (F).daily_limt: unknown key; did you mean daily_limit?",
        "window[0] (1).nmae: unknown key; did you mean name?",
    ]


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw["service"][0].update(names="Wnioski"), "service[0] (A).names: expected a table"),
    (lambda raw: raw.update(service={"code": "A"}), "service: expected [[service]] tables"),
    (lambda raw: raw["office"].update(booking=["hold_minutes"]), "office.booking: expected a table"),
    (lambda raw: raw.update(office="demo"), "office: expected a table"),
])
def test_a_table_that_is_not_one_is_named(change: Any, message: str) -> None:
    raw = demo_raw()
    change(raw)
    assert refusal(raw) == message


def _doc_sections() -> dict[str, str]:
    """docs/office-config.md by heading."""
    sections: dict[str, str] = {}
    heading = ""
    for line in (ROOT / "docs" / "office-config.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line
            sections[heading] = ""
        else:
            sections[heading] = sections.get(heading, "") + line + "\n"
    return sections


def test_every_key_the_loader_takes_is_documented() -> None:
    sections = _doc_sections()
    whole = "\n".join(sections.values())
    checked = 0
    for path, table in walk(OFFICE_FILE):
        if not path:
            continue
        if table.keys in (tuple(LANGUAGES), WEEKDAYS):   # per language / per weekday: documented as such
            assert "{ pl = …, en = …, uk = …, … }" in whole and "(`mon`…`sun`)" in whole
            continue
        header = f"`[[{path}]]`" if table.named_by else f"`[{path}]`"
        section = next((text for heading, text in sections.items() if header in heading), None)
        assert section is not None, f"docs/office-config.md has no section headed {header}"
        for key in table.every_key:
            assert f"`{key}`" in section, f"{path}.{key} is not documented under {header}"
            checked += 1
    assert checked > 60


async def test_reloading_keeps_ids_and_tokens_and_switches_off_what_was_removed(database_url, tmp_path) -> None:
    office = await open_office(database_url, tmp_path, warsaw(2026, 12, 1, 9, 0))
    try:
        first = (await office.take("I")).json()
        spec = read_office_file(DEMO_OFFICE)
        spec.services = [s for s in spec.services if s.code != "B"]
        spec.windows = [(n, name, [c for c in served if c != "B"]) for n, name, served in spec.windows]
        async with office.okienko.db.engine.begin() as conn:
            await load_office(conn, spec)
            setup = await read_setup(conn, "demo")
            devices = (await conn.execute(sa.select(Device.__table__.c.token_hash)
                                          .where(Device.__table__.c.name == "hall-1"))).scalar()
            inactive = (await conn.execute(sa.select(Service.__table__.c.code)
                                           .where(sa.not_(Service.__table__.c.active)))).scalars().all()
            windows = (await conn.execute(sa.select(sa.func.count()).select_from(Window.__table__))).scalar()
        assert [s.code for s in setup.services] == ["A", "F", "K", "I", "C", "D"]
        assert inactive == ["B"] and windows == 12 and devices is not None
        office.okienko.offices.invalidate()
        assert (await office.client.get(f"/api/v1/tickets/{first['id']}")).json()["number"] == "I001"
        assert (await office.take("I")).json()["number"] == "I002"
    finally:
        await close_office(office)


@pytest.mark.parametrize("day, message", [
    ({"date": "2027-03-06", "hours": "9-13"}, "day[0] (2027-03-06).hours: '9-13' is not HH:MM-HH:MM"),
    ({"date": "6 March"}, "day[0] (6 March).date: '6 March' is not a date (YYYY-MM-DD)"),
    ({"date": "2027-03-06", "hours": "09:00-13:00", "services": ["Z"]},
     "day[0] (2027-03-06).services: unknown service 'Z'"),
    ({"date": "2027-03-06", "hours": "09:00-13:00", "walk_in": "yes"},
     "day[0] (2027-03-06).walk_in: expected true or false"),
    ({"date": "2026-12-31", "hours": "09:00-13:00"},
     "day[0] (2026-12-31).hours: 2026-12-31 is in office.closures (closed): remove it there to open the date"),
    ({"date": "2027-03-06", "hour": "09:00-13:00"}, "day[0] (2027-03-06).hour: unknown key; did you mean hours?"),
])
def test_a_days_mistakes_are_named_with_their_path(day: dict[str, Any], message: str) -> None:
    raw = demo_raw()
    raw["day"] = [day]
    assert refusal(raw) == message


def test_a_day_is_read_with_its_services_and_purposes() -> None:
    raw = demo_raw()
    raw["day"] = [{"date": "2027-03-06", "hours": "09:00-11:00, 12:00-13:00", "services": ["K"], "booking": False,
                   "reason": "Information Saturday"}, {"date": "2027-03-08"}]
    first, closed = parse_office(raw).days
    assert (first.ranges, first.services, first.walk_in, first.booking) == ([(540, 660), (720, 780)], ["K"], True, False)
    assert (closed.ranges, closed.services, closed.reason) == ([], None, "")
    raw["day"].append({"date": "2027-03-08", "hours": "08:00-09:00"})
    assert refusal(raw) == "day date '2027-03-08' appears twice"


def test_reminders_are_read_latest_last_and_quiet_hours_may_pass_midnight() -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"}}
    spec = parse_office({"office": {"code": "x", "name": "X", "booking": {"reminders": [2, 48, 2],
                                                                          "quiet_hours": "22:00-06:30"}},
                         "service": [service]})
    assert spec.booking_policy["reminders"] == [48, 2] and spec.booking_policy["quiet_hours"] == "22:00-06:30"
    none = parse_office({"office": {"code": "x", "name": "X", "booking": {"reminders": [], "quiet_hours": ""}},
                         "service": [service]})
    assert none.booking_policy["reminders"] == [] and none.booking_policy["quiet_hours"] == ""


def _board_office(**office: Any) -> dict[str, Any]:
    return {"office": {"code": "x", "name": "X", **office}, "service": [
        {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"}}]}


def test_boards_show_polish_and_english_unless_the_office_names_its_languages() -> None:
    assert parse_office(_board_office()).board_languages == ("pl", "en")
    assert parse_office(_board_office(board_languages=["pl", "uk", "en"])).board_languages == ("pl", "uk", "en")
    assert parse_office(_board_office(board_languages=["uk"])).board_languages == ("uk",)
    assert parse_office(_board_office(board_languages=["ka", "hi", "tr", "vi"])).board_languages == ("ka", "hi", "tr", "vi")
    assert read_office_file(DEMO_OFFICE).board_languages == ("pl", "uk", "en")


KNOWN = ", ".join(LANGUAGES)   # every language the office may have: all of them


@pytest.mark.parametrize("languages, path, words", [
    (["pl", "de", "en"], "office.board_languages[1]", f"office.board_languages[1]: 'de' is not one of {KNOWN}"),
    (["pl", "en", "pl"], "office.board_languages[2]", "office.board_languages[2]: 'pl' appears twice"),
    ([], "office.board_languages", f"office.board_languages: a list of one to four of {KNOWN}"),
    ("pl, en", "office.board_languages", f"office.board_languages: a list of one to four of {KNOWN}"),
    (["pl", "uk", "vi", "hi", "ka"], "office.board_languages", "office.board_languages: a list of one to four of"),
    (["PL"], "office.board_languages[0]", "office.board_languages[0]: 'PL' is not one of"),
])
def test_a_board_language_the_office_cannot_have_is_refused_with_its_path(languages: Any, path: str,
                                                                           words: str) -> None:
    with pytest.raises(OfficeFileError, match=re.escape(words)) as wrong:
        parse_office(_board_office(board_languages=languages))
    assert wrong.value.field == path


async def test_board_languages_are_stored_read_back_and_exported(database_url, tmp_path) -> None:
    office = await open_office(database_url, tmp_path, warsaw(2026, 12, 1, 9, 0))
    try:
        spec = read_office_file(DEMO_OFFICE)
        spec.board_languages = ("uk", "ru", "pl")
        async with office.okienko.db.engine.begin() as conn:
            await load_office(conn, spec)
            setup = await read_setup(conn, "demo")
            exported = parse_office(tomllib.loads(await export_office(conn, "demo")))
        assert setup.board_languages == ("uk", "ru", "pl")
        assert exported.board_languages == ("uk", "ru", "pl")
    finally:
        await close_office(office)

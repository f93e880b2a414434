"""The office file: the demo loads, mistakes are named, a reload keeps what should be kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from booking_api.models import Device, Service, Window
from booking_api.office import read_setup
from booking_api.office_config import OfficeFileError, load_office, parse_office, read_office_file
from tests.conftest import DEMO_OFFICE, close_office, open_office, warsaw

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_office_describes_a_foreigners_department() -> None:
    spec = read_office_file(DEMO_OFFICE)
    assert len(spec.windows) == 12
    assert {s.code for s in spec.services} >= {"A", "F", "K", "B", "I"}
    for service in spec.services:
        assert set(service.names) >= {"pl", "en", "uk", "ru"} and service.hours
    assert [kind for kind, _name, _printer in spec.devices].count("kiosk") >= 1


def test_the_example_production_file_is_valid() -> None:
    spec = read_office_file(ROOT / "config" / "office.example.toml")
    assert spec.services and spec.windows


@pytest.mark.parametrize("change, words", [
    ({"prefix": "a1"}, "service[0].prefix"),
    ({"hours": {"mon": "8-15"}}, "service[0].hours.mon: '8-15' is not HH:MM-HH:MM"),
    ({"hours": {"mon": "15:00-08:00"}}, "must open before it closes"),
    ({"hours": {"someday": "08:00-15:00"}}, "'someday' is not one of"),
    ({"names": {"pl": "X"}}, "service[0].names: missing en, uk, ru"),
    ({"daily_limit": "many"}, "service[0].daily_limit"),
    ({"number_digits": 5}, "service[0].number_digits: 3 or 4, got 5"),
    ({"number_digits": "4"}, "service[0].number_digits: 3 or 4, got '4'"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "slots": 3}}, "service[0].booking.slots: unknown key"),
    ({"booking": {"days": {}}}, "service[0].booking.days: at least one day with hours"),
    ({"booking": {"days": {"mon": "8-12"}}}, "service[0].booking.days.mon: '8-12' is not HH:MM-HH:MM"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "slot_minutes": 2}}, "slot_minutes must be at least 5"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "release_time": "6am"}}, "service[0].booking.release_time"),
    ({"booking": {"days": {"mon": "08:00-12:00"}, "what_to_bring": {"pl": "x"}}},
     "service[0].booking.what_to_bring: missing en, uk, ru"),
])
def test_mistakes_are_named(change: dict, words: str) -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"},
               "hours": {"mon": "08:00-15:00"}}
    service.update(change)
    with pytest.raises(OfficeFileError, match=words.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        parse_office({"office": {"code": "x", "name": "X"}, "service": [service]})


@pytest.mark.parametrize("booking, words", [
    ({"hold_minutes": "ten"}, "office.booking.hold_minutes"),
    ({"waitlist": "yes"}, "office.booking.waitlist: expected true or false"),
    ({"booked_order": "last"}, "office.booking.booked_order: 'first' or 'service'"),
    ({"holdminutes": 5}, "office.booking.holdminutes: unknown key"),
])
def test_booking_policy_mistakes_are_named(booking: dict, words: str) -> None:
    service = {"code": "A", "prefix": "A", "names": {"pl": "a", "en": "a", "uk": "a", "ru": "a"}}
    with pytest.raises(OfficeFileError, match=words.replace("[", r"\[").replace("]", r"\]")):
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
    with pytest.raises(OfficeFileError, match=r"window\[0\].services: unknown service 'Z'"):
        parse_office({"office": {"code": "x", "name": "X"}, "service": [service],
                      "window": [{"number": "1", "services": ["Z"]}]})


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
        assert [s.code for s in setup.services] == ["A", "F", "K", "I"]
        assert inactive == ["B"] and windows == 12 and devices is not None
        office.okienko.offices.invalidate()
        assert (await office.client.get(f"/api/v1/tickets/{first['id']}")).json()["number"] == "I001"
        assert (await office.take("I")).json()["number"] == "I002"
    finally:
        await close_office(office)

"""One person, one booking: the travel document is the person; case numbers of follow-up visits.
Through the API, on SQLite and PostgreSQL, as a visitor (or a reseller) would try it."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okienko.booking.cases import case_numbers_in_csv, load_open_cases
from okienko.storage.models import Booking, WaitlistEntry
from okienko.errors import DomainError
from okienko.people import (ERASED_PERSON, FIELD_MESSAGES, PERSON_COLUMNS, Person, case_key, check_person, countries,
                            country_codes, folded_name, keyed_hash, person_key, stored_person)
from tests.okienko.booking.test_bookings import PERSON, SLOT, TUESDAY, book, last_mail_to, text_of
from tests.conftest import DEMO_OFFICE

pytestmark = pytest.mark.anyio

UKRAINIAN = {**PERSON, "document_country": "UA"}
OTHER_SLOT = "2026-12-03T08:00:00+01:00"
F_SLOT = "2026-12-03T08:00:00+01:00"      # service F: 3 places per 10-minute slot
CASE = "WSC-II-S.6151.12345.2024"


async def hold(office: Any, person: dict[str, Any], start: str = OTHER_SLOT, service: str = "A",
               language: str = "en") -> Any:
    return await office.client.post("/api/v1/bookings", json={"service": service, "start": start,
                                                               "language": language, **person})


def stranger(index: int, **extra: Any) -> dict[str, Any]:
    return {**PERSON, "name": f"Anna Nowak {chr(65 + index)}", "document_number": f"XY{index:07d}",
            "email": f"p{index}@example.com", "phone": f"+48 600 700 {index:03d}", **extra}


@pytest.mark.parametrize("same", [
    {"name": "Olena Kowalenko"},                               # another spelling
    {"name": "Олена Коваленко"},                               # another alphabet
    {"name": "Kovalenko Olena"},                               # the surname first
    {"name": "Helena Kovalenko-Smith", "birth_date": "1991-01-01"},   # even another name and date
    {"document_number": "fe-12 34-56"},                        # lower case, dashes, spaces
])
async def test_the_same_document_under_another_name_is_the_same_person(office_factory: Any,
                                                                        same: dict[str, str]) -> None:
    office = await office_factory(TUESDAY)
    await book(office, person=UKRAINIAN)
    again = await hold(office, {**UKRAINIAN, "email": "reseller@example.com", "phone": "", **same})
    assert again.status_code == 409, again.text
    assert again.json()["error"] == "already_booked"
    assert again.json()["message"] == ("This person already has a booking for Filing a residence application. "
                                       "Cancel or move it instead.")


async def test_the_same_number_from_another_country_is_another_person(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office, person=UKRAINIAN)
    belarusian = await hold(office, {**UKRAINIAN, "document_country": "by", "email": "b@example.com"})
    assert belarusian.status_code == 202, belarusian.text
    async with office.okienko.db.read() as conn:
        table = Booking.__table__
        rows = (await conn.execute(sa.select(table.c.document_country, table.c.person_name, table.c.birth_date)
                                   .order_by(table.c.created_at))).all()
    assert [row[0] for row in rows] == ["UA", "BY"]       # stored for the desk, with name and date of birth
    assert rows[0][1] == "Olena Kovalenko" and rows[0][2] == date(1990, 4, 12)


async def test_a_country_that_does_not_exist_is_a_field_problem(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    answer = await hold(office, {**PERSON, "document_country": "XX"}, language="uk")
    assert answer.status_code == 422
    assert set(answer.json()["fields"]) == {"document_country"}
    older_client = await hold(office, PERSON)          # no country at all: allowed, "" (unknown)
    assert older_client.status_code == 202


async def test_the_waiting_list_knows_the_document_too(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office, person=UKRAINIAN)
    joined = await office.client.post("/api/v1/waiting-list", json={
        "service": "A", "language": "en", **UKRAINIAN, "name": "Олена Коваленко", "email": "x@example.com"})
    assert joined.status_code == 409 and joined.json()["error"] == "already_booked"
    other = await office.client.post("/api/v1/waiting-list", json={"service": "A", "language": "en",
                                                                    **stranger(1, document_country="GE")})
    assert other.status_code == 201, other.text
    async with office.okienko.db.read() as conn:
        assert (await conn.execute(sa.select(WaitlistEntry.__table__.c.document_country))).scalar_one() == "GE"


@pytest.mark.parametrize("email, valid", [
    ("jan.kowalski+okienko@example.com", True),
    ("O'Brien@mail.ie", True),
    ("olena@żółw.pl", True),              # IDNA domains
    ("ivan@пример.рф", True),
    ("a@xn--80ak6aa92e.com", True),
    ("postmaster,victim@example.org", False),   # a list of two recipients
    ("a\x07b@example.org", False),       # a control character
    ("a@example.org\r\nBcc: x@y.pl", False),
    ("a..b@example.org", False),
    ("\"a b\"@example.org", False),
    ("a@localhost", False),
    ("a@ex_ample.org", False),
])
def test_an_email_is_one_mailbox(email: str, valid: bool) -> None:
    details = {"name": "Jan Kowalski", "birth_date": "1990-01-01", "document_number": "EP1234567", "email": email}
    if valid:
        assert check_person(details, date(2026, 12, 2)).email == email
    else:
        with pytest.raises(DomainError) as refused:
            check_person(details, date(2026, 12, 2))
        assert refused.value.params["fields"] == {"email": "email_invalid"}


NAMED = {"birth_date": "1990-01-01", "document_number": "EP1234567", "document_country": "PL",
         "email": "a@example.com"}


@pytest.mark.parametrize("name", [
    "John F. Smith Jr.", "O'Brien-Kowalska", "O’Brien", "Olena Kovalenko", "Łukasz Żółtowski",
    "Олена Коваленко", "Nguyễn Văn An", "राम कुमार", "محمد علي", "张伟", "Ἀλέξανδρος", "St.John",
])
def test_names_are_taken_as_people_write_them(name: str) -> None:
    assert check_person({**NAMED, "name": name}, date(2026, 12, 2)).name == name


@pytest.mark.parametrize("name", ["R2-D2", "Anna 2", "A²", "Anna\x00Nowak", "Anna\tNowak", "Anna\u0085",
                                  "Anna--Nowak", "-Anna", "Anna!", "Anna_Nowak", "\u0301Anna"])
def test_digits_symbols_and_control_characters_in_a_name_are_refused(name: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_person({**NAMED, "name": name}, date(2026, 12, 2))
    assert refused.value.params["fields"] == {"name": "name_invalid"}
    assert FIELD_MESSAGES["name_invalid"] == "Use letters only (spaces, hyphens and apostrophes are fine)."


def test_a_name_typed_decomposed_is_stored_composed() -> None:
    typed = unicodedata.normalize("NFD", "Zofia Żółtowska Nguyễn")
    assert typed != "Zofia Żółtowska Nguyễn"
    person = check_person({**NAMED, "name": typed}, date(2026, 12, 2))
    assert person.name == "Zofia Żółtowska Nguyễn"
    assert unicodedata.is_normalized("NFC", person.name)


def test_nfc_and_nfd_give_the_same_keyed_hash_and_nfc_keeps_its_old_one() -> None:
    composed = "Żółtowska"
    decomposed = unicodedata.normalize("NFD", composed)
    assert keyed_hash("k", "case", decomposed) == keyed_hash("k", "case", composed)
    # What was stored before names and cases were normalised: NFC text hashes as it always did.
    before = hmac.new(b"k", "\x1f".join(("case", composed)).encode(), hashlib.sha256).hexdigest()
    assert keyed_hash("k", "case", composed) == before
    one = Person("Olena Kovalenko", date(1990, 4, 12), "FE123456", "a@example.com", "", "UA")
    assert person_key("k", one) == hmac.new(b"k", "person\x1fUA\x1fFE123456".encode(), hashlib.sha256).hexdigest()
    assert case_key("k", unicodedata.normalize("NFD", "WSC-Ż.1.2024")) == case_key("k", "WSC-Ż.1.2024")


def test_names_fold_letters_that_accents_alone_do_not_explain() -> None:
    assert folded_name("Łukasz  ŻÓŁTOWSKI") == folded_name("lukasz zoltowski") == "lukasz zoltowski"
    assert folded_name("Straße") == "strasse"
    assert folded_name("Søren Kierkegård") == "soren kierkegard"
    assert folded_name("Æbeltoft Đorđević Işık") == "aebeltoft dordevic isik"


def test_the_person_key_is_the_document_not_the_name() -> None:
    one = Person("Olena Kovalenko", date(1990, 4, 12), "FE123456", "a@example.com", "", "UA")
    assert person_key("k", one) == person_key("k", Person("Коваленко Олена", date(1991, 1, 1), "FE123456",
                                                          "b@example.com", "", "UA"))
    assert person_key("k", one) != person_key("k", Person("Olena Kovalenko", date(1990, 4, 12), "FE123456",
                                                          "a@example.com", "", "BY"))


def test_countries_in_the_visitors_language_the_common_ones_first() -> None:
    ukrainian = countries("uk")
    assert [code for code, _name in ukrainian[:6]] == ["UA", "BY", "RU", "GE", "IN", "VN"]
    assert ukrainian[0][1] == "Україна"
    rest = [name for _code, name in ukrainian[6:]]
    assert rest == sorted(rest, key=lambda name: folded_name(name))
    polish = dict(countries("pl"))
    assert polish["DE"] == "Niemcy" and polish["XK"] == "Kosowo"
    assert len(country_codes()) == 250 and "EU" not in country_codes() and "ZZ" not in country_codes()


# --- case numbers ----------------------------------------------------------------------------

def case_office_file(tmp_path: Path, case_list: bool = False) -> Path:
    """The demo office with fingerprints (F) booked by case number; optionally only open cases."""
    text = DEMO_OFFICE.read_text(encoding="utf-8")
    anchor = next(line for line in text.splitlines(keepends=True)
                  if line.startswith('what_to_bring = { pl = "Paszport.", en = "Passport."'))
    text = text.replace(anchor, anchor + "case_number = true\n", 1)
    if case_list:
        text = text.replace("per_contact_per_day = 5\n", "per_contact_per_day = 5\ncase_list = true\n", 1)
    path = tmp_path / "case-office.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_a_follow_up_visit_needs_a_case_number_in_the_office_format(office_factory: Any,
                                                                          tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=case_office_file(tmp_path))
    missing = await hold(office, stranger(1), F_SLOT, "F")
    assert missing.status_code == 422
    assert missing.json()["fields"] == {
        "case_number": "Give the case number (znak sprawy) from the letter from the office."}
    wrong = await hold(office, {**stranger(1), "name": "R2-D2", "case_number": "12345/2024"}, F_SLOT, "F")
    assert wrong.status_code == 422
    assert wrong.json()["fields"]["case_number"] == ("This is not a case number of this office. "
                                                     "Copy it exactly as in the letter from the office.")
    assert set(wrong.json()["fields"]) == {"name", "case_number"}   # every problem at once
    spaced = await hold(office, {**stranger(1), "case_number": " wsc-ii-s. 6151. 12345 .2024 "}, F_SLOT, "F")
    assert spaced.status_code == 202, spaced.text
    not_asked = await hold(office, stranger(2))                      # service A asks for no case number
    assert not_asked.status_code == 202

    # Someone else with the same case: refused, also on another day.
    second = await hold(office, {**stranger(3), "case_number": CASE}, "2026-12-04T09:00:00+01:00", "F")
    assert second.status_code == 409
    assert second.json() == {"error": "case_already_booked", "message":
                             "This case number already has a booking for Fingerprints. Cancel or move it instead."}
    waiting = await office.client.post("/api/v1/waiting-list", json={"service": "F", "language": "en",
                                                                      **stranger(4), "case_number": CASE})
    assert waiting.status_code == 409 and waiting.json()["error"] == "case_already_booked"
    other_case = await hold(office, {**stranger(3), "case_number": "WSC-II-S.6151.12346.2024"}, F_SLOT, "F")
    assert other_case.status_code == 202

    async with office.okienko.db.read() as conn:
        table = Booking.__table__
        keys = (await conn.execute(sa.select(table.c.case_key).where(table.c.case_key.is_not(None)))).scalars().all()
    assert len(keys) == 2 and all(len(key) == 64 and "12345" not in key for key in keys)


async def test_only_open_cases_where_the_office_keeps_the_list(office_factory: Any, tmp_path: Path) -> None:
    office = await office_factory(TUESDAY, office_file=case_office_file(tmp_path, case_list=True))
    made_up = await hold(office, {**stranger(1), "case_number": CASE}, F_SLOT, "F", language="pl")
    assert made_up.status_code == 422
    body = made_up.json()
    assert body["error"] == "unknown_case" and set(body["fields"]) == {"case_number"}
    async with office.okienko.db.engine.begin() as conn:
        setup = await office.okienko.offices.get()
        counts = await load_open_cases(conn, setup.id, case_numbers_in_csv(f"znak_sprawy\n{CASE.lower()}\n"),
                                       secret_key=office.settings.secret_key, now=office.clock.now())
    assert counts["added"] == 1
    opened = await hold(office, {**stranger(1), "case_number": CASE}, F_SLOT, "F")
    assert opened.status_code == 202, opened.text


def test_case_numbers_are_read_from_a_named_column_or_the_first() -> None:
    assert case_numbers_in_csv("name;znak_sprawy\nAnna;wsc-i.1.2.2024\n") == ["WSC-I.1.2.2024"]
    assert case_numbers_in_csv("WSC.6151.1.2024\nWSC.6151.2.2024\n\n") == ["WSC.6151.1.2024", "WSC.6151.2.2024"]
    assert case_numbers_in_csv("") == []


def test_a_lost_race_on_the_case_index_is_told_as_the_case_already_booked() -> None:
    from sqlalchemy.exc import IntegrityError

    from okienko.booking.online import _lost_race

    postgres = IntegrityError("INSERT", {}, Exception(
        'duplicate key value violates unique constraint "uq_bookings_case_service"\nDETAIL: Key (service_id, '
        'case_key)=(2, ab) already exists.'))
    sqlite = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: bookings.service_id, bookings.case_key"))
    person = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: bookings.service_id, "
                                                    "bookings.person_key"))
    assert _lost_race(postgres, "Fingerprints").code == "case_already_booked"
    assert _lost_race(sqlite, "Fingerprints").code == "case_already_booked"
    assert _lost_race(person, "Fingerprints").code == "already_booked"


async def test_the_desk_finds_a_name_as_the_visitor_spells_it(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    await book(office, SLOT, person={**stranger(1), "name": "Łukasz Żółtowski"})
    await book(office, SLOT, person={**stranger(2), "name": "Søren Straße"})
    await book(office, SLOT, person=stranger(3))
    clerk = await office.clerk("1")

    async def found(name: str) -> list[str]:
        listed = await office.client.get("/api/v1/staff/bookings", params={"day": "2026-12-03", "name": name},
                                         headers=clerk)
        assert listed.status_code == 200
        return [booking["person"]["name"] for booking in listed.json()["bookings"]]

    assert await found("zoltowski lukasz") == ["Łukasz Żółtowski"]     # surname first, no Polish letters
    assert await found("ŁUK") == ["Łukasz Żółtowski"]
    assert await found("strasse soren") == ["Søren Straße"]
    assert await found("nowak") == ["Anna Nowak D"]
    assert len(await found("")) == 3


async def test_a_waiting_list_entry_and_the_booking_it_becomes_keep_the_person_alike_and_are_erased_alike(
        office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    first = await book(office, start=F_SLOT, service="F")
    waiting = {**PERSON, "name": "Ivan Petrenko", "document_number": "aa 999-999", "email": "ivan@example.com",
               "document_country": "UA"}
    joined = await office.client.post("/api/v1/waiting-list", json={"service": "F", "language": "en", **waiting})
    assert joined.status_code == 201, joined.text
    await office.client.post(f"/api/v1/bookings/{first['code']}/cancel", json={"secret": first["secret"]})
    offer = text_of(await last_mail_to(office, "ivan@example.com"))
    booking_id = re.search(r"/book/confirm/([\w-]+)", offer).group(1)  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", offer).group(1)  # type: ignore[union-attr]
    taken = await office.client.post(f"/api/v1/bookings/{booking_id}/confirm", json={"code": code})
    assert taken.status_code == 201 and taken.json()["person"]["document"] == "AA****99"

    expected = stored_person("test-secret", Person("Ivan Petrenko", date(1990, 4, 12), "AA999999",
                                                   "ivan@example.com", "+48600700800", "UA"))
    assert expected["document_masked"] == "AA****99" and "AA999999" not in str(expected)
    # the entry, and the booking made from its offer
    assert await person_rows(office, taken.json()["code"]) == [expected, expected]

    cancelled = await office.client.post(f"/api/v1/bookings/{taken.json()['code']}/cancel",
                                         json={"secret": taken.json()["secret"]})
    assert cancelled.status_code == 200, cancelled.text
    office.clock.advance(days=91)
    await office.okienko.booking.sweep()
    erased = {name: ERASED_PERSON[name] for name in PERSON_COLUMNS}
    assert await person_rows(office, taken.json()["code"]) == [erased, erased]


async def person_rows(office: Any, code: str) -> list[dict[str, Any]]:
    """What the waiting list's entry and the booking `code` keep of their person."""
    entries, bookings = WaitlistEntry.__table__, Booking.__table__
    async with office.okienko.db.read() as conn:
        entry = (await conn.execute(sa.select(*(entries.c[name] for name in PERSON_COLUMNS)))).mappings().one()
        booking = (await conn.execute(sa.select(*(bookings.c[name] for name in PERSON_COLUMNS))
                                      .where(bookings.c.code == code))).mappings().one()
    return [dict(entry), dict(booking)]

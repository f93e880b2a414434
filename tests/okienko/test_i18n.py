"""Every user-facing string is translated into every shipped language (English is the source)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from babel.messages.pofile import read_po

from okienko_server.catalogs import extract
from okienko.errors import ERRORS
from okienko.i18n import LANGUAGES, LOCALE_DIR, Translator, format_day, format_moment, negotiate

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def _catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.fixture(scope="module")
def messages() -> list:
    return [m for m in extract() if m.id]


TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_is_complete(language: str, messages: list) -> None:
    catalog = _catalog(language)
    missing = [m.id for m in messages if not (catalog.get(m.id) and catalog.get(m.id).string)]
    assert missing == [], f"{language}: untranslated (run `python -m okienko_server.catalogs`, then translate)"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []


# Words the languages take over from English as they are; any other message left in English is a
# message someone forgot to translate.
SAME_AS_ENGLISH = {"SMS", "null", "Kiosk", "token", "Email", "email", "Administrator", "Operator", "{minutes} min", "CSV", "XLSX"}


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_message_is_left_in_english(language: str) -> None:
    words = re.compile(r"[A-Za-z]{3,}")
    left = [m.id for m in _catalog(language) if m.id and m.string == m.id and m.id not in SAME_AS_ENGLISH
            and words.search(PLACEHOLDER.sub("", m.id))]
    assert left == [], f"{language}: still in English"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language: str) -> None:
    for message in _catalog(language):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert sorted(PLACEHOLDER.findall(target)) == sorted(PLACEHOLDER.findall(source)), (language, source)


def test_every_error_message_differs_from_english_in_each_language() -> None:
    translator = Translator()
    for code, (_status, message) in ERRORS.items():
        for language in TRANSLATED:
            assert translator.gettext(language, message) != message, (language, code)


def test_language_negotiation() -> None:
    assert negotiate("uk", "pl", "pl") == "uk"
    assert negotiate(None, "de-DE,ru;q=0.8,en;q=0.5", "pl") == "ru"
    assert negotiate("xx", None, "pl") == "pl"
    assert negotiate(None, "en-GB", "pl") == "en"
    assert negotiate(None, "vi-VN,vi;q=0.9,en;q=0.5", "pl") == "vi"
    assert negotiate(None, "ka-GE", "pl") == "ka"
    assert set(LANGUAGES) == {"pl", "en", "uk", "ru", "be", "vi", "hi", "ka", "tr"}


@pytest.mark.parametrize(("language", "day", "words"), [
    ("pl", date(2026, 12, 24), "24 grudnia 2026"),     # the month in the genitive, never "grudzień"
    ("pl", date(2027, 3, 1), "1 marca 2027"),
    ("uk", date(2026, 12, 24), "24 грудня 2026"),      # not "грудень"
    ("uk", date(2027, 5, 2), "2 травня 2027"),
    ("ru", date(2026, 12, 24), "24 декабря 2026"),     # not "декабрь"
    ("ru", date(2027, 5, 2), "2 мая 2027"),
    ("en", date(2026, 12, 24), "24 December 2026"),
    ("be", date(2026, 12, 24), "24 снежня 2026"),
    ("vi", date(2026, 12, 24), "24 tháng 12, 2026"),
    ("hi", date(2026, 12, 24), "24 दिसंबर 2026"),
    ("ka", date(2026, 12, 24), "24 დეკემბერი, 2026"),
    ("tr", date(2026, 12, 24), "24 Aralık 2026"),
    ("xx", date(2026, 12, 24), "24 December 2026"),    # an unknown language: English, as the catalogs do
])
def test_a_day_reads_as_a_day_in_each_language(language: str, day: date, words: str) -> None:
    assert format_day(day, language) == words


def test_a_day_with_its_weekday_and_a_moment_with_its_time() -> None:
    assert format_day(date(2026, 12, 3), "pl", weekday=True) == "czwartek, 3 grudnia 2026"
    assert format_day(date(2026, 12, 3), "uk", weekday=True) == "четвер, 3 грудня 2026"
    assert format_day(date(2026, 12, 3), "ru", weekday=True) == "четверг, 3 декабря 2026"
    assert format_day(datetime(2026, 12, 3, 23, 59), "en", weekday=True) == "Thursday, 3 December 2026"
    assert format_moment(datetime(2026, 12, 20, 9, 5), "pl") == "20 grudnia 2026, 09:05"


@pytest.mark.parametrize(("language", "message"), [
    ("pl", "Urząd jest nieczynny w dniu 24 grudnia 2026."),
    ("uk", "Установа не працює 24 грудня 2026."),
    ("ru", "Учреждение не работает 24 декабря 2026."),
    ("en", "The office is closed on 24 December 2026."),
])
def test_a_day_in_a_message_is_written_in_words_in_its_language(language: str, message: str) -> None:
    # Domain errors carry days as dates; the message says them in the reader's language.
    assert Translator().format(language, ERRORS["closed_day"][1], day=date(2026, 12, 24)) == message
    assert "2026-12-24" not in Translator().format(language, ERRORS["outside_horizon"][1],
                                                    first=date(2026, 12, 2), last=date(2026, 12, 24))

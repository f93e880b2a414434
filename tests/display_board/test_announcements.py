"""The hall hears numbers as numbers: "A dwadzieścia trzy", never "A zero dwa trzy"."""

from __future__ import annotations

import pytest

from display_board.announcements import (SPOKEN_LANGUAGES, announcement, digits_number, english_number, polish_number,
                                         russian_number, ukrainian_number)
from okienko.i18n import LANGUAGES


@pytest.mark.parametrize("value, words", [
    (1, "jeden"), (7, "siedem"), (12, "dwanaście"), (20, "dwadzieścia"), (23, "dwadzieścia trzy"),
    (100, "sto"), (215, "dwieście piętnaście"), (999, "dziewięćset dziewięćdziesiąt dziewięć"),
    (340, "trzysta czterdzieści"), (1000, "tysiąc"), (1001, "tysiąc jeden"),
    (1234, "tysiąc dwieście trzydzieści cztery"), (2000, "dwa tysiące"), (4019, "cztery tysiące dziewiętnaście"),
    (5500, "pięć tysięcy pięćset"), (9999, "dziewięć tysięcy dziewięćset dziewięćdziesiąt dziewięć"),
])
def test_polish_numbers(value: int, words: str) -> None:
    assert polish_number(value) == words


@pytest.mark.parametrize("value, words", [
    (1, "one"), (23, "twenty-three"), (100, "one hundred"), (999, "nine hundred ninety-nine"), (40, "forty"),
    (1000, "one thousand"), (1005, "one thousand five"), (1234, "one thousand two hundred thirty-four"),
    (9999, "nine thousand nine hundred ninety-nine"),
])
def test_english_numbers(value: int, words: str) -> None:
    assert english_number(value) == words


@pytest.mark.parametrize("value, words", [
    (0, "нуль"), (1, "один"), (7, "сім"), (11, "одинадцять"), (20, "двадцять"), (23, "двадцять три"),
    (100, "сто"), (215, "двісті п'ятнадцять"), (340, "триста сорок"), (999, "дев'ятсот дев'яносто дев'ять"),
    (1000, "одна тисяча"), (1001, "одна тисяча один"), (1234, "одна тисяча двісті тридцять чотири"),
    (2000, "дві тисячі"), (4019, "чотири тисячі дев'ятнадцять"), (5500, "п'ять тисяч п'ятсот"),
    (9999, "дев'ять тисяч дев'ятсот дев'яносто дев'ять"),
])
def test_ukrainian_numbers(value: int, words: str) -> None:
    assert ukrainian_number(value) == words


@pytest.mark.parametrize("value, words", [
    (0, "ноль"), (1, "один"), (7, "семь"), (11, "одиннадцать"), (20, "двадцать"), (23, "двадцать три"),
    (100, "сто"), (215, "двести пятнадцать"), (340, "триста сорок"), (999, "девятьсот девяносто девять"),
    (1000, "одна тысяча"), (1001, "одна тысяча один"), (1234, "одна тысяча двести тридцать четыре"),
    (2000, "две тысячи"), (4019, "четыре тысячи девятнадцать"), (5500, "пять тысяч пятьсот"),
    (9999, "девять тысяч девятьсот девяносто девять"),
])
def test_russian_numbers(value: int, words: str) -> None:
    assert russian_number(value) == words


def test_a_call_is_announced_in_ukrainian_and_russian_with_latin_letters_named() -> None:
    assert announcement("A023", "7", "uk") == "Номер А двадцять три, вікно сім."
    assert announcement("K101", "12", "uk") == "Номер Ка сто один, вікно дванадцять."
    assert announcement("KW1234", "B2", "uk") == "Номер Ка Дубль-ве одна тисяча двісті тридцять чотири, вікно Бе два."
    assert announcement("A023", "7", "ru") == "Номер А двадцать три, окно семь."
    assert announcement("F005", "B2", "ru") == "Номер Эф пять, окно Бэ два."
    with pytest.raises(ValueError):
        announcement("A023", "7", "de")


def test_a_call_is_announced_in_polish_and_english() -> None:
    assert announcement("A023", "7", "pl") == "Numer A dwadzieścia trzy, stanowisko siedem."
    assert announcement("K101", "12", "pl") == "Numer Ka sto jeden, stanowisko dwanaście."
    assert announcement("A023", "7", "en") == "Number A twenty-three, window seven."
    assert announcement("F005", "B2", "en") == "Number F five, window B two."


def test_four_digit_numbers_are_said_as_numbers_too() -> None:
    assert announcement("KW1234", "7", "pl") == "Numer Ka Wu tysiąc dwieście trzydzieści cztery, stanowisko siedem."
    assert announcement("A0023", "7", "en") == "Number A twenty-three, window seven."


def test_out_of_range() -> None:
    with pytest.raises(ValueError):
        polish_number(10000)
    with pytest.raises(ValueError):
        english_number(-1)
    with pytest.raises(ValueError):
        ukrainian_number(10000)
    with pytest.raises(ValueError):
        russian_number(-1)


def test_every_language_a_board_may_have_is_spoken() -> None:
    assert set(SPOKEN_LANGUAGES) == set(LANGUAGES)


@pytest.mark.parametrize("language, sentences", [
    ("be", ("Нумар А 23, акно 7.", "Нумар Ка Дубль-вэ 1234, акно Бэ 2.")),
    ("vi", ("Số A 23, quầy 7.", "Số K W 1234, quầy B 2.")),
    ("hi", ("नंबर ए 23, काउंटर 7।", "नंबर के डब्ल्यू 1234, काउंटर बी 2।")),
    ("ka", ("ნომერი ეი 23, ფანჯარა 7.", "ნომერი კეი დაბლიუ 1234, ფანჯარა ბი 2.")),
    ("tr", ("Numara A 23, gişe 7.", "Numara K W 1234, gişe B 2.")),
])
def test_a_call_in_the_other_languages_gives_the_voice_the_whole_number(language: str,
                                                                       sentences: tuple[str, str]) -> None:
    """eSpeak NG reads "23" as the number in these voices (tests/display_board/test_speech.py hears
    it); "023" would be "zero twenty-three". Latin letters are named in Cyrillic, Devanagari and
    Georgian; Vietnamese and Turkish voices name them themselves."""
    assert (announcement("A023", "7", language), announcement("KW1234", "B2", language)) == sentences
    assert announcement("F0100", "12", language).count("100") == 1 and "0100" not in announcement("F0100", "12", language)


def test_digits_are_given_without_leading_zeros() -> None:
    assert [digits_number(value) for value in (0, 7, 23, 100, 9999)] == ["0", "7", "23", "100", "9999"]
    with pytest.raises(ValueError):
        digits_number(10000)

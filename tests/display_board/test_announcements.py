"""The hall hears numbers as numbers: "A dwadzieścia trzy", never "A zero dwa trzy"."""

from __future__ import annotations

import pytest

from display_board.announcements import announcement, english_number, polish_number


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

"""The hall hears numbers as numbers: "A dwadzieścia trzy", never "A zero dwa trzy"."""

from __future__ import annotations

import pytest

from booking_api.announcements import announcement, english_number, polish_number


@pytest.mark.parametrize("value, words", [
    (1, "jeden"), (7, "siedem"), (12, "dwanaście"), (20, "dwadzieścia"), (23, "dwadzieścia trzy"),
    (100, "sto"), (215, "dwieście piętnaście"), (999, "dziewięćset dziewięćdziesiąt dziewięć"),
    (340, "trzysta czterdzieści"),
])
def test_polish_numbers(value: int, words: str) -> None:
    assert polish_number(value) == words


@pytest.mark.parametrize("value, words", [
    (1, "one"), (23, "twenty-three"), (100, "one hundred"), (999, "nine hundred ninety-nine"), (40, "forty"),
])
def test_english_numbers(value: int, words: str) -> None:
    assert english_number(value) == words


def test_a_call_is_announced_in_polish_and_english() -> None:
    assert announcement("A023", "7", "pl") == "Numer A dwadzieścia trzy, stanowisko siedem."
    assert announcement("K101", "12", "pl") == "Numer Ka sto jeden, stanowisko dwanaście."
    assert announcement("A023", "7", "en") == "Number A twenty-three, window seven."
    assert announcement("F005", "B2", "en") == "Number F five, window B two."


def test_out_of_range() -> None:
    with pytest.raises(ValueError):
        polish_number(1000)

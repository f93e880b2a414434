"""What the hall hears when a number is called: "Numer A dwadzieścia trzy, stanowisko siedem".

Numbers are spelt out as words here, so that every speech engine reads "A023" as "A twenty-three"
and never as "A zero two three".
"""

from __future__ import annotations

import re

_PL_ONES = ["zero", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć",
            "dziesięć", "jedenaście", "dwanaście", "trzynaście", "czternaście", "piętnaście", "szesnaście",
            "siedemnaście", "osiemnaście", "dziewiętnaście"]
_PL_TENS = ["", "", "dwadzieścia", "trzydzieści", "czterdzieści", "pięćdziesiąt", "sześćdziesiąt",
            "siedemdziesiąt", "osiemdziesiąt", "dziewięćdziesiąt"]
_PL_HUNDREDS = ["", "sto", "dwieście", "trzysta", "czterysta", "pięćset", "sześćset", "siedemset",
                "osiemset", "dziewięćset"]
_EN_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# Letters as a Polish speaker says them (speech engines otherwise guess, e.g. "K" as "kilo").
_PL_LETTERS = {"A": "A", "B": "Be", "C": "Ce", "D": "De", "E": "E", "F": "Ef", "G": "Gie", "H": "Ha", "I": "I",
               "J": "Jot", "K": "Ka", "L": "El", "M": "Em", "N": "En", "O": "O", "P": "Pe", "R": "Er", "S": "Es",
               "T": "Te", "U": "U", "W": "Wu", "X": "Iks", "Y": "Igrek", "Z": "Zet"}
_EN_LETTERS = {"A": "A", "B": "B", "C": "C", "D": "D", "E": "E", "F": "F", "G": "G", "H": "H", "I": "I", "J": "J",
               "K": "K", "L": "L", "M": "M", "N": "N", "O": "O", "P": "P", "Q": "Q", "R": "R", "S": "S", "T": "T",
               "U": "U", "V": "V", "W": "W", "X": "X", "Y": "Y", "Z": "Z"}


def polish_number(value: int) -> str:
    """0-9999 in Polish words: 23 -> "dwadzieścia trzy", 1234 -> "tysiąc dwieście trzydzieści cztery"."""
    _check(value)
    thousands, rest = divmod(value, 1000)
    if not thousands:
        return _polish_below_thousand(rest)
    if thousands == 1:
        head = "tysiąc"
    else:
        head = f"{_PL_ONES[thousands]} {'tysiące' if thousands <= 4 else 'tysięcy'}"
    return f"{head} {_polish_below_thousand(rest)}" if rest else head


def _polish_below_thousand(value: int) -> str:
    if value < 20:
        return _PL_ONES[value]
    hundreds, rest = divmod(value, 100)
    words = [_PL_HUNDREDS[hundreds]] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_PL_TENS[tens])
        if ones:
            words.append(_PL_ONES[ones])
    elif rest:
        words.append(_PL_ONES[rest])
    return " ".join(words)


def english_number(value: int) -> str:
    """0-9999 in English words: 123 -> "one hundred twenty-three", 1005 -> "one thousand five"."""
    _check(value)
    thousands, rest = divmod(value, 1000)
    if not thousands:
        return _english_below_thousand(rest)
    head = f"{_EN_ONES[thousands]} thousand"
    return f"{head} {_english_below_thousand(rest)}" if rest else head


def _english_below_thousand(value: int) -> str:
    if value < 20:
        return _EN_ONES[value]
    hundreds, rest = divmod(value, 100)
    words = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_EN_ONES[rest])
    return " ".join(words)


def _check(value: int) -> None:
    if not 0 <= value <= 9999:   # ticket numbers have at most four digits (numbering.py)
        raise ValueError(f"{value} is outside 0-9999")


def _spoken(label: str, letters: dict[str, str], number_words: object) -> str:
    """"A023" -> "A" + words of 23; "K1234" -> "K" + words of 1234; "12" -> words of 12; anything else as it is."""
    match = re.fullmatch(r"([A-Z]*)(\d{1,4})", label)
    if not match:
        return label
    prefix, digits = match.groups()
    spelled = " ".join(letters.get(ch, ch) for ch in prefix)
    words = number_words(int(digits))  # type: ignore[operator]
    return f"{spelled} {words}".strip()


def announcement(number: str, window: str, language: str) -> str:
    """The sentence spoken for a call, in Polish ("pl") or English ("en")."""
    if language == "pl":
        return f"Numer {_spoken(number, _PL_LETTERS, polish_number)}, stanowisko {_spoken(window, {}, polish_number)}."
    if language == "en":
        return f"Number {_spoken(number, _EN_LETTERS, english_number)}, window {_spoken(window, {}, english_number)}."
    raise ValueError(f"no announcements in {language!r}")

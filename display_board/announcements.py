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


# Ukrainian and Russian: the plain cardinal (as a number is read out, "номер А двадцять три");
# "thousand" agrees with the number before it: одна тисяча / дві тисячі / п'ять тисяч.
_UK_ONES = ["нуль", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять", "десять",
            "одинадцять", "дванадцять", "тринадцять", "чотирнадцять", "п'ятнадцять", "шістнадцять", "сімнадцять",
            "вісімнадцять", "дев'ятнадцять"]
_UK_TENS = ["", "", "двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят", "вісімдесят",
            "дев'яносто"]
_UK_HUNDREDS = ["", "сто", "двісті", "триста", "чотириста", "п'ятсот", "шістсот", "сімсот", "вісімсот",
                "дев'ятсот"]
_UK_THOUSANDS = ["", "одна тисяча", "дві тисячі", "три тисячі", "чотири тисячі", "п'ять тисяч", "шість тисяч",
                 "сім тисяч", "вісім тисяч", "дев'ять тисяч"]
_RU_ONES = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять",
            "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать",
            "восемнадцать", "девятнадцать"]
_RU_TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят",
            "девяносто"]
_RU_HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот",
                "девятьсот"]
_RU_THOUSANDS = ["", "одна тысяча", "две тысячи", "три тысячи", "четыре тысячи", "пять тысяч", "шесть тысяч",
                 "семь тысяч", "восемь тысяч", "девять тысяч"]

# Latin letters as a Ukrainian or Russian speaker names them (a Cyrillic voice reads a bare "K" oddly).
_UK_LETTERS = {"A": "А", "B": "Бе", "C": "Це", "D": "Де", "E": "Е", "F": "Еф", "G": "Ге", "H": "Аш", "I": "І",
               "J": "Йот", "K": "Ка", "L": "Ель", "M": "Ем", "N": "Ен", "O": "О", "P": "Пе", "Q": "Ку", "R": "Ер",
               "S": "Ес", "T": "Те", "U": "У", "V": "Ве", "W": "Дубль-ве", "X": "Ікс", "Y": "Ігрек", "Z": "Зет"}
_RU_LETTERS = {"A": "А", "B": "Бэ", "C": "Цэ", "D": "Дэ", "E": "Е", "F": "Эф", "G": "Гэ", "H": "Аш", "I": "И",
               "J": "Йот", "K": "Ка", "L": "Эль", "M": "Эм", "N": "Эн", "O": "О", "P": "Пэ", "Q": "Ку", "R": "Эр",
               "S": "Эс", "T": "Тэ", "U": "У", "V": "Вэ", "W": "Дубль-вэ", "X": "Икс", "Y": "Игрек", "Z": "Зэт"}


def ukrainian_number(value: int) -> str:
    """0-9999 in Ukrainian words: 23 -> "двадцять три", 2005 -> "дві тисячі п'ять"."""
    return _slavic_number(value, _UK_ONES, _UK_TENS, _UK_HUNDREDS, _UK_THOUSANDS)


def russian_number(value: int) -> str:
    """0-9999 in Russian words: 23 -> "двадцать три", 2005 -> "две тысячи пять"."""
    return _slavic_number(value, _RU_ONES, _RU_TENS, _RU_HUNDREDS, _RU_THOUSANDS)


def _slavic_number(value: int, ones: list[str], tens: list[str], hundreds: list[str],
                   thousands_words: list[str]) -> str:
    _check(value)
    if value < 20:
        return ones[value]
    thousands, rest = divmod(value, 1000)
    hundred, rest = divmod(rest, 100)
    words = [thousands_words[thousands], hundreds[hundred]]
    if rest >= 20:
        ten, one = divmod(rest, 10)
        words += [tens[ten], ones[one] if one else ""]
    elif rest:
        words.append(ones[rest])
    return " ".join(word for word in words if word)


# Belarusian, Vietnamese, Hindi, Georgian and Turkish: eSpeak NG reads a whole number ("23", never
# "023") as its words in each of these voices, so the number goes to it as digits. Latin letters as a
# speaker of the language names them: Vietnamese and Turkish voices name them themselves ("K" is
# "ca", "ke"); the others would switch to an English voice for one letter, so they are written in
# the language's own script (Hindi and Georgian speakers name them as in English).
_BE_LETTERS = {"A": "А", "B": "Бэ", "C": "Цэ", "D": "Дэ", "E": "Э", "F": "Эф", "G": "Гэ", "H": "Аш", "I": "І",
               "J": "Ёт", "K": "Ка", "L": "Эль", "M": "Эм", "N": "Эн", "O": "О", "P": "Пэ", "Q": "Ку", "R": "Эр",
               "S": "Эс", "T": "Тэ", "U": "У", "V": "Вэ", "W": "Дубль-вэ", "X": "Ікс", "Y": "Ігрэк", "Z": "Зэт"}
_HI_LETTERS = {"A": "ए", "B": "बी", "C": "सी", "D": "डी", "E": "ई", "F": "एफ़", "G": "जी", "H": "एच", "I": "आई",
               "J": "जे", "K": "के", "L": "एल", "M": "एम", "N": "एन", "O": "ओ", "P": "पी", "Q": "क्यू", "R": "आर",
               "S": "एस", "T": "टी", "U": "यू", "V": "वी", "W": "डब्ल्यू", "X": "एक्स", "Y": "वाई", "Z": "ज़ेड"}
_KA_LETTERS = {"A": "ეი", "B": "ბი", "C": "სი", "D": "დი", "E": "ი", "F": "ეფ", "G": "ჯი", "H": "ეიჩ", "I": "აი",
               "J": "ჯეი", "K": "კეი", "L": "ელ", "M": "ემ", "N": "ენ", "O": "ოუ", "P": "პი", "Q": "ქიუ", "R": "არ",
               "S": "ეს", "T": "ტი", "U": "იუ", "V": "ვი", "W": "დაბლიუ", "X": "ექს", "Y": "უაი", "Z": "ზედ"}


def digits_number(value: int) -> str:
    """0-9999 as the whole number in digits, for a voice that reads it as words: 23 -> "23" (from "023")."""
    _check(value)
    return str(value)


# The sentence of a call in each language: (its words for "number" and "window", the letters' names,
# the number's words). The board's languages (config_file.board_languages) are these keys.
_CALLS: dict[str, tuple[str, dict[str, str], object]] = {
    "pl": ("Numer {number}, stanowisko {window}.", _PL_LETTERS, polish_number),
    "en": ("Number {number}, window {window}.", _EN_LETTERS, english_number),
    "uk": ("Номер {number}, вікно {window}.", _UK_LETTERS, ukrainian_number),
    "ru": ("Номер {number}, окно {window}.", _RU_LETTERS, russian_number),
    "be": ("Нумар {number}, акно {window}.", _BE_LETTERS, digits_number),
    "vi": ("Số {number}, quầy {window}.", {}, digits_number),
    "hi": ("नंबर {number}, काउंटर {window}।", _HI_LETTERS, digits_number),
    "ka": ("ნომერი {number}, ფანჯარა {window}.", _KA_LETTERS, digits_number),
    "tr": ("Numara {number}, gişe {window}.", {}, digits_number),
}
SPOKEN_LANGUAGES = tuple(_CALLS)


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
    """The sentence spoken for a call in one of i18n.LANGUAGES: "Numer A dwadzieścia trzy, stanowisko
    siedem.", "Номер А двадцять три, вікно сім.", "Số A 23, quầy 7." (ValueError for any other)."""
    if language not in _CALLS:
        raise ValueError(f"no announcements in {language!r}")
    sentence, letters, number_words = _CALLS[language]
    # A window's letters are named as a ticket's in Cyrillic, Devanagari and Georgian; in Polish and
    # English a window is named as it is written ("B2").
    window_letters = letters if language not in ("pl", "en") else {}
    return sentence.format(number=_spoken(number, letters, number_words),
                           window=_spoken(window, window_letters, number_words))

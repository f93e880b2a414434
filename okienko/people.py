"""The person a booking belongs to: checked, normalised, and kept only as much as the desk needs.

"The same person" is the travel document: its number (normalised: case, spaces and dashes do
not count) and its issuing country, not the spelling of the name, so the same document under
another spelling, another alphabet or with the surname first is still one person. Matching
uses a keyed hash (HMAC-SHA-256 with the server's secret key), so a leaked database does not
list document numbers; the desk sees the name, the date of birth and the document number
masked, enough to check the document in hand, and can check the number typed or scanned
against the booking (`document_matches`). Case numbers (znak sprawy) of follow-up visits are
checked against the office's pattern and kept only as keyed hashes too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import babel

from okienko.errors import DomainError
from okienko.i18n import _

# A name, with each character read as its kind (`_name_shape`): a word is a letter of any script
# followed by letters and combining marks; words are joined by one space, hyphen or apostrophe, or a
# dot (with a space after it or not): "John F. Smith Jr.", "O'Brien-Kowalska", "Zoë Ōta".
_NAME_SHAPE = re.compile(r"^a[am]*(?:(?:[ '\-’]|\. ?)a[am]*)*\.?$")
_NAME_JOINERS = frozenset(" '-’.")
_JOINING_CONTROLS = frozenset("\u200c\u200d")   # ZWNJ, ZWJ: part of how Persian or Indic names are written
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
# One mailbox: an RFC 5321 dot-atom local part (no commas, spaces, quotes or control characters, so
# never a list of addresses), then a domain of letters, digits and hyphens, Unicode (IDNA) allowed.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(rf"^(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--[a-z0-9-]{{2,}})\Z",
                    re.IGNORECASE)
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")

# Field problems, each a message in the visitor's language (the booking page shows them as you type).
FIELD_MESSAGES: dict[str, str] = {
    "name_missing": _("Give your full name as in your travel document."),
    "name_invalid": _("Use letters only (spaces, hyphens and apostrophes are fine)."),
    "birth_date_invalid": _("Give your date of birth as YYYY-MM-DD."),
    "birth_date_range": _("The date of birth must be in the past and not more than 120 years ago."),
    "document_invalid": _("The document number has 5 to 20 letters and digits."),
    "phone_invalid": _("Give a phone number with the country code, e.g. +48 600 700 800."),
    "email_invalid": _("Give a valid email address: the confirmation code is sent there."),
    "document_end_invalid": _("Give the last characters of the travel document's number (at least two)."),
    "contact_missing": _("Give a mobile number or an email address: the confirmation is sent there."),
    "country_invalid": _("Choose the country that issued your travel document."),
    "case_number_missing": _("Give the case number (znak sprawy) from the letter from the office."),
    "case_number_invalid": _("This is not a case number of this office. Copy it exactly as in the letter from the office."),
    "unknown_case": _("We cannot find this case number. Check it against the letter from the office."),
}

# Shown first in the country list: the documents this office sees most.
COMMON_COUNTRIES = ("UA", "BY", "RU", "GE", "IN", "VN")
# Babel's territories that are not ISO 3166-1 countries issuing documents (Kosovo, XK, stays).
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})


@dataclass(frozen=True)
class Person:
    name: str
    birth_date: date
    document_number: str
    email: str
    phone: str
    document_country: str = ""   # ISO 3166-1 alpha-2 of the issuing country; "": not given (older clients)


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes a travel document may come from (and XK, Kosovo)."""
    return frozenset(code for code in babel.Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


@lru_cache(maxsize=16)
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name in `language`) for every country: the common ones first, then the rest by name."""
    names = babel.Locale.parse(language).territories
    english = babel.Locale("en").territories
    rest = sorted((code for code in country_codes() if code not in COMMON_COUNTRIES),
                  key=lambda code: _sort_key(names.get(code) or english[code]))
    return tuple((code, names.get(code) or english[code]) for code in (*COMMON_COUNTRIES, *rest))


def _sort_key(name: str) -> tuple[str, str]:
    return (_folded_name(name), name)


def normalise_country(text: str) -> str:
    return str(text or "").strip().upper()


def check_person(raw: dict[str, object], today: date, *, email_optional: bool = False) -> Person:
    """The person's details, normalised; `invalid_details` with a problem per field otherwise.
    The document's country may be left out ("": unknown), for clients older than the field.
    `email_optional`: a mobile number alone will do (the call centre, where SMS goes out)."""
    problems: dict[str, str] = {}
    typed = unicodedata.normalize("NFC", str(raw.get("name") or ""))
    name = " ".join(typed.split())
    if not name:
        problems["name"] = "name_missing"
    elif len(name) > 120 or not valid_name(name) or _has_control(typed):
        problems["name"] = "name_invalid"
    birth = None
    try:
        birth = date.fromisoformat(str(raw.get("birth_date") or ""))
    except ValueError:
        problems["birth_date"] = "birth_date_invalid"
    if birth is not None and not date(today.year - 120, 1, 1) <= birth < today:
        problems["birth_date"] = "birth_date_range"
    document = normalise_document(str(raw.get("document_number") or ""))
    if not _DOCUMENT.match(document):
        problems["document_number"] = "document_invalid"
    country = normalise_country(str(raw.get("document_country") or ""))
    if country and country not in country_codes():
        problems["document_country"] = "country_invalid"
    phone = normalise_phone(str(raw.get("phone") or ""))
    if phone and not valid_phone(phone):
        problems["phone"] = "phone_invalid"
    email = str(raw.get("email") or "").strip()
    if email_optional and not email:
        if not phone:
            problems["phone"] = "contact_missing"
    elif len(email) > 254 or not _EMAIL.match(email):
        problems["email"] = "email_invalid"
    if problems:
        raise DomainError("invalid_details", fields=problems)
    assert birth is not None
    return Person(name=name, birth_date=birth, document_number=document, email=email, phone=phone,
                  document_country=country)


def _name_shape(name: str) -> str:
    """Each character as its kind: "a" a letter, "m" a combining mark (or ZWNJ/ZWJ), a joiner as
    itself, "x" anything else (a digit, a symbol, a control character)."""
    def kind(char: str) -> str:
        category = unicodedata.category(char)
        if category.startswith("L"):
            return "a"
        if category.startswith("M") or char in _JOINING_CONTROLS:
            return "m"
        return char if char in _NAME_JOINERS else "x"
    return "".join(kind(char) for char in name)


def valid_name(name: str) -> bool:
    """THE name rule (booking.js mirrors it): letters of any script with their combining marks,
    words joined by spaces, hyphens, apostrophes (' and ’) and dots; no digits, symbols or control
    characters. `name` is NFC with its spacing collapsed, as `check_person` makes it."""
    return bool(_NAME_SHAPE.match(_name_shape(name)))


def _has_control(text: str) -> bool:
    """A control character (a tab, a line break, a NUL…) typed or pasted into a one-line field."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def check_case_number(raw: object, pattern: str) -> str:
    """The case number (znak sprawy) normalised (upper case, no spaces), matching the office's
    `case_number_pattern`; `invalid_details` with a problem on `case_number` otherwise."""
    case_number = normalise_case_number(str(raw or ""))
    if not case_number:
        raise DomainError("invalid_details", fields={"case_number": "case_number_missing"})
    if len(case_number) > 60 or not re.fullmatch(pattern, case_number):
        raise DomainError("invalid_details", fields={"case_number": "case_number_invalid"})
    return case_number


def check_applicant(raw: dict[str, object], today: date, case_pattern: str | None = None, *,
                    email_optional: bool = False) -> tuple[Person, str | None]:
    """The person (`check_person`) and, where `case_pattern` is given (the service asks for the
    case number), the normalised case number; every field's problem at once otherwise."""
    problems: dict[str, str] = {}
    person: Person | None = None
    case_number: str | None = None
    try:
        person = check_person(raw, today, email_optional=email_optional)
    except DomainError as error:
        problems.update(error.params["fields"])
    if case_pattern is not None:
        try:
            case_number = check_case_number(raw.get("case_number"), case_pattern)
        except DomainError as error:
            problems.update(error.params["fields"])
    if problems or person is None:
        raise DomainError("invalid_details", fields=problems)
    return person, case_number


def normalise_case_number(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split()).upper()


def case_key(secret_key: str, case_number: str) -> str:
    """The keyed hash a case number is kept as (bookings, entries and the office's open cases)."""
    return keyed_hash(secret_key, "case", normalise_case_number(case_number))


def normalise_document(text: str) -> str:
    return re.sub(r"[\s\-‐‑‒–—]", "", unicodedata.normalize("NFC", text)).upper()


def valid_phone(phone: str) -> bool:
    """THE phone rule (a booking's, the call centre's, a walk-in's SMS): a normalised number with its
    country code, 8 to 15 digits (E.164)."""
    return bool(_PHONE.match(phone))


def checked_phone(text: str) -> str:
    """`text` as a normalised phone number; `invalid_details` (the `phone` field) when it is not one."""
    phone = normalise_phone(text)
    if not valid_phone(phone):
        raise DomainError("invalid_details", fields={"phone": "phone_invalid"})
    return phone


def normalise_phone(text: str) -> str:
    """Digits with a leading +; a bare 9-digit number is taken as Polish (+48)."""
    digits = re.sub(r"[\s\-().]", "", text)
    if re.fullmatch(r"\d{9}", digits):
        return "+48" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


# Letters NFKD does not take apart: without these, "Łukasz" and "Lukasz" would be two names.
_FOLDS = str.maketrans({"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ı": "i",
                        "ħ": "h", "ŧ": "t", "þ": "th", "ŀ": "l", "ĸ": "k", "ŋ": "n", "ſ": "s"})


def _folded_name(name: str) -> str:
    """The name as comparing and searching see it: case, accents, Ł/ß/ø-like letters and spacing
    do not make another name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLDS))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def folded_name(name: str) -> str:
    """The name folded for comparing and searching (see `_folded_name`)."""
    return _folded_name(name)


def keyed_hash(secret_key: str, *parts: str) -> str:
    """HMAC-SHA-256 of the parts, each read as NFC first: text typed decomposed (NFD, "Zo\u0307fia")
    gives the hash of the same text composed, and NFC text (every hash stored so far) its own."""
    text = "\x1f".join(unicodedata.normalize("NFC", part) for part in parts)
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def person_key(secret_key: str, person: Person) -> str:
    """Equal for the same travel document (issuing country + normalised number), whatever name
    it is given under: one person, one active booking per service."""
    return keyed_hash(secret_key, "person", person.document_country, normalise_document(person.document_number))


def document_hash(secret_key: str, document_number: str) -> str:
    """The keyed hash of the document number alone (normalised as `normalise_document`), which
    the desk's check compares with."""
    return keyed_hash(secret_key, "document", normalise_document(document_number))


def document_matches(secret_key: str, stored_hash: str, typed: str) -> bool:
    """Whether a number typed or scanned at the desk is the booking's document number."""
    typed_number = normalise_document(typed)
    return bool(typed_number) and hmac.compare_digest(document_hash(secret_key, typed_number), stored_hash)


# What a booking, a waiting-list entry and a draw entry keep of their person: the same columns in
# the three tables, copied as they are when one becomes another (an entry drawn, an offer made).
PERSON_COLUMNS = ("person_key", "person_name", "birth_date", "document_hash", "document_masked", "document_country",
                  "email", "phone")
# ... and what is left of them once erased after `retention_days` (GDPR), with the case's keyed hash:
# the rows stay for statistics and the draws' published results, not for knowing who came.
ERASED_PERSON: dict[str, Any] = {"person_key": "", "person_name": "", "birth_date": date(1900, 1, 1),
                                 "document_hash": "", "document_masked": "", "document_country": "", "email": "",
                                 "phone": "", "case_key": None}


def stored_person(secret_key: str, person: Person) -> dict[str, Any]:
    """The person as every table keeps them (PERSON_COLUMNS): the keyed hashes that find the same
    travel document again (`person_key`, `document_hash`), the number masked for the desk, never
    the number itself."""
    return {"person_key": person_key(secret_key, person), "person_name": person.name,
            "birth_date": person.birth_date, "document_hash": document_hash(secret_key, person.document_number),
            "document_masked": mask_document(person.document_number),
            "document_country": person.document_country, "email": person.email, "phone": person.phone}


def contact_key(secret_key: str, contact: str) -> str:
    """A rate-limit key for an email or phone that does not store the contact itself."""
    return keyed_hash(secret_key, "contact", contact.strip().casefold())[:40]


def mask_document(document_number: str) -> str:
    """e.g. "EP1234567" -> "EP*****67": enough for the desk to match the document in hand."""
    text = normalise_document(document_number)
    if len(text) <= 4:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(0, len(phone) - 6) + phone[-3:] if phone else ""

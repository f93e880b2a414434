"""The person a booking belongs to: checked, normalised, and kept only as much as the desk needs.

A booking is bound to name + date of birth + travel document number. Matching ("is this the
same person?") uses a keyed hash (HMAC-SHA-256 with the server's secret key) of the normalised
details, so a leaked database does not list document numbers; the desk sees the name, the date
of birth and the document number masked, enough to check the document in hand.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from booking_api.errors import DomainError
from booking_api.i18n import _

_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.’][^\W\d_]+)*\.?$")
_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
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
}


@dataclass(frozen=True)
class Person:
    name: str
    birth_date: date
    document_number: str
    email: str
    phone: str


def check_person(raw: dict[str, object], today: date) -> Person:
    """The person's details, normalised; `invalid_details` with a problem per field otherwise."""
    problems: dict[str, str] = {}
    name = " ".join(str(raw.get("name") or "").split())
    if not name:
        problems["name"] = "name_missing"
    elif len(name) > 120 or not _NAME.match(name):
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
    phone = normalise_phone(str(raw.get("phone") or ""))
    if phone and not _PHONE.match(phone):
        problems["phone"] = "phone_invalid"
    email = str(raw.get("email") or "").strip()
    if len(email) > 254 or not _EMAIL.match(email):
        problems["email"] = "email_invalid"
    if problems:
        raise DomainError("invalid_details", fields=problems)
    assert birth is not None
    return Person(name=name, birth_date=birth, document_number=document, email=email, phone=phone)


def normalise_document(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def normalise_phone(text: str) -> str:
    """Digits with a leading +; a bare 9-digit number is taken as Polish (+48)."""
    digits = re.sub(r"[\s\-().]", "", text)
    if re.fullmatch(r"\d{9}", digits):
        return "+48" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def _folded_name(name: str) -> str:
    """The name as matching sees it: case, accents and spacing do not make another person."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def keyed_hash(secret_key: str, *parts: str) -> str:
    return hmac.new(secret_key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def person_key(secret_key: str, person: Person) -> str:
    """Equal for the same name, date of birth and document, whatever the spelling of case or accents."""
    return keyed_hash(secret_key, "person", _folded_name(person.name), person.birth_date.isoformat(),
                      person.document_number)


def document_hash(secret_key: str, document_number: str) -> str:
    return keyed_hash(secret_key, "document", normalise_document(document_number))


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

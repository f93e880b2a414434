"""Every user-facing string is translated into Polish, Ukrainian and Russian (English is the source)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from okienko_server.catalogs import extract
from okienko.errors import ERRORS
from okienko.i18n import LANGUAGES, LOCALE_DIR, Translator, negotiate

PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def _catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.fixture(scope="module")
def messages() -> list:
    return [m for m in extract() if m.id]


@pytest.mark.parametrize("language", ["pl", "uk", "ru"])
def test_catalog_is_complete(language: str, messages: list) -> None:
    catalog = _catalog(language)
    missing = [m.id for m in messages if not (catalog.get(m.id) and catalog.get(m.id).string)]
    assert missing == [], f"{language}: untranslated (run `python -m okienko_server.catalogs`, then translate)"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("language", ["pl", "uk", "ru"])
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
        for language in ("pl", "uk", "ru"):
            assert translator.gettext(language, message) != message, (language, code)


def test_language_negotiation() -> None:
    assert negotiate("uk", "pl", "pl") == "uk"
    assert negotiate(None, "de-DE,ru;q=0.8,en;q=0.5", "pl") == "ru"
    assert negotiate("xx", None, "pl") == "pl"
    assert negotiate(None, "en-GB", "pl") == "en"
    assert set(LANGUAGES) == {"pl", "en", "uk", "ru"}

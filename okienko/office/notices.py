"""The lines an office shows its visitors, per language (`offices.notices`): the hall board's ticker and
the kiosk message ("Window 3 closed today"). One home for how a line is chosen for a screen.

Shape: {"ticker": {lang: text}, "kiosk": {lang: text}}; a language left out (or empty) has no line.
"""

from __future__ import annotations

from typing import Any

from okienko.errors import DomainError
from okienko.i18n import LANGUAGES, text_in

KINDS = ("ticker", "kiosk")
MAX_LENGTH = 500


def clean_notices(raw: Any) -> dict[str, dict[str, str]]:
    """The notices as stored: every kind present, each a {language: text} of known languages with
    the text stripped and empty ones left out; `invalid_notice` for anything else."""
    if not isinstance(raw, dict):
        raw = {}
    notices: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        lines = raw.get(kind) or {}
        if not isinstance(lines, dict):
            raise DomainError("invalid_notice", kind=kind, languages=", ".join(LANGUAGES))
        notices[kind] = {}
        for language, text in lines.items():
            if language not in LANGUAGES or not isinstance(text, str) or len(text) > MAX_LENGTH:
                raise DomainError("invalid_notice", kind=kind, languages=", ".join(LANGUAGES))
            if text.strip():
                notices[kind][language] = text.strip()
    return notices


def line_for(notices: dict[str, Any], kind: str, language: str, default_language: str) -> str:
    """The line a screen in `language` shows: its own, else the office's default language's, else none."""
    lines = (notices or {}).get(kind) or {}
    return text_in(lines, language, default_language)


def ticker_text(notices: dict[str, Any], language: str, default_language: str) -> str:
    """The hall board's running line in `language`: that language's text first, then the others'
    (the office's default language first), each once, so that every visitor finds theirs."""
    lines = (notices or {}).get("ticker") or {}
    order = [language, default_language, *LANGUAGES]
    texts: list[str] = []
    for lang in order:
        text = lines.get(lang)
        if text and text not in texts:
            texts.append(text)
    return "  •  ".join(texts)

"""Translations: gettext catalogs (okienko/locale/<lang>/LC_MESSAGES/messages.po), each read when
its language is first asked for.

Message ids are English. Every user-facing string goes through here: API error messages,
pages, printed tickets. Every shipped language's catalog is complete (a test checks): Polish, English,
Ukrainian, Russian, Belarusian, Vietnamese, Hindi, Georgian and Turkish, the languages of the people who
come to a Polish foreigners' department, most numerous first after Polish and English.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: dict[str, str] = {
    "pl": "Polski", "en": "English", "uk": "Українська", "ru": "Русский", "be": "Беларуская",
    "vi": "Tiếng Việt", "hi": "हिन्दी", "ka": "ქართული", "tr": "Türkçe",
}
# An office's own texts (service names, what to bring, notices) must be given in these; in any other
# language a missing text is shown in English, then Polish (see `text_in`).
REQUIRED_TEXT_LANGUAGES = ("pl", "en")
DOMAIN = "messages"

current_language: contextvars.ContextVar[str] = contextvars.ContextVar("okienko_language", default="pl")



def _(message: str) -> str:
    """Mark a string for extraction where it is defined; it is translated where it is shown."""
    return message


# Words that appear inside messages and need translating themselves.
STATUS_LABELS = {
    "waiting": _("waiting"), "called": _("called"), "serving": _("being served"), "done": _("done"),
    "no_show": _("marked as not present"), "transferred": _("transferred"), "cancelled": _("cancelled"),
}
# A JSON type expected of a field (`wrong_type`), as named to the caller.
TYPE_LABELS = {
    "string": _("text"), "boolean": _("true or false"), "array": _("a list"), "object": _("an object"),
    "integer": _("a whole number"), "number": _("a number"), "null": _("null"),
}
ACTION_LABELS = {
    "call": _("called"), "recall": _("called again"), "start": _("started"), "finish": _("finished"),
    "no_show": _("marked as not present"), "transfer": _("transferred"), "cancel": _("cancelled"),
}


def text_in(texts: dict[str, str] | None, language: str, *fallbacks: str) -> str:
    """An office's own text (a service's name, an event's title, a notice) in `language`: its own if
    given, else the first of `fallbacks` given (e.g. the office's default language), else English, else
    Polish, else any. The one rule for every text a manager writes per language."""
    texts = texts or {}
    for code in (language, *fallbacks, "en", "pl"):
        if texts.get(code):
            return texts[code]
    return next((text for text in texts.values() if text), "")


@functools.lru_cache(maxsize=128)
def language_names(language: str) -> dict[str, str]:
    """Each of LANGUAGES by its name in `language`, as CLDR gives it through Babel ("uk": "Ukrainian"
    in English, "ukraiński" in Polish), for a page that names a visitor's language to staff; a
    visitor picks their own by LANGUAGES' own names."""
    from babel import Locale   # Babel's locale data only when a name is first asked for

    reader = Locale.parse(language)
    return {code: Locale.parse(code).get_display_name(reader) or name for code, name in LANGUAGES.items()}


# Languages whose dates CLDR's long forms write as their readers do; the others' long forms add an
# abbreviation ("2026 г.") or put the month first (English), so they take "d MMMM y".
_CLDR_DAY_ORDER = frozenset({"vi", "ka", "tr"})


@functools.lru_cache(maxsize=4096)
def format_day(day: date, language: str, *, weekday: bool = False) -> str:
    """A day as a visitor reads it, never as "2026-12-24": "24 grudnia 2026", "24 грудня 2026",
    "24 декабря 2026", "24 December 2026" (the month in the genitive where the language wants it,
    as CLDR says through Babel); with `weekday`, "czwartek, 24 grudnia 2026". The one place every
    message (email, SMS, page, error) gets its dates from."""
    from babel.dates import format_date   # Babel's date data only when a date is first written

    day = day.date() if isinstance(day, datetime) else day
    if language in _CLDR_DAY_ORDER:   # the language's own order: "24 tháng 12, 2026", "24 Aralık 2026 Perşembe"
        return format_date(day, "full" if weekday else "long", locale=language)
    return format_date(day, "EEEE, d MMMM y" if weekday else "d MMMM y",
                       locale=language if language in LANGUAGES else "en")



@functools.lru_cache(maxsize=32)
def date_names(language: str) -> dict[str, list[str]]:
    """The abbreviated month names (January first) and weekday names (Sunday first, as JavaScript
    counts) of `language`, from CLDR through Babel, for pages whose browser has no date data of the
    language (Chromium's own ICU has none for Belarusian or Georgian; back_office/static/admin.js)."""
    from babel.dates import get_day_names, get_month_names

    locale = language if language in LANGUAGES else "en"
    months = get_month_names("abbreviated", "format", locale=locale)
    days = get_day_names("abbreviated", "format", locale=locale)   # 0 = Monday
    return {"months": [months[number] for number in range(1, 13)],
            "weekdays": [days[(number + 6) % 7] for number in range(7)]}


def format_moment(moment: datetime, language: str) -> str:
    """A local wall time with its day: "24 grudnia 2026, 10:00" (24-hour clock in every language)."""
    return f"{format_day(moment.date(), language)}, {moment.strftime('%H:%M')}"


class Translator:
    """All catalogs, each compiled in memory once, when its language is first asked for: reading
    and compiling the four .po files took a tenth of a second of every server start."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._locale_dir = locale_dir
        self._catalogs: dict[str, gettext.NullTranslations] = {}

    def _catalog(self, language: str) -> gettext.NullTranslations:
        if language not in LANGUAGES:
            language = "en"
        catalog = self._catalogs.get(language)
        if catalog is None:   # two threads may both compile it: the same catalog, either one kept
            path = self._locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            catalog = self._catalogs[language] = _compile(path) if path.exists() else gettext.NullTranslations()
        return catalog

    def gettext(self, language: str, message: str) -> str:
        return self._catalog(language).gettext(message)

    def ngettext(self, language: str, singular: str, plural: str, count: int) -> str:
        return self._catalog(language).ngettext(singular, plural, count)

    def format(self, language: str, message: str, **params: Any) -> str:
        """Translate `message` and fill in `{name}` parameters (status/action words translated too)."""
        for key, labels in (("status", STATUS_LABELS), ("action", ACTION_LABELS)):
            if key in params and params[key] in labels:
                params[key] = self.gettext(language, labels[params[key]])
        if isinstance(params.get("expected"), tuple):   # JSON types, each named in the language
            params["expected"] = ", ".join(self.gettext(language, TYPE_LABELS.get(kind, kind))
                                           for kind in params["expected"])
        for key, value in params.items():   # a day in words, in the message's language
            if isinstance(value, datetime):
                params[key] = format_moment(value, language)
            elif isinstance(value, date):
                params[key] = format_day(value, language)
        if isinstance(params.get("detail"), str):  # details are msgids too, where they come from us
            params["detail"] = self.gettext(language, params["detail"])
        if isinstance(params.get("detail"), tuple):   # (msgid, its parameters): e.g. an office file's mistake
            message_id, arguments = params["detail"]
            params["detail"] = self.format(language, message_id, **arguments)
        return self.gettext(language, message).format(**params)

    # Jinja's i18n extension calls these with the language of the page being rendered.
    def jinja_gettext(self, message: str, **params: Any) -> str:
        text = self.gettext(current_language.get(), message)
        return text % params if params else text

    def jinja_ngettext(self, singular: str, plural: str, count: int, **params: Any) -> str:
        text = self.ngettext(current_language.get(), singular, plural, count)
        return text % {"num": count, **params}


def _compile(path: Path) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(explicit: str | None, accept_language: str | None, default: str) -> str:
    """The language to answer in: an explicit choice, else the best of Accept-Language, else default."""
    if explicit:
        code = explicit.strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    if accept_language:
        weighted = []
        for part in accept_language.split(","):
            piece, _sep, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            weighted.append((weight, piece.strip().lower().split("-")[0]))
        for _weight, code in sorted(weighted, key=lambda item: -item[0]):
            if code in LANGUAGES:
                return code
    return default

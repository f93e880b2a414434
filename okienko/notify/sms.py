"""SMS texts and the gateway's request: how many parts a text costs, and the request an office's
gateway expects, built from the settings (no code per gateway).

A text goes as GSM-7 when every character is in the GSM 03.38 alphabet (160 characters in one SMS,
153 a part when longer; ^ { } [ ] ~ \\ | € take two), else as UCS-2 (70, or 67 a part): one Polish
letter or any Cyrillic makes the whole text UCS-2. A Polish text is therefore sent without its
diacritics (ą -> a, ł -> l) when that is what fits it in fewer parts: readers of Polish SMS are used to
it, and a reminder that costs one SMS instead of three is sent to everyone. Cyrillic stays as it is.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

# GSM 03.38 basic alphabet (one septet each) and its extension table (two septets: escape + char).
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                 "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")
_FOLD = str.maketrans({"ł": "l", "Ł": "L"})   # the one Polish letter NFD does not take apart


@dataclass(frozen=True)
class Segments:
    encoding: str   # "GSM-7" | "UCS-2"
    parts: int
    units: int      # septets (GSM-7) or UTF-16 code units (UCS-2)


def segments(text: str) -> Segments:
    """How the text goes and how many SMS it takes (a concatenated SMS loses 7 septets or 3 characters
    a part to its header)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        return Segments("GSM-7", 1 if units <= 160 else -(-units // 153), units)
    units = len(text.encode("utf-16-le")) // 2
    return Segments("UCS-2", 1 if units <= 70 else -(-units // 67), units)


def for_sms(text: str) -> str:
    """The text as it is sent: narrow and no-break spaces (dates, times) as plain ones, and without
    Latin diacritics where that makes it GSM-7 in fewer parts."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    plain = _fold_latin(text)
    if plain != text and segments(plain).encoding == "GSM-7" and segments(plain).parts < segments(text).parts:
        return plain
    return text


def _fold_latin(text: str) -> str:
    out = []
    for char in text.translate(_FOLD):
        base = unicodedata.normalize("NFD", char)
        if len(base) > 1 and base[0].isascii() and all(unicodedata.combining(mark) for mark in base[1:]):
            out.append(base[0])
        else:
            out.append(char)
    return "".join(out)


def request_body(template: str, content_type: str, *, to: str, text: str, message_id: str) -> str:
    """The gateway's request body: `template` with {to}, {text} and {id} put in, each encoded for the
    content type (a JSON string with its quotes; form-encoded; else as it is)."""
    def encoded(value: str) -> str:
        if "json" in content_type:
            return json.dumps(value, ensure_ascii=False)
        if "x-www-form-urlencoded" in content_type:
            return quote(value, safe="")
        return value

    values = {"{to}": encoded(to), "{text}": encoded(text), "{id}": encoded(message_id)}
    body, rest = "", template
    while rest:   # one pass, so a placeholder inside a value is never replaced again
        at = min(((rest.find(key), key) for key in values if key in rest), default=None)
        if at is None:
            return body + rest
        body += rest[:at[0]] + values[at[1]]
        rest = rest[at[0] + len(at[1]):]
    return body

"""Turn a :class:`TicketSlip` into the ESC/POS bytes of one printed ticket.

Guarantees of :func:`render_ticket`:

* the bytes start with ``ESC @`` (printer reset) and end with exactly one cut
  (``GS V``) on every profile that has a cutter;
* every character is printed as itself: text goes through python-escpos' magic
  encoding, which emits an ``ESC t n`` code-page switch chosen from the printer
  profile for each run of characters; a line holding any character that no code
  page of the profile can encode is drawn as a raster image (``GS v 0``) instead,
  so a ticket never shows ``?`` in place of a letter;
* the ticket number is printed at four times the normal width and height (less
  only when a very long number would not fit the paper);
* a detail line ("label: value", often twice: "People ahead: 4 / Przed Tobą: 4") never breaks
  between a label and its value: whole pairs are wrapped, each on a row of its own when they do
  not fit side by side, and a pair wider than a row breaks only inside its label;
* the QR code holds ``track_url``: as a native ``GS ( k`` symbol when the profile
  supports it, otherwise as an image.

Lines drawn as images (every line that holds a letter of a script no code page has: Georgian,
Devanagari; and every Vietnamese line, see :func:`can_print_as_text`) are drawn with the first font
that holds every character of the line (:func:`printers.fonts.font_for`: the ``font_path``
argument, DejaVu Sans, then Noto Sans Devanagari from the PyPI package), shaped by HarfBuzz through
Pillow's Raqm layout (Devanagari's conjuncts and vowel signs), so a line never shows a box in
place of a letter. Without any font file, Pillow's built-in font draws boxes for everything but
ASCII: install ``fonts-dejavu-core`` on kiosk and server machines.
"""

from __future__ import annotations

import functools
import logging
import re
import textwrap
import unicodedata
from pathlib import Path
from typing import Callable

from escpos.capabilities import CAPABILITIES
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont, features

from printers import fonts
from printers.slip import TicketSlip

logger = logging.getLogger(__name__)

TicketFont = ImageFont.ImageFont | ImageFont.FreeTypeFont


NUMBER_SCALE = 4  # width and height multiplier of the ticket number
QR_MODULE_DOTS = 6  # printer dots per QR module: about 0.85 mm at 180 dpi
FONT_A_DOTS = (12, 24)  # width and height of one character of the printer's font A
FALLBACK_PAPER_DOTS = 384  # 58 mm paper, when neither the profile nor the caller says

# python-escpos sends these as GB18030 bytes whatever the profile, so they are drawn instead.
_HAN_CHARACTERS = re.compile(r"[\u4e00-\u9fa5]")
# Vietnamese letters (horned o and u; the letters with a tone mark, stacked on another mark or not):
# TCVN-3, the only code pages that hold them, are missing from most printers' firmware, and a missing
# page prints other letters without a word of warning; an image shows them on every printer.
_VIETNAMESE_LETTERS = re.compile(r"[\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")
# Caller text must never smuggle printer commands (ESC, GS, ...) onto the slip.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Between the same line in the visitor's language and in Polish (okienko/hall/printing.py).
PAIR_SEPARATOR = " / "
_NO_BREAK = "\u00a0"   # glues a pair's value to its label while wrapping; printed as a space


def render_ticket(
    slip: TicketSlip,
    profile: str = "TM-T88V",
    *,
    qr_native: bool | None = None,
    width_chars: int | None = None,
    font_path: str | Path | None = None,
) -> bytes:
    """Return the complete ESC/POS job for one ticket on a printer of ``profile``.

    ``profile`` is a python-escpos printer profile name ("TM-T88V", "TM-T20II", ...);
    ``qr_native`` forces the QR code to be native (True) or an image (False);
    ``width_chars`` overrides the profile's characters per line (font A);
    ``font_path`` is a TrueType font tried first for lines drawn as images (then printers/fonts.py's chain).
    Raises ValueError for an unknown profile.
    """
    printer = _ticket_printer(profile)
    columns = width_chars or printer.profile.get_columns("a")
    paper_dots = _paper_dots(printer, width_chars)
    _declare_paper_width(printer, paper_dots)
    ticket = _TicketWriter(printer, columns, paper_dots, font_path)
    printer.hw("INIT")
    printer.set(align="center")
    ticket.line(slip.office_name, bold=True, scale=(1, 2))
    printer.ln()
    ticket.line(slip.number, bold=True, scale=_number_scale(slip.number, columns))
    if slip.priority_label:
        ticket.line(slip.priority_label, bold=True, scale=(1, 2))
    printer.ln()
    for service_line in slip.service_lines:
        ticket.line(service_line, bold=True)
    printer.ln()
    for detail_line in (slip.issued_line, slip.ahead_line, slip.wait_line):
        ticket.line(detail_line, pairs=True)
    _print_qr(printer, slip.track_url, _wants_native_qr(printer, qr_native))
    for footer_line in slip.footer_lines:
        ticket.line(footer_line)
    printer.cut()  # feeds the ticket past the cutter first
    return printer.output


def can_print_as_text(printer: Escpos, text: str) -> bool:
    """True if every character of ``text`` is in some code page of the printer's profile (Vietnamese
    letters never are: they are drawn, see ``_VIETNAMESE_LETTERS``)."""
    if _HAN_CHARACTERS.search(text) or _VIETNAMESE_LETTERS.search(text):
        return False
    encoder = printer.magic.encoder
    return all(
        ord(character) < 128
        or any(encoder.can_encode(code_page, character) for code_page in encoder.codepages)
        for character in text
    )


def load_ticket_font(size: int, font_path: str | Path | None = None, text: str = "", *,
                     bold: bool = False) -> TicketFont:
    """The font that draws ``text`` in a line drawn as an image: the first of
    :func:`printers.fonts.font_chain` (``font_path`` first) that holds every character of it; with
    ``bold``, its bold face (a variable font's weight 700, or the bold file beside it) where it has one
    with those characters, as the printer's own bold prints a line sent as text."""
    path = fonts.font_for(text, font_path)
    return _load_font(size, path, _bold_face(path, text) if bold and path else None)


class _TicketWriter:
    """Prints one logical line of a ticket as text, or as an image when text cannot show it."""

    def __init__(self, printer: Dummy, columns: int, paper_dots: int, font_path: str | Path | None):
        self.printer = printer
        self.columns = columns
        self.paper_dots = paper_dots
        self.font_path = font_path
        self.bold = False  # ESC @ starts every ticket in regular weight
        self.scale = (1, 1)  # and normal size

    def line(self, text: str, *, bold: bool = False, scale: tuple[int, int] = (1, 1), pairs: bool = False) -> None:
        """``pairs``: the line is "label: value" pairs (see :func:`pair_rows`)."""
        text = _printable(text)
        if not text:
            return
        if can_print_as_text(self.printer, text):
            self._as_text(text, bold, scale, pairs)
        else:
            self._as_image(text, bold, scale, pairs)

    def _as_text(self, text: str, bold: bool, scale: tuple[int, int], pairs: bool) -> None:
        self._style(bold, scale)
        width = max(1, self.columns // scale[0])

        def wrap(words: str) -> list[str]:
            return textwrap.wrap(words, width, break_on_hyphens=False)

        for piece in pair_rows(text, lambda row: len(row) <= width, wrap) if pairs else wrap(text):
            self.printer.textln(piece)
        self._style(False, (1, 1))

    def _style(self, bold: bool, scale: tuple[int, int]) -> None:
        """Send bold and size commands only when they change."""
        if bold != self.bold:
            self.printer.set(bold=bold)
            self.bold = bold
        if scale != self.scale:
            self.printer.set(custom_size=True, width=scale[0], height=scale[1])
            self.scale = scale

    def _as_image(self, text: str, bold: bool, scale: tuple[int, int], pairs: bool) -> None:
        font = load_ticket_font(FONT_A_DOTS[1] * scale[1], self.font_path, text, bold=bold)

        def wrap(words: str) -> list[str]:
            return _wrap_to_dots(words, font, self.paper_dots)

        def fits(row: str) -> bool:
            return font.getlength(row) <= self.paper_dots

        rows = pair_rows(text, fits, wrap) if pairs else wrap(text)
        self.printer.image(_text_image(rows, font, self.paper_dots), impl="bitImageRaster")


def pair_rows(text: str, fits: Callable[[str], bool], wrap: Callable[[str], list[str]]) -> list[str]:
    """The rows of a line of "label: value" pairs (joined by " / "), never breaking a pair's label
    from its value: pairs side by side while they fit, else each pair on rows of its own; a pair
    wider than a row is wrapped with its value and the label's last word kept together."""
    if fits(text):
        return [text]
    rows: list[str] = []
    current = ""
    for pair in text.split(PAIR_SEPARATOR):
        together = f"{current}{PAIR_SEPARATOR}{pair}" if current else pair
        if fits(together):
            current = together
            continue
        if current:
            rows.append(current)
            current = ""
        if fits(pair):
            current = pair
        else:
            rows.extend(row.replace(_NO_BREAK, " ") for row in wrap(_glued(pair)))
    if current:
        rows.append(current)
    return rows


def _glued(pair: str) -> str:
    """"Szacowany czas oczekiwania: około 25 min" with no break allowed in "oczekiwania: około 25 min"."""
    label, colon, value = pair.partition(": ")
    if not colon or not value:
        return pair
    head, _space, last = label.rpartition(" ")
    kept = f"{last}:{_NO_BREAK}{value}".replace(" ", _NO_BREAK)
    return f"{head} {kept}" if head else kept


def _ticket_printer(profile: str) -> Dummy:
    if profile not in CAPABILITIES["profiles"]:
        raise ValueError(f"unknown printer profile {profile!r}; see python-escpos' capabilities for names")
    return Dummy(profile=profile)


def _paper_dots(printer: Escpos, width_chars: int | None) -> int:
    """Printable width in dots: the profile's, narrowed to ``width_chars`` characters of font A if given."""
    pixels = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    known = pixels if isinstance(pixels, int) else None
    if width_chars:
        wanted = width_chars * FONT_A_DOTS[0]
        return min(wanted, known) if known else wanted
    if known:
        return known
    return printer.profile.get_columns("a") * FONT_A_DOTS[0] or FALLBACK_PAPER_DOTS


def _declare_paper_width(printer: Escpos, paper_dots: int) -> None:
    """Tell this printer object's profile (only this one) the paper width.

    python-escpos checks images against it and prints a notice on stdout when a
    profile does not know it ("default"); the class-wide profile data stays untouched.
    """
    profile_data = dict(printer.profile.profile_data)
    profile_data["media"] = {**profile_data.get("media", {}), "width": {"pixels": paper_dots}}
    printer.profile.profile_data = profile_data


def _number_scale(number: str, columns: int) -> tuple[int, int]:
    fitting = max(1, min(NUMBER_SCALE, columns // max(1, len(number))))
    return (fitting, NUMBER_SCALE)


def _printable(text: str) -> str:
    """NFC text with control characters turned into spaces (Polish letters stay one character)."""
    return _CONTROL_CHARACTERS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _wants_native_qr(printer: Escpos, qr_native: bool | None) -> bool:
    if qr_native is not None:
        return qr_native
    return bool(printer.profile.supports("qrCode"))


def _print_qr(printer: Dummy, track_url: str, native: bool) -> None:
    printer.set(align="center")
    printer.ln()
    if native:
        printer.qr(track_url, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, native=True)
        printer.ln()
    else:
        # The image is centred by the printer (ESC a 1 set above), not padded here.
        printer.qr(track_url, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, native=False)


def _text_image(rows: list[str], font: TicketFont, paper_dots: int) -> Image.Image:
    """Draw ``rows`` centred, one under another, on a white strip as wide as the paper."""
    ascent, descent = _font_metrics(font)
    row_height = ascent + descent + 4
    image = Image.new("L", (paper_dots, row_height * len(rows) + 4), 255)
    drawing = ImageDraw.Draw(image)
    for index, row in enumerate(rows):
        left = max(0, (paper_dots - int(font.getlength(row))) // 2)
        drawing.text((left, 2 + index * row_height), row, font=font, fill=0)
    return image


def _wrap_to_dots(text: str, font: TicketFont, paper_dots: int) -> list[str]:
    rows: list[str] = []
    current = ""
    for word in text.split(" "):   # only plain spaces: a no-break space keeps its words together
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= paper_dots:
            current = candidate
            continue
        if current:
            rows.append(current)
        current = ""
        for character in word:  # a word wider than the paper is broken anywhere
            if current and font.getlength(current + character) > paper_dots:
                rows.append(current)
                current = ""
            current += character
    if current:
        rows.append(current)
    return rows


def _font_metrics(font: TicketFont) -> tuple[int, int]:
    if isinstance(font, ImageFont.FreeTypeFont):
        return font.getmetrics()
    left, top, right, bottom = font.getbbox("Ag")
    return bottom, 0


_VARIABLE_BOLD = "variable"   # _load_font's bold: set the weight axis of the font itself


def _bold_face(path: str, text: str) -> str | None:
    if fonts.is_variable(path):
        return _VARIABLE_BOLD
    bold = fonts.bold_sibling(path)
    needed = {ord(character) for character in text} - {ord(" "), 0xA0}
    return bold if bold and needed <= fonts.characters_of(bold) else None


@functools.lru_cache(maxsize=32)
def _load_font(size: int, font_path: str | None, bold: str | None = None) -> TicketFont:
    """``bold``: None (regular), a bold font file, or _VARIABLE_BOLD."""
    if font_path:
        try:
            font = ImageFont.truetype(bold if bold and bold != _VARIABLE_BOLD else font_path, size,
                                      layout_engine=_layout_engine())
        except OSError:
            logger.warning("ticket font %s cannot be loaded", font_path)
        else:
            if bold == _VARIABLE_BOLD:
                font.set_variation_by_axes([700.0 if _is_weight(axis) else float(axis["default"])
                                            for axis in font.get_variation_axes()])
            return font
    logger.warning("no TrueType font found: letters beyond ASCII in images will be boxes")
    return ImageFont.load_default(size=size)


def _is_weight(axis: dict) -> bool:
    name = axis.get("name", b"")
    return (name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)).lower() in ("weight", "wght")


@functools.cache
def _layout_engine() -> ImageFont.Layout:
    """Raqm (HarfBuzz shaping: Devanagari's conjuncts and vowel signs), which Pillow's wheels carry;
    it needs the system's FriBiDi library (Debian: libfribidi0). Without it, letters are drawn one by
    one: readable for Latin, Cyrillic and Georgian, not for Devanagari, so it is logged."""
    if features.check("raqm"):
        return ImageFont.Layout.RAQM
    logger.warning("Pillow has no Raqm layout (install libfribidi0): Devanagari lines are drawn unshaped")
    return ImageFont.Layout.BASIC

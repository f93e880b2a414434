"""The fonts that draw what no code page holds: for ticket lines printed as images, and for the pages
(served by the app, okienko_server/web_fonts.py).

Guarantees:

* :func:`font_for` returns the first font of :func:`font_chain` whose character map holds every
  character of a text, so a line drawn with it shows no box ("tofu") in place of a letter; when no
  font holds them all, the one that holds the most, and a warning;
* :func:`script_font` returns the font the pages are given for a script that a visitor's device may
  lack (Devanagari, Georgian).

The chain, first found first: the caller's font, then the system fonts (DejaVu Sans, from Debian's
``fonts-dejavu-core``: Latin with Polish, Turkish and Vietnamese, Cyrillic, Georgian; then Liberation
Sans, Arial), then Noto Sans Devanagari (SIL Open Font License 1.1), which the PyPI package
``fontpkg-noto-sans-devanagari`` installs with Okienko, then Debian's Noto fonts where installed
(``fonts-noto-core``: Georgian on a machine without DejaVu).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SYSTEM_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
)
# Debian's fonts-noto-core, if a machine has it: after the packaged font, before nothing.
NOTO_SYSTEM_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansGeorgian-Regular.ttf",
)
# Characters that shape text without being drawn: a font need not map them.
_INVISIBLE = frozenset(" \u00a0\u200c\u200d")


@dataclass(frozen=True)
class Script:
    """A script the pages serve a font for: its CSS family name, the characters it is used for (CSS
    ``unicode-range``, so Latin text keeps the page's own font) and letters every font for it has."""

    name: str
    family: str
    ranges: tuple[tuple[int, int], ...]
    sample: str

    @property
    def unicode_range(self) -> str:
        """The CSS ``unicode-range`` value: ``U+0900-097F, U+1CD0-1CFF, ...``."""
        return ", ".join(f"U+{start:04X}-{end:04X}" if end != start else f"U+{start:04X}"
                         for start, end in self.ranges)

    def codepoints(self) -> list[int]:
        return [code for start, end in self.ranges for code in range(start, end + 1)]


SCRIPTS: tuple[Script, ...] = (
    # Devanagari, its extensions, the joiners that choose a conjunct's form (which must be shaped in
    # the same font as the letters around them), the rupee sign and the dotted circle.
    Script("devanagari", "Okienko Devanagari",
           ((0x0900, 0x097F), (0x1CD0, 0x1CFF), (0x200C, 0x200D), (0x20B9, 0x20B9), (0x25CC, 0x25CC),
            (0xA8E0, 0xA8FF)),
           "हिन्दी क्ष"),
    # Georgian (Mkhedruli, Asomtavruli, Mtavruli capitals, Nuskhuri).
    Script("georgian", "Okienko Georgian", ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)), "ქართული"),
)


def font_chain(font_path: str | Path | None = None) -> tuple[str, ...]:
    """Every font file found on this machine, in the order they are tried (module docstring)."""
    return tuple(path for path in (str(font_path) if font_path else None, *_installed_chain()) if path)


def font_for(text: str, font_path: str | Path | None = None) -> str | None:
    """The first font of the chain that maps every character of ``text``; the one mapping the most
    when none maps them all; None when this machine has no font file at all."""
    needed = {ord(character) for character in text if character not in _INVISIBLE}
    best, best_missing = None, len(needed) + 1
    for path in font_chain(font_path):
        missing = len(needed - characters_of(path))
        if missing == 0:
            return path
        if missing < best_missing:
            best, best_missing = path, missing
    if best is not None:
        logger.warning("no font holds every character of a ticket line; %d drawn as boxes", best_missing)
    return best


def script_font(script: Script) -> str | None:
    """The font the pages are given for ``script``: the first of the chain with its sample letters."""
    needed = {ord(character) for character in script.sample if character not in _INVISIBLE}
    return next((path for path in font_chain() if needed <= characters_of(path)), None)


def bold_sibling(path: str) -> str | None:
    """The bold face beside a font file (DejaVuSans-Bold.ttf beside DejaVuSans.ttf), if there is one."""
    font = Path(path)
    bold = font.with_name(f"{font.stem.removesuffix('-Regular')}-Bold{font.suffix}")
    return str(bold) if bold.is_file() else None


@functools.lru_cache(maxsize=16)
def is_variable(path: str) -> bool:
    """Whether a font file draws every weight itself (an OpenType variable font: Noto Sans Devanagari)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return "fvar" in font
    except (OSError, TTLibError):
        return False


@functools.lru_cache(maxsize=16)
def characters_of(path: str) -> frozenset[int]:
    """The characters a font file maps to a glyph of its own (its best ``cmap``); empty if unreadable."""
    from fontTools.ttLib import TTFont, TTLibError   # with the first line drawn, not at import

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError):
        logger.warning("font %s cannot be read", path)
        return frozenset()


@functools.cache
def _installed_chain() -> tuple[str, ...]:
    candidates = (*SYSTEM_FONT_PATHS, *packaged_fonts(), *NOTO_SYSTEM_PATHS)
    return tuple(dict.fromkeys(path for path in candidates if Path(path).is_file()))


def packaged_fonts() -> tuple[str, ...]:
    """The font files that Okienko's PyPI dependencies install (Noto Sans Devanagari)."""
    try:
        import fontpkg_noto_sans_devanagari as devanagari
    except ImportError:   # an install without it: Devanagari lines are drawn as boxes, and logged
        return ()
    return tuple(str(path) for path in sorted((Path(devanagari.ROOT) / "files").glob("*.ttf")))

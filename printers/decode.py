"""Read ESC/POS bytes back into what the paper shows: text, QR contents, images, cuts.

Used by the tests and by a future ticket preview. Text is decoded the way the
printer would: bytes 0x20-0x7E are ASCII, bytes 0x80-0xFF go through the code page
selected by the last ``ESC t n``, where ``n`` is looked up in the profile's code-page
table from python-escpos' capabilities data (the same table python-escpos uses to
choose ``n`` when it prints). ``ESC @`` returns to code page 0, as a printer does.

Every command python-escpos emits is skipped by its real length; an unknown or
truncated command raises :class:`DecodeError` instead of being read as text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from escpos.capabilities import CAPABILITIES

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, FF, HT = 0x0A, 0x0C, 0x09
UNDECODABLE = "\ufffd"

# Commands of fixed length: the byte after ESC / GS -> number of parameter bytes.
_ESC_PARAMETERS = {
    b"@": 0, b"2": 0, b"<": 0, b"L": 0, b"S": 0, b"i": 0, b"m": 0,
    b"!": 1, b"-": 1, b"3": 1, b"+": 1, b"A": 1, b"E": 1, b"G": 1, b"J": 1, b"K": 1,
    b"M": 1, b"R": 1, b"T": 1, b"U": 1, b"V": 1, b"a": 1, b"d": 1, b"e": 1, b"r": 1,
    b"t": 1, b"{": 1, b"=": 1, b" ": 1, b"%": 1,
    b"$": 2, b"\\": 2, b"?": 2, b"B": 2, b"c": 2,
    b"p": 3,
    b"W": 8,
}
_GS_PARAMETERS = {
    b":": 0,
    b"!": 1, b"B": 1, b"H": 1, b"I": 1, b"T": 1, b"a": 1, b"b": 1, b"f": 1, b"h": 1,
    b"r": 1, b"w": 1, b"|": 1,
    b"$": 2, b"L": 2, b"P": 2, b"W": 2, b"\\": 2,
}
_FS_PARAMETERS = {b".": 0, b"&": 0, b"!": 1, b"-": 1, b"C": 1, b"W": 1, b"S": 2, b"p": 2}
_CUT_WITH_FEED = {65, 66, 97, 98, 103, 104}  # GS V m n; other modes are GS V m
_PARTIAL_CUTS = {b"i", b"m"}  # ESC i / ESC m: the older cut commands


@dataclass(frozen=True)
class RasterImage:
    """One ``GS v 0`` image as the printer receives it: ``width`` dots (a multiple of 8), ``height``
    rows, ``bits`` row after row, most significant bit first, 1 = a black dot."""

    width: int
    height: int
    bits: bytes

    def inked_dots(self) -> int:
        """How many dots the printer burns black."""
        return sum(byte.bit_count() for byte in self.bits)

    def to_image(self):  # -> PIL.Image.Image, black on white: to look at (a PNG) or compare
        from PIL import Image, ImageOps

        return ImageOps.invert(Image.frombytes("1", (self.width, self.height), self.bits).convert("L"))


class DecodeError(ValueError):
    """The bytes hold a command this decoder does not know, or end inside a command."""


@dataclass
class DecodedSlip:
    """What a printer would put on paper for the decoded bytes."""

    text: str = ""  # all printed text, "\n" where the paper advances a line
    lines: list[str] = field(default_factory=list)  # the non-blank printed lines, right-stripped
    qr_data: list[str] = field(default_factory=list)  # contents of each printed native QR code
    images: int = 0  # raster images printed (GS v 0, GS ( L, a run of ESC * stripes)
    cuts: int = 0  # paper cuts (GS V, ESC i, ESC m)
    code_pages: list[str] = field(default_factory=list)  # code page names from each ESC t, in order
    large_text: list[tuple[str, int, int]] = field(default_factory=list)  # (line, width x, height x) above 1x1
    image_sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) in dots, per image
    raster_images: list[RasterImage] = field(default_factory=list)  # the GS v 0 images, in order


def decode(data: bytes, profile: str = "TM-T88V") -> DecodedSlip:
    """Decode ESC/POS ``data`` as printed by a printer of python-escpos profile ``profile``."""
    return _Decoder(data, code_page_table(profile)).run()


@functools.lru_cache(maxsize=None)
def code_page_table(profile: str) -> dict[int, tuple[str, str]]:
    """``ESC t n`` -> (code page name, its 128 characters for bytes 0x80-0xFF) for ``profile``."""
    if profile not in CAPABILITIES["profiles"]:
        raise ValueError(f"unknown printer profile {profile!r}")
    pages = CAPABILITIES["profiles"][profile]["codePages"]
    return {int(number): (name, _upper_half(name)) for number, name in pages.items()}


@functools.lru_cache(maxsize=None)
def _upper_half(code_page: str) -> str:
    """Characters of bytes 0x80-0xFF, built the way python-escpos' encoder builds them."""
    description = CAPABILITIES["encodings"].get(code_page, {})
    if "data" in description:
        return "".join(description["data"])
    codec = description.get("python_encode")
    if not codec:
        return UNDECODABLE * 128
    characters = []
    for byte in range(0x80, 0x100):
        try:
            characters.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            characters.append(UNDECODABLE)
    return "".join(characters)


class _Decoder:
    def __init__(self, data: bytes, code_pages: dict[int, tuple[str, str]]):
        self.data = data
        self.position = 0
        self.code_pages = code_pages
        self.slip = DecodedSlip()
        self.upper_half = self._page(0)[1]
        self.scale = (1, 1)
        self.line: list[str] = []
        self.line_scale = (1, 1)
        self.printed: list[str] = []
        self.pending_qr: str | None = None
        self.in_column_image = False

    def run(self) -> DecodedSlip:
        while self.position < len(self.data):
            byte = self.data[self.position]
            self.position += 1
            if byte not in (LF, ESC):
                self.in_column_image = False
            self._dispatch(byte)
        if self.line:
            self._end_line()
        self.slip.text = "".join(self.printed)
        self.slip.lines = [line.rstrip() for line in self.slip.text.split("\n") if line.strip()]
        return self.slip

    def _dispatch(self, byte: int) -> None:
        if byte == ESC:
            self._esc()
        elif byte == GS:
            self._gs()
        elif byte == DLE:
            self._dle()
        elif byte == FS:
            self._fs()
        elif byte in (LF, FF):
            self._end_line()
        elif byte == HT:
            self._character("\t")
        elif 0x20 <= byte < 0x7F:
            self._character(chr(byte))
        elif byte >= 0x80:
            self._character(self.upper_half[byte - 0x80])
        # other control bytes (CR, NUL, BEL, ...) print nothing

    # -- text ---------------------------------------------------------------
    def _character(self, character: str) -> None:
        self.line.append(character)
        self.line_scale = max(self.line_scale, self.scale)

    def _end_line(self) -> None:
        text = "".join(self.line)
        if text.strip() and self.line_scale != (1, 1):
            self.slip.large_text.append((text.rstrip(), *self.line_scale))
        self.printed.append(text + "\n")
        self.line, self.line_scale = [], (1, 1)

    def _page(self, number: int) -> tuple[str, str]:
        return self.code_pages.get(number, (f"unknown:{number}", UNDECODABLE * 128))

    def _select_code_page(self, number: int) -> None:
        name, self.upper_half = self._page(number)
        self.slip.code_pages.append(name)

    # -- reading parameters --------------------------------------------------
    def _take(self, count: int) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise DecodeError(f"bytes end inside a command at offset {self.position}")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def _take_until_nul(self) -> bytes:
        end = self.data.find(b"\x00", self.position)
        if end < 0:
            raise DecodeError(f"unterminated command at offset {self.position}")
        chunk = self.data[self.position : end]
        self.position = end + 1
        return chunk

    def _unknown(self, prefix: str, command: bytes) -> DecodeError:
        return DecodeError(f"unknown command {prefix} {command!r} at offset {self.position - 1}")

    # -- ESC ----------------------------------------------------------------
    def _esc(self) -> None:
        command = self._take(1)
        if command == b"*":
            self._column_image()
            return
        self.in_column_image = False
        if command == b"D":
            self._take_until_nul()  # tab positions
        elif command in _ESC_PARAMETERS:
            self._esc_fixed(command, self._take(_ESC_PARAMETERS[command]))
        else:
            raise self._unknown("ESC", command)

    def _esc_fixed(self, command: bytes, parameters: bytes) -> None:
        if command == b"@":
            self.upper_half = self._page(0)[1]
            self.scale = (1, 1)
        elif command == b"t":
            self._select_code_page(parameters[0])
        elif command == b"!":
            mode = parameters[0]
            self.scale = (2 if mode & 0x20 else 1, 2 if mode & 0x10 else 1)
        elif command == b"d":
            self._end_line()
            self.printed.append("\n" * max(0, parameters[0] - 1))
        elif command in _PARTIAL_CUTS:
            self.slip.cuts += 1

    def _column_image(self) -> None:
        mode, low, high = self._take(3)
        width = low + 256 * high
        self._take(width * (3 if mode in (32, 33) else 1))
        if not self.in_column_image:  # python-escpos sends one ESC * per 24-dot stripe
            self.slip.images += 1
            self.slip.image_sizes.append((width, 0))
        stripe_height = 24 if mode in (32, 33) else 8
        width, height = self.slip.image_sizes[-1]
        self.slip.image_sizes[-1] = (width, height + stripe_height)
        self.in_column_image = True

    # -- GS -----------------------------------------------------------------
    def _gs(self) -> None:
        command = self._take(1)
        if command == b"(":
            self._extended_function()
        elif command == b"v":
            self._raster_image()
        elif command == b"V":
            self._cut()
        elif command == b"k":
            self._barcode()
        elif command in _GS_PARAMETERS:
            parameters = self._take(_GS_PARAMETERS[command])
            if command == b"!":
                self.scale = ((parameters[0] >> 4) + 1, (parameters[0] & 0x0F) + 1)
        else:
            raise self._unknown("GS", command)

    def _extended_function(self) -> None:
        function_group, low, high = self._take(3)
        parameters = self._take(low + 256 * high)
        if function_group == ord("k") and parameters[:1] == b"1":
            self._qr_function(parameters)
        elif function_group == ord("L") and len(parameters) >= 2:
            self._graphics_function(parameters)

    def _qr_function(self, parameters: bytes) -> None:
        function = parameters[1:2]
        if function == b"P":  # store the data: cn fn m data
            self.pending_qr = parameters[3:].decode("utf-8", errors="replace")
        elif function == b"Q" and self.pending_qr is not None:  # print the stored symbol
            self.slip.qr_data.append(self.pending_qr)

    def _graphics_function(self, parameters: bytes) -> None:
        function = parameters[1]
        if function == ord("p") and len(parameters) >= 10:  # store raster graphics
            width = parameters[6] + 256 * parameters[7]
            height = parameters[8] + 256 * parameters[9]
            self.slip.image_sizes.append((width, height))
        elif function == ord("2"):  # print the stored graphics
            self.slip.images += 1

    def _raster_image(self) -> None:
        if self._take(1) != b"0":
            raise self._unknown("GS v", self.data[self.position - 1 : self.position])
        _mode, width_low, width_high, height_low, height_high = self._take(5)
        width_bytes = width_low + 256 * width_high
        height = height_low + 256 * height_high
        bits = self._take(width_bytes * height)
        self.slip.raster_images.append(RasterImage(width_bytes * 8, height, bits))
        self.slip.images += 1
        self.slip.image_sizes.append((width_bytes * 8, height))

    def _cut(self) -> None:
        mode = self._take(1)[0]
        if mode in _CUT_WITH_FEED:
            self._take(1)
        if self.line:
            self._end_line()
        self.slip.cuts += 1

    def _barcode(self) -> None:
        kind = self._take(1)[0]
        if kind <= 6:
            self._take_until_nul()
        else:
            self._take(self._take(1)[0])

    # -- DLE and FS ------------------------------------------------------------
    def _dle(self) -> None:
        command = self._take(1)
        if command in (b"\x04", b"\x05"):  # DLE EOT n, DLE ENQ n
            self._take(1)
        elif command == b"\x14":  # DLE DC4 fn m t
            self._take(3)
        else:
            raise self._unknown("DLE", command)

    def _fs(self) -> None:
        command = self._take(1)
        if command not in _FS_PARAMETERS:
            raise self._unknown("FS", command)
        self._take(_FS_PARAMETERS[command])

"""The script fonts every page may need, served by the app itself: a kiosk may be offline and have
DejaVu Sans alone (no Devanagari), and a phone may lack Georgian.

`/fonts/scripts.css` holds one `@font-face` per script of `printers.fonts.SCRIPTS` ("Okienko
Devanagari", "Okienko Georgian"), each with its `unicode-range`, so a browser fetches a font only for
a page that shows letters of its script, and Latin and Cyrillic text keep the page's own font; every
page's font stack names these families first (pages/static/okienko.css, kiosk.css, board.css).
`/fonts/<script>.ttf` is the font the printer draws that script with (`fonts.script_font`), with
its bold sibling (`<script>-bold.ttf`) where there is one: a font made for the script (Noto Sans
Devanagari, variable: every weight in one file) whole, a font for every script (DejaVu Sans) cut
down to the script's letters with fontTools. TrueType, sent gzip-compressed: WOFF2 would be about half the
size, but compressing Noto Sans Devanagari takes fontTools some eight seconds of CPU per process.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import io
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printers import fonts

CACHE = "public, max-age=86400"
_GENERAL_FONT_CHARACTERS = 1000   # a font mapping more characters is for every script: cut it down


@dataclass(frozen=True)
class Face:
    """One `@font-face`: a script's font file in one weight (CSS `font-weight`: "400", "700", or
    "100 900" for a variable font, which draws every weight itself)."""

    file: str        # served at /fonts/<file>.ttf
    script: fonts.Script
    path: str
    weight: str


def font_routes() -> list[Route]:
    return [
        Route("/fonts/scripts.css", font_faces, methods=["GET"]),
        Route("/fonts/{file}.ttf", script_font, methods=["GET"]),
    ]


async def font_faces(request: Request) -> Response:
    """The `@font-face` rules of the scripts this server has a font for."""
    return Response(_font_faces(), media_type="text/css; charset=utf-8", headers={"Cache-Control": CACHE})


async def script_font(request: Request) -> Response:
    face = next((face for face in faces() if face.file == request.path_params["file"]), None)
    if face is None:
        return Response(status_code=404)   # a stylesheet's request, seen by no one
    body, compressed, etag = await asyncio.to_thread(_served_font, face)
    headers = {"Cache-Control": CACHE, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(compressed, media_type="font/ttf", headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type="font/ttf", headers=headers)


@functools.cache
def faces() -> tuple[Face, ...]:
    """Each script's font (`fonts.script_font`), and its bold sibling where one has the script too
    (DejaVuSans-Bold.ttf beside DejaVuSans.ttf): headings and buttons are bold, and a browser's
    own thickening of a regular face is poor or none."""
    found: list[Face] = []
    for script in fonts.SCRIPTS:
        path = fonts.script_font(script)
        if path is None:
            continue
        if fonts.is_variable(path):
            found.append(Face(script.name, script, path, "100 900"))
            continue
        found.append(Face(script.name, script, path, "400"))
        bold = fonts.bold_sibling(path)
        if bold and {ord(letter) for letter in script.sample if letter != " "} <= fonts.characters_of(bold):
            found.append(Face(f"{script.name}-bold", script, bold, "700"))
    return tuple(found)


@functools.cache
def _font_faces() -> str:
    return "".join(
        f'@font-face {{ font-family: "{face.script.family}"; src: url("/fonts/{face.file}.ttf") format("truetype"); '
        f"font-weight: {face.weight}; font-display: swap; unicode-range: {face.script.unicode_range}; }}\n"
        for face in faces())


@functools.cache
def _served_font(face: Face) -> tuple[bytes, bytes, str]:
    """(the font file, gzip-compressed, its ETag), made once per process."""
    if len(fonts.characters_of(face.path)) > _GENERAL_FONT_CHARACTERS:
        body = _cut_down(face.path, face.script)
    else:
        with open(face.path, "rb") as file:
            body = file.read()
    return body, gzip.compress(body, compresslevel=9, mtime=0), f'"{hashlib.sha256(body).hexdigest()[:16]}"'


def _cut_down(path: str, script: fonts.Script) -> bytes:
    """The font with the script's letters alone, and what shaping them needs (its OpenType features)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.name_IDs = ["*"]      # the font's copyright and licence stay in it
    options.name_languages = ["*"]
    options.drop_tables = [*options.drop_tables, "FFTM"]
    with TTFont(path) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=script.codepoints())
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()

"""The script fonts every page may need, served by the app itself: a kiosk may be offline and have
DejaVu Sans alone (no Devanagari), and a phone may lack Georgian.

`/fonts/scripts.css` holds one `@font-face` per script of `printers.fonts.SCRIPTS` ("Okienko
Devanagari", "Okienko Georgian"), each with its `unicode-range`, so a browser fetches a font only for
a page that shows letters of its script, and Latin and Cyrillic text keep the page's own font; every
page's font stack names these families first (pages/static/okienko.css, kiosk.css, board.css).
`/fonts/<script>.ttf` is the font the printer draws that script with (`fonts.script_font`): a font
made for the script (Noto Sans Devanagari) whole, a font for every script (DejaVu Sans) cut down to
the script's letters with fontTools. TrueType, sent gzip-compressed: WOFF2 would be about half the
size, but compressing Noto Sans Devanagari takes fontTools some eight seconds of CPU per process.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import io

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from printers import fonts

CACHE = "public, max-age=86400"
_GENERAL_FONT_CHARACTERS = 1000   # a font mapping more characters is for every script: cut it down


def font_routes() -> list[Route]:
    return [
        Route("/fonts/scripts.css", font_faces, methods=["GET"]),
        Route("/fonts/{script}.ttf", script_font, methods=["GET"]),
    ]


async def font_faces(request: Request) -> Response:
    """The `@font-face` rules of the scripts this server has a font for."""
    return Response(_font_faces(), media_type="text/css; charset=utf-8", headers={"Cache-Control": CACHE})


async def script_font(request: Request) -> Response:
    script = next((script for script in fonts.SCRIPTS if script.name == request.path_params["script"]), None)
    served = await asyncio.to_thread(_served_font, script.name) if script else None
    if served is None:
        return PlainTextResponse("No such font.", status_code=404)
    body, compressed, etag = served
    headers = {"Cache-Control": CACHE, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(compressed, media_type="font/ttf", headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type="font/ttf", headers=headers)


@functools.cache
def _font_faces() -> str:
    return "".join(
        f'@font-face {{ font-family: "{script.family}"; src: url("/fonts/{script.name}.ttf") format("truetype"); '
        f"font-display: swap; unicode-range: {script.unicode_range}; }}\n"
        for script in fonts.SCRIPTS if fonts.script_font(script))


@functools.cache
def _served_font(name: str) -> tuple[bytes, bytes, str] | None:
    """(the font file, gzip-compressed, its ETag), made once per process; None without a font."""
    script = next(script for script in fonts.SCRIPTS if script.name == name)
    path = fonts.script_font(script)
    if path is None:
        return None
    if len(fonts.characters_of(path)) > _GENERAL_FONT_CHARACTERS:
        body = _cut_down(path, script)
    else:
        with open(path, "rb") as file:
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

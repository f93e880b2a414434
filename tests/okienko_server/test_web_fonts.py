"""The script fonts the app serves its pages: the @font-face rules, and fonts that have the letters."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import httpx
import pytest
from fontTools.ttLib import TTFont
from starlette.applications import Starlette

from okienko_server.web_fonts import font_routes
from printers import fonts

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
STYLESHEETS = ("pages/static/okienko.css", "kiosk/static/kiosk.css", "display_board/static/board.css")


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=Starlette(routes=font_routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


async def test_the_font_faces_name_each_script_with_its_unicode_range(client) -> None:
    answer = await client.get("/fonts/scripts.css")

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/css")
    assert ('@font-face { font-family: "Okienko Devanagari"; src: url("/fonts/devanagari.ttf") format("truetype"); '
            "font-weight: 100 900;") in answer.text   # a variable font: every weight from one file
    assert 'src: url("/fonts/georgian-bold.ttf") format("truetype"); font-weight: 700;' in answer.text
    assert "unicode-range: U+0900-097F, U+1CD0-1CFF, U+200C-200D, U+20B9, U+25CC, U+A8E0-A8FF;" in answer.text
    assert '"Okienko Georgian"' in answer.text and "U+10A0-10FF" in answer.text
    assert "U+0000" not in answer.text and "U+0041" not in answer.text   # Latin keeps the page's font


@pytest.mark.parametrize(("script", "letters"), [("devanagari", "नमस्ते हिन्दी"), ("georgian", "ქართული"),
                                                ("georgian-bold", "ქართული")])
async def test_each_script_font_has_its_letters_and_its_licence(client, script: str, letters: str) -> None:
    answer = await client.get(f"/fonts/{script}.ttf")   # httpx asks for gzip and unpacks it

    assert answer.status_code == 200 and answer.headers["content-type"] == "font/ttf"
    assert answer.headers["content-encoding"] == "gzip" and answer.headers["cache-control"].startswith("public")
    with TTFont(io.BytesIO(answer.content)) as font:
        assert {ord(letter) for letter in letters if letter != " "} <= set(font.getBestCmap())
        assert "GSUB" in font or script.startswith("georgian")   # Devanagari's shaping rules came along
        assert font["name"].getDebugName(0)   # the copyright notice stays in the file
    again = await client.get(f"/fonts/{script}.ttf", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


async def test_a_font_for_every_script_is_cut_down_to_the_one_asked_for(client) -> None:
    answer = await client.get("/fonts/georgian.ttf", headers={"Accept-Encoding": "identity"})

    assert "content-encoding" not in answer.headers
    with TTFont(io.BytesIO(answer.content)) as font:
        mapped = set(font.getBestCmap())
    assert ord("ქ") in mapped and ord("A") not in mapped and ord("Ж") not in mapped
    assert len(answer.content) < 100_000
    assert len(gzip.compress(answer.content)) < len(answer.content)


async def test_an_unknown_script_is_not_found(client) -> None:
    assert (await client.get("/fonts/klingon.ttf")).status_code == 404


def test_every_page_stylesheet_names_the_script_fonts_first() -> None:
    families = ", ".join(f'"{script.family}"' for script in fonts.SCRIPTS)
    for stylesheet in STYLESHEETS:
        assert f"font-family: {families}, " in (ROOT / stylesheet).read_text(encoding="utf-8"), stylesheet
    base = (ROOT / "pages/templates/base.html").read_text(encoding="utf-8")
    assert base.index('href="/fonts/scripts.css"') < base.index('href="/static/okienko.css"')

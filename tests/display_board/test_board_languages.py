"""The office chooses its boards' languages (`board_languages`): in the back office as in the office
file, a language it cannot have is refused with its path, and the boards show and speak the ones it chose."""

from __future__ import annotations

import io
import re
import wave
from typing import Any

import pytest

from okienko.staff.auth import add_user, issue_device_token, issue_staff_token
from tests.conftest import warsaw

pytestmark = pytest.mark.anyio
TUESDAY = warsaw(2026, 12, 1, 9, 0)


async def _manager_and_board(office: Any) -> tuple[dict[str, str], dict[str, str]]:
    async with office.okienko.db.engine.begin() as conn:
        await add_user(conn, "kierownik", "manager", "correct horse battery", "demo")
        staff = await issue_staff_token(conn, "kierownik", office.clock.now())
        board = await issue_device_token(conn, "demo", "board", "hall")
    return {"Authorization": f"Bearer {staff}"}, {"Authorization": f"Bearer {board}"}


def _shown_first(page: str, title_id: str) -> list[str]:
    """The languages of a label, in the order the board shows them (the first is shown at once)."""
    label = re.search(rf'id="{title_id}"><span class="rotating" data-rotating>(.*?)</span></h2>', page).group(1)
    return re.findall(r'lang="(\w\w)"', label)


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as handle:
        return handle.getnframes() / handle.getframerate()


async def test_the_board_shows_and_speaks_the_languages_the_office_chose(office_factory: Any) -> None:
    office = await office_factory(TUESDAY)
    boss, board = await _manager_and_board(office)
    page = (await office.client.get("/board/", headers=board)).text
    assert _shown_first(page, "now-calling-title") == ["pl", "uk", "en"]   # the demo office's
    assert 'data-languages="pl uk en"' in page and 'data-rotate-seconds="6"' in page
    assert '<span class="in-lang shown" lang="pl">Zapraszamy</span>' in page
    assert '<span class="in-lang" lang="uk" aria-hidden="true">Запрошуємо</span>' in page
    three = await office.client.get("/board/announcement.wav", params={"number": "A023", "window": "7"}, headers=board)
    assert three.status_code == 200 and three.headers["content-type"] == "audio/wav"

    answer = await office.client.put("/api/v1/admin/office", headers=boss, json={"board_languages": ["uk", "ru"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["office"]["board_languages"] == ["uk", "ru"]
    page = (await office.client.get("/board/", headers=board)).text
    assert _shown_first(page, "now-calling-title") == ["uk", "ru"]
    assert "Zapraszamy" not in page   # the office chose: no Polish label on this board
    # `?lang=` brings one of the office's languages to the front, and adds none.
    assert _shown_first((await office.client.get("/board/", params={"lang": "ru"}, headers=board)).text,
                        "now-calling-title") == ["ru", "uk"]
    assert _shown_first((await office.client.get("/board/", params={"lang": "en"}, headers=board)).text,
                        "now-calling-title") == ["uk", "ru"]
    window = (await office.client.get("/board/window/7", headers=board)).text
    assert 'data-languages="uk ru"' in window and ">Вікно<" in window and ">Окно<" in window
    # The call is spoken in Ukrainian and Russian now: two sentences instead of three.
    two = await office.client.get("/board/announcement.wav", params={"number": "A024", "window": "7"}, headers=board)
    assert two.status_code == 200
    assert 1.0 < _seconds(two.content) < _seconds(three.content)


@pytest.mark.parametrize("languages, field", [
    (["pl", "de"], "office.board_languages[1]"), (["en", "en"], "office.board_languages[1]"),
    ([], "office.board_languages"),
])
async def test_a_language_the_board_cannot_have_is_refused_with_its_path(office_factory: Any, languages: list[str],
                                                                         field: str) -> None:
    office = await office_factory(TUESDAY)
    boss, board = await _manager_and_board(office)
    answer = await office.client.put("/api/v1/admin/office", headers=boss, params={"lang": "en"},
                                     json={"board_languages": languages})
    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"], answer.json()["field"]) == ("office_invalid", field)
    assert field in answer.json()["message"]
    page = (await office.client.get("/board/", headers=board)).text
    assert 'data-languages="pl uk en"' in page   # nothing changed


async def test_the_new_languages_are_shown_in_turn_and_spoken(office_factory: Any) -> None:
    """Any of the nine languages may be a board's (okienko/i18n.py): its labels take their turn, with
    the language's own `lang` (its own text once its catalog has it), and the call is spoken in it."""
    office = await office_factory(TUESDAY)
    boss, board = await _manager_and_board(office)
    spoken: dict[tuple[str, ...], float] = {}
    for languages in (["pl", "uk", "vi"], ["be", "hi", "ka", "tr"], ["pl"]):
        answer = await office.client.put("/api/v1/admin/office", headers=boss, json={"board_languages": languages})
        assert answer.status_code == 200, answer.text
        page = (await office.client.get("/board/", headers=board)).text
        assert _shown_first(page, "now-calling-title") == languages
        assert f'data-languages="{" ".join(languages)}"' in page
        window = (await office.client.get("/board/window/7", headers=board)).text
        assert f'data-languages="{" ".join(languages)}"' in window
        call = await office.client.get("/board/announcement.wav", params={"number": "K023", "window": "7"},
                                       headers=board)
        assert call.status_code == 200 and call.headers["content-type"] == "audio/wav"
        spoken[tuple(languages)] = _seconds(call.content)
    # A sentence for each language: four take longer than three, three longer than one.
    assert spoken[("pl",)] < spoken[("pl", "uk", "vi")] < spoken[("be", "hi", "ka", "tr")]

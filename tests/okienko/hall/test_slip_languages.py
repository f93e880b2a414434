"""The printed ticket in every language a visitor can choose: the real ESC/POS bytes, decoded.

Every line is either text that decodes to exactly what the slip says, or an image: a line drawn
with a font that maps every one of its characters (no box in place of a letter), with ink on it.
No `?` anywhere. The office's own texts are given in every language (an office may do so), so each
script reaches the paper whatever the catalogs hold.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from escpos.printer import Dummy

from okienko.hall.printing import build_slip
from okienko.i18n import LANGUAGES, Translator
from okienko.office.directory import CategorySetup, OfficeSetup, ServiceSetup
from printers import fonts
from printers.decode import decode
from printers.render import PAIR_SEPARATOR, can_print_as_text, render_ticket

SERVICE_NAMES = {
    "pl": "Karta pobytu: złożenie wniosku",
    "en": "Residence card: application",
    "uk": "Посвідка на проживання: подання заяви",
    "ru": "Вид на жительство: подача заявления",
    "be": "Дазвол на пражыванне: падача заяўкі",
    "vi": "Thẻ cư trú: nộp đơn",
    "hi": "निवास कार्ड: आवेदन जमा करना",
    "ka": "ბინადრობის ბარათი: განცხადების შეტანა",
    "tr": "İkamet kartı: başvuru ve doğrulama",
}
PRIORITY_NAMES = {
    "pl": "Kobieta w ciąży", "en": "Pregnant woman", "uk": "Вагітна жінка", "ru": "Беременная женщина",
    "be": "Цяжарная жанчына", "vi": "Phụ nữ mang thai", "hi": "गर्भवती महिला", "ka": "ორსული ქალი",
    "tr": "Hamile kadın",
}
FOOTERS = {
    "pl": "Zachowaj bilet do końca wizyty.",
    "en": "Keep the ticket until the end of your visit.",
    "uk": "Зберігайте квиток до кінця візиту.",
    "ru": "Сохраняйте билет до конца визита.",
    "be": "Захоўвайце білет да канца візіту.",
    "vi": "Hãy giữ vé cho đến hết buổi làm việc.",
    "hi": "कृपया मुलाक़ात के अंत तक टिकट रखें।",
    "ka": "შეინახეთ ბილეთი ვიზიტის დასრულებამდე.",
    "tr": "Lütfen bileti ziyaretinizin sonuna kadar saklayın.",
}
DRAWN = {"vi", "hi", "ka"}   # their letters are in no code page, or only in TCVN-3 (render.py)
TRANSLATOR = Translator()


def office() -> OfficeSetup:
    service = ServiceSetup(id=1, code="K", prefix="K", names=SERVICE_NAMES, average_service_minutes=10,
                           daily_limit=None, last_ticket_minutes_before_close=0, walk_in=True, hours={},
                           window_ids=(1,))
    return OfficeSetup(id=1, code="MUW", name="Mazowiecki Urząd Wojewódzki", timezone=ZoneInfo("Europe/Warsaw"),
                       default_language="pl", always_open=True, closed_on_public_holidays=False,
                       priority_mode="first", ticket_footer=FOOTERS, recalls_before_no_show=1,
                       transfer_position="front", ticker="", services=(service,), windows=(),
                       categories=(CategorySetup("pregnant", "P", PRIORITY_NAMES),))


def slip_in(language: str):
    ticket = {"language": language, "service_id": 1, "priority": "pregnant", "number": "K023",
              "issued_at": datetime(2026, 12, 1, 8, 15, tzinfo=timezone.utc)}
    return build_slip(office(), TRANSLATOR, ticket, people_ahead=4, wait=25,
                      track_url="https://okienko.example.pl/t/K023?k=Zp4Qx")


def logical_lines(slip) -> list[str]:
    return [line for line in (slip.office_name, slip.number, slip.priority_label, *slip.service_lines,
                              slip.issued_line, slip.ahead_line, slip.wait_line, *slip.footer_lines) if line]


@pytest.mark.parametrize("profile", ["TM-T88V", "TM-T20II"])
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_ticket_in_every_language_shows_every_letter(language, profile):
    slip = slip_in(language)
    decoded = decode(render_ticket(slip, profile), profile)
    printer = Dummy(profile=profile)
    printed = " ".join(decoded.lines)

    as_text = [line for line in logical_lines(slip) if can_print_as_text(printer, line)]
    drawn = [line for line in logical_lines(slip) if line not in as_text]
    for line in as_text:   # a line of pairs ("People ahead: 4 / Przed Tobą: 4") may take a row per pair
        for part in line.split(PAIR_SEPARATOR):
            assert part in printed, f"{part!r} is not on the paper as text"
    assert "?" not in decoded.text and "\ufffd" not in decoded.text
    assert decoded.images == len(drawn) and decoded.qr_data == [slip.track_url] and decoded.cuts == 1
    for line, image in zip(drawn, decoded.raster_images):
        font = fonts.font_for(line)
        letters = {ord(character) for character in line} - {ord(" "), 0xA0}
        assert letters <= fonts.characters_of(font), f"{line!r}: {font} lacks some of its letters"
        assert image.width == decoded.image_sizes[0][0] and image.inked_dots() > 20 * len(line)
    if language in DRAWN:   # the visitor's service name is drawn, the Polish one stays text
        assert SERVICE_NAMES[language] in drawn and SERVICE_NAMES["pl"] in as_text
    else:
        assert drawn == [] and SERVICE_NAMES[language] in printed and FOOTERS[language] in printed
    if folder := os.environ.get("OKIENKO_TICKET_IMAGES"):   # to look at them: a PNG per drawn line
        for index, image in enumerate(decoded.raster_images):
            image.to_image().save(Path(folder) / f"{language}-{profile}-{index}.png")

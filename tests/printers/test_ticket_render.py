"""Tickets as the visitor sees them: render the real ESC/POS bytes, then decode them."""

import dataclasses
import textwrap

import pytest
from escpos.printer import Dummy

from PIL import Image, ImageDraw, ImageFont

from printers import fonts
from printers.decode import decode
from printers.render import can_print_as_text, load_ticket_font, pair_rows, render_ticket
from printers.slip import TicketSlip

UKRAINIAN_SERVICE = "Отримання посвідки: її видача, якщо є рішення"
POLISH_SERVICE = "Odbiór karty pobytu, uzupełnienie braków"
TRACK_URL = "https://okienko.example.pl/t/A023?k=Zp4Qx"


def a_slip(**changes) -> TicketSlip:
    slip = TicketSlip(
        office_name="Mazowiecki Urząd Wojewódzki",
        number="A023",
        priority_label=None,
        service_lines=[UKRAINIAN_SERVICE, POLISH_SERVICE],
        issued_line="24.11.2026 08:15",
        ahead_line="Przed Tobą / Перед вами: 4",
        wait_line="Czas oczekiwania / Час очікування: ~25 min",
        track_url=TRACK_URL,
        footer_lines=["Proszę zachować bilet do końca wizyty.", "Źle się czujesz? Zgłoś się do ochrony."],
    )
    return dataclasses.replace(slip, **changes)


def printed(decoded) -> str:
    """The printed lines joined by spaces, so wrapped lines read as the caller wrote them."""
    return " ".join(decoded.lines)


def test_tm_t88v_ticket_shows_number_polish_and_ukrainian_qr_and_one_cut():
    data = render_ticket(a_slip(), "TM-T88V")
    decoded = decode(data, "TM-T88V")

    assert data.startswith(b"\x1b@")
    assert ("A023", 4, 4) in decoded.large_text
    assert decoded.lines[0] == "Mazowiecki Urząd Wojewódzki"
    assert UKRAINIAN_SERVICE in printed(decoded)
    assert POLISH_SERVICE in printed(decoded)
    assert "Przed Tobą / Перед вами: 4" in decoded.lines
    assert "Czas oczekiwania / Час очікування: ~25 min" in decoded.lines
    assert "Proszę zachować bilet do końca wizyty." in decoded.lines
    assert "Źle się czujesz? Zgłoś się do ochrony." in decoded.lines
    assert decoded.qr_data == [TRACK_URL]
    assert decoded.images == 0
    assert decoded.cuts == 1
    assert data.endswith(b"\x1dV\x00")
    assert "?" not in decoded.text.replace("czujesz?", "")
    # CP852 for Polish, CP866 for Russian/Ukrainian letters, CP855 (і) and CP1251 on this profile.
    assert set(decoded.code_pages) <= {"CP437", "CP852", "CP866", "CP855", "CP1251"}
    assert {"CP852", "CP866"} <= set(decoded.code_pages)


@pytest.mark.parametrize(
    ("profile", "text", "code_pages"),
    [
        ("TM-T88V", "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ", {"CP852"}),
        ("TM-T88IV", "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ", {"CP852"}),
        ("TM-T20II", "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ", {"CP852"}),
        ("TM-T88V", "Перед вами: 4", {"CP866"}),
        ("TM-T88III", "Перед вами: 4", {"CP866"}),
        ("TM-T88V", "Ґанок і їжак", {"CP1251"}),  # ґ: CP1251 is the first page that has it
        ("TM-T20II", "Ґанок і їжак", {"CP1125"}),  # this profile lists CP1125 (n=44) before CP1251
        ("TM-T88V", "Єва і Ігор", {"CP866", "CP855"}),  # і is not in CP866; CP855 (n=34) has it
        ("TM-T88V", "İkamet kartı: başvuru, doğrulama", {"CP857"}),  # Turkish ı İ ş ğ
        ("TM-T20II", "İkamet kartı: başvuru, doğrulama", {"CP857"}),
        ("TM-T88V", "Дазвол: заяўка і білет", {"CP866"}),  # Belarusian ў (CP866) and і (another page)
        ("TM-T20II", "Дазвол: заяўка і білет", {"CP866"}),
    ],
)
def test_code_page_switches_print_each_letter_as_itself(profile, text, code_pages):
    decoded = decode(render_ticket(a_slip(office_name=text, footer_lines=[]), profile), profile)

    assert decoded.lines[0] == text
    assert code_pages <= set(decoded.code_pages)


def test_tm_t88iii_draws_lines_it_has_no_code_page_for_and_never_prints_a_question_mark():
    slip = a_slip(office_name="Urzad Wojewodzki", ahead_line="Перед вами: 4", footer_lines=["Dziekujemy"])
    decoded = decode(render_ticket(slip, "TM-T88III"), "TM-T88III")

    # "і" (Ukrainian) and "ł", "ó" (Polish) are in no code page of this profile.
    assert UKRAINIAN_SERVICE not in printed(decoded)
    assert POLISH_SERVICE not in printed(decoded)
    assert "Czas oczekiwania" not in printed(decoded)
    assert decoded.images == 3
    assert all(width == 512 for width, _height in decoded.image_sizes)
    assert "?" not in decoded.text
    assert "Перед вами: 4" in decoded.lines  # CP866 is there
    assert decoded.lines[:2] == ["Urzad Wojewodzki", "A023"]
    assert decoded.qr_data == [TRACK_URL]
    assert decoded.cuts == 1


def test_priority_label_with_a_star_is_drawn_and_regular_lines_stay_text():
    decoded = decode(render_ticket(a_slip(priority_label="★ Pierwszeństwo / Priority"), "TM-T88V"), "TM-T88V")

    assert decoded.images == 1
    assert "Pierwszeństwo" not in decoded.text
    assert "?" not in decoded.text.replace("czujesz?", "")


def test_qr_as_image_when_asked_or_when_the_profile_has_no_native_qr():
    as_image = decode(render_ticket(a_slip(), "TM-T88V", qr_native=False), "TM-T88V")
    no_native = decode(render_ticket(a_slip(), "POS-5890"), "POS-5890")

    assert as_image.qr_data == [] and as_image.images == 1
    assert no_native.qr_data == [] and no_native.images == 1
    assert no_native.cuts == 0  # POS-5890 has no cutter
    assert POLISH_SERVICE in printed(no_native)


def test_narrow_paper_wraps_lines_and_narrows_images():
    decoded = decode(render_ticket(a_slip(priority_label="★"), "TM-T88V", width_chars=32), "TM-T88V")

    assert all(len(line) <= 32 for line in decoded.lines)
    assert UKRAINIAN_SERVICE in printed(decoded)
    assert decoded.image_sizes == [(384, decoded.image_sizes[0][1])]


def test_long_number_is_narrowed_to_fit_but_stays_tall():
    decoded = decode(render_ticket(a_slip(number="WALK-IN-0123"), "TM-T88V"), "TM-T88V")

    assert ("WALK-IN-0123", 3, 4) in decoded.large_text


@pytest.mark.parametrize(("number", "width_chars"), [
    ("K1234", None), ("AB1234", None),   # 80 mm paper (42 columns on TM-T88V)
    ("K1234", 32), ("AB1234", 32),       # 58 mm paper
])
def test_four_digit_numbers_print_at_full_size(number, width_chars):
    decoded = decode(render_ticket(a_slip(number=number), "TM-T88V", width_chars=width_chars), "TM-T88V")

    assert (number, 4, 4) in decoded.large_text


def test_control_characters_from_the_caller_never_reach_the_printer():
    decoded = decode(render_ticket(a_slip(office_name="Urząd\x1bd\x05\x1dV\x00"), "TM-T88V"), "TM-T88V")

    assert decoded.lines[0] == "Urząd d  V"
    assert decoded.cuts == 1


def test_han_characters_are_drawn_instead_of_sent_as_gb18030():
    printer = Dummy(profile="TM-T88V")

    assert not can_print_as_text(printer, "签证")
    assert decode(render_ticket(a_slip(footer_lines=["签证"]), "TM-T88V"), "TM-T88V").images == 1


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown printer profile"):
        render_ticket(a_slip(), "TM-NOPE")


def test_rendering_does_not_change_the_shared_profile_data():
    render_ticket(a_slip(), "default")

    assert Dummy(profile="default").profile.profile_data["media"]["width"]["pixels"] == "Unknown"


UKRAINIAN_WAIT = "Орієнтовний час очікування: близько 25 хв / Szacowany czas oczekiwania: ok. 25 min"


@pytest.mark.parametrize("width_chars", [32, 42, 48])
def test_a_label_and_its_value_are_never_printed_on_different_rows(width_chars):
    slip = a_slip(ahead_line="Люди перед вами: 14 / Przed Tobą: 14", wait_line=UKRAINIAN_WAIT)
    decoded = decode(render_ticket(slip, "TM-T88V", width_chars=width_chars), "TM-T88V")

    assert all(len(line) <= width_chars for line in decoded.lines)
    # Every value is on the row of its label, whatever the paper.
    for value in ("вами: 14", "Tobą: 14", "очікування: близько 25 хв", "oczekiwania: ok. 25 min"):
        assert any(value in line for line in decoded.lines), (value, decoded.lines)
    assert not any(line.endswith(":") for line in decoded.lines)
    assert "\u00a0" not in decoded.text   # the glue is printed as a plain space


def test_pairs_that_fit_side_by_side_stay_on_one_row_and_otherwise_each_gets_its_own():
    wide = decode(render_ticket(a_slip(ahead_line="People ahead: 4 / Przed Tobą: 4"), "TM-T88V"), "TM-T88V")
    narrow = decode(render_ticket(a_slip(ahead_line="People ahead: 14 / Przed Tobą: 14"), "TM-T88V",
                                  width_chars=24), "TM-T88V")

    assert "People ahead: 4 / Przed Tobą: 4" in wide.lines
    assert ["People ahead: 14", "Przed Tobą: 14"] == [line for line in narrow.lines if ": 14" in line]


def test_a_pair_drawn_as_an_image_keeps_its_value_with_its_label():
    # TM-T88III has no code page for "і": the line is drawn, and wrapped by the same rule.
    rows = pair_rows(UKRAINIAN_WAIT, lambda row: len(row) <= 32, lambda words: textwrap.wrap(words, 32))
    assert rows == ["Орієнтовний час", "очікування: близько 25 хв", "Szacowany czas", "oczekiwania: ok. 25 min"]
    decoded = decode(render_ticket(a_slip(wait_line=UKRAINIAN_WAIT), "TM-T88III", width_chars=32), "TM-T88III")
    assert decoded.images >= 1 and "?" not in decoded.text.replace("czujesz?", "")


@pytest.mark.parametrize("profile", ["TM-T88V", "TM-T20II", "default"])
def test_vietnamese_is_drawn_even_where_a_tcvn3_code_page_could_hold_it(profile):
    line = "Thẻ cư trú: nộp đơn"
    decoded = decode(render_ticket(a_slip(office_name=line, footer_lines=[]), profile), profile)

    assert not can_print_as_text(Dummy(profile=profile), line)
    assert "Thẻ" not in decoded.text and "Th" not in decoded.text
    assert decoded.images == 1 and decoded.raster_images[0].inked_dots() > 500
    assert not any(page.startswith("TCVN") for page in decoded.code_pages)


@pytest.mark.parametrize(("line", "family"), [
    ("निवास कार्ड: आवेदन / Karta pobytu", "Noto Sans Devanagari"),
    ("ბინადრობის ბარათი / Karta pobytu", "DejaVu Sans"),
    ("Thẻ cư trú: nộp đơn / Karta pobytu", "DejaVu Sans"),
])
def test_a_drawn_line_takes_a_font_that_has_every_letter_of_it(line, family):
    font = fonts.font_for(line)
    decoded = decode(render_ticket(a_slip(office_name=line, footer_lines=[]), "TM-T88V"), "TM-T88V")

    assert {ord(character) for character in line if character != " "} <= fonts.characters_of(font)
    assert load_ticket_font(24, text=line).getname()[0] == family
    assert decoded.images == 1 and decoded.raster_images[0].inked_dots() > 1000
    assert "?" not in decoded.text


def test_devanagari_is_shaped_its_conjuncts_joined_and_vowel_signs_placed():
    """Raqm (HarfBuzz) joins क ् ष into the one letter क्ष and sets ि before the consonant it
    follows in the text; drawn one by one they would stand apart, the virama visible."""
    path = fonts.font_for("क्ष कि")
    shaped = load_ticket_font(48, text="क्ष कि")
    unshaped = ImageFont.truetype(path, 48, layout_engine=ImageFont.Layout.BASIC)

    assert shaped.layout_engine == ImageFont.Layout.RAQM
    assert shaped.getlength("क्ष") < unshaped.getlength("क्ष") - 10
    assert drawn(shaped, "कि") != drawn(unshaped, "कि")


def drawn(font, text: str) -> bytes:
    image = Image.new("L", (200, 80), 255)
    ImageDraw.Draw(image).text((10, 0), text, font=font, fill=0)
    return image.tobytes()


@pytest.mark.parametrize("line", ["ბინადრობის ბარათი", "निवास कार्ड: आवेदन"])
def test_a_bold_line_drawn_as_an_image_is_drawn_bold(line):
    """The service's name is bold (ESC E as text): drawn, it takes the font's bold face (DejaVu Sans
    Bold beside DejaVu Sans; Noto Sans Devanagari's weight axis at 700)."""
    slip = a_slip(service_lines=[line], footer_lines=[line])
    bold, regular = decode(render_ticket(slip, "TM-T88V"), "TM-T88V").raster_images

    assert bold.height == regular.height
    assert bold.inked_dots() > 1.2 * regular.inked_dots()

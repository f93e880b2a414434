"""The decoder reads what python-escpos writes, command by command."""

import pytest
from escpos.printer import Dummy
from PIL import Image

from printers.decode import DecodeError, code_page_table, decode


def test_code_page_numbers_come_from_the_profile():
    assert code_page_table("TM-T88V")[18][0] == "CP852"
    assert code_page_table("TM-T88V")[17][0] == "CP866"
    assert code_page_table("TM-T88III")[18][0] == "CP862"  # same n, other page on another model
    assert code_page_table("TM-T20II")[44][0] == "CP1125"


def test_each_switch_is_followed_and_reset_returns_to_page_zero():
    decoded = decode(b"\x1bt\x12\xa5\n\x1bt\x11\xa5\n\x1b@\xa5\n", "TM-T88V")

    assert decoded.lines == ["ą", "е", "Ñ"]  # CP852, CP866, then CP437 after ESC @
    assert decoded.code_pages == ["CP852", "CP866"]


def test_unknown_code_page_number_reads_as_replacement_characters():
    decoded = decode(b"\x1bt\x63\xa5\n", "TM-T88V")

    assert decoded.code_pages == ["unknown:99"]
    assert decoded.lines == ["\ufffd"]


def test_styles_sizes_feeds_and_cuts():
    printer = Dummy(profile="TM-T88V")
    printer.hw("INIT")
    printer.set(align="center", bold=True, underline=1, double_width=True, double_height=True, invert=True)
    printer.textln("DUZE")
    printer.set(normal_textsize=True, font="b", smooth=True, flip=False, density=3)
    printer.line_spacing(30)
    printer.textln("male")
    printer.line_spacing()
    printer.print_and_feed(3)
    printer.cut(mode="PART")
    printer.cut(feed=False)

    decoded = decode(printer.output, "TM-T88V")

    assert decoded.lines == ["DUZE", "male"]
    assert decoded.large_text == [("DUZE", 2, 2)]
    assert decoded.text == "DUZE\nmale\n" + "\n" * 3 + "\n" * 6  # ESC d 3, then the feed before the cut
    assert decoded.cuts == 2


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics", "bitImageColumn"])
def test_each_image_command_counts_once(impl):
    printer = Dummy(profile="TM-T88V")
    printer.textln("przed")
    printer.image(Image.new("L", (64, 50), 0), impl=impl)
    printer.textln("po")

    decoded = decode(printer.output, "TM-T88V")

    assert decoded.images == 1
    assert decoded.lines == ["przed", "po"]
    assert decoded.image_sizes[0][0] == 64


def test_native_qr_and_barcodes_are_skipped_by_length():
    printer = Dummy(profile="TM-T88V")
    printer.qr("https://okienko.example.pl/t/B001", native=True)
    printer.barcode("590123412345", "EAN13")
    printer.barcode("{BA023", "CODE128", function_type="B")
    printer.textln("koniec")

    decoded = decode(printer.output, "TM-T88V")

    assert decoded.qr_data == ["https://okienko.example.pl/t/B001"]
    assert decoded.lines == ["koniec"]


def test_unknown_command_is_an_error_not_text():
    with pytest.raises(DecodeError, match="unknown command ESC"):
        decode(b"\x1b\x01", "TM-T88V")


def test_bytes_ending_inside_a_command_are_an_error():
    with pytest.raises(DecodeError, match="end inside a command"):
        decode(b"\x1dv0\x00\x10\x00\x10\x00\xff", "TM-T88V")


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown printer profile"):
        decode(b"", "TM-NOPE")

"""Large type: block letters from one character every console font has, or plain text."""

from __future__ import annotations

import pytest

from kiosk.ui.glyphs import CONSOLE
from kiosk.ui.widgets.big_text import BLOCK, FONT, HEIGHT, big_lines, drawable, width_of
from tests.support import console_font


def test_every_glyph_is_five_rows_of_even_width() -> None:
    for ch, rows in FONT.items():
        assert len(rows) == HEIGHT, ch
        assert len({len(r) for r in rows}) == 1, f"{ch!r} rows differ in width"


@pytest.mark.parametrize("text", ["20\u00a0%", "100\u00a0kr", "1.234,50\u00a0kr.", "TILL-3FOR2",
                                  "1\u00a0234,50\u00a0€"])
def test_what_to_apply_is_drawable(text: str) -> None:
    assert drawable(text)


def test_two_columns_per_pixel_when_it_fits_then_one_then_plain_text() -> None:
    text = "TILL-3FOR2"
    wide, narrow = width_of(text, 2), width_of(text, 1)
    assert big_lines(text, wide) is not None and max(map(len, big_lines(text, wide))) == wide
    one = big_lines(text, wide - 1)
    assert one is not None and max(map(len, one)) == narrow
    assert big_lines(text, narrow - 1) is None  # too narrow: the caller shows plain text


def test_characters_without_a_glyph_stay_plain_text() -> None:
    assert not drawable("Åtta")
    assert not drawable("")
    assert big_lines("Åtta", 200) is None


def test_drawn_only_with_the_full_block_and_spaces() -> None:
    lines = big_lines("20\u00a0%", 80)
    assert lines is not None and len(lines) == HEIGHT
    assert set("".join(lines)) <= {BLOCK, " "}


def test_console_glyphs_and_the_block_are_in_the_console_font() -> None:
    font = console_font()
    for symbol in CONSOLE[:-1]:  # the last field is the set's name
        assert all(ch in font for ch in symbol), symbol
    assert BLOCK in font

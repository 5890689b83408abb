"""The footer draws the screen's keys on one line, fitted to the width, and redraws it only
when the keys change."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from kiosk.ui.widgets.footer import KioskFooter
from tests.ui.kiosk_pilot import ANNA, Members, _screen_text


async def test_footer_keeps_its_keys_when_they_are_the_same(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        footer = k.app.screen.query_one(KioskFooter)
        await k.wait_for(lambda: len(footer.keys) > 0, "footer keys")
        before = footer._shown
        for _ in range(5):
            k.app.screen.refresh_bindings()  # what focus changes and screen resumes do
            await k.pilot.pause()
        assert footer._shown is before  # the same keys: nothing read into a new line
        assert not footer.children  # one line of text: no widget per key


async def test_footer_redraws_when_a_key_is_enabled_or_disabled(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        footer = k.app.screen.query_one(KioskFooter)
        await k.wait_for(lambda: "Redeem" in k.text().splitlines()[-1], "Redeem offered")
        assert not [text for text, style in _pieces(footer) if style.dim]
        k.app.redeeming = True  # the offers screen's Redeem key is disabled while redeeming
        await k.wait_for(lambda: not _enabled(footer, "choose"), "keys redrawn")
        dim = [text for text, style in _pieces(footer) if style.dim]
        assert "Redeem" in " ".join(dim)  # drawn dim, as Textual's footer draws a disabled key
        k.app.redeeming = False
        await k.wait_for(lambda: _enabled(footer, "choose"), "Redeem back")


def _enabled(footer: KioskFooter, action: str) -> bool:
    return next(enabled for binding, enabled, _k, _d in footer.keys if binding.action == action)


def _pieces(footer: KioskFooter) -> list[tuple[str, Any]]:
    """The drawn line's styled pieces (a key's name or description each) and their style."""
    line = footer.render()
    return [(line.plain[span.start:span.end], span.style) for span in line.spans]


class _Keys(Screen[None]):
    """A result screen's keys, the longest row of keys the kiosk draws."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "noop", "Anna's other offers"),
        Binding("f3", "noop('b')", "Give the voucher back"),
        Binding("escape", "noop('c')", "Done (new customer)"),
        Binding("f10", "noop('d')", "Staff exit"),
    ]

    def compose(self) -> ComposeResult:
        yield KioskFooter()

    def action_noop(self, _which: str = "a") -> None:
        """Nothing: only the footer is looked at."""


async def _keys_drawn(app: App[None], pilot: Any) -> KioskFooter:
    """The screen's footer once its keys are drawn (polled with a deadline)."""
    footer = app.screen.query_one(KioskFooter)
    deadline = time.monotonic() + 10
    while len(footer.keys) != len(_Keys.BINDINGS) and time.monotonic() < deadline:
        await pilot.pause()
    await pilot.pause()
    return footer


async def _footer_line(width: int) -> tuple[str, list[Any], int]:
    """The bottom row at ``width`` columns, the labels the footer chose and its level."""
    app: App[None] = App()
    async with app.run_test(size=(width, 6)) as pilot:
        await app.push_screen(_Keys())
        footer = await _keys_drawn(app, pilot)
        level, labels = footer._fitted()
        return _screen_text(app).splitlines()[-1], labels, level


@pytest.mark.parametrize("style", [0, 1])
async def test_each_key_is_whole_at_the_narrowest_width_of_its_style(style: int) -> None:
    """Where the footer decides a style fits, every key of it is drawn whole (F10 last)."""
    app: App[None] = App()
    async with app.run_test(size=(200, 6)):
        await app.push_screen(_Keys())
        footer = app.screen.query_one(KioskFooter)
        keys = footer._keys()
        narrowest = min(w for w in range(30, 200) if footer._choose_level(w, keys) == style)
    line, labels, level = await _footer_line(narrowest)
    assert level == style
    for _binding, _enabled, key, description in labels:
        assert f"{key} {description}" in line, (narrowest, line)


@pytest.mark.parametrize("width, line, level", [
    (200, " ⏎ Anna's other offers  f3 Give the voucher back  esc Done (new customer)  f10 "
          "Staff exit ", 0),
    (88, "⏎ Anna's other offers f3 Give the voucher back esc Done (new customer) f10 Staff "
         "exit", 1),
])
async def test_keys_are_drawn_as_textuals_footer_draws_them(width: int, line: str,
                                                            level: int) -> None:
    """Roomy: a cell of padding around each key's name and after its description; compact: a
    space between name and description and a cell between keys (Textual's Footer's layout,
    which the snapshots compare cell by cell and colour by colour). Key names are Textual's
    here (a plain App's ``get_key_display``)."""
    drawn, _labels, drawn_level = await _footer_line(width)
    assert (drawn.rstrip(), drawn_level) == (line.rstrip(), level)


async def test_a_covered_screens_footer_redraws_when_it_is_shown_again(
        start_kiosk, members: Members) -> None:
    """Under the confirmation (whose own footer covers it) the offers list's footer keeps its
    keys while the bindings change; back on top it draws the keys as they are now."""
    async with start_kiosk() as k:
        await k.scan(ANNA)
        offers = k.app.screen
        footer = offers.query_one(KioskFooter)
        await k.wait_for(lambda: "Redeem" in k.text().splitlines()[-1], "Redeem offered")
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.pause()
        before = footer._shown
        offers.redeeming = True  # the list's Redeem key is disabled (as while one runs)
        await k.pilot.pause()
        await k.pilot.pause()
        assert footer._shown is before  # covered: not read again
        k.app.pop_screen()
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: footer._shown is not before, "keys redrawn on top")
        assert not _enabled(footer, "choose")
        offers.redeeming = False
        await k.wait_for(lambda: _enabled(footer, "choose"), "Redeem back")


def test_the_line_is_what_textual_makes_of_the_same_rich_text() -> None:
    """The footer builds its line as ``Content`` straight from its parts: exactly the text and
    spans Textual's ``Content.from_rich_text`` makes of the Rich ``Text`` it drew before, also
    for control codes (stripped per part, spans on the stripped text), empty parts and
    parts without a style."""
    import random

    from rich.style import Style as RichStyle
    from rich.text import Text
    from textual.content import Content

    from kiosk.ui.widgets.footer import _content

    rng = random.Random(17)
    styles = [None, RichStyle(), RichStyle(dim=True),
              RichStyle(color="#ffa62b", bgcolor="#1e1e1e", bold=True),
              RichStyle(color="#e0e0e0", bgcolor="#1e1e1e") + RichStyle(dim=True),
              RichStyle(color="red", bold=True)]
    alphabet = ["a", "Å", " ", "F9", "\r", "\x07", "\x08", "\x1b", "\t", "\n", "…", "界"]
    for _ in range(500):
        parts = [("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6))),
                  rng.choice(styles)) for _ in range(rng.randrange(0, 9))]
        text = Text(no_wrap=True, overflow="crop", end="")
        for piece, style in parts:
            text.append(piece, style)
        expected = Content.from_rich_text(text)
        got = _content(parts, None)
        assert (got.plain, list(got.spans)) == (expected.plain, list(expected.spans)), parts

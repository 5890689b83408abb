"""When the console theme applies: TERM=linux, or a terminal with only the 16 base colours
(Textual's colour detection); NO_COLOR keeps the theme but selects in reverse video."""

from __future__ import annotations

import pytest

from kiosk.ui import showcase
from kiosk.ui.console_theme import CONSOLE_CSS
from kiosk.ui.glyphs import CONSOLE, UNICODE, console_wanted


@pytest.mark.parametrize(("term", "colors", "wanted"), [
    ("linux", "truecolor", True), ("linux", "standard", True), ("xterm", "standard", True),
    ("xterm-256color", "256", False), ("tmux-256color", "truecolor", False),
])
def test_console_wanted(term: str, colors: str, wanted: bool) -> None:
    assert console_wanted({"TERM": term}, colors) is wanted


@pytest.mark.parametrize(("env", "console", "reverse"), [
    ({"TERM": "linux"}, True, True),
    ({"TERM": "xterm"}, True, True),  # Rich/Textual detect 16 colours for a plain xterm
    ({"TERM": "xterm-256color"}, False, False),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, False, True),
])
def test_app_picks_theme_and_glyphs_from_the_terminal(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], console: bool,
        reverse: bool) -> None:
    monkeypatch.delenv("COLORTERM", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with showcase.frozen_demo() as make_app:
        app = make_app()
        assert app.console_mode is console
        assert app.glyphs is (CONSOLE if console else UNICODE)
        assert app.has_class("-console") is console
        assert app.has_class("-reverse-select") is reverse
        assert (app.theme == "kiosk-console") is console
        # the console's rules (console.tcss) are read only on the console, after kiosk.tcss
        assert (app.css_path[-1] == CONSOLE_CSS) is console
        assert app.css_path.count(CONSOLE_CSS) == int(console)


async def test_no_color_on_the_console_draws_in_the_terminals_own_colours(
        linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR: no colour at all, so the VT's own white on black. Textual
    picks its NO_COLOR filter for the theme it starts with (greys, not ANSI); once the console
    theme is on, those greys came out as black text on the VT's black: a blank till."""
    with showcase.frozen_demo() as make_app:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await showcase.not_usable_offers(pilot)
            await pilot.pause()
            coloured = {
                (seg.text.strip(), str(seg.style.color), str(seg.style.bgcolor))
                for strip in app.screen._compositor.render_strips() for seg in strip
                if seg.text.strip() and seg.style is not None
                and not all(c is None or c.is_default
                            for c in (seg.style.color, seg.style.bgcolor))}
            assert not coloured, sorted(coloured)[:3]
            text = showcase.screen_text(app)
            assert "Not usable here" in text and "expired 27 Feb 2026" in text


def _bold(app: object, words: str) -> bool:
    """Is the text ``words`` drawn bold on the current screen? (Its first segment.)"""
    for strip in app.screen._compositor.render_strips():  # type: ignore[attr-defined]
        for seg in strip:
            if words in seg.text:
                return bool(seg.style and seg.style.bold)
    raise AssertionError(f"{words!r} not on the screen")


async def test_offers_that_cant_be_used_stand_apart_without_colour_or_dim(
        linux_console_no_color: None) -> None:
    """On the Linux console dim may not show and with NO_COLOR nothing is coloured: the rows
    that can't be used must still differ in words and weight. Usable offers are bold; below a
    bold heading the others are not, and each says why instead of a value and a date."""
    with showcase.frozen_demo() as make_app:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await showcase.offers_screen(pilot)
            await pilot.press("down")  # the first offer leaves reverse video
            await pilot.pause()
            assert _bold(app, "Gratis kaffe") and _bold(app, "100 kr rabatt")
            await pilot.press("up", "end")  # the last row selected, the one before it not
            await pilot.pause()
            text = showcase.screen_text(app)
            rows = [line.strip(" │") for line in text.splitlines()]
            assert _bold(app, "Not usable here")
            for name, reason in (("Fri frakt på webben", "online only"),
                                 ("Julklappsrabatt 15 %", "not valid yet (from 12 Mar 2026)")):
                assert not _bold(app, name), name
                assert rows[rows.index(name) + 1] == reason

"""The Linux console theme: the eight base colours, reverse video, nothing a VT can't show.

The Linux VT has 8 background colours (40-47); it maps bright backgrounds (100-107) onto them
and has no 256-colour greys, so the default theme's "slightly lighter grey" selection is
invisible on tty1. Here every colour is a base ANSI colour written as such (``ansi=True``: no
blending into RGB that would be rounded to a bright colour), the selection is reverse video,
and the stylesheet rules under ``KioskApp.-console`` (``console.tcss``) replace the tinted
panels of the normal theme with plain ones. ``NO_COLOR`` keeps the normal theme but also
selects in reverse video (``KioskApp.-reverse-select``), since its greys are nearly equal.
On the console with ``NO_COLOR`` there is no colour at all: the terminal's own foreground and
background (``no_color_filters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Final

from textual.app import App
from textual.filter import LineFilter, Monochrome, NoColor
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.theme import Theme

#: The console's stylesheet rules (``KioskApp.-console ...``), read only in console mode.
CONSOLE_CSS: Final = Path(__file__).resolve().with_name("console.tcss")

CONSOLE_THEME = Theme(
    name="kiosk-console",
    ansi=True,
    dark=True,
    primary="ansi_blue",
    secondary="ansi_cyan",
    accent="ansi_magenta",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    variables={
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "text": "ansi_default",
        "text-muted": "ansi_default",
        "text-disabled": "ansi_default",
        "text-success": "ansi_green",
        "text-warning": "ansi_yellow",
        "text-error": "ansi_red",
        "border": "ansi_blue",
        "border-blurred": "ansi_blue",
        "block-cursor-foreground": "ansi_default",
        "block-cursor-background": "ansi_default",
        "block-cursor-text-style": "reverse bold",
        "block-cursor-blurred-foreground": "ansi_default",
        "block-cursor-blurred-background": "ansi_default",
        "block-cursor-blurred-text-style": "reverse bold",
        "block-hover-background": "ansi_default",
        "footer-background": "ansi_blue",
        "footer-foreground": "ansi_white",
        "footer-key-foreground": "ansi_yellow",
        "footer-key-background": "ansi_blue",
        "footer-description-foreground": "ansi_white",
        "footer-description-background": "ansi_blue",
        "footer-item-background": "ansi_blue",
        "scrollbar": "ansi_white",
        "scrollbar-hover": "ansi_white",
        "scrollbar-active": "ansi_white",
        "scrollbar-background": "ansi_default",
        "scrollbar-background-hover": "ansi_default",
        "scrollbar-background-active": "ansi_default",
        "scrollbar-corner-color": "ansi_default",
        "input-cursor-background": "ansi_white",
        "input-cursor-foreground": "ansi_black",
        "input-selection-background": "ansi_blue",
        "screen-selection-background": "ansi_blue",
        "screen-selection-foreground": "ansi_white",
        "primary-background": "ansi_blue",
        "secondary-background": "ansi_default",
    },
)


class ConsoleScrollBarRender(ScrollBarRender):
    """Scrollbars in whole cells: the eighth-block glyphs (▁ ▂ … ▉ ▊) aren't in console fonts."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def apply_console_theme(app: App[Any], *, console: bool, no_color: bool) -> None:
    """On the console: the base-colour theme, whole-cell scrollbars and ``-console`` rules;
    on the console or with NO_COLOR: the reverse-video selection (``-reverse-select``)."""
    # Class-level: one kiosk app per process (tests reset it with every app they make).
    ScrollBar.renderer = ConsoleScrollBarRender if console else ScrollBarRender
    if console:
        app.register_theme(CONSOLE_THEME)
        if app.is_running:
            app.theme = CONSOLE_THEME.name
        else:
            # Not started yet (``KioskApp.__init__``): set without Textual's watcher, which
            # queues a second parse of the whole stylesheet and a restyle before the first
            # frame (~10 ms): the first parse gets this theme's variables instead. What the
            # watcher would do besides: the classes and the filter below (Textual 8's
            # ``App._watch_theme``; tests/e2e/test_console.py checks the SGR a VT gets).
            app.set_reactive(App.theme, CONSOLE_THEME.name)
            app.stylesheet.set_variables(app.get_css_variables())  # nothing parsed yet
            app.add_class(f"-theme-{CONSOLE_THEME.name}")
            app.set_class(CONSOLE_THEME.dark, "-dark-mode")
            app.set_class(not CONSOLE_THEME.dark, "-light-mode")
            app._refresh_truecolor_filter(app.ansi_theme)  # ANSI colours stay ANSI
        app.add_class("-console")
        if CONSOLE_CSS not in app.css_path:  # its rules, after kiosk.tcss's
            app.css_path.append(CONSOLE_CSS)
            if app.is_running:
                app.stylesheet.read(CONSOLE_CSS)
                app.refresh_css(animate=False)
    if console or no_color:
        app.add_class("-reverse-select")  # NO_COLOR's greys are too alike to select by


_NO_COLOR = NoColor()


def no_color_filters(filters: Sequence[LineFilter]) -> list[LineFilter]:
    """``filters`` with Textual's greyscale NO_COLOR filter swapped for the one that leaves
    the terminal's own colours.

    Textual chooses between them once, for the theme it starts with (not ANSI: greyscale);
    under the console theme the greyscale one turns "the terminal's default colour" into RGB
    black, for text and background alike, and a VT draws black on black.
    """
    return [_NO_COLOR if isinstance(f, Monochrome) else f for f in filters]

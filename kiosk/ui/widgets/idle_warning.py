"""The countdown before the idle reset clears the till: "Clearing in 9 s — press any key"."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from kiosk.i18n import _

#: Seconds before the idle reset that the countdown appears.
IDLE_WARNING = 10.0


def warning_text(seconds: int, glyph: str = "⚠") -> Text:
    """"⚠ Clearing in 9 s — press any key to keep" (``glyph``: the app's warning sign)."""
    return Text(f"{glyph} " + _("Clearing in {n} s — press any key to keep").format(n=seconds),
                style="bold")


class IdleWarning(Static):
    """Docked over the top of whatever screen is showing, until a key is pressed."""

    DEFAULT_CSS = """
    IdleWarning {
        dock: top;
        height: auto;  /* two rows of text where one doesn't hold it (60 columns) */
        width: 100%;
        padding: 0 2;
        content-align: center middle;
        background: $warning;
        color: $background;
        border: heavy $warning-lighten-2;
    }
    """

"""The kiosk's two stylesheets: the scan screen's before the first frame, the others' after it.

``kiosk.tcss`` (the app's ``CSS_PATH``) holds what the scan screen and every screen use;
``screens.tcss`` the rules of the other screens (offers, confirm, result, chooser, PIN, undo,
F2, F9), in the order they had in the one file they were split from. Parsing them all before
the first frame cost the start ~10 ms it doesn't need (notes/perf-start3.md).

Each of those screens names ``screens.tcss`` as its ``CSS_PATH``: Textual reads it when such a
screen is first pushed, then parses the whole stylesheet again and restyles every node. The
app adds it instead right after the first frame (``add_screen_rules``), before it builds its
first other screen, so that only the new file is parsed and nothing is restyled: none of its
rules matches a node of the scan screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

#: The other screens' rules (absolute, as Textual names a source it read).
SCREENS_CSS: Final = Path(__file__).resolve().with_name("screens.tcss")


def add_screen_rules(app: Any) -> bool:
    """Add ``screens.tcss`` to ``app``'s stylesheet unless it has it; whether it was added.

    Textual parses it with the next styling (its other sources come from its parse cache); no
    node is restyled, as none shown yet is one of those screens'.
    """
    stylesheet = app.stylesheet
    if stylesheet.has_source(str(SCREENS_CSS), ""):
        return False
    stylesheet.read(SCREENS_CSS)
    return True

"""What the first customer needs, imported just after the scan screen's first frame.

``kiosk run`` paints the scan screen before it imports Engage's models (pydantic) or any
screen it doesn't show (``kiosk.ui.app`` imports them where they are first used). So that the
first customer doesn't pay for those imports inside the first scan, the app imports them in
idle time right after the first frame, in the order a customer needs them: the models a lookup
parses, the offers, confirmation and result screens, then the rarer screens. Each module is
imported from its own loop callback, so a key or a scan that arrives meanwhile waits for one
import at most, never for all of them (measured against a thread: notes/perf-lazy.md).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

#: In the order the first customer needs them (a scan, its offers, confirm, the result).
FIRST_CUSTOMER: tuple[str, ...] = (
    "kiosk.engage.models",
    "kiosk.visit",
    "kiosk.ui.screens.offers",
    "kiosk.ui.screens.confirm",
    "kiosk.ui.screens.result",
)
#: Screens a shift may or may not need: a shared card, the PIN, undo, F2, F9.
LATER: tuple[str, ...] = (
    "kiosk.ui.screens.chooser",
    "kiosk.ui.screens.pin",
    "kiosk.ui.screens.undo",
    "kiosk.ui.screens.recall",
    "kiosk.ui.screens.diagnostics",
)
MODULES = FIRST_CUSTOMER + LATER


def import_one(name: str) -> None:
    """Import ``name`` unless it already is; a failure is logged, never raised (the same import
    runs again, and reports, where the module is used)."""
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except Exception:  # pragma: no cover  (an install missing a module: the use will say)
        log.exception("warm-up: %s could not be imported", name)


def warm_up(call_later: Callable[..., object], modules: tuple[str, ...] = MODULES) -> None:
    """Import ``modules`` one per ``call_later`` callback (the app's: queued behind any
    event already waiting, so a scan never waits for more than one import)."""
    if not modules:
        return
    import_one(modules[0])
    if modules[1:]:
        call_later(warm_up, call_later, modules[1:])

"""What the first customer needs, made ready just after the scan screen's first frame.

``kiosk run`` paints the scan screen before it imports Engage's models (pydantic) or any
screen it doesn't show (``kiosk.ui.app`` imports them where they are first used), and before
Babel has loaded the staff's locale. So that the first customer doesn't pay for those inside
the first scan, the app does them in idle time right after the first frame, in the order a
customer needs them: the models a lookup parses, the locale's number and date formats, the
offers, confirmation and result screens, then the rarer screens. One step per loop callback,
so a key that arrives meanwhile waits for one step at most, and none while a customer is being
served (measured against a background thread and no warm-up: notes/perf-lazy.md).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from kiosk import i18n
from kiosk.text import one_line

log = logging.getLogger(__name__)


def formats() -> None:
    """Babel's modules and the active locale's data (~75 ms in a first scan's profile):
    money, a percentage and a date formatted once, as the first offers are."""
    i18n.format_money(Decimal(100), "SEK")
    i18n.format_percent(Decimal(20))
    i18n.format_date(date.today())


def text_rules() -> None:
    """The text-safety rule's patterns (``kiosk.text``), compiled at the first text that isn't
    printable: an offer's description with a line break, as a rule."""
    one_line("\x1b\n")


Step = str | Callable[[], object]

#: In the order the first customer needs them (a scan, its offers, confirm, the result).
FIRST_CUSTOMER: tuple[Step, ...] = (
    # pydantic in steps of 10-35 ms (once the settings don't bring it, ~150 ms in all on a
    # quiet machine): its core, BaseModel's machinery, its plugin loader (importlib.metadata)
    # and types (annotated_types), then our models' schemas.
    "pydantic_core",
    "pydantic.main",
    "pydantic.plugin._loader",
    "pydantic.types",
    "kiosk.engage.models",
    "kiosk.lookup",  # the member lookup (and rewards): built on first use (kiosk.ui.launch)
    "kiosk.ui.messages_text",  # what staff read for an answer (kiosk.ui.app imports it lazily)
    formats,
    text_rules,
    "kiosk.visit",
    "kiosk.ui.screens.offers",
    "kiosk.ui.screens.confirm",
    "kiosk.ui.screens.result",
)
#: Screens a shift may or may not need: a shared card, the PIN, undo, F2, F9.
LATER: tuple[Step, ...] = (
    "kiosk.ui.screens.chooser",
    "kiosk.ui.screens.pin",
    "kiosk.ui.screens.undo",
    "kiosk.ui.screens.recall",
    "kiosk.ui.screens.diagnostics",
)
STEPS = FIRST_CUSTOMER + LATER
#: The modules among them.
MODULES = tuple(step for step in STEPS if isinstance(step, str))


def run_step(step: Step) -> None:
    """Import a module (unless it already is) or call a function; a failure is logged,
    never raised (the same work runs again, and reports, where it is needed)."""
    if isinstance(step, str) and step in sys.modules:
        return
    try:
        importlib.import_module(step) if isinstance(step, str) else step()
    except ModuleNotFoundError as exc:  # e.g. a pydantic whose internals moved: nothing lost
        log.debug("warm-up: %s", exc)
    except Exception:  # its use will fail and report the same way
        log.exception("warm-up: %s failed", step)


class Host(Protocol):
    """Where the warm-up runs: the app (its message queue and timers)."""

    def call_later(self, callback: Callable[..., object], *args: Any) -> object: ...
    def set_timer(self, delay: float, callback: Callable[[], object]) -> object: ...


#: Seconds between looks at a busy till (a customer's keys, lookup or redemption).
BUSY_RETRY = 0.25


def warm_up(host: Host, idle: Callable[[], bool], steps: tuple[Step, ...] = STEPS) -> None:
    """Run ``steps`` one per ``host.call_later`` callback (queued behind any event already
    waiting, so a key waits for one step at most), and only while ``idle()``: a customer's
    scan comes first (interleaved with the steps, a scan in the warm-up took ~2x as long as
    one that imported what it needed itself); the steps go on once the till is quiet."""
    if not steps:
        return
    if not idle():
        host.set_timer(BUSY_RETRY, partial(warm_up, host, idle, steps))
        return
    run_step(steps[0])
    if steps[1:]:
        host.call_later(warm_up, host, idle, steps[1:])

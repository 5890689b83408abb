"""Settle by hand, at the till, a redemption Engage couldn't confirm (F5 on F2's list, after the
staff PIN): what happened, chosen from a short list, each a reason staff can check (the receipt,
Engage). Up/Down chooses, Enter settles, Escape leaves it open. Nothing is chosen at first, so a
scanner's Enter can't settle anything. Dismisses with the :class:`Settlement` or None.

The app records it as ``kiosk journal resolve`` does (who: this till; why: the reason, in
English for IT), see ``KioskApp``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _
from kiosk.text import sanitize
from kiosk.ui.key_guard import KeyGuard
from kiosk.ui.screens.choice import ChoiceScreen
from kiosk.ui.screens.recall import OpenAttempt
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter


@dataclass(frozen=True)
class Settlement:
    """What staff chose: applied or not, and why (the msgid: the journal keeps it in English)."""

    applied: bool
    reason: str


#: The choices, in order: what happened and how staff know it.
CHOICES: tuple[Settlement, ...] = (
    Settlement(True, N_("Applied: the receipt shows the discount")),
    Settlement(True, N_("Applied: Engage shows it used at this till")),
    Settlement(False, N_("Not applied: the customer didn't get the discount")),
    Settlement(False, N_("Not applied: Engage shows the offer still active")),
)


class SettleScreen(KeyGuard[Settlement | None], ChoiceScreen[Settlement | None]):
    """Up/Down chooses what happened (``ChoiceScreen``), Enter settles (dismisses with it),
    Escape: None."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "settle", N_("Settle"), id="settle"),
        Binding("escape", "cancel", N_("Leave it open"), id="cancel"),
    ]

    def __init__(self, attempt: OpenAttempt, *, guard: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(guard=guard, clock=clock)
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        a = self.attempt
        with Vertical(id="settle-box"):
            yield Static(Text(_("Settle a redemption Engage couldn't confirm"), style="bold"),
                         id="settle-title")
            yield Static(Text("  ".join((a.time, sanitize(a.masked_card, limit=12),
                                         sanitize(a.offer_name, limit=60),
                                         sanitize(a.value, limit=40)))), id="settle-attempt")
            yield Static(Text(_("Check the receipt or Engage first, then choose what happened "
                                "(Up/Down) and press Enter."), style="dim"), id="settle-hint")
            settle_list = OptionList(*[Option(self._prompt(i)) for i in range(len(CHOICES))],
                                     id="settle-list", markup=False)
            settle_list.can_focus = False  # the screen's bindings drive it
            yield settle_list
        yield KioskFooter()

    def _choice(self, index: int) -> Text:
        """A choice: what happened and how staff know it, in their language."""
        return Text(_(CHOICES[index].reason))

    def on_mount(self) -> None:
        self.arm_key_guard()
        self._highlight(None)  # nothing chosen: Enter alone settles nothing
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()  # Enter lights up once something is chosen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "settle":  # offered once something is chosen (and the guard is over)
            lists = self.query("#settle-list").results(OptionList)
            chosen = next((o.highlighted for o in lists), None)
            return None if self.guarding or chosen is None else True
        return True

    def action_settle(self) -> None:
        index = self._list().highlighted
        if not self.guarding and index is not None:
            self.dismiss(CHOICES[index])

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Confirm giving a reward voucher back (the sale was cancelled) before anything is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.ui.key_guard import KeyGuard
from kiosk.ui.screens.result import Undoable
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter


class UndoScreen(KeyGuard[Undoable | None], ModalScreen[Undoable | None]):
    """Enter gives the voucher back (dismisses with it), Escape keeps it used (None)."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", N_("Give it back"), id="confirm"),
        Binding("escape", "cancel", N_("Keep it used"), id="cancel"),
    ]

    def __init__(self, undoable: Undoable, *, guard: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(guard=guard, clock=clock)
        self.undoable = undoable

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(_("Give this reward voucher back?"), id="confirm-title")
            yield Static(Text(self.undoable.name, style="bold"), id="confirm-offer")
            yield Static(Text(_("Only when the sale it was used on is cancelled. Engage makes it "
                                "usable again for the member (a voucher can be given back a "
                                "limited number of times)."), style="dim"), id="confirm-apply")
        yield KioskFooter()

    def on_mount(self) -> None:
        self.arm_key_guard()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "confirm" and self.guarding else True

    def action_confirm(self) -> None:
        if not self.guarding:
            self.dismiss(self.undoable)

    def action_cancel(self) -> None:
        self.dismiss(None)

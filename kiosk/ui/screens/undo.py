"""Confirm giving a reward voucher back (the sale was cancelled) before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kiosk.ui.screens.result import Undoable
from kiosk.ui.widgets.footer import KioskFooter

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


class UndoScreen(ModalScreen[Undoable | None]):
    """Enter gives the voucher back (dismisses with it), Escape keeps it used."""

    app: KioskApp  # type: ignore[assignment]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Give it back", id="confirm"),
        Binding("escape", "cancel", "Keep it used", id="cancel"),
    ]

    def __init__(self, undoable: Undoable) -> None:
        super().__init__()
        self.undoable = undoable
        self._guard_until = float("-inf")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static("Give this reward voucher back?", id="confirm-title")
            yield Static(Text(self.undoable.name, style="bold"), id="confirm-offer")
            yield Static(Text("Only when the sale it was used on is cancelled. Engage makes it "
                              "usable again for the member (a voucher can be given back a "
                              "limited number of times).", style="dim"), id="confirm-apply")
        yield KioskFooter()

    def on_mount(self) -> None:
        self._guard_until = self.app.key_guard_until()

    def action_confirm(self) -> None:
        if not self.app.guarding(self._guard_until):
            self.dismiss(self.undoable)

    def action_cancel(self) -> None:
        self.dismiss(None)

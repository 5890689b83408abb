"""The answer, in large type: what to apply at the till, or what happened and what to do next.

After a reward voucher was redeemed the result offers the undo key (the sale was cancelled):
it posts :class:`ResultScreen.UndoRequested`; the app asks for the staff PIN.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Static

from kiosk.offers import Member
from kiosk.ui.messages import StartOver
from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.screens.base import STAFF_KEYS, KeyGuard
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput

#: The line above the headline: words and a symbol, so colour is never the only signal.
KICKER = {
    "success": "✔ Redeemed. Apply at the till:",
    "warning": "⚠ Nothing to apply yet",
    "error": "✘ Nothing to apply",
}
#: The key that undoes the voucher just redeemed (a function key: no scanner types it).
UNDO_KEY = "f3"


@dataclass(frozen=True)
class Undoable:
    """A voucher redemption the result may offer to undo: its journal row and its name."""

    journal_id: int
    name: str


class ResultScreen(KeyGuard[None]):
    """Any key (or the next scan) continues; digits start typing the next card instead.

    Continuing posts ``StartOver``.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue", id="continue"),
        Binding(UNDO_KEY, "undo", "Undo voucher (sale cancelled)", id="undo"),
    ]

    @dataclass
    class UndoRequested(Message):
        """Staff want the voucher given back (the app asks for the PIN first)."""

        undoable: Undoable

    def __init__(self, message: StaffMessage, member: Member | None = None, *,
                 undoable: Undoable | None = None, cursor_blink: bool = True,
                 guard: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(guard=guard, clock=clock, classes=message.severity)
        self.message = message
        self.member = member
        self.undoable = undoable
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical(id="result-box"):
            yield Static(self.message.kicker or KICKER.get(self.message.severity, KICKER["error"]),
                         id="result-kicker")
            with Center():  # the block is narrower than the column: centre it on its own
                yield Static(Text(self.message.title), id="result-title")
            yield Static(Text(self.message.body), id="result-body")
            if self.member is not None:
                yield Static(Text(f"{self.member.first_name or 'Member'} · card "
                                  f"{self.member.masked_card}", style="dim"), id="result-member")
            yield Static("Press any key to continue, or scan the next card.", id="result-hint")
            if self.undoable is not None:
                yield Static(f"Sale cancelled? {UNDO_KEY.upper()} gives the voucher back "
                             "(staff PIN).", id="result-undo")
            with Center():
                yield ScanInput(cursor_blink=self.cursor_blink, id="result-scan")
        yield KioskFooter()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        # A key mashed while Engage answered must not wipe the result before staff see it.
        self.arm_key_guard()

    def on_key(self, event: events.Key) -> None:
        # Keys the scan input didn't take (Enter with nothing typed, Escape, arrows...).
        if event.key in STAFF_KEYS:
            return
        event.stop()
        if event.key == UNDO_KEY:
            self.action_undo()
            return
        self.action_continue()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.undoable is not None
        return True

    def action_undo(self) -> None:
        if self.undoable is not None and not self.guarding:
            self.post_message(self.UndoRequested(self.undoable))

    def action_continue(self) -> None:
        if not self.guarding:
            self.post_message(StartOver())

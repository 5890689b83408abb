"""The answer, in large type: what to apply at the till, or what happened and what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Static

from kiosk.offers import Member
from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


#: The line above the headline: words and a symbol, so colour is never the only signal.
KICKER = {
    "success": "✔ Redeemed. Apply at the till:",
    "warning": "⚠ Nothing to apply yet",
    "error": "✘ Nothing to apply",
}


class ResultScreen(Screen):
    """Any key (or the next scan) continues; digits start typing the next card instead."""

    app: KioskApp  # type: ignore[assignment]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue", id="continue"),
    ]

    def __init__(self, message: StaffMessage, member: Member | None = None, *,
                 offer_id: str | None = None, provisional: bool = False) -> None:
        super().__init__(classes=message.severity)
        self.message = message
        self.member = member
        #: the offer this result is about, and whether a settled answer is still to come
        self.offer_id = offer_id
        self.provisional = provisional
        self._guard_until = float("-inf")  # set on mount

    def compose(self) -> ComposeResult:
        with Vertical(id="result-box"):
            yield Static(KICKER.get(self.message.severity, KICKER["error"]), id="result-kicker")
            with Center():  # the block is narrower than the column: centre it on its own
                yield Static(Text(self.message.title), id="result-title")
            yield Static(Text(self.message.body), id="result-body")
            if self.member is not None:
                yield Static(Text(f"{self.member.first_name or 'Member'} · card "
                                  f"{self.member.masked_card}", style="dim"), id="result-member")
            yield Static("Press any key to continue, or scan the next card.", id="result-hint")
            with Center():
                yield ScanInput(cursor_blink=self.app.cursor_blink, id="result-scan")
        yield KioskFooter()

    def show(self, message: StaffMessage) -> None:
        """Replace a provisional answer ("not confirmed yet") with the settled one."""
        self.remove_class(self.message.severity)
        self.message = message
        self.provisional = False
        self.add_class(message.severity)
        self.query_one("#result-kicker", Static).update(
            KICKER.get(message.severity, KICKER["error"]))
        self.query_one("#result-title", Static).update(Text(message.title))
        self.query_one("#result-body", Static).update(Text(message.body))

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        # A key mashed while Engage answered must not wipe the result before staff see it.
        self._guard_until = self.app.key_guard_until()

    def on_key(self, event: events.Key) -> None:
        # Keys the scan input didn't take (Enter with nothing typed, Escape, arrows...).
        if event.key in self.app.staff_keys:
            return
        event.stop()
        self.action_continue()

    def action_continue(self) -> None:
        if not self.app.guarding(self._guard_until):
            self.app.request_start_over()

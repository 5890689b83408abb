"""The answer, in large type: what to apply at the till, or what happened and what to do next.

During a visit (a member is known), Enter goes back to the same member's offers, read again
from Engage, and Escape ends the visit; without a member any key starts over. Either way the
screen posts a message and the app decides (``NextOffer`` / ``EndVisit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from kiosk.offers import Member, Offer
from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.screens.offers import conditions_text, visit_strip
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput
from kiosk.visit import Visit

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


#: The line above the headline: words and a symbol, so colour is never the only signal.
KICKER = {
    "success": "✔ Redeemed. Apply at the till:",
    "warning": "⚠ Nothing to apply yet",
    "error": "✘ Nothing to apply",
}


class ResultScreen(Screen):
    """Enter/Escape (or the next scan) continue; digits start typing the next card instead."""

    app: KioskApp  # type: ignore[assignment]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next_offer", "Continue", id="continue"),
        Binding("escape", "end_visit", "Done (new customer)", id="end_visit"),
    ]

    class NextOffer(Message):
        """Staff want the same member's offers again (Enter during a visit)."""

    class EndVisit(Message):
        """Staff are done with this customer (Escape, or any key without a member)."""

    def __init__(self, message: StaffMessage, member: Member | None = None,
                 offer: Offer | None = None, visit: Visit | None = None) -> None:
        super().__init__(classes=message.severity)
        self.message = message
        self.member = member
        self.offer = offer
        self.visit = visit
        self._guard_until = float("-inf")  # set on mount

    def compose(self) -> ComposeResult:
        with Vertical(id="result-box"):
            yield Static(KICKER.get(self.message.severity, KICKER["error"]), id="result-kicker")
            with Center():  # the block is narrower than the column: centre it on its own
                yield Static(Text(self.message.title), id="result-title")
            yield Static(Text(self.message.body), id="result-body")
            offer = self.offer
            if offer is not None and offer.conditions and self.message.severity == "success":
                yield Static(conditions_text(offer), id="result-conditions")
            if self.member is not None:
                yield Static(Text(f"{self.member.first_name or 'Member'} · card "
                                  f"{self.member.masked_card}", style="dim"), id="result-member")
            if self.visit is not None and self.visit.redeemed:
                yield Static(visit_strip(self.visit), id="result-visit")
            yield Static(self._hint(), id="result-hint")
            with Center():
                yield ScanInput(cursor_blink=self.app.cursor_blink, id="result-scan")
        yield KioskFooter()

    def _hint(self) -> Text:
        if self.member is None:
            return Text("Press any key to continue, or scan the next card.")
        who = f"{self.member.first_name}'s" if self.member.first_name else "the member's"
        return Text(f"Enter: {who} other offers · Esc: done, next customer · or scan a card")

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        # A key mashed while Engage answered must not wipe the result before staff see it.
        self._guard_until = self.app.key_guard_until()
        if self.member is not None:
            self.query_one("#result-hint", Static).styles.text_style = "bold"
            self.watch(self.app, "busy_text", self._busy, init=False)

    def _busy(self, text: str) -> None:
        """"Reading Anna's offers again…" while Engage answers (a slow one is seen waiting)."""
        self.query_one("#result-hint", Static).update(Text(text) if text else self._hint())

    def on_key(self, event: events.Key) -> None:
        # Keys the scan input didn't take (Enter with nothing typed, Escape, arrows...).
        if event.key in self.app.staff_keys:
            return
        if self.member is not None:
            return  # during a visit only Enter and Escape (bindings) move on
        event.stop()
        self.action_end_visit()

    def action_next_offer(self) -> None:
        if self.app.guarding(self._guard_until):
            return
        self.post_message(self.NextOffer() if self.member is not None else self.EndVisit())

    def action_end_visit(self) -> None:
        if not self.app.guarding(self._guard_until):
            self.post_message(self.EndVisit())

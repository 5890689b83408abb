"""The answer, in large type: what to apply at the till, or what happened and what to do next.

On success the short thing to apply ("20 %", "100 kr", a till code) is drawn in block letters
(``BigText``) above the instruction, when it fits; the instruction is always there in words,
with the offer's conditions under it.

During a visit (a member is known), Enter goes back to the same member's offers, read again
from Engage (``NextOffer``), and Escape ends the visit (``StartOver``); without a member any key
starts over.

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
from textual.reactive import reactive
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.offers import Member, Offer
from kiosk.ui.glyphs import UNICODE
from kiosk.ui.key_guard import KeyGuard
from kiosk.ui.messages import StartOver
from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.screens.base import STAFF_KEYS
from kiosk.ui.screens.offers import conditions_text, member_card, visit_strip
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.big_text import BigText, drawable
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field
from kiosk.visit import Visit

#: The line above the headline: words and a symbol, so colour is never the only signal
#: (msgids; the symbol comes from the app's glyphs: "OK", "!" and "X" on the console).
KICKER = {
    "success": ("ok", N_("Redeemed. Apply at the till:")),
    "warning": ("warn", N_("Nothing to apply yet")),
    "error": ("fail", N_("Nothing to apply")),
}
#: Fewer rows than this and the large type would push the instructions off the screen.
BIG_MIN_HEIGHT = 22
#: The key that undoes the voucher just redeemed (a function key: no scanner types it).
UNDO_KEY = "f3"


@dataclass(frozen=True)
class Undoable:
    """A voucher redemption the result may offer to undo: its journal row and its name."""

    journal_id: int
    name: str
    item_id: str = ""  # the voucher's id


class ResultScreen(KeyGuard[None]):
    """Enter/Escape (or the next scan) continue; digits start typing the next card instead.

    With a member: Enter posts ``NextOffer``, Escape ``StartOver``; without, any key posts
    ``StartOver``.
    """

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", N_("Continue"), id="continue"),
        Binding("escape", "end_visit", N_("Done (new customer)"), id="end_visit"),
        Binding(UNDO_KEY, "undo", N_("Undo voucher"), id="undo"),
    ]

    class NextOffer(Message):
        """Staff want the same member's offers again (Enter during a visit)."""

    @dataclass
    class UndoRequested(Message):
        """Staff want the voucher given back (the app asks for the PIN first)."""

        undoable: Undoable

    #: "" or "Reading Anna's offers again…" while the app waits for Engage (set by the app).
    busy_text: reactive[str] = reactive("", init=False)

    def __init__(self, message: StaffMessage, member: Member | None = None,
                 offer: Offer | None = None, visit: Visit | None = None, *,
                 undoable: Undoable | None = None, cursor_blink: bool = True,
                 guard: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 offer_id: str | None = None, provisional: bool = False,
                 journal_id: int | None = None) -> None:
        big = message.big if message.severity == "success" and drawable(message.big) else ""
        super().__init__(guard=guard, clock=clock,
                         classes=f"{message.severity} {'-big' if big else ''}".strip())
        self.big = big
        self.message = message
        self.member = member
        self.offer = offer
        self.visit = visit
        self.undoable = undoable
        self.cursor_blink = cursor_blink
        #: the offer this result is about, and whether a settled answer is still to come
        self.offer_id = offer_id
        self.provisional = provisional
        #: the attempt's journal row, and the journal's ``changes()`` when the app last read it
        #: (while provisional the app watches it: settled by hand, by IT, the screen says so)
        self.journal_id = journal_id
        self.journal_version: tuple[int, int] | None = None
        #: built ahead and styled at mount (kiosk.ui.prepared): its first resume restyles nothing
        self.styled_ahead = False

    def compose(self) -> ComposeResult:
        with Vertical(id="result-box"):
            symbol, kicker = KICKER.get(self.message.severity, KICKER["error"])
            glyph = getattr(getattr(self.app, "glyphs", UNICODE), symbol)
            if self.message.kicker:  # a kicker of its own (a voucher given back)
                kicker = self.message.kicker
            yield Static(Text(f"{glyph} {_(kicker)}"), id="result-kicker")
            if self.big:
                yield BigText(self.big, id="result-big")
            with Center():  # the block is narrower than the column: centre it on its own
                yield Static(Text(self.message.title), id="result-title")
            yield Static(Text(self.message.body), id="result-body")
            offer = self.offer
            if offer is not None and offer.conditions and self.message.severity == "success":
                yield Static(conditions_text(offer), id="result-conditions")
            if self.member is not None:
                who = self.member.first_name or _("Member")
                card = member_card(self.member)
                yield Static(Text(f"{who} · {card}", style="dim"), id="result-member")
            if self.visit is not None and self.visit.redeemed:
                yield Static(visit_strip(self.visit, justify="center"), id="result-visit")
            yield Static(self._hint(), id="result-hint",
                         classes="" if self.member is None else "visit")
            if self.undoable is not None:
                yield Static(_("Sale cancelled? {key} gives the voucher back (staff PIN).")
                             .format(key=UNDO_KEY.upper()), id="result-undo")
            with Center():
                yield ScanInput(_("scan the next card"), cursor_blink=self.cursor_blink,
                                id="result-scan")
        yield KioskFooter()

    async def show(self, message: StaffMessage) -> None:
        """Replace a provisional answer ("not confirmed yet") with the settled one."""
        self.remove_class(self.message.severity, "-big")
        self.message = message
        self.provisional = False
        self.big = message.big if message.severity == "success" and drawable(message.big) \
            else ""
        self.add_class(message.severity, *(["-big"] if self.big else []))
        await self.recompose()
        self.on_resize()
        focus_scan_field(self)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.styled_ahead:  # styled when it was mounted, and nothing it depends on changed
            self.styled_ahead = False
            event.refresh_styles = False
        super()._on_screen_resume(event)

    def on_resize(self) -> None:
        # Large type only with room for it: under BIG_MIN_HEIGHT rows the words come first.
        shown = self.app.size.height >= BIG_MIN_HEIGHT
        for big in self.query(BigText):
            if big.display != shown:  # setting it at all lays the screen out again
                big.display = shown

    def _hint(self) -> Text:
        if self.member is None:
            return Text(_("Press any key to continue, or scan the next card."))
        if self.member.first_name:
            return Text(_("Enter: {name}'s other offers · Esc: done, next customer · or scan "
                          "a card").format(name=self.member.first_name))
        return Text(_("Enter: the member's other offers · Esc: done, next customer · or scan "
                      "a card"))

    def on_mount(self) -> None:
        focus_scan_field(self)
        # A key mashed while Engage answered must not wipe the result before staff see it.
        self.arm_key_guard()

    def watch_busy_text(self, text: str) -> None:
        """"Reading Anna's offers again…" while Engage answers (a slow one is seen waiting)."""
        self.query_one("#result-hint", Static).update(Text(text) if text else self._hint())

    def on_key(self, event: events.Key) -> None:
        # Keys the scan input didn't take (Enter with nothing typed, Escape, arrows...).
        if event.key in STAFF_KEYS or self.member is not None:
            return  # during a visit only Enter and Escape (bindings) move on
        event.stop()
        if event.key == UNDO_KEY:
            self.action_undo()
            return
        self.action_end_visit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.undoable is not None
        return True

    def action_undo(self) -> None:
        if self.undoable is not None and not self.guarding:
            self.post_message(self.UndoRequested(self.undoable))

    def action_continue(self) -> None:
        if not self.guarding:
            self.post_message(self.NextOffer() if self.member is not None else StartOver())

    def action_end_visit(self) -> None:
        if not self.guarding:
            self.post_message(StartOver())

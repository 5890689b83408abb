"""Confirm before anything is sent: what will be redeemed and what staff will apply."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.offers import Member, Offer
from kiosk.rewards import VOUCHER, Benefit
from kiosk.ui.key_guard import KeyGuard
from kiosk.ui.screens.offers import FOUND_BY_KEY, conditions_text, shown_value
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field

#: Seconds from Enter to the busy line and the greyed keys on screen. Refused at once (the
#: keys check ``redeeming``), but drawn once the POST has left: drawn at once, their layout and
#: paint held the journal's answer, and so the POST, back. An answer sooner than this covers
#: the confirmation with the result, and the busy line is never drawn at all.
BUSY_DRAWN_AFTER = 0.05


class ConfirmScreen(KeyGuard[None], ModalScreen[None]):
    """Enter redeems (once), Escape cancels and sends nothing. A scan here starts over.

    Posts ``Confirmed``; the app pushes the result on top of this screen when it comes.
    """

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    class Confirmed(Message):
        """Staff confirmed: redeem ``offer`` for ``member``."""

        def __init__(self, member: Member, offer: Benefit) -> None:
            super().__init__()
            self.member = member
            self.offer = offer

    #: True while a redemption is in flight (set by the app): both keys wait.
    redeeming: reactive[bool] = reactive(False, init=False)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", N_("Redeem"), id="confirm"),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]

    def __init__(self, member: Member, offer: Benefit, *, cursor_blink: bool = True,
                 guard: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(guard=guard, clock=clock)
        self.member = member
        self.offer = offer
        self.cursor_blink = cursor_blink
        self._since = 0.0
        self._ticker: Timer | None = None
        self._busy_drawn: Timer | None = None

    def compose(self) -> ComposeResult:
        offer = self.offer
        with Vertical(id="confirm-box"):
            title = _("Redeem this reward voucher?") if getattr(offer, "kind", "") == VOUCHER \
                else _("Redeem this offer?")
            yield Static(title, id="confirm-title")
            name = Text(offer.name, style="bold")
            name.append(f"\n{shown_value(offer)}")
            if offer.expiry_text:
                name.append(f"   {offer.expiry_text}", style="dim")
            yield Static(name, id="confirm-offer")
            # in full: staff check them with the customer before redeeming
            if isinstance(offer, Offer) and offer.conditions:
                yield Static(conditions_text(offer, label=False), id="confirm-conditions")
            apply = Text(_("At the till:") + " ", style="dim")
            apply.append(offer.till_instruction, style="bold")
            yield Static(apply, id="confirm-apply")
            member = self.member
            if member.key in FOUND_BY_KEY:  # an e-mail, a phone or personal number: named only
                found = _(FOUND_BY_KEY[member.key])
                who = (_("for {name}, {found}").format(name=member.first_name, found=found)
                       if member.first_name else
                       _("for the member {found}").format(found=found))
            else:
                who = (_("for {name}, card {card}").format(name=member.first_name,
                                                          card=member.masked_card)
                       if member.first_name else
                       _("for the member with card {card}").format(card=member.masked_card))
            yield Static(Text(who, style="dim"), id="confirm-member")
            yield Static("", id="confirm-busy")
            # Labelled: a scan here starts over with the new card.
            yield ScanInput(_("or scan another card to start over"),
                            cursor_blink=self.cursor_blink, id="confirm-scan")
        yield KioskFooter()

    def on_mount(self) -> None:
        focus_scan_field(self)
        # An Enter pressed twice on the offers list must not confirm before staff read this.
        self.arm_key_guard()

    def watch_redeeming(self, redeeming: bool) -> None:
        # A live count: Engage may take up to a minute, and staff must see it is still going.
        if redeeming and self._ticker is None:
            self._since = time.monotonic()
            self._ticker = self.set_interval(1.0, self._tick)
            self._busy_drawn = self.set_timer(BUSY_DRAWN_AFTER, self._draw_busy)
            return
        if not redeeming and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self._busy_drawn is not None:  # the answer came first: nothing drawn to take back
            self._busy_drawn.stop()
            self._busy_drawn = None
            return
        self._tick()
        self.refresh_bindings()

    def _draw_busy(self) -> None:
        self._busy_drawn = None
        if self.redeeming and self.is_current:  # not under the result that just covered it
            self._tick()
            self.refresh_bindings()

    def _tick(self) -> None:
        text: Text | str = ""
        if self.redeeming:
            waited = int(time.monotonic() - self._since)
            text = Text(_("Waiting for Engage… {n} s. Don't apply anything yet.").format(
                n=waited), style="bold")
        self.query_one("#confirm-busy", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm", "cancel") and self.redeeming:
            return False  # not offered at all: one POST at a time, and it can't be called back
        if action == "confirm" and self.guarding:
            return None  # just opened: greyed out for a moment
        return True

    def action_confirm(self) -> None:
        if not self.guarding and not self.redeeming:
            self.post_message(self.Confirmed(self.member, self.offer))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The member's active in-store offers and reward vouchers: Up/Down to choose, Enter to redeem,
Escape to finish. The header shows the member's points when Engage gave them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.offers import Member, Offer
from kiosk.rewards import Benefit, Voucher
from kiosk.ui.messages import StartOver
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.rewards import (
    points_text,
    section_heading,
    voucher_prompt,
    vouchers_count_text,
)
from kiosk.ui.widgets.scan_input import ScanInput


def shown_value(offer: Benefit) -> str:
    """The value line; a MANUAL offer's label often repeats its name, the instruction says more."""
    same = offer.value_text.casefold() == offer.name.casefold()
    return offer.till_instruction if same and offer.redeemable else offer.value_text


def offer_prompt(offer: Offer) -> Text:
    """Two lines per offer: the name, then value and expiry. Built from Text: never markup."""
    text = Text(offer.name, style="bold", no_wrap=True, overflow="ellipsis")
    text.append("\n  ")
    text.append(shown_value(offer), style="" if offer.redeemable else "dim")
    if offer.expiry_text:
        text.append(f"   {offer.expiry_text}", style="dim")
    if not offer.redeemable:
        text.append("   (not redeemable at this till)", style="dim italic")
    return text


def greeting(member: Member) -> Text:
    """"Anna · •••• 4931 · 1 250 points" (a generic greeting when Engage has no first name)."""
    text = Text(member.first_name or "Member", style="bold")
    text.append(f"  ·  card {member.masked_card}")
    points = points_text(member)
    if points is not None:
        text.append("  ·  ")
        text.append_text(points)
    return text


class OffersScreen(Screen[None]):
    """One member's offers. A scan here starts over with the new card.

    Posts ``Chosen`` for the offer under the cursor (Enter) and ``StartOver`` (Escape).
    """

    class Chosen(Message):
        """Staff chose ``offer`` (an offer or a reward voucher) to redeem."""

        def __init__(self, offer: Benefit) -> None:
            super().__init__()
            self.offer = offer

    #: True while a redemption is in flight (set by the app): choosing another waits.
    redeeming: reactive[bool] = reactive(False, init=False)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Choose", key_display="↑↓"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "choose", "Redeem…", id="choose"),
        Binding("escape", "done", "Done (new customer)", id="done"),
    ]

    def __init__(self, member: Member, offers: list[Offer], *, cursor_blink: bool = True) -> None:
        super().__init__()
        self.member = member
        self.offers = offers
        self.cursor_blink = cursor_blink
        rewards = member.rewards
        self.vouchers: list[Voucher] = list(rewards.vouchers or ()) if rewards else []
        #: what the list's options stand for, by option id (offers, then vouchers)
        self.items: list[Benefit] = [*offers, *self.vouchers]

    def _count_line(self) -> str:
        count = len(self.offers)
        parts = [f"{count} offer{'s' if count != 1 else ''} to use in store"] if count else []
        vouchers = vouchers_count_text(self.member)
        return "  ·  ".join([*parts, vouchers] if vouchers else parts)

    def compose(self) -> ComposeResult:
        yield Static(greeting(self.member), id="member")
        if self.items:
            yield Static(self._count_line(), id="count")
            options: list[Option | None] = []
            for i, o in enumerate(self.offers):
                options += [Option(offer_prompt(o), id=str(i), disabled=not o.redeemable), None]
            if self.vouchers:
                options.append(Option(section_heading("Reward vouchers"), id="vouchers",
                                      disabled=True))
                for i, v in enumerate(self.vouchers, start=len(self.offers)):
                    options += [Option(voucher_prompt(v), id=str(i), disabled=not v.redeemable),
                                None]
            # None draws a rule under the option before it
            option_list = OptionList(*options[:-1], id="offers", markup=False)
            option_list.can_focus = False  # keys stay with the scan input; bindings drive it
            yield option_list
        else:
            who = self.member.first_name or "This member"
            yield Static(Text(f"{who} has no offers to use in store right now."), id="no-offers")
            if vouchers_count_text(self.member):
                yield Static(Text(vouchers_count_text(self.member).capitalize() + "."),
                             id="count")
        yield ScanInput("scan the next card", cursor_blink=self.cursor_blink)
        yield KioskFooter()

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        if self.items:
            option_list = self.query_one(OptionList)
            first = next((i for i in range(option_list.option_count)
                          if not option_list.get_option_at_index(i).disabled), None)
            option_list.highlighted = first

    def on_screen_resume(self) -> None:
        self.query_one(ScanInput).focus()

    @property
    def highlighted_offer(self) -> Benefit | None:
        """The offer or voucher under the cursor, if any."""
        if not self.items:
            return None
        option_list = self.query_one(OptionList)
        index = option_list.highlighted
        if index is None:
            return None
        option_id = option_list.get_option_at_index(index).id
        return self.items[int(option_id)] if option_id and option_id.isdigit() else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            offer = self.highlighted_offer
            if offer is None:
                return False if not self.items else None
            return None if self.redeeming else True
        if action in ("cursor_up", "cursor_down", "page_up", "page_down", "first", "last"):
            return bool(self.items)
        return True

    def _list(self) -> OptionList:
        return self.query_one(OptionList)

    def action_cursor_up(self) -> None:
        self._list().action_cursor_up()

    def action_cursor_down(self) -> None:
        self._list().action_cursor_down()

    def action_page_up(self) -> None:
        self._list().action_page_up()

    def action_page_down(self) -> None:
        self._list().action_page_down()

    def action_first(self) -> None:
        self._list().action_first()

    def action_last(self) -> None:
        self._list().action_last()

    def watch_redeeming(self) -> None:
        self.refresh_bindings()

    def action_choose(self) -> None:
        offer = self.highlighted_offer
        if offer is not None:
            self.post_message(self.Chosen(offer))

    def action_done(self) -> None:
        self.post_message(StartOver())

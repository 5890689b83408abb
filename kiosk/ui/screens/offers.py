"""The member's active in-store offers and reward vouchers: Up/Down to choose, Enter to redeem,
Escape to finish. The header shows the member's points when Engage gave them."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _, ngettext
from kiosk.offers import Member, Offer
from kiosk.rewards import Benefit, Voucher
from kiosk.ui.messages import StartOver
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.offer_list import LazyOption, OfferList
from kiosk.ui.widgets.rewards import (
    points_text,
    section_heading,
    vouchers_count_text,
)
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field


def shown_value(offer: Benefit) -> str:
    """The value line; a MANUAL offer's label often repeats its name, the instruction says more."""
    same = offer.value_text.casefold() == offer.name.casefold()
    return offer.till_instruction if same and offer.redeemable else offer.value_text


#: Rows of an ``offer_prompt``: the name, then value and expiry (one line each, never wrapped).
OFFER_LINES = 2


def offer_prompt(offer: Benefit, width: int | None = None, *, selected: bool = False) -> Text:
    """Two lines per offer or voucher: the name, then value and expiry. Built from Text: never
    markup.

    With ``width`` (the list's text width) a long value is shortened with "…" so the expiry
    date after it always stays in view. ``selected`` draws the whole option in reverse video
    (padded to ``width``): the selection where colours can't show it (Linux console,
    NO_COLOR); a reverse attribute in the text reaches the terminal as SGR 7, one set by CSS
    is turned into swapped colours, which are nothing when both are the default.
    """
    text = Text(offer.name, style="bold", no_wrap=True, overflow="ellipsis")
    text.append("\n  ")
    value = shown_value(offer)
    tail = f"   {offer.expiry_text}" if offer.expiry_text else ""
    if width is not None and tail and 2 + len(value) + len(tail) > width:
        room = max(width - 2 - len(tail), 8)
        value = value[: room - 1] + "…" if len(value) > room else value
    text.append(value, style="" if offer.redeemable else "dim")
    if tail:
        text.append(tail, style="dim")
    if not offer.redeemable:
        text.append("   " + _("(not redeemable at this till)"), style="dim italic")
    if selected and width is not None:
        lines = text.split("\n", allow_blank=True)
        for line in lines:
            line.truncate(width, overflow="ellipsis", pad=True)
        text = Text("\n").join(lines)
        text.no_wrap = True
        text.stylize("reverse")
    return text


def list_text_width(screen_width: int) -> int:
    """Columns for an offer's text: the screen less the list's margin, border, padding and a
    scrollbar (``#offers`` in kiosk.tcss)."""
    return max(screen_width - 2 - 2 - 2 - 2, 20)


def greeting(member: Member) -> Text:
    """"Anna · card •••• 4931 · 1 250 points" (a generic greeting when Engage has no first
    name; the points when Engage gave them)."""
    text = Text(member.first_name or _("Member"), style="bold")
    text.append("  ·  " + _("card {card}").format(card=member.masked_card))
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
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Choose"), key_display="↑↓"),
        Binding("pageup", "page_up", N_("Page up"), show=False),
        Binding("pagedown", "page_down", N_("Page down"), show=False),
        Binding("home", "first", N_("First"), show=False),
        Binding("end", "last", N_("Last"), show=False),
        Binding("enter", "choose", N_("Redeem…"), id="choose"),
        Binding("escape", "done", N_("Done (new customer)"), id="done"),
    ]

    def __init__(self, member: Member, offers: list[Offer], *, cursor_blink: bool = True) -> None:
        super().__init__()
        self.member = member
        self.offers = offers
        self.cursor_blink = cursor_blink
        self._prompt_width = 0
        self._selected: int | None = None
        self._reverse_select = False  # set on mount from the app (console, NO_COLOR)
        rewards = member.rewards
        self.vouchers: list[Voucher] = list(rewards.vouchers or ()) if rewards else []
        #: what the list's options stand for, by option id (offers, then vouchers)
        self.items: list[Benefit] = [*offers, *self.vouchers]

    def _count_line(self) -> str:
        count = len(self.offers)
        parts = [ngettext("{n} offer to use in store", "{n} offers to use in store",
                          count).format(n=count)] if count else []
        vouchers = vouchers_count_text(self.member)
        return "  ·  ".join([*parts, vouchers] if vouchers else parts)

    def compose(self) -> ComposeResult:
        yield Static(greeting(self.member), id="member")
        if self.items:
            yield Static(self._count_line(), id="count")
            options: list[Option | None] = []
            self._prompt_width = list_text_width(self.app.size.width)
            for i, o in enumerate(self.offers):
                # None draws a rule under the option before it (option ids are item indices)
                # built when drawn: a member with 5,000 offers shouldn't wait for 5,000 prompts
                options += [LazyOption(partial(offer_prompt, o, self._prompt_width), OFFER_LINES,
                                       id=str(i), disabled=not o.redeemable), None]
            if self.vouchers:
                options.append(Option(section_heading(_("Reward vouchers")), id="vouchers",
                                      disabled=True))
                for i, v in enumerate(self.vouchers, start=len(self.offers)):
                    options += [LazyOption(partial(offer_prompt, v, self._prompt_width),
                                           OFFER_LINES, id=str(i), disabled=not v.redeemable),
                                None]
            option_list = OfferList(*options[:-1], id="offers", markup=False)
            option_list.can_focus = False  # keys stay with the scan input; bindings drive it
            yield option_list
        else:
            text = (_("{name} has no offers to use in store right now.").format(
                name=self.member.first_name) if self.member.first_name else
                _("This member has no offers to use in store right now."))
            yield Static(Text(text), id="no-offers")
            if vouchers_count_text(self.member):
                yield Static(Text(vouchers_count_text(self.member)), id="count")
        yield ScanInput(_("scan the next card"), cursor_blink=self.cursor_blink)
        yield KioskFooter()

    def on_mount(self) -> None:
        focus_scan_field(self)
        self._reverse_select = self.app.has_class("-reverse-select")
        if self.items:
            option_list = self.query_one(OptionList)
            first = next((i for i in range(option_list.option_count)
                          if not option_list.get_option_at_index(i).disabled), None)
            option_list.highlighted = first

    def on_screen_resume(self) -> None:
        focus_scan_field(self)

    def on_resize(self) -> None:
        """A narrower or wider terminal: re-fit the value lines so the dates stay in view."""
        width = list_text_width(self.app.size.width)
        if not self.items or width == self._prompt_width:
            return
        self._prompt_width = width
        option_list = self.query_one(OptionList)
        for i in range(len(self.items)):
            option_list.replace_option_prompt(str(i), self._prompt(i))

    def _prompt(self, index: int) -> Text:
        """The prompt of item ``index`` (its option id)."""
        selected = self._reverse_select and index == self._selected
        # The reverse-video row spans the list's real text width once it is laid out.
        laid_out = self.query_one(OptionList).scrollable_content_region.width
        width = laid_out if selected and laid_out else self._prompt_width
        return offer_prompt(self.items[index], width, selected=selected)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Without colours, the selection is the option's own text in reverse video."""
        if not self._reverse_select:
            return
        option_id = event.option.id
        before = self._selected
        self._selected = int(option_id) if option_id and option_id.isdigit() else None
        option_list = self.query_one(OptionList)
        for index in (before, self._selected):
            if index is not None:
                option_list.replace_option_prompt(str(index), self._prompt(index))

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

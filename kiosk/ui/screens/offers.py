"""The member's offers: Up/Down to choose, Enter to redeem, Escape to finish.

Usable offers come first; below them, dimmed, the member's other offers with the reason they
can't be used here (Enter on one says why and sends nothing). The highlighted offer's
conditions (Engage's heading and description) are shown in full under the list. The list is
built from sections (``Section``), so another kind of item can get its own section later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.offers import Member, MemberOffers, Offer
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput
from kiosk.visit import Visit

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


def shown_value(offer: Offer) -> str:
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


def unusable_prompt(offer: Offer) -> Text:
    """Two dimmed lines: the name, then why it can't be used here."""
    text = Text(offer.name, style="dim", no_wrap=True, overflow="ellipsis")
    text.append("\n  ")
    text.append(offer.reason_text, style="dim italic")
    return text


def conditions_text(offer: Offer, *, label: bool = True) -> Text:
    """The offer's conditions (heading bold, then the description); never markup."""
    text = Text()
    if label:
        text.append("Conditions: ", style="dim")
    if offer.heading:
        text.append(offer.heading, style="bold")
        if offer.description:
            text.append(" — " if label else "\n")
    text.append(offer.description)
    return text


def detail_text(offer: Offer | None) -> Text:
    """The pane under the list: conditions of the highlighted offer, or why it can't be used."""
    if offer is None:
        return Text("")
    text = Text()
    if not offer.usable:
        text.append(f"Can't be used here: {offer.reason_text}", style="bold")
        if offer.conditions:
            text.append("\n")
    if offer.conditions:
        text.append_text(conditions_text(offer))
    elif offer.usable:
        text.append("No conditions given in Engage.", style="dim")
    return text


def greeting(member: Member) -> Text:
    """"Anna · •••• 4931" (a generic greeting when Engage has no first name)."""
    text = Text(member.first_name or "Member", style="bold")
    text.append(f"  ·  card {member.masked_card}")
    return text


def visit_strip(visit: Visit | None) -> Text:
    """"This visit: 20 % · 100,00 SEK · Code TILL-3FOR2" ("" before anything is redeemed)."""
    if visit is None or not visit.redeemed:
        return Text("")
    text = Text("This visit, apply: ", style="bold")
    text.append(visit.strip_text)
    return text


@dataclass(frozen=True)
class Section:
    """One part of the list: a heading (None: no heading line), its items and their prompts."""

    heading: str | None
    items: Sequence[Offer]
    prompt: Callable[[Offer], Text]


def sections_for(offers: MemberOffers) -> list[Section]:
    """The offers list's sections, top to bottom."""
    out = [Section(None, offers.usable, offer_prompt)]
    if offers.not_usable:
        out.append(Section("Not usable here", offers.not_usable, unusable_prompt))
    return out


class OffersScreen(Screen):
    """One member's offers. A scan here starts over with the new card."""

    app: KioskApp  # type: ignore[assignment]

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

    def __init__(self, member: Member, offers: MemberOffers | Sequence[Offer],
                 visit: Visit | None = None, *, guard: bool = False) -> None:
        super().__init__()
        #: reached by Enter on a result: a second Enter must not open a confirmation unread
        self._guarded = guard
        self._guard_until = float("-inf")  # set on mount
        self.member = member
        self.all_offers = offers if isinstance(offers, MemberOffers) else MemberOffers(
            tuple(offers))
        #: the usable offers, top to bottom
        self.offers: list[Offer] = list(self.all_offers.usable)
        self.visit = visit
        self._rows: list[Offer | None] = []  # option index -> offer (None: a heading)

    def compose(self) -> ComposeResult:
        yield Static(greeting(self.member), id="member")
        yield Static(visit_strip(self.visit), id="visit",
                     classes="" if self.visit and self.visit.redeemed else "hidden")
        if not self.offers:
            who = self.member.first_name or "This member"
            yield Static(Text(f"{who} has no offers to use in store right now."), id="no-offers",
                         classes="short" if self.all_offers.not_usable else "")
        if self.offers or self.all_offers.not_usable:
            yield Static(Text(self.all_offers.count_text), id="count")
            option_list = OptionList(*self._options(), id="offers", markup=False)
            option_list.can_focus = False  # keys stay with the scan input; bindings drive it
            yield option_list
        yield Static("", id="detail", classes="hidden")
        yield ScanInput("scan the next card", cursor_blink=self.app.cursor_blink)
        yield KioskFooter()

    def _options(self) -> list[Option | None]:
        options: list[Option | None] = []
        for section in sections_for(self.all_offers):
            if not section.items:
                continue
            if section.heading is not None:
                options.append(Option(Text(section.heading, style="bold"), disabled=True))
                self._rows.append(None)
            for offer in section.items:
                # None draws a rule under the option before it (it takes no index)
                options += [Option(section.prompt(offer)), None]
                self._rows.append(offer)
        return options[:-1] if options and options[-1] is None else options

    def on_mount(self) -> None:
        self.query_one(ScanInput).focus()
        if self._guarded:
            self._guard_until = self.app.key_guard_until()
        if self._rows:
            option_list = self.query_one(OptionList)
            # The first usable offer; with none, the first other one, so its reason shows.
            first = next((i for i, o in enumerate(self._rows) if o is not None and o.usable),
                         next((i for i, o in enumerate(self._rows) if o is not None), None))
            option_list.highlighted = first
            self._show_detail()

    def on_screen_resume(self) -> None:
        self.query_one(ScanInput).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        offer = self.highlighted_offer
        pane = self.query_one("#detail", Static)
        text = detail_text(offer)
        pane.update(text)
        pane.set_class(not text.plain, "hidden")

    @property
    def highlighted_offer(self) -> Offer | None:
        """The offer under the cursor, if any (usable or not)."""
        if not self._rows:
            return None
        index = self.query_one(OptionList).highlighted
        return self._rows[index] if index is not None and index < len(self._rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            offer = self.highlighted_offer
            if offer is None:
                return False if not self._rows else None
            return None if self.app.redeeming else True
        if action in ("cursor_up", "cursor_down", "page_up", "page_down", "first", "last"):
            return bool(self._rows)
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

    def action_choose(self) -> None:
        offer = self.highlighted_offer
        if offer is None or self.app.guarding(self._guard_until):
            return
        if not offer.usable:
            # Says why, sends nothing.
            self.notify(f"{offer.name}: {offer.reason_text}. Nothing was sent.",
                        title="Can't be used here", severity="warning")
            return
        self.app.choose(offer)

    def action_done(self) -> None:
        self.app.request_start_over()

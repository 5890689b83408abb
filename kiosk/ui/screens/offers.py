"""The member's offers and reward vouchers: Up/Down to choose, Enter to redeem, Escape to finish.

Usable offers come first, then the member's reward vouchers; below them, dimmed, the member's
other offers with the reason they can't be used here (Enter on one says why and sends nothing).
The highlighted offer's conditions (Engage's heading and description) are shown under the list.
The header shows the member's points when Engage gave them. The list is built from sections
(``Section``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.console import JustifyMethod
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content, Span
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _
from kiosk.offers import Member, MemberOffers, Offer
from kiosk.rewards import Benefit, Voucher
from kiosk.ui.key_guard import KeyGuard
from kiosk.ui.messages import StartOver
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.offer_list import LazyOption, OfferList
from kiosk.ui.widgets.rewards import points_text, vouchers_count_text
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field
from kiosk.ui.widgets.visit_strip import VisitStrip
from kiosk.visit import Visit


def shown_value(offer: Benefit) -> str:
    """The value line; a MANUAL offer's label often repeats its name, the instruction says more."""
    same = offer.value_text.casefold() == offer.name.casefold()
    return offer.till_instruction if same and offer.redeemable else offer.value_text


#: Rows of an offer's prompt: the name, then value and expiry (one line each, never wrapped).
OFFER_LINES = 2

# The prompts' styles, made once (Textual ``Style``: drawn without parsing or conversion).
_BOLD = Style(bold=True)
_DIM = Style(dim=True)
_DIM_ITALIC = Style(dim=True, italic=True)
_REVERSE = Style(reverse=True)
_HEADING = Style(bold=True, underline=True)
_NEWLINE = Content("\n")


Part = tuple[str, Style | None]  # a piece of a prompt's line and its style (None: plain)


def _line(parts: Sequence[Part]) -> Content:
    """One line of a prompt; each part's control codes dropped on its own (``Content`` drops
    them), so the styles stay on their text."""
    return Content.assemble(*((Content(text).plain, style or "") for text, style in parts
                              if text))


def _prompt(base: Style, lines: Sequence[Sequence[Part]], width: int | None, selected: bool
            ) -> Content:
    """A prompt's lines, ``base`` under all of their text (what a Rich ``Text(..., style=)``
    was). ``selected`` (with ``width``): each line cut with "…" or padded to ``width``, the
    base style over the whole line, the whole option in reverse video (the selection without
    colours)."""
    if selected and width is not None:
        padded = [_line(line).truncate(width, ellipsis=True, pad=True) for line in lines]
        return _NEWLINE.join(
            Content(line.plain, [Span(0, len(line.plain), base), *line.spans],
                    strip_control_codes=False)
            for line in padded).stylize(_REVERSE)
    # One Content made straight from the text and its spans (a list draws many prompts).
    pieces: list[str] = []
    spans = [Span(0, 0, base)]
    at = 0
    for i, line in enumerate(lines):
        if i:
            pieces.append("\n")
            at += 1
        for text, style in line:
            pieces.append(text)
            if style is not None and text:
                spans.append(Span(at, at + len(text), style))
            at += len(text)
    plain = "".join(pieces)
    spans[0] = Span(0, at, base)
    content = Content(plain, spans)
    if len(content.plain) != at:  # control codes dropped: the spans would be out of place
        return _NEWLINE.join(_line(line) for line in lines).stylize_before(base)
    return content


def offer_prompt(offer: Benefit, width: int | None = None, *, selected: bool = False
                 ) -> Content:
    """Two lines per offer or voucher: the name, then value and expiry. Textual ``Content``
    built from plain text and styles: never markup, and nothing to convert when drawn.

    With ``width`` (the list's text width) a long value is shortened with "…" so the expiry
    date after it always stays in view. ``selected`` draws the whole option in reverse video
    (padded to ``width``): the selection where colours can't show it (Linux console,
    NO_COLOR); a reverse attribute in the text reaches the terminal as SGR 7, one set by CSS
    is turned into swapped colours, which are nothing when both are the default.
    """
    value = shown_value(offer)
    tail = f"   {offer.expiry_text}" if offer.expiry_text else ""
    if width is not None and tail and 2 + len(value) + len(tail) > width:
        room = max(width - 2 - len(tail), 8)
        value = value[: room - 1] + "…" if len(value) > room else value
    second: list[Part] = [("  ", None), (value, None if offer.redeemable else _DIM)]
    if tail:
        second.append((tail, _DIM))
    if not offer.redeemable:
        second.append(("   " + _("(not redeemable at this till)"), _DIM_ITALIC))
    return _prompt(_BOLD, [[(offer.name, None)], second], width, selected)


def unusable_prompt(offer: Offer, width: int | None = None, *, selected: bool = False
                    ) -> Content:
    """Two dimmed lines: the name, then why it can't be used here."""
    return _prompt(_DIM, [[(offer.name, None)], [("  ", None), (offer.reason_text, _DIM_ITALIC)]],
                   width, selected)


def heading_prompt(title: str) -> Content:
    """A heading row inside the list (a disabled option)."""
    return _line([(title, _HEADING)])


def conditions_text(offer: Offer, *, label: bool = True) -> Text:
    """The offer's conditions (heading bold, then the description); never markup."""
    text = Text()
    if label:
        text.append(_("Conditions:") + " ", style="dim")
    if offer.heading:
        text.append(offer.heading, style="bold")
        if offer.description:
            text.append(" — " if label else "\n")
    text.append(offer.description)
    return text


def usable(item: Benefit) -> bool:
    """Can staff redeem this offer or voucher here?"""
    return item.usable if isinstance(item, Offer) else item.redeemable


def detail_text(offer: Benefit | None) -> Text:
    """The pane under the list: conditions of the highlighted offer, or why it can't be used
    (a reward voucher has no conditions: nothing)."""
    if not isinstance(offer, Offer):
        return Text("")
    text = Text()
    if not offer.usable:
        text.append(_("Can't be used here: {reason}").format(reason=offer.reason_text),
                    style="bold")
        if offer.conditions:
            text.append("\n")
    if offer.conditions:
        text.append_text(conditions_text(offer))
    elif offer.usable:
        text.append(_("No conditions given in Engage."), style="dim")
    return text


def list_text_width(screen_width: int) -> int:
    """Columns for an offer's text: the screen less the list's margin, border, padding and a
    scrollbar (``#offers`` in kiosk.tcss)."""
    return max(screen_width - 2 - 2 - 2 - 2, 20)


#: What a member was found by when it was not a card: named, its value never shown (an
#: e-mail address's, a mobile or personal number's characters are personal data).
FOUND_BY_KEY = {
    "email": N_("found by e-mail address"),
    "mobilePhone": N_("found by mobile number"),
    "socialSecurityNumber": N_("found by personal number"),
}


def member_card(member: Member) -> str:
    """"card •••• 4931", or "found by personal number" (no character of it) for a member
    looked up by an e-mail address, mobile or personal number."""
    if member.key in FOUND_BY_KEY:
        return _(FOUND_BY_KEY[member.key])
    return _("card {card}").format(card=member.masked_card)


def separator(screen_width: int) -> str:
    """Between the parts of the greeting and the count line: roomy at 80 columns and up;
    narrower, one space each side, so "(+200 pending)" or "2 reward vouchers" still fit on
    the row."""
    return "  ·  " if screen_width >= 80 else " · "


def greeting(member: Member, sep: str = "  ·  ") -> Text:
    """"Anna · card •••• 4931 · 1 250 points" (a generic greeting when Engage has no first
    name; the points when Engage gave them)."""
    text = Text(member.first_name or _("Member"), style="bold")
    text.append(sep + member_card(member))
    points = points_text(member)
    if points is not None:
        text.append(sep)
        text.append_text(points)
    return text


def visit_strip(visit: Visit | None, *, justify: JustifyMethod | None = None
                ) -> VisitStrip | Text:
    """"This visit, apply: 20 % · 100 kr · Code TILL-3FOR2", wrapped only between items (""
    before anything is redeemed); ``justify`` aligns its lines."""
    if visit is None or not visit.redeemed:
        return Text("")
    return VisitStrip(_("This visit, apply:"), [o.value_text for o in visit.redeemed],
                      justify=justify)


@dataclass(frozen=True)
class Section:
    """One part of the list: a heading (None: no heading line), its items and their prompts."""

    heading: str | None
    items: Sequence[Benefit]
    prompt: Callable[..., Content]  # (item, width, *, selected) -> Content


def sections_for(offers: MemberOffers, vouchers: Sequence[Voucher] = ()) -> list[Section]:
    """The offers list's sections, top to bottom: usable offers, reward vouchers, then the
    offers that can't be used here."""
    out = [Section(None, offers.usable, offer_prompt)]
    if vouchers:
        out.append(Section(_("Reward vouchers"), vouchers, offer_prompt))
    if offers.not_usable:
        out.append(Section(_("Not usable here"), offers.not_usable, unusable_prompt))
    return out


class OffersScreen(KeyGuard[None]):
    """One member's offers. A scan here starts over with the new card.

    Posts ``Chosen`` for a usable offer under the cursor (Enter) and ``StartOver`` (Escape).
    Reached by Enter on a result (``guard``), it ignores Enter for a moment: a mashed Enter
    must not open a confirmation nobody read.
    """

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

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

    def __init__(self, member: Member | None = None,
                 offers: MemberOffers | Sequence[Offer] = (), visit: Visit | None = None, *,
                 cursor_blink: bool = True, guard: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(guard=guard, clock=clock)
        self.cursor_blink = cursor_blink
        self._rows: list[Benefit | None] = []  # option index -> offer (None: a heading)
        self._row_prompt: list[Callable[..., Content] | None] = []
        self._prompt_width = 0
        self._selected: int | None = None
        self._shown_row: int | None = None  # the row the detail (and selection) are drawn for
        self._reverse_select = False  # set from the app when filled (console, NO_COLOR)
        self._parts: dict[str, Static] = {}
        self._shown_once = False  # resumed (pushed) before
        self._offer_list: OfferList | None = None
        #: the member shown; None until ``show`` fills a screen prepared empty
        self.member: Member | None = None
        self.all_offers = MemberOffers(())
        #: the usable offers, top to bottom
        self.offers: list[Offer] = []
        self.visit: Visit | None = None
        self.vouchers: list[Voucher] = []
        #: what staff may redeem here: the usable offers, then the vouchers
        self.items: list[Benefit] = []
        if member is not None:
            self._take(member, offers, visit)

    def _take(self, member: Member, offers: MemberOffers | Sequence[Offer],
              visit: Visit | None) -> None:
        if self.member is not None:  # one member per screen: never refilled with another's
            raise RuntimeError("an offers screen shows one member only")
        self.member = member
        self.all_offers = offers if isinstance(offers, MemberOffers) else MemberOffers(
            tuple(offers))
        self.offers = list(self.all_offers.usable)
        self.visit = visit
        rewards = member.rewards
        self.vouchers = list(rewards.vouchers or ()) if rewards else []
        self.items = [*self.offers, *self.vouchers]

    def show(self, member: Member, offers: MemberOffers | Sequence[Offer],
             visit: Visit | None = None, *, guard: float = 0.0) -> None:
        """Fill a screen made empty (``OffersScreen()``, composed and mounted ahead while the
        scan screen was idle) with one member's offers, once, before it is pushed; it then
        looks exactly as one made with them."""
        self.key_guard = guard
        self._take(member, offers, visit)
        if self._parts:  # composed: fill it now (else compose does)
            self._fill()
        if self.is_mounted:
            self.arm_key_guard()

    def _count_line(self) -> str:
        """"4 to use · 4 not usable here  ·  2 reward vouchers"."""
        assert self.member is not None
        vouchers = vouchers_count_text(self.member)
        parts = [self.all_offers.count_text]
        return separator(self.app.size.width).join([*parts, vouchers] if vouchers else parts)

    def _first_row(self) -> int | None:
        """The row highlighted at first: the first usable offer; with none, the first other
        one, so its reason shows."""
        rows = self._rows
        return next((i for i, o in enumerate(rows) if o is not None and usable(o)),
                    next((i for i, o in enumerate(rows) if o is not None), None))

    def compose(self) -> ComposeResult:
        # Every part, empty until the member's data fills it (``_fill``): before mounting when
        # the data came with the constructor, else when ``show`` brings it (before it is shown).
        # Shown or hidden as most members' screens are (offers, no visit yet): a prepared
        # screen's parts mostly keep their styles when filled (each change is a restyle).
        parts = self._parts = {name: Static(Text(""), id=name, classes=classes)
                               for name, classes in (("member", ""), ("visit", "hidden"),
                                                     ("no-offers", "hidden"), ("count", ""))}
        yield from parts.values()
        option_list = self._offer_list = OfferList(id="offers", markup=False)
        option_list.can_focus = False  # keys stay with the scan input; bindings drive it
        yield option_list
        yield parts.setdefault("detail", Static(Text(""), id="detail"))
        yield ScanInput(_("scan the next card"), cursor_blink=self.cursor_blink)
        yield KioskFooter()
        if self.member is not None:
            self._fill()

    def _fill(self) -> None:
        """The member's data into the composed parts, before the screen is shown. Everything
        the first frame shows is decided here (highlight, its detail, reverse video): set after
        the screen is shown, each was another restyle and layout before that frame."""
        member, parts, option_list = self.member, self._parts, self._offer_list
        assert member is not None and option_list is not None
        live = self.is_mounted  # restyle a part whose classes change once it has styles

        def put(name: str, content: VisualType | None, *, short: bool = False) -> None:
            part = parts[name]
            if content is not None:
                part.update(content)
            toggle(part, content is not None, short=short)

        def toggle(part: Widget, shown: bool, *, short: bool = False) -> None:
            if part.has_class("hidden") == shown:
                part.set_class(not shown, "hidden", update=live)
            if short and not part.has_class("short"):
                part.add_class("short", update=live)

        put("member", greeting(member, separator(self.app.size.width)))
        put("visit", visit_strip(self.visit) if self.visit is not None and self.visit.redeemed
            else None)
        nothing = not self.offers and not self.vouchers
        put("no-offers", Text(_("{name} has no offers to use in store right now.").format(
            name=member.first_name) if member.first_name else
            _("This member has no offers to use in store right now.")) if nothing else None,
            short=nothing and bool(self.all_offers.not_usable))
        detail = Text("")
        if not nothing or self.all_offers.not_usable:
            put("count", Text(self._count_line()))
            self._prompt_width = list_text_width(self.app.size.width)
            self._reverse_select = self.app.has_class("-reverse-select")  # console, NO_COLOR
            option_list.add_options(self._options())
            first = self._first_row()
            if self._reverse_select:
                self._selected = first  # its prompt is built (reverse) when first drawn
            # Set without its watcher (no announcement): the detail is composed for it.
            option_list.set_reactive(OptionList.highlighted, first)
            detail = detail_text(self._rows[first] if first is not None else None)
            self._shown_row = first
        else:
            toggle(parts["count"], False)
        toggle(option_list, bool(self._rows))
        put("detail", detail if detail.plain else None)

    def _options(self) -> list[Option | None]:
        options: list[Option | None] = []
        for section in sections_for(self.all_offers, self.vouchers):
            if not section.items:
                continue
            if section.heading is not None:
                options.append(Option(heading_prompt(section.heading),
                                      id=f"r{len(self._rows)}", disabled=True))
                self._rows.append(None)
                self._row_prompt.append(None)
            for offer in section.items:
                # None draws a rule under the option before it (it takes no index)
                index = len(self._rows)
                self._rows.append(offer)
                self._row_prompt.append(section.prompt)
                # built when drawn: a member with 5,000 offers shouldn't wait for 5,000 prompts
                options += [LazyOption(partial(self._prompt, index), OFFER_LINES,
                                       id=f"r{index}"), None]
        return options[:-1] if options and options[-1] is None else options

    def on_mount(self) -> None:
        focus_scan_field(self)
        if self.member is not None:  # a screen prepared empty arms it when ``show`` fills it
            self.arm_key_guard()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._shown_once:
            # Styled as it was mounted (and each part again as ``show`` changed its classes):
            # the restyle of every widget Textual does on a resume has nothing to change yet.
            self._shown_once = True
            event.refresh_styles = False
        focus_scan_field(self)

    def on_resize(self, event: events.Resize) -> None:
        """A narrower or wider terminal: re-fit the value lines so the dates stay in view."""
        if event.size == self.outer_size:
            # The screen's own first layout sends it a Resize at the size it was just laid
            # out at; Textual's handler would lay it out again, and the scan screen beneath
            # it, after the list's first frame. A terminal resize reaches a screen before
            # its layout (its laid-out size is still the old one) and keeps that handler.
            event.prevent_default()
        # Under 24 rows the greeting loses its padding, so the conditions pane costs no offer.
        self.set_class(self.app.size.height < 24, "-short")
        width = list_text_width(self.app.size.width)
        if not self._rows or width == self._prompt_width:
            return
        self._prompt_width = width
        option_list = self.query_one(OptionList)
        for i, offer in enumerate(self._rows):
            if offer is not None:
                option_list.replace_option_prompt(f"r{i}", self._prompt(i))

    def _prompt(self, index: int) -> Content:
        prompt = self._row_prompt[index]
        offer = self._rows[index]
        assert prompt is not None and offer is not None
        selected = self._reverse_select and index == self._selected
        # The reverse-video row spans the list's real text width once it is laid out.
        laid_out = self.query_one(OptionList).scrollable_content_region.width \
            if selected and self.is_mounted else 0
        width = laid_out if selected and laid_out else self._prompt_width
        return prompt(offer, width, selected=selected)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        # The list's highlight now: OptionList also announces the one its constructor chose,
        # before the one composed here was set.
        index = self.query_one(OptionList).highlighted
        if index == self._shown_row:
            return  # shown already (composed so)
        self._shown_row = index
        self._show_detail()
        if not self._reverse_select:
            return
        # Without colours, the selection is the option's own text in reverse video.
        before, self._selected = self._selected, index
        option_list = self.query_one(OptionList)
        for index in (before, self._selected):
            if index is not None and self._rows[index] is not None:
                option_list.replace_option_prompt(f"r{index}", self._prompt(index))

    def _show_detail(self) -> None:
        pane = self.query_one("#detail", Static)
        text = detail_text(self.highlighted_offer)
        pane.update(text)
        pane.set_class(not text.plain, "hidden")

    @property
    def highlighted_offer(self) -> Benefit | None:
        """The offer or voucher under the cursor, if any (usable or not)."""
        if not self._rows:
            return None
        index = self.query_one(OptionList).highlighted
        return self._rows[index] if index is not None and index < len(self._rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            offer = self.highlighted_offer
            if offer is None:
                return False if not self._rows else None
            return None if self.redeeming else True
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

    def watch_redeeming(self) -> None:
        self.refresh_bindings()

    def action_choose(self) -> None:
        offer = self.highlighted_offer
        if offer is None or self.guarding:
            return
        if isinstance(offer, Voucher):
            if offer.redeemable:
                self.post_message(self.Chosen(offer))
            return
        if not offer.usable:
            # Says why, sends nothing.
            self.notify(_("{name}: {reason}. Nothing was sent.").format(
                name=offer.name, reason=offer.reason_text),
                title=_("Can't be used here"), severity="warning")
            return
        self.post_message(self.Chosen(offer))

    def action_done(self) -> None:
        self.post_message(StartOver())

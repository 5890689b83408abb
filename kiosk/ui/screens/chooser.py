"""A card several members share: "which of you?" by first name only. Up/Down + Enter picks,
Escape gives up (back to the scan screen). Dismisses with the chosen contact id or None."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _
from kiosk.lookup import Candidate
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field

#: The question when several members have a typed e-mail address or mobile number (by the
#: Engage key looked up); a card's names its masked number.
TITLE_BY_KEY = {
    "email": N_("Several members have this e-mail address. Which member is here?"),
    "mobilePhone": N_("Several members have this mobile number. Which member is here?"),
    "socialSecurityNumber": N_("Several members have this personal number. "
                               "Which member is here?"),
}


class ChooserScreen(ModalScreen[str | None]):
    """The members of a shared card, by first name; nothing else about them is shown."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Choose"), key_display="↑↓"),
        Binding("enter", "pick", N_("This member"), id="pick"),
        Binding("escape", "give_up", N_("Without offers"), id="give_up"),
    ]

    def __init__(self, masked_card: str, candidates: list[Candidate], more: int = 0, *,
                 cursor_blink: bool = True, key: str | None = None) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.masked_card = masked_card
        self.key = key  # the Engage key looked up ("email" for a typed e-mail address...)
        self.candidates = candidates
        self.more = more
        #: the member drawn in reverse video (None: the highlight's own colours show it)
        self._selected: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser-box"):
            title = (_(TITLE_BY_KEY[self.key]) if self.key in TITLE_BY_KEY else
                     _("Card {card} is shared. Which member is here?").format(
                         card=self.masked_card))
            yield Static(Text(title), id="chooser-title")
            options = [Option(self._prompt(i)) for i in range(len(self.candidates))]
            option_list = OptionList(*options, id="chooser-list", markup=False)
            option_list.can_focus = False  # keys stay with the scan input; bindings drive it
            yield option_list
            if self.more:
                yield Static(Text(_("(and {n} more in Engage, not shown)").format(n=self.more),
                                  style="dim"))
            yield Static(Text(_("Ask for the first name, choose it and press Enter. Esc: "
                                "continue without offers."), style="dim"), id="chooser-hint")
            yield ScanInput(cursor_blink=self.cursor_blink, id="chooser-scan")
        yield KioskFooter()

    def _prompt(self, index: int, width: int = 0) -> Text:
        """A member's first name, bold; the selected one in reverse video (``width`` wide)
        where colours can't show the selection (Linux console, NO_COLOR): a reverse attribute
        in the text reaches the terminal, the highlight's CSS colours are both the default
        there and show nothing."""
        name = self.candidates[index].first_name
        if index != self._selected:
            return Text(name, style="bold")
        text = Text(name, style="bold reverse")
        text.pad_right(max(width - text.cell_len, 0))
        return text

    def on_mount(self) -> None:
        focus_scan_field(self)
        for option_list in self.query(OptionList):  # none when taken off before mounting
            option_list.highlighted = 0 if self.candidates else None
        if self.app.has_class("-reverse-select"):  # (set by kiosk.ui.console_theme)
            self._select(0 if self.candidates else None)

    def on_resize(self) -> None:
        self._select(self._selected)  # the reverse-video row as wide as the list

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._selected is not None:
            self._select(event.option_index)

    def _select(self, index: int | None) -> None:
        before, self._selected = self._selected, index
        for option_list in self.query(OptionList):  # none when taken off before mounting
            width = option_list.scrollable_content_region.width
            for i in {before, index} - {None}:
                assert i is not None
                option_list.replace_option_prompt_at_index(i, self._prompt(i, width))

    def _list(self) -> OptionList:
        return self.query_one(OptionList)

    def action_cursor_up(self) -> None:
        self._list().action_cursor_up()

    def action_cursor_down(self) -> None:
        self._list().action_cursor_down()

    def action_pick(self) -> None:
        index = self._list().highlighted
        if index is not None and index < len(self.candidates):
            self.dismiss(self.candidates[index].contact_id)

    def action_give_up(self) -> None:
        self.dismiss(None)

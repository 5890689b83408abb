"""A card several members share: "which of you?" by first name only. Up/Down + Enter picks,
Escape gives up (back to the scan screen). Dismisses with the chosen contact id or None."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _
from kiosk.lookup import Candidate
from kiosk.ui.screens.choice import ChoiceScreen
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


class ChooserScreen(ChoiceScreen[str | None]):
    """The members of a shared card, by first name; nothing else about them is shown. Up/Down
    choose (``ChoiceScreen``)."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
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

    def _choice(self, index: int) -> Text:
        """A member's first name, bold."""
        return Text(self.candidates[index].first_name, style="bold")

    def on_mount(self) -> None:
        focus_scan_field(self)
        self._highlight(0 if self.candidates else None)

    def action_pick(self) -> None:
        index = self._list().highlighted
        if index is not None and index < len(self.candidates):
            self.dismiss(self.candidates[index].contact_id)

    def action_give_up(self) -> None:
        self.dismiss(None)

"""What the screens that ask staff to choose from a short list share (the shared card's "which
of you?", settling an attempt by hand): Up/Down move the highlight of the screen's one
``OptionList``, which never takes the focus (the screen's bindings drive it), and where colours
can't show the highlight the chosen option is drawn in reverse video, as wide as the list.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList

from kiosk.i18n import N_

T = TypeVar("T")


class ChoiceScreen(ModalScreen[T]):
    """A modal screen choosing one option of its ``OptionList`` with Up/Down.

    A subclass draws an option with :meth:`_choice`, builds its list's options with
    :meth:`_prompt` and sets the first highlight with :meth:`_highlight` when mounted.

    On the Linux console and with NO_COLOR (the app's ``-reverse-select`` class, set by
    ``kiosk.ui.console_theme``) the highlight's CSS colours are both the terminal's default
    and show nothing; a reverse attribute in the option's text reaches the terminal, so the
    highlighted option is drawn again in reverse video (:meth:`_select`): only the option left
    and the one reached, never the whole list.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Choose"), key_display="↑↓"),
    ]

    #: the option drawn in reverse video (None: none, or the highlight's colours show it)
    _selected: int | None = None

    def _choice(self, index: int) -> Text:
        """Option ``index`` as it is drawn when not selected (a new ``Text`` each call)."""
        raise NotImplementedError

    def _prompt(self, index: int, width: int = 0) -> Text:
        """Option ``index``; the selected one in reverse video, ``width`` cells wide."""
        text = self._choice(index)
        if index == self._selected:
            text.pad_right(max(width - text.cell_len, 0))
            text.stylize("reverse")  # after the padding: the bar is as wide as the list
        return text

    def _highlight(self, index: int | None) -> None:
        """Highlight option ``index`` (None: nothing chosen yet), drawn so at once."""
        for option_list in self.query(OptionList):  # none when taken off before mounting
            option_list.highlighted = index
        if self.app.has_class("-reverse-select"):
            self._select(index)

    def on_resize(self) -> None:
        self._select(self._selected)  # the reverse-video bar as wide as the list

    @on(OptionList.OptionHighlighted)
    def _reverse_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.app.has_class("-reverse-select"):
            self._select(event.option_index)

    def _select(self, index: int | None) -> None:
        """Draw option ``index`` in reverse video, and the one that was, plain again."""
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

"""OfferList: an ``OptionList`` that doesn't render every offer to learn its height.

Textual's ``OptionList`` finds each option's height by converting its prompt to styled
content and laying it out at the list's width, for every option, whenever the list is shown
or resized, though it then paints only the rows in view. For a member with 5,000 offers that
was ~80% of the time to show the list. With ``text-wrap: nowrap`` (the offers list's style:
one line for the name, one for the value, long text ends in "…") a plain-text prompt is
exactly as many rows as it has lines, so that is counted instead; anything else (wrapping,
other prompt types) is measured as before. Everything else is ``OptionList``'s.

``LazyOption`` goes further for long lists: its prompt is built when it is first drawn, and
its height is given, so 5,000 offers cost 5,000 small objects until someone scrolls.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import cast

from rich.text import Text
from textual import events
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import VisualType
from textual.widgets import OptionList
from textual.widgets.option_list import Option


def counted_height(prompt: object) -> int | None:
    """Rows of a prompt that doesn't wrap: its line count; None when it can't be counted."""
    if isinstance(prompt, Text | Content):
        plain = prompt.plain
    elif isinstance(prompt, str):
        plain = prompt
    else:
        return None
    return plain.count("\n") + 1


class LazyOption(Option):
    """An option whose prompt ``build()`` makes when it is first needed (drawn, or asked
    for); ``lines`` is its height in rows (without wrapping), known without building it."""

    def __init__(self, build: Callable[[], VisualType], lines: int, id: str | None = None,
                 disabled: bool = False) -> None:
        super().__init__("", id=id, disabled=disabled)
        self._build: Callable[[], VisualType] | None = build
        self.lines = lines

    @property
    def prompt(self) -> VisualType:
        if self._build is not None:
            self._prompt, self._build = self._build(), None
        return self._prompt

    def _set_prompt(self, prompt: VisualType) -> None:
        self._build = None
        super()._set_prompt(prompt)


def _counted(option: Option) -> int | None:
    if isinstance(option, LazyOption) and option._build is not None:
        return option.lines
    return counted_height(option.prompt)


class OfferList(OptionList):
    """``OptionList`` with row heights counted, not rendered, when its text doesn't wrap."""

    _drawing = False  # inside render_lines: the lines were brought up to date at its start
    #: the text width the drawn rows kept by OptionList (``_option_render_cache``) were drawn at
    _rows_width: int | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # OptionList brings its lines up to date at the start of a render and again for every
        # row drawn (``_lines``), each time working out the list's content region: ~1/4 of
        # drawing the list. Nothing can change them while it draws, so once is enough.
        self._update_lines()
        if not len(self._option_render_cache):  # none kept: this draw makes them
            self._rows_width = self.scrollable_content_region.width
        self._drawing = True
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = False

    def on_resize(self, event: events.Resize) -> None:
        # OptionList drops every drawn row and line on any Resize, also on the one a widget
        # gets when it is first laid out, which arrives after the list's first frame: the
        # offers screen then drew its whole list again (~4-5 ms) at the width it was just
        # drawn at. Rows are as wide as the text, so only a new width needs them redrawn.
        if self._rows_width is not None \
                and self._rows_width == self.scrollable_content_region.width:
            event.prevent_default()  # not OptionList's handler: the rows drawn still fit

    def _update_lines(self) -> None:
        # OptionList._update_lines (textual 8.2.8), the heights counted when nothing wraps.
        if self._drawing or not self.scrollable_content_region:
            return
        line_cache = self._line_cache
        lines = line_cache.lines
        next_index = lines[-1][0] + 1 if lines else 0
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        if next_index < len(self.options):
            padding = self.get_component_styles("option-list--option").padding
            counting = self.styles.text_wrap == "nowrap"
            index_to_line, heights = line_cache.index_to_line, line_cache.heights
            for index, option in enumerate(self.options[next_index:], next_index):
                index_to_line[index] = len(lines)
                height = _counted(option) if counting else None
                if height is None:
                    height = self._get_visual(option).get_height(
                        cast(RulesMap, self.styles), width - padding.width)
                height += option._divider
                heights[index] = height
                lines.extend(zip(repeat(index, height), range(height), strict=True))
        last_divider = self.options and self.options[-1]._divider
        virtual_size = Size(width, len(lines) - (1 if last_divider else 0))
        if virtual_size != self.virtual_size:
            self.virtual_size = virtual_size
            self._scroll_update(virtual_size)

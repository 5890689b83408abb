"""OfferList counts row heights instead of rendering every option; it must lay out and draw
exactly as Textual's OptionList does."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kiosk.ui.widgets.offer_list import OfferList, counted_height

PROMPTS: list[object] = [
    "one line",
    "two\nlines",
    Text("Name that is far too long for the list's width, " * 4, style="bold"),
    Text("Shirt 20%\n  20% off   valid until 31 Dec", no_wrap=True, overflow="ellipsis"),
    Text("trailing newline\n"),
    Text(""),
    "",
    Content("content\nwith\nthree lines"),
    Text("tab\tand\n\nblank line between"),
]


def options() -> list[Option | None]:
    out: list[Option | None] = []
    for i, prompt in enumerate(PROMPTS):
        out += [Option(prompt, id=str(i), disabled=i == 3), None]  # type: ignore[arg-type]
    return out[:-1]


class Lists(App[None]):
    CSS = """
    OptionList { height: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    #wraps { text-wrap: wrap; }
    """

    def __init__(self, cls: type[OptionList], list_id: str) -> None:
        super().__init__()
        self.cls, self.list_id = cls, list_id

    def compose(self) -> ComposeResult:
        yield self.cls(*options(), id=self.list_id, markup=False)


async def layout(cls: type[OptionList], list_id: str) -> tuple[object, ...]:
    app = Lists(cls, list_id)
    async with app.run_test(size=(40, 30)) as pilot:
        widget = app.query_one(OptionList)
        widget.highlighted = 1
        await pilot.pause()
        drawn = [widget.render_line(y).text for y in range(widget.size.height)]
        return tuple(widget._lines), widget.virtual_size, drawn


@pytest.mark.parametrize("list_id", ["nowrap", "wraps"])
async def test_offer_list_lays_out_and_draws_like_option_list(list_id: str) -> None:
    assert await layout(OfferList, list_id) == await layout(OptionList, list_id)


def test_counted_height_is_the_line_count_and_none_for_other_prompts() -> None:
    assert counted_height("a\nb\nc") == 3
    assert counted_height(Text("x")) == 1
    assert counted_height(object()) is None

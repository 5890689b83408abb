"""OfferList counts row heights instead of rendering every option; it must lay out and draw
exactly as Textual's OptionList does."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kiosk.ui.widgets.offer_list import LazyOption, OfferList, counted_height

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


class Long(App[None]):
    CSS = "OptionList { height: 1fr; text-wrap: nowrap; }"

    def __init__(self, lazy: bool, built: list[int]) -> None:
        super().__init__()
        self.lazy, self.built = lazy, built

    def prompt(self, i: int) -> Text:
        self.built.append(i)
        return Text(f"Offer {i}\n  {i}% off", no_wrap=True)

    def compose(self) -> ComposeResult:
        options: list[Option | None] = []
        for i in range(2000):
            option = (LazyOption(lambda i=i: self.prompt(i), 2, id=str(i)) if self.lazy
                      else Option(self.prompt(i), id=str(i)))
            options += [option, None]
        yield OfferList(*options[:-1], markup=False)


async def test_lazy_options_draw_the_same_and_build_only_what_is_drawn() -> None:
    drawn: dict[bool, list[str]] = {}
    built: dict[bool, list[int]] = {True: [], False: []}
    for lazy in (False, True):
        app = Long(lazy, built[lazy])
        async with app.run_test(size=(40, 20)) as pilot:
            widget = app.query_one(OfferList)
            widget.highlighted = 1500  # scrolls there
            await pilot.pause()
            drawn[lazy] = [widget.render_line(y).text for y in range(widget.size.height)]
            assert widget.virtual_size.height == 2000 * 3 - 1
    assert drawn[True] == drawn[False]
    assert len(built[False]) == 2000
    assert 0 < len(built[True]) < 20  # the rows in view, not the 2,000


def test_an_offer_prompt_is_always_offer_lines_tall() -> None:
    from decimal import Decimal

    from kiosk.engage.models import Promotion
    from kiosk.offers import to_offer
    from kiosk.ui.screens.offers import OFFER_LINES, offer_prompt

    for name in ("Shirt", "Two\nlines\r\nname", "x" * 500, "", "\u2028sep\u2029"):
        promo = Promotion.model_validate({
            "id": "p1", "name": name, "redemptionChannels": [
                {"type": "POS", "valueType": "PERCENT", "value": Decimal(10),
                 "instruction": "line1\nline2"}]})
        offer = to_offer(promo, promo.redemption_channels[0])
        assert counted_height(offer_prompt(offer)) == OFFER_LINES, name


def test_offer_prompts_are_content_with_styles_on_their_own_text() -> None:
    """The list's prompts are Textual ``Content`` (drawn without a Rich conversion); a control
    code dropped from a name or value doesn't shift the dim value or its note onto other text."""
    from textual.content import Content
    from textual.style import Style

    from kiosk.offers import Offer
    from kiosk.ui.screens.offers import offer_prompt, unusable_prompt

    offer = Offer(id="o1", promotion_id=None, name="Sh\rirt\x07", value_type="SWIPE",
                  value_text="Sw\x0bipe", till_instruction="Swipe it", redeemable=False)
    for prompt in (offer_prompt(offer), offer_prompt(offer, 40, selected=True),
                   unusable_prompt(offer)):
        assert isinstance(prompt, Content)
    prompt = offer_prompt(offer)
    assert prompt.plain.startswith("Shirt\n  Swipe   (")
    drawn = [(text, style) for text, style in prompt.render(Style(), end="")]
    assert drawn[0] == ("Shirt\n  ", Style(bold=True))  # the name and indent: bold only
    assert drawn[1] == ("Swipe", Style(bold=True, dim=True))
    assert drawn[2][1] == Style(bold=True, dim=True, italic=True)


@pytest.mark.parametrize("width", [60, 30])
async def test_rows_are_drawn_again_for_a_new_width_only(width: int) -> None:
    """OfferList keeps its drawn rows through a Resize at the width they were drawn at (the
    one every widget gets when first laid out) and draws them again for a new width."""
    app = Lists(OfferList, "nowrap")
    async with app.run_test(size=(40, 30)) as pilot:
        widget = app.query_one(OfferList)
        await pilot.pause()

        def rules() -> list[str]:
            return [text for y in range(widget.size.height)
                    if "─" in (text := widget.render_line(y).text)]

        before = widget.scrollable_content_region.width
        assert set(rules()) == {"─" * before}
        rows = range(len(widget._lines))  # the options' rows (the rest is blank)
        drawn = [widget.render_line(y) for y in rows]
        await pilot.resize_terminal(40, 40)  # the same width: the rows drawn still fit
        await pilot.pause()
        assert all(widget.render_line(y) is strip for y, strip in zip(rows, drawn, strict=True))
        await pilot.resize_terminal(width, 30)
        await pilot.pause()
        after = widget.scrollable_content_region.width
        assert after == before + width - 40
        assert set(rules()) == {"─" * after}
        assert {widget.render_line(y).cell_length for y in range(widget.size.height)} == {after}

"""The footer redraws its keys only when they change (each key widget costs a CSS restyle)."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from kiosk.ui.widgets.footer import KioskFooter
from tests.ui.kiosk_pilot import ANNA, Members, _screen_text


async def test_footer_keeps_its_key_widgets_when_the_keys_are_the_same(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        footer = k.app.screen.query_one(KioskFooter)
        await k.wait_for(lambda: len(footer.children) > 0, "footer keys")
        before = list(footer.children)
        for _ in range(5):
            k.app.screen.refresh_bindings()  # what focus changes and screen resumes do
            await k.pilot.pause()
        assert list(footer.children) == before  # the same widgets: nothing rebuilt


async def test_footer_redraws_when_a_key_is_enabled_or_disabled(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        footer = k.app.screen.query_one(KioskFooter)
        await k.wait_for(lambda: "Redeem" in k.text().splitlines()[-1], "Redeem offered")
        before = list(footer.children)
        k.app.redeeming = True  # the offers screen's Redeem key is disabled while redeeming
        await k.wait_for(lambda: list(footer.children) != before, "keys redrawn")
        k.app.redeeming = False


class _Keys(Screen[None]):
    """A result screen's keys, the longest row of keys the kiosk draws."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "noop", "Anna's other offers"),
        Binding("f3", "noop('b')", "Give the voucher back"),
        Binding("escape", "noop('c')", "Done (new customer)"),
        Binding("f10", "noop('d')", "Staff exit"),
    ]

    def compose(self) -> ComposeResult:
        yield KioskFooter()

    def action_noop(self, _which: str = "a") -> None:
        """Nothing: only the footer is looked at."""


async def _keys_drawn(app: App[None], pilot: Any) -> KioskFooter:
    """The screen's footer once its keys are drawn (polled with a deadline)."""
    footer = app.screen.query_one(KioskFooter)
    deadline = time.monotonic() + 10
    while len(footer.children) != len(_Keys.BINDINGS) and time.monotonic() < deadline:
        await pilot.pause()
    await pilot.pause()
    return footer


async def _footer_line(width: int) -> tuple[str, list[Any], int]:
    """The bottom row at ``width`` columns, the labels the footer chose and its level."""
    app: App[None] = App()
    async with app.run_test(size=(width, 6)) as pilot:
        await app.push_screen(_Keys())
        footer = await _keys_drawn(app, pilot)
        level = footer._choose_level(width)
        return _screen_text(app).splitlines()[-1], footer._labels(level), level


@pytest.mark.parametrize("style", [0, 1])
async def test_each_key_is_whole_at_the_narrowest_width_of_its_style(style: int) -> None:
    """Where the footer decides a style fits, every key of it is drawn whole (F10 last)."""
    app: App[None] = App()
    async with app.run_test(size=(200, 6)):
        await app.push_screen(_Keys())
        footer = app.screen.query_one(KioskFooter)
        narrowest = min(w for w in range(30, 200) if footer._choose_level(w) == style)
    line, labels, level = await _footer_line(narrowest)
    assert level == style
    for _binding, _enabled, key, description in labels:
        assert f"{key} {description}" in line, (narrowest, line)


@pytest.mark.parametrize("width", [200, 60])
async def test_keys_are_born_in_the_footers_style_without_a_restyle(width: int) -> None:
    """Each key widget starts with the footer's compact class: mounting it restyles nothing
    (bound with ``data_bind`` as Textual's Footer does, each key was restyled once or twice)."""
    app: App[None] = App()
    restyled: list[object] = []
    async with app.run_test(size=(width, 6)) as pilot:
        update_styles = app.update_styles

        def spy(node: Any = None, animate: bool = True) -> None:
            restyled.append(node)
            update_styles(node, animate=animate)

        app.update_styles = spy  # type: ignore[method-assign]
        await app.push_screen(_Keys())
        footer = await _keys_drawn(app, pilot)
        keys = list(footer.children)
        assert len(keys) == len(_Keys.BINDINGS)
        assert footer.compact is (width == 60)
        assert all(key.has_class("-compact") is footer.compact for key in keys)
        assert not [node for node in restyled if node in keys]


async def test_a_covered_screens_footer_redraws_when_it_is_shown_again(
        start_kiosk, members: Members) -> None:
    """Under the confirmation (whose own footer covers it) the offers list's footer keeps its
    key widgets while the bindings change; back on top it draws the keys as they are now."""
    async with start_kiosk() as k:
        await k.scan(ANNA)
        offers = k.app.screen
        footer = offers.query_one(KioskFooter)
        await k.wait_for(lambda: "Redeem" in k.text().splitlines()[-1], "Redeem offered")
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.pause()
        before = list(footer.children)
        offers.redeeming = True  # the list's Redeem key is disabled (as while one runs)
        await k.pilot.pause()
        await k.pilot.pause()
        assert list(footer.children) == before  # covered: not redrawn
        k.app.pop_screen()
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: list(footer.children) != before, "keys redrawn on top")
        redeem = next(key for key in footer.children if getattr(key, "action", "") == "choose")
        assert redeem.has_class("-disabled")
        offers.redeeming = False
        await k.wait_for(lambda: not [key for key in footer.children
                                      if key.has_class("-disabled")], "Redeem back")

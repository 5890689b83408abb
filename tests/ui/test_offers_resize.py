"""The offers screen follows a terminal resize: the list's rows, its rules and the scan screen
beneath it are drawn for the new width (the list keeps its drawn rows, and the screen skips
its own relayout, only when a Resize brings the size they were drawn at)."""

from __future__ import annotations

import pytest

from kiosk.ui.screens.offers import OffersScreen
from kiosk.ui.widgets.offer_list import OfferList
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members


def _rules(k: Kiosk) -> list[str]:
    """The separator rules between the offers, as drawn."""
    return [line.strip(" │") for line in k.text().splitlines() if "│ ───" in line]


async def _settled_at(k: Kiosk, width: int, height: int) -> None:
    await k.pilot.resize_terminal(width, height)
    await k.wait_for(lambda: k.app.screen.size.width == width
                     and k.app.screen.query_one(OfferList).outer_size.width == width - 2,
                     f"the offers laid out at {width} columns")
    await k.pilot.pause()


@pytest.mark.parametrize(("width", "height"), [(100, 30), (64, 24)])
async def test_the_offers_list_is_redrawn_for_a_new_terminal_width(
        start_kiosk, members: Members, width: int, height: int) -> None:
    async with start_kiosk(size=(80, 24)) as k:
        await k.scan(ANNA)
        assert isinstance(k.app.screen, OffersScreen)
        await k.wait_for(lambda: _rules(k), "the offers drawn")
        offers = k.app.screen.query_one(OfferList)
        before = offers.scrollable_content_region.width
        assert {len(rule) for rule in _rules(k)} == {before}
        await _settled_at(k, width, height)
        after = offers.scrollable_content_region.width
        assert after != before
        assert {len(rule) for rule in _rules(k)} == {after}  # every row drawn again for it
        top = next(line for line in k.text().splitlines() if "╭" in line)
        assert top.index("╮") == width - 2  # the list's box spans the new width
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: k.app.screen.size.width == width, "the scan screen resized")
        store = k.app.screen.query_one("#store")
        assert store.outer_size.width == width  # the screen beneath was laid out for it too

"""A screen taken off before its mount handler runs (the idle reset or a new scan unwinding
the stack while the machine is busy) must not crash the kiosk in front of a customer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from textual.app import App
from textual.screen import Screen

from kiosk.lookup import Candidate
from kiosk.offers import Member, Offer
from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.screens.chooser import ChooserScreen
from kiosk.ui.screens.offers import OffersScreen
from kiosk.ui.screens.recall import RecallScreen
from kiosk.ui.screens.result import ResultScreen

MEMBER = Member(contact_id="c1", first_name="Anna", card="2004173000100", masked_card="••••1000")
OFFER = Offer(id="i1", promotion_id="p1", name="Autumn 20", value_type="PERCENT",
              value_text="20 %", till_instruction="Apply 20 % off.", apply_text="20 %")

SCREENS: dict[str, Callable[[], Screen[None]]] = {
    "result": lambda: ResultScreen(StaffMessage("Apply 20 %", "Done.", "success", "20 %")),
    "offers": lambda: OffersScreen(MEMBER, [OFFER]),
    "chooser": lambda: ChooserScreen("••••1000", [Candidate("c1", "Anna"),
                                                  Candidate("c2", "Erik")]),
    "recall": lambda: RecallScreen([(Text("10:02"), Text("••••1000"), Text("Autumn 20"),
                                     Text("20 %"), Text("redeemed"))]),
}


@pytest.mark.parametrize("name", sorted(SCREENS))
async def test_a_screen_popped_before_it_mounted_leaves_the_kiosk_running(name: str) -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        screen = SCREENS[name]()
        app.push_screen(screen)
        app.pop_screen()  # in the same tick: its on_mount finds none of its widgets
        for _ in range(5):
            await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.screen is not screen

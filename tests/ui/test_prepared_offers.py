"""The next member's offers screen is made empty while the scan screen is idle (kiosk.ui.app,
``_prepare_offers``) and filled when the lookup answers: it must show only that member, be
used once, and not pile up over customers."""

from __future__ import annotations

import pytest
from textual.screen import Screen

from kiosk.offers import Member
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.offers import OffersScreen
from tests.ui.kiosk_pilot import ANNA, BO, Members

OTHER = Member(contact_id="c9", first_name="Zed", card="2000000000091", masked_card="••••0091")


def _spare_screens(app: KioskApp) -> list[Screen[object]]:
    """Screens the app holds that are on no stack (the prepared one). ``App.children`` lists
    only the active screen: the app's node list has every screen it started."""
    return [node for node in app._nodes
            if isinstance(node, Screen) and node not in app.screen_stack]


async def test_the_answer_fills_the_screen_prepared_before_the_scan(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.wait_for(lambda: _spare_screens(k.app), "an offers screen prepared")
        prepared = _spare_screens(k.app)
        assert len(prepared) == 1 and isinstance(prepared[0], OffersScreen)
        assert prepared[0].member is None and "Anna" not in str(prepared[0].query_one("#member")
                                                                  .render())
        await k.scan(ANNA)
        assert k.app.screen is prepared[0]  # filled, not built again after the answer
        assert "Anna" in k.text() and "Autumn 20" in k.text()


async def test_each_customer_gets_a_fresh_screen_and_none_pile_up(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        shown: list[Screen[object]] = []
        for card, name in [(ANNA, "Anna"), (BO, "Member")] * 4:
            await k.wait_for(lambda: _spare_screens(k.app), "an offers screen prepared")
            await k.scan(card)
            screen = k.app.screen
            assert isinstance(screen, OffersScreen)
            assert screen not in shown  # never one that showed an earlier customer
            shown.append(screen)
            greeting = " ".join(k.text().splitlines()[:3])
            assert name in greeting and ({"Anna", "Member"} - {name}).isdisjoint(greeting.split())
            await k.pilot.press("escape")
            await k.screen_is("ScanScreen")
        await k.wait_for(lambda: len(_spare_screens(k.app)) == 1, "one prepared screen")
        spare = _spare_screens(k.app)[0]
        assert isinstance(spare, OffersScreen) and spare.member is None
        assert all(not s.is_attached for s in shown)  # each customer's screen went


async def test_a_new_scan_while_prepared_screens_wait_shows_the_newest_member(
        start_kiosk, members: Members) -> None:
    """Two scans back to back: the first answer is dropped, the screen shows the second."""
    async with start_kiosk() as k:
        k.burst(ANNA, BO)
        await k.wait_for(lambda: isinstance(k.app.screen, OffersScreen)
                         and k.app.member is not None and k.app.member.contact_id == members.bo
                         and not k.app.busy_text, "Bo's offers")
        assert "Anna" not in k.text()
        assert len(_spare_screens(k.app)) <= 1


def test_a_screen_shows_one_member_only() -> None:
    screen = OffersScreen()
    screen.show(OTHER, [])
    with pytest.raises(RuntimeError):
        screen.show(OTHER, [])
    with pytest.raises(RuntimeError):
        OffersScreen(OTHER, []).show(OTHER, [])

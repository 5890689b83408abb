"""The footer redraws its keys only when they change (each key widget costs a CSS restyle)."""

from __future__ import annotations

from kiosk.ui.widgets.footer import KioskFooter
from tests.ui.kiosk_pilot import ANNA, Members


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

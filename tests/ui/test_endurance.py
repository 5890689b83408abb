"""A kiosk runs for weeks: what one customer leaves behind must not pile up."""

from __future__ import annotations

from kiosk.ui.widgets.footer import KioskFooter
from tests.ui.kiosk_pilot import ANNA, BO, Members


def _footer_watchers(footer: KioskFooter) -> int:
    return sum(len(entries) for entries in getattr(footer, "__watchers", {}).values())


async def test_scan_screen_footer_does_not_collect_watchers_per_customer(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        footer = k.app.screen.query_one(KioskFooter)
        await k.wait_for(lambda: len(footer.keys) > 0, "footer keys")
        keys_shown = footer.keys
        for card in [ANNA, BO] * 8:
            await k.scan(card)
            await k.pilot.press("escape")
            await k.screen_is("ScanScreen")
        await k.wait_for(lambda: footer.keys == keys_shown, "footer settled")
        # Textual's own Footer keeps every removed key's watcher: ~6 more per customer here;
        # the kiosk's footer is one line of text, with no key widgets to watch.
        assert _footer_watchers(footer) == 0 and not footer.children

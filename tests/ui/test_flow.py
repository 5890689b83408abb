"""Scan -> offers -> confirm -> result, for each value type, against the simulator."""

from __future__ import annotations

from kiosk_pilot import ANNA, Members


async def test_scan_shows_member_and_offers(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.screen_is("OffersScreen")
        text = k.text()
        print(text)
        assert "Anna" in text
        assert "0015" in text and ANNA not in text
        assert "Autumn 20" in text
        assert "Web only" not in text


async def test_staff_key_without_pin_exits(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.press("f10")
        await k.wait_for(lambda: k.app._exit, "exit")

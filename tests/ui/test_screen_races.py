"""A screen taken off before its mount handler runs (the idle reset or a new scan unwinding
the stack while the machine is busy) must not crash the kiosk in front of a customer."""

from __future__ import annotations

from textual.app import App

from kiosk.ui.messages_text import StaffMessage
from kiosk.ui.screens.result import ResultScreen


async def test_a_result_popped_before_it_mounted_leaves_the_kiosk_running() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        app.push_screen(ResultScreen(StaffMessage("Apply 20 %", "Done.", "success", "20 %")))
        app.pop_screen()  # in the same tick: the result's on_mount finds no scan field
        for _ in range(5):
            await pilot.pause()
        assert app.is_running and app.return_code is None
        assert not isinstance(app.screen, ResultScreen)

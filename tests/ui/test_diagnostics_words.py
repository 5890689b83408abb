"""F9 in every language: labels and states in the staff's words, IT's state names beside them
in brackets (what the log, ``kiosk journal`` and the fleet database call them), and every
journal count in view at 60x20."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.pilot import Pilot

from kiosk import i18n
from kiosk.i18n import _
from kiosk.journal import JournalState
from kiosk.ui import showcase
from kiosk.ui.screens.diagnostics import (
    CLOCK_STATE_TEXT,
    ENGAGE_STATE_TEXT,
    JOURNAL_STATE_TEXT,
    state_text,
)


async def _diagnostics(pilot: Pilot[Any]) -> str:
    """One offer redeemed, then F9 (no PIN in the demo): every page's text, top to bottom,
    once the journal's counts are in."""
    await showcase.result_screen(pilot)
    await pilot.press("escape")
    await pilot.press("f9")
    app = pilot.app
    await showcase.wait_for(pilot, lambda: type(app.screen).__name__ == "DiagnosticsScreen",
                            "F9")
    await showcase.wait_for(pilot, lambda: bool(app.screen.query_one("#diag-journal")
                                                .region.height > 3), "the journal's counts")
    pages = [showcase.screen_text(app)]
    for _page in range(8):  # the journal's rows are below the first page at 60x20
        await pilot.press("down", "down", "down")
        await pilot.pause()
        pages.append(showcase.screen_text(app))
    return "\n".join(pages)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_f9_states_in_the_staffs_words_with_it_names(language: str) -> None:
    with showcase.frozen_demo(language) as make_app:
        app = make_app()
        async with app.run_test(size=(60, 20)) as pilot:
            text = await _diagnostics(pilot)
    rows = text.splitlines()
    assert any(state_text(ENGAGE_STATE_TEXT, "ok") in row for row in rows), text
    # the till's clock against Engage's answers' Date (the simulator's is the real time)
    assert any(_("Clock vs Engage") in row and state_text(CLOCK_STATE_TEXT, "ok") in row
               for row in rows), text
    for state in JournalState:
        meaning = _(JOURNAL_STATE_TEXT[str(state)])
        count = re.compile(rf"^\s+(\d+)\s+{re.escape(meaning)}")
        shown = [int(m.group(1)) for row in rows if (m := count.match(row))]
        assert shown, f"{language}: no count for {meaning!r} [{state}]\n{text}"
        assert f"[{state}]" in text, f"{language}: IT's name {state!r} missing"
        assert shown[0] == (1 if state == JournalState.REDEEMED else 0), text

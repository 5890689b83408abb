"""The scan field echoes what a person types, key by key, but a wedge burst (13 digits and
Enter back to back) ends before its echo is due: the field, empty before and after, is not
redrawn digit by digit while the card is looked up."""

from __future__ import annotations

import pytest

from kiosk.ui.widgets.scan_input import ScanInput
from tests.ui.kiosk_pilot import ANNA, Members


@pytest.fixture
def echoes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the scan fields were set to show (``ScanInput._shown``'s watcher)."""
    seen: list[str] = []
    monkeypatch.setattr(ScanInput, "watch__shown", lambda self, text: seen.append(text),
                        raising=False)
    return seen


async def test_a_wedge_burst_is_not_echoed_digit_by_digit(
        start_kiosk, members: Members, echoes: list[str]) -> None:
    async with start_kiosk() as k:
        await k.pilot.pause()
        echoes.clear()
        await k.scan(ANNA)
        assert "Anna" in k.text()
        assert [text for text in echoes if text] == []


async def test_a_person_typing_sees_each_key(start_kiosk, members: Members,
                                             echoes: list[str]) -> None:
    async with start_kiosk() as k:
        await k.pilot.pause()
        echoes.clear()
        await k.pilot.press(*ANNA[:4])
        assert echoes == [ANNA[:1], ANNA[:2], ANNA[:3], ANNA[:4]]
        assert f"› {ANNA[:4]}" in k.text()
        await k.pilot.press("backspace")
        assert echoes[-1] == ANNA[:3]

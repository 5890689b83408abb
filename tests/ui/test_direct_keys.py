"""Keys the focused scan field takes go straight to it (kiosk.ui.direct_keys), and only when
that changes nothing staff would see: a priority binding still answers its key first, a key
still on its way to the field is handled before the ones after it, and a finished line still
reaches the app once, as the scan or typed lookup it is."""

from __future__ import annotations

from textual import events

from kiosk.ui.messages import CardScanned, RawScan
from kiosk.ui.widgets.scan_input import ScanInput
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members


def _field(k: Kiosk) -> ScanInput:
    return k.app.screen.query_one(ScanInput)


def _scans(k: Kiosk) -> list[str]:
    return [m.text for m in k.messages if isinstance(m, RawScan)]


async def test_a_wedge_burst_reaches_the_field_directly_and_is_one_scan(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.pause()
        field = _field(k)
        forwarded: list[str] = []
        original = field.on_key
        field.on_key = lambda event: (forwarded.append(event.key), original(event))[1]
        await k.scan(ANNA)
        assert forwarded == []  # none went through the field's queue
        assert _scans(k) == [ANNA]
        assert [m.card for m in k.messages if isinstance(m, CardScanned)] == [ANNA]
        assert "Anna" in k.text()


async def test_a_priority_binding_still_answers_its_key_first(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.pause()
        pressed: list[str] = []
        k.app.action_test_seven = lambda: pressed.append("7")  # type: ignore[attr-defined]
        k.app.screen._bindings.bind("7", "app.test_seven", priority=True)
        await k.pilot.press("1", "7", "2")
        assert pressed == ["7"]
        assert _field(k).value == "12"


async def test_a_key_on_its_way_to_the_field_is_handled_before_the_next_ones(
        start_kiosk, members: Members) -> None:
    # An Enter with nothing typed goes the usual way (through the field's queue, to the
    # screen's bindings); the digits after it must not overtake it, or that Enter would
    # submit them.
    async with start_kiosk() as k:
        await k.pilot.pause()
        for key, char in (("enter", "\r"), ("4", "4"), ("2", "2")):
            k.app.post_message(events.Key(key, char))
        await k.wait_for(lambda: _field(k).value == "42", "the digits typed")
        await k.pilot.pause()
        assert _scans(k) == []
        assert type(k.app.screen).__name__ == "ScanScreen"
        assert "› 42" in k.text()


async def test_backspace_and_escape_still_edit_the_typed_line(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.pause()
        await k.pilot.press("1", "2", "3", "backspace")
        assert _field(k).value == "12"
        assert "› 12" in k.text()
        await k.pilot.press("escape")
        assert _field(k).value == ""
        assert type(k.app.screen).__name__ == "ScanScreen" and _scans(k) == []


async def test_escape_minimizes_a_maximized_widget_before_the_field_sees_it(
        start_kiosk, members: Members) -> None:
    # Textual's own rule, kept on the direct path (the kiosk maximizes nothing today)
    async with start_kiosk() as k:
        await k.pilot.pause()
        await k.pilot.press("1", "2")
        k.app.screen.maximized = _field(k)
        await k.pilot.pause()
        assert k.app.focused is _field(k)
        assert k.app.screen.maximized is not None
        await k.pilot.press("escape")
        assert k.app.screen.maximized is None
        assert _field(k).value == "12"

"""``kiosk run`` freezes the start-up heap and collects a customer's garbage between customers,
not in front of the next one (kiosk.ui.heap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.ui import app as app_module
from kiosk.ui import heap
from tests.ui.kiosk_pilot import ANNA, Members


@pytest.fixture
def full_collections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Start times of full collections; Python's defaults restored afterwards (this process
    runs many apps: nothing may stay frozen)."""
    import time

    monkeypatch.setattr(app_module, "SETTLE_HEAP_AFTER", 0.05)
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER", 0.3)
    thresholds = gc.get_threshold()
    seen: list[float] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(time.monotonic())

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)
    gc.unfreeze()
    gc.set_threshold(*thresholds)


async def test_start_up_heap_is_frozen_and_young_collections_are_rarer(
        start_kiosk, members: Members, full_collections: list[float]) -> None:
    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        assert gc.get_threshold()[0] == heap.YOUNG
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # Textual, pydantic, httpx: nothing a later collection walks


async def test_garbage_is_collected_when_the_till_is_idle_after_a_customer(
        start_kiosk, members: Members, full_collections: list[float]) -> None:
    import time

    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        # no customer yet: idle time alone collects nothing
        quiet_since = time.monotonic()
        await k.wait_for(lambda: time.monotonic() - quiet_since > 1.0, "a second of quiet")
        assert [t for t in full_collections if t > quiet_since] == []

        await k.scan(ANNA)
        last_key = time.monotonic()
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: any(t > last_key for t in full_collections),
                         "a full collection once the scan screen is quiet")
        collected = min(t for t in full_collections if t > last_key)
        # not while staff were busy: only after the quiet time since the last key
        assert collected - last_key >= app_module.IDLE_COLLECT_AFTER


async def test_tests_and_tools_keep_pythons_defaults(start_kiosk, members: Members) -> None:
    thresholds = gc.get_threshold()
    async with start_kiosk() as k:
        await k.scan(ANNA)
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == thresholds


async def test_no_collection_from_kiosk_run_s_hold_until_the_first_frame(
        start_kiosk, members: Members, full_collections: list[float]) -> None:
    """``kiosk run`` turns the collector off before its settings (``heap.hold``); the app
    freezes what start-up made and turns it on again after the first frame."""
    heap.hold()
    try:
        assert not gc.isenabled()
        async with start_kiosk(tune_gc=True) as k:
            await k.wait_for(gc.isenabled, "collector on again after the first frame")
            assert gc.get_freeze_count() > 10_000  # start-up's heap, never walked
    finally:
        gc.enable()

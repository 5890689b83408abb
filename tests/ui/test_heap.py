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


async def test_a_customer_served_between_two_idle_checks_is_still_collected(
        start_kiosk, members: Members, full_collections: list[float],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The idle check looks at the screen stack every IDLE_COLLECT_AFTER / 2 s; a customer
    # scanned and sent away between two looks left no mark, so nothing was collected. Here
    # the check never runs by itself (its interval is huge) and the kiosk's clock is the test's.
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER", 10_000.0)
    now = [1000.0]
    async with start_kiosk(tune_gc=True, clock=lambda: now[0]) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        await k.scan(ANNA)
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: not k.app.busy_text, "the busy line gone")
        now[0] += 20_000.0  # and the till quiet since
        before = len(full_collections)
        k.app._collect_when_idle()  # what the interval timer runs
        assert len(full_collections) > before, "the customer's garbage was not collected"


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


@pytest.fixture
def gc_seen_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bool]]:
    """Whether automatic collection was on when a lookup's or a redemption's answer came
    (the answer is then painted: that is the window kept free of collections)."""
    seen: dict[str, bool] = {}
    done, finished = app_module.KioskApp.on_lookup_done, app_module.KioskApp.on_redeem_finished

    async def lookup_done(self: app_module.KioskApp, message: Any) -> None:
        seen["lookup"] = gc.isenabled()
        await done(self, message)

    async def redeem_finished(self: app_module.KioskApp, message: Any) -> None:
        seen["redeem"] = gc.isenabled()
        await finished(self, message)

    monkeypatch.setattr(app_module.KioskApp, "on_lookup_done", lookup_done)
    monkeypatch.setattr(app_module.KioskApp, "on_redeem_finished", redeem_finished)
    yield seen
    gc.enable()  # whatever a failing test left


async def test_no_collection_from_a_scan_or_enter_until_the_answer_is_painted(
        start_kiosk, members: Members, full_collections: list[float],
        gc_seen_at: dict[str, bool]) -> None:
    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        await k.scan(ANNA)
        await k.screen_is("OffersScreen")
        assert gc_seen_at["lookup"] is False  # held from the card's first key
        await k.wait_for(gc.isenabled, "collection back on once the offers are painted")

        await k.pilot.press("enter")  # the first offer: confirm it
        await k.screen_is("ConfirmScreen")
        assert gc.isenabled()  # reading the confirmation is not a flow
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        assert "Redeemed" in k.text()
        assert gc_seen_at["redeem"] is False  # held from Enter to the painted result
        await k.wait_for(gc.isenabled, "collection back on once the result is painted")


async def test_a_flow_that_never_ends_gets_collection_back(
        start_kiosk, members: Members, full_collections: list[float],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(heap, "HOLD_AT_MOST", 0.3)
    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        before = time.monotonic()
        await k.pilot.press("2", "0")  # a card's first digits, and nothing more
        assert not gc.isenabled()
        await k.pilot.press("0")  # more keys don't move the deadline on
        await k.wait_for(gc.isenabled, "collection back on after HOLD_AT_MOST")
        assert time.monotonic() - before >= 0.3


async def test_collection_turned_off_elsewhere_stays_off(
        start_kiosk, members: Members, full_collections: list[float]) -> None:
    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        gc.disable()
        try:
            await k.scan(ANNA)
            await k.screen_is("OffersScreen")
            await k.pilot.pause()
            assert not gc.isenabled()  # not the kiosk's to turn back on
        finally:
            gc.enable()


async def test_unmount_leaves_collection_on(start_kiosk, members: Members,
                                            full_collections: list[float]) -> None:
    async with start_kiosk(tune_gc=True) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        await k.pilot.press("2")
        assert not gc.isenabled()
    assert gc.isenabled()  # the app left with a flow half way: collection on again

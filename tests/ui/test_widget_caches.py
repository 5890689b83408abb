"""What a customer's screens leave in Textual's caches is freed between customers
(kiosk.ui.widget_caches, called by kiosk.ui.heap's idle collection).

Textual 8's ``StylesCache.get_inner_outer`` is an ``lru_cache`` on a method: its keys hold the
style caches (and rendered lines) of widgets long removed. The UI endurance benchmark grew
~27 MB over its first 1,000 customers that way.

Why an earlier Pilot test saw nothing: ``start_kiosk`` records every message for the tests,
and a message holds its sender, so that log kept every removed widget (and its style cache)
alive with or without the fix. These tests run without it (``record_messages=False``) and
check first that the screens' widgets themselves are freed, so they can tell the difference.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from kiosk.ui import app as app_module
from kiosk.ui import heap, widget_caches
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members


@pytest.fixture
def idle_collections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Times the kiosk's between-customer collection (``heap.collect``) ran, with the heap
    settled and the quiet time short; Python's defaults restored afterwards."""
    import time

    monkeypatch.setattr(app_module, "SETTLE_HEAP_AFTER", 0.05)
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER", 0.3)
    thresholds = gc.get_threshold()
    seen: list[float] = []
    collect = heap.collect

    def noted() -> None:
        collect()
        seen.append(time.monotonic())

    monkeypatch.setattr(heap, "collect", noted)
    yield seen
    gc.unfreeze()
    gc.set_threshold(*thresholds)


Refs = list[weakref.ref[Any]]


def note(screen: Widget, widgets: Refs, caches: Refs) -> None:
    """Weak references to every widget of ``screen`` (itself included) and its style cache."""
    for widget in screen.walk_children(Widget, with_self=True):
        widgets.append(weakref.ref(widget))
        caches.append(weakref.ref(widget._styles_cache))


async def serve(k: Kiosk, widgets: Refs, caches: Refs) -> None:
    """One customer: scan, confirm the first offer, read the result, Escape to the next one;
    every screen they saw noted while it was up. No screenshot (``k.text()``) meanwhile: it
    renders in the test's task, whose context (``visible_screen_stack``) would then hold the
    screens until the next one."""
    await k.scan(ANNA)
    await k.screen_is("OffersScreen")
    note(k.app.screen, widgets, caches)
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    note(k.app.screen, widgets, caches)
    redeemed = len(k.posts())
    await k.pilot.press("enter")
    await k.screen_is("ResultScreen")
    assert len(k.posts()) == redeemed + 1  # Engage got the redemption
    note(k.app.screen, widgets, caches)
    await k.pilot.press("escape")
    await k.screen_is("ScanScreen")


def freed(refs: Refs) -> int:
    return sum(ref() is None for ref in refs)


async def test_a_customers_style_caches_are_freed_by_the_collection_between_customers(
        start_kiosk, members: Members, idle_collections: list[float]) -> None:
    import time

    async with start_kiosk(tune_gc=True, record_messages=False) as k:
        await k.wait_for(lambda: gc.get_freeze_count() > 0, "start-up heap frozen")
        # The first customer's offers screen was made (prepared) before the start-up heap was
        # frozen: frozen objects are never collected, so watch the second customer's screens.
        await serve(k, [], [])
        widgets: Refs = []
        caches: Refs = []
        await serve(k, widgets, caches)
        last_key = time.monotonic()
        await k.wait_for(lambda: any(t > last_key for t in idle_collections),
                         "the collection between customers")
        assert len(widgets) > 20  # offers, confirmation and result screens
        # What the test can see: the screens themselves are freed (a widget or two may wait
        # for a callback a little longer)...
        await k.wait_for(lambda: gc.collect() >= 0 and freed(widgets) >= len(widgets) - 5,
                         "the customer's screens freed")
        # ...and what Textual cached for them went with them.
        kept = [c for w, c in zip(widgets, caches, strict=True) if w() is None and c() is not None]
        assert kept == [], f"{len(kept)} style caches outlive their {freed(widgets)} widgets"
        assert k.app.screen.query_one("ScanInput")  # the scan screen is fine: still painted
        await k.scan(ANNA)  # and the next customer is served as usual
        assert "Autumn 20" in k.text() or "Hundred off" in k.text() or "Coffee" in k.text()


class _Customer(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("an offer")


async def test_textual_keeps_a_popped_screens_style_caches_until_cleared() -> None:
    """Textual's own behaviour, the reason for kiosk.ui.widget_caches. If this fails after a
    Textual upgrade, it no longer keeps them: the clearing can go."""
    app: App[None] = App()
    async with app.run_test(size=(40, 5)) as pilot:
        screen = _Customer()
        await app.push_screen(screen)
        await pilot.pause()  # painted: its style caches hold rendered lines
        widgets: Refs = []
        caches: Refs = []
        note(screen, widgets, caches)
        await app.pop_screen()
        del screen
        await pilot.pause()
        gc.collect()
        assert freed(widgets) == len(widgets) == 2  # the screen and its Static are gone...
        assert freed(caches) == 0  # ...their style caches are not (the lru_cache's keys)
        assert widget_caches.clear() == 1
        gc.collect()
        assert freed(caches) == 2


def test_this_textual_has_the_caches_the_kiosk_clears() -> None:
    """If this fails, a Textual upgrade renamed or dropped a cache in WIDGET_KEYED_CACHES: the
    till carries on (nothing to clear), but check whether the new one keeps removed widgets
    (the tests above) and update the list."""
    import textual._styles_cache  # noqa: F401  (the kiosk clears it only once Textual loaded it)

    assert widget_caches.present() == [".".join(w) for w in widget_caches.WIDGET_KEYED_CACHES]


def test_a_cache_textual_no_longer_has_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    import textual._styles_cache  # noqa: F401

    monkeypatch.setattr(widget_caches, "WIDGET_KEYED_CACHES", (
        ("textual._styles_cache", "StylesCache", "get_inner_outer"),
        ("textual._styles_cache", "StylesCache", "renamed_in_textual_9"),
        ("textual._styles_cache", "GoneClass", "get_inner_outer"),
        ("textual._not_a_module", "StylesCache", "get_inner_outer"),
    ))
    assert widget_caches.clear() == 1
    heap.collect()  # and the idle collection doesn't stop on it

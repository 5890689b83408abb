"""F2 (today's redemptions) and F9 (diagnostics) read the journal in a thread, never on the
event loop: its one connection may be held by a redemption's fsync or a background check, and
keys and scans must go on meanwhile. The real journal is read; only the thread is noted."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.journal import Journal
from tests.ui.kiosk_pilot import ANNA, Members


def _note_loop_reads(journal: Journal, monkeypatch: pytest.MonkeyPatch,
                     *names: str) -> list[str]:
    """Calls of ``names`` on this (the app's) thread, recorded; each still reads the file."""
    loop_thread = threading.get_ident()  # Pilot runs the app on the test's event loop
    on_loop: list[str] = []

    def noting(name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                on_loop.append(name)
            return read(*args, **kwargs)
        return call

    for name in names:
        monkeypatch.setattr(journal, name, noting(name, getattr(journal, name)))
    return on_loop


async def test_f2_and_f9_read_the_journal_off_the_event_loop(
        start_kiosk, members: Members, journal: Journal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop = _note_loop_reads(journal, monkeypatch, "rows", "counts")
    async with start_kiosk(size=(120, 40)) as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")

        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "1 redemption" in k.text() and "Autumn 20" in k.text()
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")

        await k.pilot.press("f9")
        await k.screen_is("DiagnosticsScreen")
        await k.wait_for(lambda: "redeemed" in k.text().split("Journal", 1)[-1],
                         "the journal's counts")
    assert on_loop == []


async def test_a_scan_goes_on_while_f2_waits_for_a_busy_journal(
        start_kiosk, members: Members, journal: Journal) -> None:
    """The journal's connection held elsewhere (as by a redemption's fsync): F2 waits for it
    in a thread while a scan is answered; its list, late, doesn't cover the member's offers."""
    release = threading.Event()
    held = threading.Event()

    def hold_the_journal() -> None:
        with journal._lock:  # what a write in a worker thread holds
            held.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold_the_journal)
    holder.start()
    try:
        assert held.wait(timeout=5)
        async with start_kiosk() as k:
            await k.pilot.press("f2")
            await k.pilot.pause()
            await k.scan(ANNA)  # the loop is free: the lookup is answered meanwhile
            assert type(k.app.screen).__name__ == "OffersScreen"
            assert holder.is_alive(), "answered while the journal was still held"
            release.set()
            await k.wait_for(lambda: not any(w.name == "_read_recall" and w.is_running
                                             for w in k.app.workers), "F2's read done")
            await k.pilot.pause()
            assert type(k.app.screen).__name__ == "OffersScreen" and "Autumn 20" in k.text()
    finally:
        release.set()
        holder.join()

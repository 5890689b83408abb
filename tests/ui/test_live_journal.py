"""The till's views of the journal stay true while it changes under them: F2's list follows a
settlement made elsewhere (IT's ``kiosk journal resolve``, a real second process, or the
Journal API on another connection) and the kiosk's own re-check, its cursor kept on the same
attempt; a "not confirmed yet" result settled by hand says what IT recorded, never "apply";
F5 on a row settled meanwhile says so instead of asking for the PIN. Real simulator, real
SQLite journal, Pilot. The journal watch looks every 0.05 s here (2 s at a till)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual import events
from textual.widgets import DataTable

from kiosk import i18n
from kiosk.engage.client import EngageClient
from kiosk.journal import Journal, JournalState
from kiosk.sim import Fault, Simulator
from kiosk.staff_pin import PinGuard, hash_pin
from kiosk.ui.messages_text import BY_HAND_KICKER, settled_by_hand
from kiosk.ui.services import KioskServices
from tests.support import console_font
from tests.ui.kiosk_pilot import (
    ANNA,
    Kiosk,
    Members,
    redeem_and_leave,
    services_without_breaker,
    stopped_clock,
)

WATCH = 0.05  # seconds between the watch's looks (the till's 2 s is JOURNAL_WATCH_EVERY)


def resolve(path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``kiosk journal resolve`` as IT runs it over SSH: another process."""
    return subprocess.run([sys.executable, "-m", "kiosk", "journal", "resolve", *argv,
                           "--by", "it-lena", "--path", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


def flat(k: Kiosk) -> str:
    """The screen's words on one line (a wrapped sentence reads whole)."""
    return " ".join(re.sub(r"[\u2500-\u259f|+]", " ", k.text()).split())


def listed(k: Kiosk) -> list[str]:
    """F2's rows as staff read them (offer and state), top to bottom."""
    table = k.app.screen.query_one(DataTable)
    return [f"{table.get_row_at(r)[2]}: {table.get_row_at(r)[4]}"
            for r in range(table.row_count)]


def selected(k: Kiosk) -> str:
    """The row under F2's cursor, as :func:`listed` reads it."""
    return listed(k)[k.app.screen.query_one(DataTable).cursor_row]


@pytest.fixture
def today(services: KioskServices) -> datetime:
    """The till's clock, stopped a minute ago: attempts at it are today's at any hour."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    services.clock = stopped_clock(at)
    return at


def attempt(journal: Journal, at: datetime, name: str, state: JournalState) -> int:
    """An attempt of someone Engage doesn't know (nothing re-checks it), written by another
    connection at ``at``."""
    with Journal(journal.path, clock=lambda: at) as other:
        row = other.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0042",
                          contact_id="gone", offer_id=f"offer-{name}", promotion_id=None,
                          offer_name=name, value_applied="10 %")
        other.set_state(row, state, code="GatewayTimeout")
    return row


async def test_f2_follows_a_settlement_by_it_and_keeps_the_cursor_on_its_attempt(
        start_kiosk, journal: Journal, today: datetime) -> None:
    """Two open attempts; the cursor on the older one. IT settles it with its command (a real
    second process) and a new attempt lands on top meanwhile: the row shows its new state, the
    cursor stays on it (not on its old position), and keys pressed back to back with a redraw
    all count, from where the cursor was."""
    journal.claim()  # as `kiosk run` holds it
    attempt(journal, today - timedelta(seconds=1), "Earlier", JournalState.VERIFIED_NOT_REDEEMED)
    older = attempt(journal, today, "Older", JournalState.UNKNOWN)
    attempt(journal, today + timedelta(seconds=1), "Newer", JournalState.UNKNOWN)
    async with start_kiosk(journal_watch_every=WATCH) as k:
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        await k.pilot.press("down")
        assert listed(k) == ["Newer: not verified: check", "Older: not verified: check",
                             "Earlier: not redeemed: don't apply"]
        assert selected(k) == "Older: not verified: check"
        keys = list(k.app.screen.query_one(DataTable).rows)

        ran = await asyncio.to_thread(resolve, journal.path, str(older), "--not-applied",
                                      "--reason", "still active in Engage")
        assert ran.returncode == 0, ran
        await k.wait_for(lambda: "Older: not redeemed: don't apply" in listed(k),
                         "F2 shows IT's settlement")
        assert selected(k) == "Older: not redeemed: don't apply"
        assert listed(k)[0] == "Newer: not verified: check"  # the row that didn't change
        # Redrawn in place: the same rows (a rebuilt table has new row keys).
        assert list(k.app.screen.query_one(DataTable).rows) == keys

        # A redemption lands on top (another connection) while staff press up then down,
        # back to back with the redraw: the cursor ends on the row it started on.
        attempt(journal, today + timedelta(seconds=2), "Newest", JournalState.REDEEMED)
        k.app.post_message(events.Key("up", None))
        k.app._refresh_recall()
        k.app.post_message(events.Key("down", None))
        await k.wait_for(lambda: len(listed(k)) == 4, "the new row")
        await k.wait_for(lambda: not any(w.group == "recall-refresh" and not w.is_finished
                                         for w in k.app.workers), "the redraws done")
        assert listed(k) == ["Newest: redeemed", "Newer: not verified: check",
                             "Older: not redeemed: don't apply",
                             "Earlier: not redeemed: don't apply"]
        assert selected(k) == "Older: not redeemed: don't apply"
        assert "Settle" in k.text().splitlines()[-1]  # one attempt still open: F5 stays


async def test_f2_follows_the_kiosks_own_check(start_kiosk, members: Members, sim: Simulator,
                                                journal: Journal, engage: EngageClient,
                                                services: KioskServices) -> None:
    """Engage commits a redemption but its answer is lost, and the re-reads fail: "not
    confirmed yet". Staff move on and open F2; Engage answers the kiosk's background check
    again: F2's row turns "redeemed (verified)" without closing F2."""
    svc = services_without_breaker(engage, services, journal, settle_window=20.0)
    async with start_kiosk(services_=svc, journal_watch_every=3600.0) as k:  # events alone
        await redeem_and_leave(k, ANNA, Fault("commit_then_504", method="POST",
                                              path=r"/redeem$"),
                               Fault("status", method="GET", path=r"/promotions", status=503,
                                     times=None))
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert listed(k) == ["Autumn 20: not verified: check"]
        sim.faults.clear()  # Engage answers the next re-read: used, inside this attempt's window
        await k.wait_for(lambda: listed(k) == ["Autumn 20: redeemed (verified)"],
                         "the check's answer on F2")
        assert type(k.app.screen).__name__ == "RecallScreen"
        assert len(k.posts()) == 1


async def test_f5_on_a_row_settled_meanwhile_says_so_instead_of_asking_the_pin(
        start_kiosk, journal: Journal, today: datetime, services: KioskServices) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    row = attempt(journal, today, "Autumn 20", JournalState.UNKNOWN)
    # The watch doesn't look (an hour): F5 comes before F2 was redrawn.
    async with start_kiosk(notifications=True, journal_watch_every=3600.0) as k:
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        with Journal(journal.path) as it:  # IT, on its own connection
            it.resolve(row, applied=True, by="it-lena", reason="Engage: used here")
        assert listed(k) == ["Autumn 20: not verified: check"]  # not redrawn yet
        await k.pilot.press("f5")
        await k.wait_for(lambda: "Settled already" in k.text(), f"the till says so: {k.text()}")
        assert "it was settled meanwhile; the list shows how. Nothing to do." in flat(k)
        assert type(k.app.screen).__name__ == "RecallScreen"  # no PIN asked
        assert listed(k) == ["Autumn 20: redeemed (verified)"]
        assert "Settle" not in k.text().splitlines()[-1]


async def checking(k: Kiosk) -> int:
    """Anna's first offer redeemed, its answer lost: "not confirmed yet"; its journal row."""
    row = await checking_in_any_language(k)
    assert "Not confirmed yet — don't apply; checking…" in flat(k)
    return row


async def checking_in_any_language(k: Kiosk) -> int:
    await k.scan(ANNA)
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    await k.pilot.press("enter")
    await k.wait_for(lambda: getattr(k.app.screen, "provisional", False), "not confirmed yet")
    row = k.app.screen.journal_id
    assert isinstance(row, int)
    return row


@pytest.fixture
def lost(sim: Simulator, quick: EngageClient, services: KioskServices,
         journal: Journal) -> KioskServices:
    """Redeems whose answer is lost and never committed, checked for 30 s (the offer stays
    active meanwhile: "not confirmed yet" all along)."""
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    return services_without_breaker(quick, services, journal, settle_window=30.0)


async def test_a_checking_result_settled_by_it_as_applied_says_so_without_apply(
        start_kiosk, members: Members, journal: Journal, lost: KioskServices) -> None:
    async with start_kiosk(services_=lost, journal_watch_every=WATCH) as k:
        row = await checking(k)
        ran = await asyncio.to_thread(resolve, journal.path, str(row), "--applied",
                                      "--reason", "Engage: used 10:02 at this till")
        assert ran.returncode == 0, ran
        await k.wait_for(lambda: "IT: applied" in k.text(), "the screen says so")
        text = flat(k)
        assert "Settled by hand" in text
        assert "IT: applied — ask before applying" in text
        assert ("IT has settled this attempt by hand as applied. The till has no proof of its "
                "own: apply the offer only if IT or the store manager says so.") in text, text
        assert "Not confirmed yet" not in text and "Give 20 % off" not in text  # no "apply"
        assert "This visit, apply" not in text
        assert not k.app.screen.provisional
    assert journal.get(row).state is JournalState.VERIFIED_REDEEMED
    assert journal.get(row).note.startswith("settled by hand by it-lena")


@pytest.mark.parametrize(("applied", "language"), [(False, "en"), (True, "sv"), (True, "fi")])
async def test_a_checking_result_settled_by_hand_at_60x20_on_the_console(
        start_kiosk, members: Members, journal: Journal, lost: KioskServices,
        linux_console_no_color: None, applied: bool, language: str) -> None:
    """IT on its own connection (the Journal API); the screen whole on the Linux console."""
    i18n.set_language(language)
    async with start_kiosk(services_=lost, journal_watch_every=WATCH, size=(60, 20)) as k:
        i18n.set_language(language)
        row = await checking_in_any_language(k)
        with Journal(journal.path) as it:
            it.resolve(row, applied=applied, by="it-lena", reason="Engage")
        said = settled_by_hand(applied)
        await k.wait_for(lambda: said.title in flat(k), f"the screen: {k.text()}")
        text = flat(k)
        assert said.body in text, k.text()
        assert i18n._(BY_HAND_KICKER) in text
        assert "…" not in k.text(), k.text()  # nothing cut at 60x20
        assert i18n._("scan the next card") in text, k.text()  # nor pushed off the screen
        font = console_font()
        assert sorted({ch for ch in k.text() if ch not in font and ch != "\n"}) == []

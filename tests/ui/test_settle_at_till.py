"""Settling at the till, behind the staff PIN, an attempt Engage couldn't confirm: F2's list,
F5 on the attempt, the PIN, then what happened from a short list (Up/Down, Enter). Recorded as
``kiosk journal resolve`` records it (who: this till; why: the reason), and refused, changing
nothing, when it was settled meanwhile (here by IT, a real second process). Real simulator,
real journal, Pilot; also at 60x20 on the Linux console without colours, in Swedish."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from kiosk import i18n
from kiosk.journal import Journal, JournalState
from kiosk.sim import Simulator
from kiosk.staff_pin import PinGuard, hash_pin
from kiosk.ui.services import KioskServices
from tests.support import console_font
from tests.ui.kiosk_pilot import TODAY_ONE, Kiosk, Members, notices, seed_used_no_date


def used_no_date(journal: Journal, members: Members, sim: Simulator,
                 services: KioskServices) -> int:
    """Anna's attempt of a minute ago, its answer lost; Engage lists the offer used without a
    date, so no reconciliation settles it."""
    return seed_used_no_date(journal, members, sim, services,
                             datetime.now(UTC) - timedelta(minutes=1))


def flat(k: Kiosk) -> str:
    """The screen's words on one line, without the boxes' borders (a wrapped sentence reads
    whole)."""
    return " ".join(re.sub(r"[\u2500-\u259f|+]", " ", k.text()).split())


def footer(k: Kiosk) -> str:
    return k.text().splitlines()[-1]


async def open_settle(k: Kiosk, pin: str = "2468") -> None:
    await k.pilot.press("f5")
    await k.screen_is("PinScreen")
    await k.pilot.press(*pin, "enter")
    await k.screen_is("SettleScreen")


async def test_staff_settle_an_attempt_at_the_till_after_the_pin(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        services: KioskServices) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    row = used_no_date(journal, members, sim, services)
    async with start_kiosk() as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "not verified: check" in k.text() and "F5 Settle" in footer(k)

        # A wrong PIN: back, nothing changed.
        await k.pilot.press("f5")
        await k.screen_is("PinScreen")
        assert "settle a redemption by hand" in flat(k), k.text()
        await k.pilot.press("1", "1", "1", "1", "enter")
        await k.wait_for(lambda: not k.app.screen._checking, "PIN checked")
        await k.pilot.press("escape")
        await k.screen_is("RecallScreen")

        await open_settle(k)
        text = flat(k)
        assert "Settle a redemption Engage couldn't confirm" in text
        assert "•••• 0015" in text and "Autumn 20" in text and "20 %" in text
        for choice in ("Applied: the receipt shows the discount",
                       "Not applied: Engage shows the offer still active"):
            assert choice in text, k.text()
        # Nothing chosen yet: Enter (a scanner's, say) settles nothing.
        await k.pilot.press("enter")
        await k.pilot.pause()
        assert type(k.app.screen).__name__ == "SettleScreen"
        assert journal.get(row).state is JournalState.UNKNOWN
        await k.pilot.press("down", "down", "down")  # "Not applied: the customer didn't ..."
        await k.pilot.press("enter")
        await k.screen_is("RecallScreen")
        await k.wait_for(lambda: journal.get(row).state is JournalState.VERIFIED_NOT_REDEEMED,
                         "settled in the journal")
        (done,) = journal.resolutions()
        assert (done.redemption_id, done.applied, done.resolved_by, done.reason) == (
            row, False, "Till 1 (staff PIN)", "Not applied: the customer didn't get the discount")
        await k.wait_for(lambda: "not redeemed: don't apply" in k.text(), "F2 shows it settled")
        assert "Settle" not in footer(k)  # nothing open on the list any more
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: "not confirmed" not in notices(k), "the line gone")
        assert not sim.requests_to("POST", r"/redeem$")  # nothing sent to Engage


async def test_settled_meanwhile_by_it_the_till_changes_nothing_and_says_so(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        services: KioskServices) -> None:
    row = used_no_date(journal, members, sim, services)
    journal.claim()  # as `kiosk run` holds it
    async with start_kiosk(notifications=True) as k:  # no PIN configured: straight on
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        await k.pilot.press("f5")
        await k.screen_is("SettleScreen")
        ran = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "kiosk", "journal", "resolve", str(row), "--applied",
            "--reason", "Engage: used here", "--by", "it-lena", "--path", str(journal.path)],
            capture_output=True, text=True, timeout=60, check=False)
        assert ran.returncode == 0, ran
        await k.pilot.press("down", "enter")  # "Applied: the receipt shows the discount"
        await k.wait_for(lambda: "Nothing changed." in flat(k), f"the till says so: {k.text()}")
        assert "Not settled" in k.text()
        (done,) = journal.resolutions()
        assert (done.resolved_by, done.applied) == ("it-lena", True)
        assert journal.get(row).note == "settled by hand by it-lena: Engage: used here"


@pytest.mark.parametrize("language", ["en", "sv", "fi"])
async def test_the_settle_screen_at_60x20_on_the_console_without_colours(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        linux_console_no_color: None, language: str, services: KioskServices) -> None:
    used_no_date(journal, members, sim, services)
    i18n.set_language(language)
    async with start_kiosk(size=(60, 20)) as k:
        i18n.set_language(language)
        await k.wait_for(lambda: "F2" in notices(k), "the line")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "F5" in footer(k)
        await k.pilot.press("f5")
        await k.screen_is("SettleScreen")
        await k.pilot.press("down")
        from kiosk.ui.screens.settle import CHOICES

        for choice in CHOICES:  # every choice whole on screen, in the staff's language
            assert " ".join(i18n._(choice.reason).split()) in flat(k), (choice, k.text())
        chosen = [seg for strip in k.app.screen._compositor.render_strips() for seg in strip
                  if seg.style and seg.style.reverse and seg.text.strip()]
        assert chosen and i18n._(CHOICES[0].reason).split()[0] in chosen[0].text
        # The reverse-video bar is as wide as the list, as the chooser's (kiosk.ui.screens.choice)
        (line,) = [strip for strip in k.app.screen._compositor.render_strips()
                   if any(seg is chosen[0] or seg.text == chosen[0].text for seg in strip)]
        bar = sum(len(seg.text) for seg in line if seg.style and seg.style.reverse)
        settle_list = k.app.screen.query_one("#settle-list")
        assert bar >= settle_list.scrollable_content_region.width, (bar, line)
        assert "Enter" in footer(k) or "Retur" in footer(k), footer(k)
        assert "…" not in k.text(), k.text()  # nothing cut
        font = console_font()  # and every character one the Linux console's font has
        assert sorted({ch for ch in k.text() if ch not in font and ch != "\n"}) == []

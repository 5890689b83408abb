"""While the journal holds an attempt nobody could settle, the scan screen says so in one steady
line (a count, no card or name), after the settled answer's own notice has gone; F4 doesn't
hide it; reconciliation settling the attempt takes it away. Today's attempts point to F2;
older ones (not on F2's list) to IT."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Static

from kiosk import i18n
from kiosk.engage.client import EngageClient
from kiosk.i18n import _
from kiosk.journal import Journal, JournalState
from kiosk.sim import Fault, Simulator
from kiosk.ui import open_attempts
from kiosk.ui.open_attempts import OpenAttempts
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import (
    ANNA,
    BO,
    TODAY_ONE,
    Kiosk,
    Members,
    redeem_and_leave,
    seed_open,
    services_without_breaker,
    steady_lines,
)


@pytest.fixture
def quick_services(quick: EngageClient, services: KioskServices, journal: Journal
                   ) -> KioskServices:
    return services_without_breaker(quick, services, journal, settle_window=2.0)


def notices(k: Kiosk) -> str:
    return str(k.app.screen_stack[0].query_one("#notices", Static).render())


async def test_an_unresolved_attempt_stays_on_the_scan_screen_until_it_is_settled(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        quick_services: KioskServices) -> None:
    async with start_kiosk(services_=quick_services) as k:
        await k.pilot.pause()
        assert "not confirmed" not in notices(k)  # nothing open: no line

        # Anna's answer is lost, and every re-read fails until the settle window is over.
        await redeem_and_leave(
            k, ANNA,
            Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False),
            Fault("status", method="GET", path=rf"/{members.anna}/promotions", status=503,
                  times=None))
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the steady line while checking")
        await k.wait_for(lambda: "Autumn 20: Not confirmed — don't apply" in notices(k),
                         "the final word", timeout=15)
        assert [r.state for r in journal.rows()] == [JournalState.UNKNOWN]

        # Five newer settled answers push the unresolved one's notice out (as 15 minutes do).
        for n in range(5):
            k.app.add_notice(f"•••• 00{n}0, Offer {n}: Give 10 % off")
        await k.wait_for(lambda: "Autumn 20" not in notices(k), "its notice gone")
        assert TODAY_ONE in notices(k), notices(k)  # ... the line stays
        assert re.search(r"^⚠ 1 redemption not confirmed — F2 to see it$", notices(k), re.M)
        assert "0015" not in notices(k).split("F2")[0].splitlines()[-1]  # no card, no name

        # F4 hides the settled answers only.
        await k.pilot.press("f4")
        await k.wait_for(lambda: "Offer 4" not in notices(k), "the settled notices hidden")
        assert notices(k).strip() == f"⚠ {TODAY_ONE}"

        # F2 lists it.
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "Autumn 20" in k.text() and _("not verified: check") in k.text()
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")

        # Engage goes away (a lookup fails) and comes back: reconciliation settles the attempt
        # (the window is over and the offer still active: not redeemed), and the line goes.
        sim.faults.clear()
        sim.faults.add(Fault("status", status=503, times=None))
        await k.scan(BO)
        assert k.app.engage_state == "unavailable"
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        sim.faults.clear()
        k.app.check_engage()
        await k.wait_for(lambda: TODAY_ONE not in notices(k), "the line gone", timeout=15)
        assert [r.state for r in journal.rows()] == [JournalState.VERIFIED_NOT_REDEEMED]
        assert "not confirmed" not in notices(k)
        assert "Autumn 20: Not redeemed" in notices(k)  # reconciliation's answer, as a notice


async def test_the_line_goes_when_the_background_check_settles_it(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        quick_services: KioskServices) -> None:
    """Engage commits late: "not confirmed yet" (the line is under the result), then the
    re-read proves it ours, the result turns into "apply", and the line goes."""
    async with start_kiosk(services_=quick_services) as k:
        await k.scan(ANNA)
        sim.faults.add(Fault("latency", method="POST", path=r"/redeem$", latency=1.0))
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Not confirmed yet" in k.text(), "not confirmed yet")
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line under the result")
        await k.wait_for(lambda: "Give 20 % off" in k.text(), "the answer", timeout=15)
        await k.wait_for(lambda: TODAY_ONE not in notices(k), "the line gone")
        assert [r.state for r in journal.rows()] == [JournalState.VERIFIED_REDEEMED]


def test_open_attempts_are_counted_as_f2_lists_them(journal: Journal) -> None:
    now = datetime.now(UTC) - timedelta(seconds=5)  # the till's now
    seed_open(journal, now, today=2, earlier=3)
    assert open_attempts.count(journal, "Till 1", now) == OpenAttempts(today=2, other=3)
    assert open_attempts.count(journal, "Till 9", now) == OpenAttempts(today=0, other=5)
    assert open_attempts.count(journal, now=now) == OpenAttempts(today=2, other=3)
    assert open_attempts.lines(OpenAttempts()) == []
    assert open_attempts.lines(OpenAttempts(2, 3)) == [
        "2 redemptions not confirmed — F2 to see them",
        "3 earlier redemptions not confirmed — tell IT"]
    assert open_attempts.lines(OpenAttempts(0, 1)) == [
        "1 earlier redemption not confirmed — tell IT"]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_line_is_whole_in_every_language(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        journal: Journal, size: tuple[int, int]) -> None:
    """Attempts a crash left open, Engage away at start (reconciliation can't settle them):
    both lines, each whole on one row, at 80x24 and 60x20, in every language."""
    seed_open(journal, services.clock(), today=12, earlier=3)
    sim.faults.add(Fault("status", status=503, times=None))
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        services.notices = []
        async with start_kiosk(size=size) as k:
            wanted = steady_lines(12, 3)
            await k.wait_for(lambda w=wanted: all(x in notices(k) for x in w),
                             f"{language}: the lines")
            rows = [row.strip() for row in k.text().splitlines()]
            for line in wanted:
                assert f"⚠ {line}" in rows, f"{language} {size}: {line!r}\n{k.text()}"


async def test_the_line_on_the_linux_console_without_colour(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        services: KioskServices, linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR at 80x24: the line in the console's glyph ("!"), whole."""
    seed_open(journal, services.clock(), today=1, earlier=0)
    sim.faults.add(Fault("status", status=503, times=None))
    async with start_kiosk() as k:
        assert k.app.console_mode and k.app.no_color
        await k.wait_for(lambda: TODAY_ONE in k.text(), "the line")
        assert re.search(rf"^  ! {TODAY_ONE}$", k.text(), re.M), k.text()
        assert "⚠" not in k.text()


async def test_the_journal_is_counted_off_the_event_loop(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        services: KioskServices, monkeypatch: pytest.MonkeyPatch) -> None:
    """The count reads the journal in a thread (its one connection may be held by a
    redemption's fsync): never on the loop, as F2 and F9."""
    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = open_attempts.count

    def noting(*args: object, **kwargs: object) -> OpenAttempts:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(open_attempts, "count", noting)
    seed_open(journal, services.clock(), today=1, earlier=0)
    sim.faults.add(Fault("status", status=503, times=None))
    async with start_kiosk() as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line")
    assert threads and loop_thread not in threads

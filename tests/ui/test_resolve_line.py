"""A "used, no date" attempt: no reconciliation settles it (Engage shows the offer used but not
when), so the scan screen's line about it stays; IT settles it with ``kiosk journal resolve``
while the kiosk is stopped, and at the next start the line is gone (settled while it runs:
``test_resolve_live``). Real simulator, real journal, the real command line, Pilot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk import cli
from kiosk.journal import Journal, JournalState
from kiosk.sim import Simulator
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import TODAY_ONE, Members, notices, seed_used_no_date


async def test_a_used_no_date_attempt_keeps_its_line_until_it_is_resolved_by_hand(
        start_kiosk, members: Members, sim: Simulator, journal: Journal,
        services: KioskServices, capsys: pytest.CaptureFixture[str]) -> None:
    # Long past its settle window; F2 and the "F2 to see it" line are about today's attempts
    # at this till: its clock stopped at the attempt, whose day it is at any hour (in the first
    # 20 minutes of a day the attempt would otherwise be yesterday's: this failed at 00:16).
    row = seed_used_no_date(journal, members, sim, services,
                            datetime.now(UTC) - timedelta(minutes=20))

    async with start_kiosk() as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line")
        await k.wait_for(lambda: "Autumn 20: Used — check before applying" in notices(k),
                         "reconciliation's answer")
    assert journal.get(row).state is JournalState.UNKNOWN
    assert journal.get(row).note == "Engage shows it used without a date: check by hand"

    # IT checks it in Engage and with the store: it wasn't this attempt.
    code = cli.main(["journal", "resolve", str(row), "--not-applied", "--reason",
                     "used online on the 27th", "--by", "it-lena",
                     "--path", str(journal.path)])
    assert code == 0, capsys.readouterr().err
    assert journal.get(row).state is JournalState.VERIFIED_NOT_REDEEMED

    services.notices = []  # the next start of the kiosk
    async with start_kiosk() as k:
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "Autumn 20" in k.text()
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: not any(w.group == "reconcile" and not w.is_finished
                                         for w in k.app.workers), "reconciliation done")
        await k.wait_for(lambda: not any(w.group == "open-attempts" and not w.is_finished
                                         for w in k.app.workers), "the count done")
        assert "not confirmed" not in notices(k), notices(k)
        assert not k.app._open_lines

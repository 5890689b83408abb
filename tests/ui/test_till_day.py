"""The till's day on the nights Stockholm changes to and from summer time: F2 lists the
attempts since the till's local midnight, and the "not confirmed" lines count them as today's
(F2) or an earlier day's (tell IT) from the same midnight. Midnight's offset is not the
evening's on those days, so a day started at "now with the hour set to 0" was an hour off
from 00:00 to 24:00. The till's clock is pinned (``services.clock``) and its zone set."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.journal import Journal, JournalState
from kiosk.sim import Fault, Simulator
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import TODAY_ONE, notices

EARLIER_ONE = "1 earlier redemption not confirmed — tell IT"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "todays", "yesterdays"), [
    # 25 October 2026, 25 hours: midnight is +02:00, the evening +01:00
    ("2026-10-25T21:00:00", "2026-10-24T22:30:00", "2026-10-24T21:30:00"),
    # 28 March 2027, 23 hours: midnight is +01:00, the evening +02:00
    ("2027-03-28T20:00:00", "2027-03-27T23:30:00", "2027-03-27T22:30:00"),
], ids=["october", "march"])
async def test_f2_and_the_lines_split_the_day_at_the_tills_midnight(
        start_kiosk, sim: Simulator, journal: Journal, services: KioskServices,
        till_zone: Callable[[str], None], now: str, todays: str, yesterdays: str) -> None:
    """00:30 that day is today's, 23:30 the evening before an earlier day's."""
    till_zone("Europe/Stockholm")
    for name, when in (("Tonight 00:30", utc(todays)), ("Last night 23:30", utc(yesterdays))):
        with Journal(journal.path, clock=lambda when=when: when) as j:
            row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0019",
                          contact_id=f"c-{name}", offer_id=f"o-{name}", promotion_id=None,
                          offer_name=name, value_applied="10 %")
            j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    sim.faults.add(Fault("status", status=503, times=None))  # nothing settles them
    services.clock = lambda: utc(now)
    async with start_kiosk() as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k) and EARLIER_ONE in notices(k),
                         f"today's and the earlier day's lines:\n{notices(k)}")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "Tonight 00:30" in k.text()
        assert "Last night 23:30" not in k.text()


@pytest.mark.parametrize("start", ["2026-11-29T22:59:58.500", "2026-10-24T21:59:58.500"],
                         ids=["november", "october-eve"])
async def test_todays_line_becomes_an_earlier_days_at_midnight(
        start_kiosk, sim: Simulator, journal: Journal, services: KioskServices,
        till_zone: Callable[[str], None], start: str) -> None:
    """Engage away (the idle re-check, which also counts, doesn't run): the till's clock passes
    its midnight (23:59:58.5 in Stockholm, running), and "F2 to see it" turns into "earlier
    ... tell IT" without a restart (it said "F2 to see it" all night while F2 listed nothing)."""
    till_zone("Europe/Stockholm")
    t0, m0 = utc(start), time.monotonic()
    attempt = t0 - timedelta(seconds=30)
    with Journal(journal.path, clock=lambda: attempt) as j:
        row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0019",
                      contact_id="c-late", offer_id="o-late", promotion_id=None,
                      offer_name="Late one", value_applied="10 %")
        j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    sim.faults.add(Fault("status", status=503, times=None))
    services.clock = lambda: t0 + timedelta(seconds=time.monotonic() - m0)
    async with start_kiosk() as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k), "today's line before midnight")
        await k.wait_for(lambda: EARLIER_ONE in notices(k) and TODAY_ONE not in notices(k),
                         f"the earlier day's line after midnight:\n{notices(k)}", timeout=8)

"""While the journal holds attempts nobody could settle, the idle till re-checks them with Engage
every few minutes (``Redeemer.recheck_open`` from the idle check), so an attempt whose re-reads
alone failed loses its steady line without waiting for a restart or an outage's end; and a
staff redemption that starts meanwhile is neither refused nor kept waiting (the re-check holds
no terminal lock). Real simulator, real journal, Pilot; the kiosk's clock is the test's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.journal import Journal, JournalState
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.sim import Fault, Simulator
from kiosk.ui.app import RECHECK_OPEN_EVERY, RECHECK_OPEN_QUIET
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import (
    ANNA,
    BO,
    TODAY_ONE,
    Kiosk,
    Members,
    notices,
    redeem_and_leave,
    services_without_breaker,
    stopped_clock,
)


def rechecking(k: Kiosk) -> bool:
    return any(w.name == "_recheck_open" and not w.is_finished for w in k.app.workers)


def promotion_reads(sim: Simulator, contact_id: str) -> int:
    return len(sim.requests_to("GET", rf"/{contact_id}/promotions"))


async def test_an_attempt_whose_rereads_failed_is_settled_while_the_till_is_idle(
        start_kiosk, members: Members, sim: Simulator, journal: Journal, quick: EngageClient,
        services: KioskServices) -> None:
    quick_services = services_without_breaker(quick, services, journal, settle_window=2.0)
    now = [1000.0]
    async with start_kiosk(services_=quick_services, clock=lambda: now[0]) as k:
        # Anna's answer is lost, and every re-read of her offers fails for the whole window.
        await redeem_and_leave(
            k, ANNA,
            Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False),
            Fault("status", method="GET", path=rf"/{members.anna}/promotions", status=503,
                  times=None))
        await k.wait_for(lambda: "Autumn 20: Not confirmed — don't apply" in notices(k),
                         "the final word", timeout=15)
        assert TODAY_ONE in notices(k)
        # Engage answers everything else: a lookup works, so no outage ends to reconcile it.
        await k.scan(BO)
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        assert k.app.engage_state == "ok"
        sim.faults.clear()  # Anna's offers readable again

        # Idle, but not for long enough yet: no re-check (Engage isn't asked).
        reads = promotion_reads(sim, members.anna)
        now[0] += RECHECK_OPEN_EVERY - 1
        await k.app._check_idle()
        assert not rechecking(k) and promotion_reads(sim, members.anna) == reads
        # A few minutes on: the idle till re-checks, the attempt is settled and the line goes.
        now[0] += 2
        await k.app._check_idle()
        await k.wait_for(lambda: TODAY_ONE not in notices(k), "the line gone")
        assert [r.state for r in journal.rows()] == [JournalState.VERIFIED_NOT_REDEEMED]
        assert "Autumn 20: Not redeemed" in notices(k)  # the answer, as a notice
        assert promotion_reads(sim, members.anna) == reads + 1
        assert k.posts() and len(k.posts()) == 1  # nothing redeemed again

        # Nothing open any more: no more re-checks.
        now[0] += 10 * RECHECK_OPEN_EVERY
        await k.app._check_idle()
        assert not rechecking(k) and promotion_reads(sim, members.anna) == reads + 1


@pytest.fixture
async def patient(sim: Simulator) -> AsyncIterator[EngageClient]:
    """A client that waits 10 s for an answer (the test slows Engage down by 8 s)."""
    client = EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(
        connect=1.0, read=10.0, lookup_deadline=10.0, redeem_read=10.0))
    yield client
    await client.aclose()


async def test_a_staff_redemption_during_an_idle_recheck_is_not_refused_or_kept_waiting(
        start_kiosk, members: Members, sim: Simulator, journal: Journal, patient: EngageClient,
        services: KioskServices) -> None:
    """The re-check of Anna's open attempt is in flight (Engage slow to list her offers) when
    Bo's redemption is confirmed: Bo's answer comes while the re-check still waits, and is
    "apply" (a re-check that held the terminal's lock would refuse it: "still checking an
    earlier redemption"). The re-check then settles Anna's attempt."""
    sim.state.add_offer(members.bo, name="Bo ten", value_type="PERCENT", value=10)
    anna_offer = members.offers["percent"]
    ago = datetime.now(UTC) - timedelta(seconds=30)  # past its settle window (2 s here)
    with Journal(journal.path, clock=lambda: ago) as j:
        row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                      contact_id=members.anna, offer_id=anna_offer, promotion_id=None,
                      offer_name="Autumn 20", value_applied="20 %")
        j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    redeemer = Redeemer(patient, journal, store="Test Store", terminal="Till 1",
                        recheck_delays=(0.2,), settle_window=2.0, verify_deadline=10.0)
    slow = KioskServices(lookup=MemberLookup(patient), redeemer=redeemer, journal=journal,
                         settings=services.settings, notices=[],
                         clock=stopped_clock(ago))  # the attempt is today's at any hour
    # Anna's offers unreadable at start: the start-up reconciliation leaves her attempt open.
    sim.faults.add(Fault("status", method="GET", path=rf"/{members.anna}/promotions",
                         status=503, times=None))
    now = [1000.0]
    async with start_kiosk(services_=slow, clock=lambda: now[0]) as k:
        await k.wait_for(lambda: TODAY_ONE in notices(k), "the line")
        sim.faults.clear()
        sim.faults.add(Fault("latency", method="GET", path=rf"/{members.anna}/promotions",
                             latency=8.0))
        reads = promotion_reads(sim, members.anna)
        now[0] += RECHECK_OPEN_EVERY + RECHECK_OPEN_QUIET
        await k.app._check_idle()
        await k.wait_for(lambda: promotion_reads(sim, members.anna) > reads,
                         "the re-check's read")
        assert rechecking(k)

        await k.scan(BO)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        assert "Give 10 % off" in k.text(), k.text()
        assert rechecking(k), "inconclusive: the re-check ended before Bo's answer"
        assert not redeemer.in_flight
        (bo_row,) = [r for r in journal.rows() if r.contact_id == members.bo]
        assert bo_row.state is JournalState.REDEEMED

        await k.wait_for(lambda: not rechecking(k), "the re-check done", timeout=15)
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: TODAY_ONE not in notices(k), "Anna's line gone")
        assert journal.get(row).state is JournalState.VERIFIED_NOT_REDEEMED

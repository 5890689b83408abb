"""IT settles an attempt by hand while the kiosk runs: ``kiosk journal resolve`` in a real
subprocess on the same SQLite file as a real kiosk (Pilot, the real simulator, the journal
held as ``kiosk run`` holds it). The kiosk notices within seconds (SQLite's data_version, looked
at from the idle check) and its "not confirmed — tell IT" line goes without a restart; and when
the kiosk's own re-check and IT's command hit the same row, the first wins and the other
changes nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.journal import Journal, JournalState
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.sim import Fault, Simulator
from kiosk.ui.app import RECHECK_OPEN_EVERY, RECHECK_OPEN_QUIET
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import Kiosk, Members, notices

EARLIER_ONE = "1 earlier redemption not confirmed — tell IT"


def resolve(path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``kiosk journal resolve`` as IT runs it over SSH: another process."""
    return subprocess.run([sys.executable, "-m", "kiosk", "journal", "resolve", *argv,
                           "--by", "it-lena", "--path", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def held(journal: Journal) -> Iterator[Journal]:
    journal.claim()  # as `kiosk run` holds it while it runs
    yield journal


def open_attempt(journal: Journal, members: Members) -> int:
    """Anna's attempt of two days ago, its answer lost: ``unknown`` (an earlier day: "tell IT")."""
    ago = datetime.now(UTC) - timedelta(days=2)
    with Journal(journal.path, clock=lambda: ago) as j:
        row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                      contact_id=members.anna, offer_id=members.offers["percent"],
                      promotion_id=None, offer_name="Autumn 20", value_applied="20 %")
        j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    return row


def rechecking(k: Kiosk) -> bool:
    return any(w.name == "_recheck_open" and not w.is_finished for w in k.app.workers)


async def test_a_hand_settlement_clears_the_running_kiosks_line_within_seconds(
        start_kiosk, members: Members, sim: Simulator, held: Journal) -> None:
    row = open_attempt(held, members)
    # Anna's offers unreadable: the start-up reconciliation leaves her attempt open.
    sim.faults.add(Fault("status", method="GET", path=rf"/{members.anna}/promotions",
                         status=503, times=None))
    async with start_kiosk() as k:
        await k.wait_for(lambda: EARLIER_ONE in notices(k), "the line")
        reads = len(sim.requests_to("GET", rf"/{members.anna}/promotions"))
        ran = await asyncio.to_thread(resolve, held.path, str(row), "--not-applied",
                                      "--reason", "still active in Engage")
        assert (ran.returncode, ran.stderr) == (0, ""), ran
        assert "The running kiosk's line about it goes within seconds." in ran.stdout
        await k.wait_for(lambda: "not confirmed" not in notices(k), "the line gone")
        assert not k.app._open_lines
        # Noticed from the journal, not by asking Engage again.
        assert len(sim.requests_to("GET", rf"/{members.anna}/promotions")) == reads
    assert held.get(row).state is JournalState.VERIFIED_NOT_REDEEMED


@pytest.fixture
async def slow_reads(sim: Simulator) -> EngageClient:
    client = EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(
        connect=1.0, read=10.0, lookup_deadline=10.0, redeem_read=10.0))
    yield client  # type: ignore[misc]
    await client.aclose()


async def test_a_hand_settlement_during_the_kiosks_recheck_of_the_same_row_stands(
        start_kiosk, members: Members, sim: Simulator, held: Journal, slow_reads: EngageClient,
        services: KioskServices) -> None:
    """The idle till's re-check of Anna's attempt is waiting for Engage (slow to list her
    offers) when IT settles it by hand as applied. Engage then lists the offer still active,
    which would be "Not redeemed": the kiosk writes nothing, says nothing, and the line goes.
    The other way round, IT's command comes after the kiosk settled a row: refused, exit 1."""
    row = open_attempt(held, members)
    redeemer = Redeemer(slow_reads, held, store="Test Store", terminal="Till 1",
                        recheck_delays=(0.2,), settle_window=2.0, verify_deadline=10.0)
    kiosk_services = KioskServices(lookup=MemberLookup(slow_reads), redeemer=redeemer,
                                   journal=held, settings=services.settings, notices=[])
    sim.faults.add(Fault("status", method="GET", path=rf"/{members.anna}/promotions",
                         status=503, times=None))
    now = [1000.0]
    async with start_kiosk(services_=kiosk_services, clock=lambda: now[0]) as k:
        await k.wait_for(lambda: EARLIER_ONE in notices(k), "the line")
        sim.faults.clear()
        # Slow enough that IT's command (a new Python process) is done before the answer.
        sim.faults.add(Fault("latency", method="GET", path=rf"/{members.anna}/promotions",
                             latency=8.0))
        reads = len(sim.requests_to("GET", rf"/{members.anna}/promotions"))
        now[0] += RECHECK_OPEN_EVERY + RECHECK_OPEN_QUIET
        await k.app._check_idle()
        await k.wait_for(lambda: len(sim.requests_to("GET", rf"/{members.anna}/promotions"))
                         > reads, "the re-check's read")
        ran = await asyncio.to_thread(resolve, held.path, str(row), "--applied", "--reason",
                                      "Engage: used here on the 27th")
        assert ran.returncode == 0, ran
        assert rechecking(k), "inconclusive: the re-check ended before IT's command"
        await k.wait_for(lambda: not rechecking(k), "the re-check done", timeout=15)
        await k.wait_for(lambda: "not confirmed" not in notices(k), "the line gone")
        assert "Not redeemed" not in notices(k), notices(k)
        settled = held.get(row)
        assert settled.state is JournalState.VERIFIED_REDEEMED
        assert settled.note == "settled by hand by it-lena: Engage: used here on the 27th"

        # Now the kiosk first: a second attempt, settled by the kiosk's re-check.
        second = open_attempt(held, members)
        sim.faults.clear()
        now[0] += 1
        k.app._count_open_attempts()
        await k.wait_for(lambda: EARLIER_ONE in notices(k), "the new line")
        now[0] += RECHECK_OPEN_EVERY + RECHECK_OPEN_QUIET
        await k.app._check_idle()
        await k.wait_for(lambda: "not confirmed" not in notices(k), "settled by the kiosk",
                         timeout=15)
        assert "Autumn 20: Not redeemed" in notices(k)
        before = held.get(second)
        ran = await asyncio.to_thread(resolve, held.path, str(second), "--applied", "--reason",
                                      "late")
        assert (ran.returncode, ran.stdout) == (1, "")
        assert ran.stderr == (f"kiosk: refused: journal row {second} is settled already: "
                              "verified-not-redeemed. Nothing changed.\n")
        assert held.get(second) == before and [r.redemption_id for r in held.resolutions()] \
            == [row]

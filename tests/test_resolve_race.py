"""IT settles an attempt by hand (``kiosk journal resolve``, a real subprocess) while the kiosk
is settling the same row (the idle till's re-check, a real Redeemer against the real simulator,
on the same SQLite file). Whichever commits first wins; the other changes nothing and says so:
the kiosk logs it and announces nothing, the command exits 1 with one line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.journal import Journal, JournalRow, JournalState, ReactivationState
from kiosk.offers import Member, Offer
from kiosk.redeem import OutcomeKind, Redeemer, RedeemOutcome, UndoKind
from kiosk.rewards import usable_vouchers
from kiosk.scanner.barcode import mask_card
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault

CARD = "2012345678903"


def resolve(path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``kiosk journal resolve`` as IT runs it: another process, its own connection."""
    return subprocess.run([sys.executable, "-m", "kiosk", "journal", "resolve", *argv,
                           "--by", "it-lena", "--path", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


class HandInBetween(Journal):
    """The kiosk's journal; once armed, IT's command runs right after the kiosk has read an
    offer's attempts and before it writes its settlement (the narrowest race there is)."""

    armed: tuple[str, ...] = ()
    ran: subprocess.CompletedProcess[str] | None = None

    def attempts(self, offer_id: str) -> list[JournalRow]:
        found = super().attempts(offer_id)
        if self.armed:
            argv, self.armed = self.armed, ()
            self.ran = resolve(self.path, *argv)
        return found


@pytest.fixture
def kiosk_journal(tmp_path: Path) -> AsyncIterator[HandInBetween]:
    journal = HandInBetween(tmp_path / "journal.sqlite3")
    journal.claim()  # as `kiosk run` does: the command sees a running kiosk
    yield journal  # type: ignore[misc]
    journal.close()


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EngageClient]:
    timeouts = ClientTimeouts(connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=2.0)
    async with EngageClient(sim.url, sim.api_key, timeouts=timeouts) as c:
        yield c


def member_with_offer(sim: Simulator) -> tuple[Member, Offer]:
    cid = sim.state.add_contact(first_name="Anna", card=CARD)
    iid = sim.state.add_offer(cid, name="20 % off shoes", value_type="PERCENT", value=20)
    inst = sim.state.promotion_instance(iid)
    assert inst is not None
    return (Member(contact_id=cid, first_name="Anna", card=CARD, masked_card=mask_card(CARD)),
            Offer(id=iid, promotion_id=inst["promotionId"], name="20 % off shoes",
                  value_type="PERCENT", value_text="20 %", till_instruction="Give 20 % off"))


async def used_no_date(sim: Simulator, journal: Journal, client: EngageClient
                       ) -> tuple[Redeemer, list[RedeemOutcome[Any]], int, Callable[[], None]]:
    """An attempt Engage committed but then listed as used without a date: left ``unknown``.
    Returns the kiosk's redeemer (its clock past the attempt's window), what it announced,
    the row, and how to make Engage show the date (inside the attempt's window: "ours")."""
    member, offer = member_with_offer(sim)
    sim.faults.add(Fault("commit_then_504", method="POST", path=r"/redeem$"))
    inst = dict(sim.state.promotion_instance(offer.id) or {})
    inst.pop("contactId")
    sim.faults.add(Fault("status", method="GET", path=r"/promotions$", status=200, times=None,
                         body=json.dumps([{**inst, "redeemed": True, "redeemedOn": None}])))
    later = [timedelta(0)]
    r = Redeemer(client, journal, store="Centrum", terminal="till-2", recheck_delays=(0.05,),
                 settle_window=0.5, now=lambda: datetime.now(UTC) + later[0])
    told: list[RedeemOutcome[Any]] = []
    r.add_listener(told.append)
    assert (await r.redeem(member, offer)).kind is OutcomeKind.USED_CHECK
    (row,) = journal.rows()
    later[0] = timedelta(seconds=1)  # past the window: the idle re-check's turn
    return r, told, row.id, sim.faults.clear


async def test_a_hand_settlement_between_the_kiosks_read_and_write_stands(
        sim: Simulator, kiosk_journal: HandInBetween, client: EngageClient,
        caplog: pytest.LogCaptureFixture) -> None:
    r, told, row, show_date = await used_no_date(sim, kiosk_journal, client)
    show_date()  # the re-check would now settle it as this attempt's redemption ("apply")
    kiosk_journal.armed = (str(row), "--not-applied", "--reason", "the store says no")
    with caplog.at_level(logging.WARNING, logger="kiosk.redeem"):
        report = await r.recheck_open()
    assert kiosk_journal.ran is not None and kiosk_journal.ran.returncode == 0, kiosk_journal.ran
    assert "settled by hand as not applied" in kiosk_journal.ran.stdout
    # The kiosk's write found the row settled inside its transaction: nothing written, and
    # no "apply" announced.
    settled = kiosk_journal.get(row)
    assert settled.state is JournalState.VERIFIED_NOT_REDEEMED
    assert settled.note == "settled by hand by it-lena: the store says no"
    assert told == [] and report.redeemed == 0 and report.unresolved == 0
    (said,) = [rec.getMessage() for rec in caplog.records if "settled meanwhile" in rec.message]
    assert f"journal row {row} is settled already (verified-not-redeemed by hand, by it-lena " \
        "at " in said and "verified-redeemed not recorded" in said
    assert len(sim.requests_to("POST", r"/redeem$")) == 1


async def test_a_row_the_kiosk_settled_first_is_refused_by_hand(
        sim: Simulator, kiosk_journal: HandInBetween, client: EngageClient) -> None:
    r, told, row, show_date = await used_no_date(sim, kiosk_journal, client)
    show_date()
    assert (await r.recheck_open()).redeemed == 1
    before = kiosk_journal.get(row)
    ran = resolve(kiosk_journal.path, str(row), "--not-applied", "--reason", "late")
    assert (ran.returncode, ran.stdout) == (1, "")
    assert ran.stderr == (f"kiosk: refused: journal row {row} is settled already: "
                          "verified-redeemed. Nothing changed.\n")
    assert kiosk_journal.get(row) == before and kiosk_journal.resolutions() == []
    assert [o.kind for o in told] == [OutcomeKind.VERIFIED_REDEEMED]


async def test_a_give_back_settled_by_hand_while_the_kiosk_rereads_it_stands(
        sim: Simulator, kiosk_journal: HandInBetween, client: EngageClient,
        caplog: pytest.LogCaptureFixture) -> None:
    """A voucher's give-back whose answer was lost: IT settles it (not given back) while the
    kiosk's re-check is reading the vouchers; the re-read then shows it usable again, and the
    kiosk's write changes nothing."""
    cid = sim.state.add_contact(first_name="Anna", card=CARD)
    sim.state.rewards.add_voucher(cid, name="Bonuscheck 100 kr", amount=100, currency="SEK",
                                  expires_on=datetime.now(UTC) + timedelta(days=9))
    (voucher,) = usable_vouchers(await client.get_reward_vouchers(cid), datetime.now(UTC))
    member = Member(contact_id=cid, first_name="Anna", card=CARD, masked_card=mask_card(CARD))
    r = Redeemer(client, kiosk_journal, store="Centrum", terminal="till-2",
                 recheck_delays=(0.05,), settle_window=1.0)
    out = await r.redeem(member, voucher)
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/reactivate$"))
    sim.faults.add(Fault("status", method="GET", path=r"/reward-vouchers$", status=503,
                         times=3))  # the re-read and its retries
    assert out.journal_id is not None
    assert (await r.undo(out.journal_id)).kind is UndoKind.UNKNOWN
    ran: list[subprocess.CompletedProcess[str]] = []
    # IT's command runs after the kiosk has read the undo's row, before its re-read.
    real_get = kiosk_journal.get

    def get_then_hand(row_id: int) -> JournalRow:
        found = real_get(row_id)
        if not ran:
            ran.append(resolve(kiosk_journal.path, str(row_id), "--not-given-back", "--reason",
                               "still used in Engage"))
        return found

    kiosk_journal.get = get_then_hand  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="kiosk.redeem"):
        await r.recheck_open()
    assert ran and ran[0].returncode == 0, ran
    undo = kiosk_journal.reactivations(out.journal_id)[-1]
    assert undo.state is ReactivationState.VERIFIED_NOT_REACTIVATED
    assert undo.note == "settled by hand by it-lena: still used in Engage"
    assert any(f"reactivation {undo.id} is settled already (verified-not-reactivated by hand"
               in rec.getMessage() for rec in caplog.records)

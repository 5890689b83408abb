"""Reward vouchers through the Redeemer: the same confirm -> journal -> POST -> verify path as
offers, and the undo (reactivate) for a cancelled sale. Real client, real simulator, real
SQLite journal; every test checks what Engage received and what the journal says."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import (
    ReactivationLimitExceeded,
    RewardVoucherAlreadyActivated,
    RewardVoucherExpired,
)
from kiosk.journal import Journal, JournalError, Kind, ReactivationState
from kiosk.offers import Member
from kiosk.redeem import OutcomeKind, Redeemer, RedeemInProgress, UndoKind
from kiosk.rewards import Voucher, usable_vouchers
from kiosk.scanner.barcode import mask_card
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault

CARD = "2012345678903"
VOUCHER_POST = r"/reward-vouchers/[^/]+/redeem$"
REACTIVATE = r"/reactivate$"


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EngageClient]:
    timeouts = ClientTimeouts(connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=2.0)
    async with EngageClient(sim.url, sim.api_key, timeouts=timeouts) as c:
        yield c


@pytest.fixture
def redeemer(client: EngageClient, journal: Journal) -> Redeemer:
    return Redeemer(client, journal, store="Centrum", terminal="till-2",
                    recheck_delays=(0.05,), settle_window=1.0)


@pytest.fixture
def member(sim: Simulator) -> Member:
    cid = sim.state.add_contact(first_name="Anna", card=CARD)
    return Member(contact_id=cid, first_name="Anna", card=CARD, masked_card=mask_card(CARD))


@pytest.fixture
async def voucher(sim: Simulator, member: Member, client: EngageClient) -> Voucher:
    sim.state.rewards.add_voucher(member.contact_id, name="Bonuscheck 100 kr", amount=100,
                                  currency="SEK", expires_on=datetime.now(UTC) + timedelta(days=9))
    (v,) = usable_vouchers(await client.get_reward_vouchers(member.contact_id), datetime.now(UTC))
    return v


def used(sim: Simulator, v: Voucher) -> bool:
    wire = sim.state.rewards.voucher(v.id)
    assert wire is not None
    return bool(wire["redeemed"])


async def test_a_voucher_is_redeemed_and_journaled_as_a_voucher(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    assert voucher.value_text == "100\u00a0kr" and voucher.kind == "voucher"
    out = await redeemer.redeem(member, voucher)
    assert out.kind is OutcomeKind.REDEEMED and out.apply
    (row,) = journal.rows()
    assert row.kind is Kind.VOUCHER and row.offer_id == voucher.id and row.promotion_id is None
    assert row.value_applied == "100 kr" and str(row.state) == "redeemed"
    assert [r.path for r in sim.requests_to("POST", VOUCHER_POST)] == [
        f"/api/v3/reward-vouchers/{voucher.id}/redeem"]
    assert used(sim, voucher)
    again = await redeemer.redeem(member, voucher)  # this till used it: refused, nothing sent
    assert again.kind is OutcomeKind.ALREADY_USED and not again.apply
    assert len(sim.requests_to("POST", VOUCHER_POST)) == 1


async def test_a_lost_answer_is_verified_by_re_reading_every_voucher(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    sim.faults.add(Fault("commit_then_504", method="POST", instance_id=voucher.id))
    out = await redeemer.redeem(member, voucher)
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED and out.apply
    assert out.redeemed_on is not None  # from the re-read's redeemedOn
    reads = sim.requests_to("GET", r"/reward-vouchers$")
    assert len(reads) == 1 and f"contactId={member.contact_id}" in reads[0].query
    assert len(sim.requests_to("POST", VOUCHER_POST)) == 1  # never resent
    assert [str(r.state) for r in journal.rows()] == ["verified-redeemed"]


async def test_a_lost_answer_that_did_not_commit_is_not_applied(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    sim.faults.add(Fault("drop_after_read", method="POST", instance_id=voucher.id,
                         commit=False))
    out = await redeemer.redeem(member, voucher)
    # Still active right after the lost answer proves nothing yet (Engage may still commit).
    assert out.kind is OutcomeKind.CHECKING and not out.apply
    assert not used(sim, voucher)
    await redeemer.drain()  # the background check re-reads until the settle window is over
    assert [str(r.state) for r in journal.rows()] == ["verified-not-redeemed"]


async def test_an_expired_voucher_is_refused(sim: Simulator, redeemer: Redeemer,
                                             member: Member, voucher: Voucher) -> None:
    real = sim.state.clock
    sim.state.clock = lambda: real() + timedelta(days=10)
    out = await redeemer.redeem(member, voucher)
    assert out.kind is OutcomeKind.REJECTED and isinstance(out.error, RewardVoucherExpired)


async def test_undo_reactivates_and_is_journaled(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    out = await redeemer.redeem(member, voucher)
    undone = await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    assert undone.kind is UndoKind.REACTIVATED and undone.done
    assert not used(sim, voucher)
    assert [r.path for r in sim.requests_to("POST", REACTIVATE)] == [
        f"/api/v3/reward-vouchers/{voucher.id}/reactivate"]
    (undo_row,) = journal.reactivations(out.journal_id)
    assert undo_row.state is ReactivationState.REACTIVATED and undo_row.voucher_id == voucher.id
    assert journal.get(out.journal_id).reactivation == "reactivated"
    # The same redemption can't be undone twice; the voucher can be used again.
    with pytest.raises(JournalError):
        await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    second = await redeemer.redeem(member, voucher)
    assert second.kind is OutcomeKind.REDEEMED


async def test_undo_tells_the_limit_and_journals_the_refusal(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    sim.state.rewards.reactivation_limit = 0
    out = await redeemer.redeem(member, voucher)
    undone = await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    assert undone.kind is UndoKind.REJECTED and not undone.done
    assert isinstance(undone.error, ReactivationLimitExceeded)
    (undo_row,) = journal.reactivations(out.journal_id)
    assert (undo_row.state, undo_row.engage_code) == (ReactivationState.REJECTED,
                                                      "ReactivationLimitExceeded")
    assert used(sim, voucher)


async def test_an_undo_whose_answer_is_lost_is_verified(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    out = await redeemer.redeem(member, voucher)
    sim.faults.add(Fault("commit_then_504", method="POST", path=REACTIVATE))
    undone = await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    assert undone.kind is UndoKind.VERIFIED_REACTIVATED and undone.done
    assert len(sim.requests_to("POST", REACTIVATE)) == 1
    assert journal.reactivations()[0].state is ReactivationState.VERIFIED_REACTIVATED


async def test_already_activated_counts_as_done(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    out = await redeemer.redeem(member, voucher)
    sim.state.rewards.reactivate(voucher.id)  # customer service did it in Engage meanwhile
    undone = await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    assert isinstance(undone.error, RewardVoucherAlreadyActivated) and undone.done


async def test_undo_of_a_promotion_is_refused_before_anything_is_sent(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member) -> None:
    row = journal.begin(store="s", terminal="t", masked_card="•••• 8903",
                        contact_id=member.contact_id, offer_id="p-1", promotion_id=None,
                        offer_name="20 %", value_applied="20 %")
    journal.set_state(row, "redeemed")
    with pytest.raises(JournalError):
        await redeemer.undo(row)
    assert sim.requests_to("POST", REACTIVATE) == []


async def test_reconcile_settles_voucher_rows_and_undos_left_open(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    # A crash after the journal wrote "pending" and the POST went through:
    row = journal.begin(store="s", terminal="t", masked_card="•••• 8903",
                        contact_id=member.contact_id, offer_id=voucher.id, promotion_id=None,
                        offer_name=voucher.name, value_applied=voucher.value_text, kind="voucher")
    sim.state.rewards.redeem(voucher.id)
    report = await redeemer.reconcile()
    assert report.redeemed == 1 and str(journal.get(row).state) == "verified-redeemed"
    assert sim.requests_to("GET", r"/reward-vouchers$")  # read the vouchers, not promotions
    # ... and an undo left pending after its POST went through:
    undo = journal.begin_reactivation(row)
    sim.state.rewards.reactivate(voucher.id)
    await redeemer.reconcile()
    assert journal.reactivations()[0].state is ReactivationState.VERIFIED_REACTIVATED
    assert undo == journal.reactivations()[0].id


async def test_one_post_at_a_time_covers_undo(sim: Simulator, redeemer: Redeemer,
                                              member: Member, voucher: Voucher) -> None:
    out = await redeemer.redeem(member, voucher)
    sim.faults.add(Fault("latency", method="POST", path=REACTIVATE, latency=0.3))
    import asyncio

    first = asyncio.create_task(redeemer.undo(out.journal_id))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    with pytest.raises(RedeemInProgress):
        await redeemer.redeem(member, voucher)
    assert (await first).done


async def test_undo_and_reconcile_use_the_journal_off_the_event_loop(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each journal call is an fsync or a read behind the journal's one connection (which a
    background check may hold): the undo and reconciliation make it in a thread, as the
    redeem does, so keys and scans go on meanwhile. The real journal; only the thread is
    noted."""
    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    def noting(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def noted(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                on_loop.append(name)
            return call(*args, **kwargs)
        return noted

    for name in ("get", "begin_reactivation", "set_reactivation_state",
                 "unresolved_reactivations", "unresolved", "attempts", "begin", "set_state"):
        monkeypatch.setattr(journal, name, noting(name, getattr(journal, name)))
    out = await redeemer.redeem(member, voucher)
    # An undo whose answer is lost and whose re-read fails: left unknown ...
    sim.faults.add(Fault("drop_after_read", method="POST", path=REACTIVATE))
    sim.faults.add(Fault("status", method="GET", path=r"/reward-vouchers$", status=503,
                         times=3))
    undone = await redeemer.undo(out.journal_id)  # type: ignore[arg-type]
    assert undone.kind is UndoKind.UNKNOWN
    # ... until reconciliation reads the vouchers again.
    await redeemer.reconcile()
    (undo,) = journal.reactivations()
    assert undo.state in (ReactivationState.VERIFIED_REACTIVATED,
                          ReactivationState.VERIFIED_NOT_REACTIVATED)
    assert on_loop == []


async def test_the_idle_recheck_settles_an_undo_left_unknown_and_leaves_a_pending_one(
        sim: Simulator, journal: Journal, redeemer: Redeemer, member: Member,
        voucher: Voucher) -> None:
    """An undo whose answer was lost and whose re-read failed stays ``unknown``; the idle
    till's re-check reads the vouchers again and settles it. An undo still ``pending`` (its
    POST may be leaving right now) is left to its owner."""
    out = await redeemer.redeem(member, voucher)
    sim.faults.add(Fault("drop_after_read", method="POST", path=REACTIVATE))
    sim.faults.add(Fault("status", method="GET", path=r"/reward-vouchers$", status=503,
                         times=3))
    assert (await redeemer.undo(out.journal_id)).kind is UndoKind.UNKNOWN  # type: ignore[arg-type]
    other = journal.begin(store="s", terminal="t", masked_card="•••• 8903",
                          contact_id=member.contact_id, offer_id="voucher-2", promotion_id=None,
                          offer_name="Bonus", value_applied="50 kr", kind="voucher")
    journal.set_state(other, "redeemed")
    pending = journal.begin_reactivation(other)
    reads = len(sim.requests_to("GET", r"/reward-vouchers$"))
    await redeemer.recheck_open(lambda: False)  # a customer came: nothing read
    assert len(sim.requests_to("GET", r"/reward-vouchers$")) == reads
    await redeemer.recheck_open()
    states = {u.id: u.state for u in journal.reactivations()}
    assert states[pending] is ReactivationState.PENDING
    (settled,) = [s for i, s in states.items() if i != pending]
    assert settled is ReactivationState.VERIFIED_REACTIVATED
    assert len(sim.requests_to("GET", r"/reward-vouchers$")) == reads + 1

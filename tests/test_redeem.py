"""The redemption flow over real HTTP: the real EngageClient against the real simulator,
with a real SQLite journal. Every test asserts what staff would be told, what the journal
says, and how many redeem POSTs Engage received."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.breaker import CircuitBreaker
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import (
    CircuitOpen,
    EngageTimeout,
    EngageUnreachable,
    GatewayTimeout,
    PromotionAlreadyRedeemed,
    RateLimited,
    ServerError,
    Unauthorized,
)
from kiosk.journal import Journal, JournalError, JournalState
from kiosk.offers import Member, Offer
from kiosk.redeem import OutcomeKind, Redeemer, RedeemInProgress
from kiosk.scanner.barcode import mask_card
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault
from tests.support import async_wait_until, wait_until

REDEEM = r"/redeem$"
PROMOTIONS = r"/promotions$"
CARD = "2012345678903"
MASKED = "\u2022\u2022\u2022\u2022 8903"


@dataclass
class Shop:
    """A member with one 20 % POS offer, seeded in the simulator."""

    sim: Simulator
    member: Member
    offer: Offer

    def redeem_posts(self) -> int:
        return len(self.sim.requests_to("POST", REDEEM))

    def used_in_engage(self) -> bool:
        inst = self.sim.state.promotion_instance(self.offer.id)
        assert inst is not None
        return bool(inst["redeemed"])

    def another_till_redeems(self) -> None:
        self.sim.state.redeem(self.offer.id, {"redemptionChannel": "POS"})


def _seed(sim: Simulator) -> tuple[Member, Offer]:
    cid = sim.state.add_contact(first_name="Anna", card=CARD)
    iid = sim.state.add_offer(cid, name="20 % off shoes", value_type="PERCENT", value=20)
    inst = sim.state.promotion_instance(iid)
    assert inst is not None
    offer = Offer(id=iid, promotion_id=inst["promotionId"], name="20 % off shoes",
                  value_type="PERCENT", value_text="20 %", till_instruction="Give 20 % off")
    return Member(contact_id=cid, first_name="Anna", card=CARD, masked_card=mask_card(CARD)), offer


@pytest.fixture
def shop(sim: Simulator) -> Shop:
    member, offer = _seed(sim)
    return Shop(sim, member, offer)


def make_client(sim: Simulator, *, redeem_read: float = 2.0, api_key: str | None = None,
                url: str | None = None) -> EngageClient:
    timeouts = ClientTimeouts(connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=redeem_read)
    return EngageClient(url or sim.url, api_key or sim.api_key, timeouts=timeouts)


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EngageClient]:
    async with make_client(sim) as c:
        yield c


RedeemerFactory = Callable[..., Redeemer]


@pytest.fixture
def redeemer(client: EngageClient, journal: Journal) -> RedeemerFactory:
    def make(c: EngageClient | None = None, **kw: object) -> Redeemer:
        kw.setdefault("verify_delays", (0.0,))
        return Redeemer(c or client, journal, store="Centrum", terminal="till-2",
                        **kw)  # type: ignore[arg-type]
    return make


def states(journal: Journal) -> list[tuple[str, str | None]]:
    return [(str(r.state), r.engage_code) for r in journal.rows()]


# --- the plain path ----------------------------------------------------------------------

async def test_redeemed_on_200(shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REDEEMED and out.apply and out.error is None
    assert states(journal) == [("redeemed", None)]
    row = journal.get(out.journal_id)  # type: ignore[arg-type]
    assert (row.offer_id, row.promotion_id, row.contact_id) == (
        shop.offer.id, shop.offer.promotion_id, shop.member.contact_id)
    assert (row.masked_card, row.value_applied, row.store, row.terminal) == (
        MASKED, "20 %", "Centrum", "till-2")
    assert shop.redeem_posts() == 1 and shop.used_in_engage()
    post = shop.sim.requests_to("POST", REDEEM)[0]
    assert post.json() == {"redemptionChannel": "POS"}
    assert post.path.endswith(f"/codes/{shop.offer.id}/redeem")
    journal.close()  # checkpoint, then look at every byte the journal wrote
    written = b"".join(p.read_bytes() for p in journal.path.parent.iterdir())
    assert MASKED.encode() in written and CARD.encode() not in written


async def test_pending_is_on_disk_before_the_post_leaves(shop: Shop, journal: Journal,
                                                         redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=0.5))
    task = asyncio.create_task(redeemer().redeem(shop.member, shop.offer))
    await async_wait_until(lambda: shop.redeem_posts() == 1, what="the POST")
    other = sqlite3.connect(journal.path)  # what a fresh process would find after a crash
    try:
        assert other.execute("SELECT state FROM redemptions").fetchall() == [("pending",)]
    finally:
        other.close()
    assert (await task).kind is OutcomeKind.REDEEMED


# --- ambiguous answers: unknown, then verified -----------------------------------------------

async def test_504_after_commit_is_verified_redeemed(shop: Shop, journal: Journal,
                                                     redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED and out.apply
    assert isinstance(out.error, GatewayTimeout)
    assert out.redeemed_on is not None  # the re-read said when
    assert states(journal) == [("verified-redeemed", "GatewayTimeout")]
    assert shop.redeem_posts() == 1
    reads = shop.sim.requests_to("GET", PROMOTIONS)
    assert reads and reads[-1].time > shop.sim.requests_to("POST", REDEEM)[0].time


@pytest.mark.parametrize(("commit", "kind", "state"), [
    (True, OutcomeKind.VERIFIED_REDEEMED, "verified-redeemed"),
    (False, OutcomeKind.NOT_REDEEMED, "verified-not-redeemed"),
])
async def test_connection_dropped_after_the_request_was_read(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, commit: bool,
        kind: OutcomeKind, state: str) -> None:
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=commit))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is kind
    assert isinstance(out.error, EngageUnreachable) and out.error.request_sent
    assert states(journal) == [(state, "ConnectionLost")]
    assert shop.redeem_posts() == 1
    assert shop.used_in_engage() is commit


async def test_not_redeemed_allows_one_manual_retry_as_a_new_attempt(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer()
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False))
    first = await r.redeem(shop.member, shop.offer)
    assert first.kind is OutcomeKind.NOT_REDEEMED and first.retry_allowed and not first.apply
    second = await r.redeem(shop.member, shop.offer)
    assert second.kind is OutcomeKind.REDEEMED
    assert second.journal_id != first.journal_id
    assert states(journal) == [("verified-not-redeemed", "ConnectionLost"), ("redeemed", None)]
    assert shop.redeem_posts() == 2 and shop.used_in_engage()


async def test_a_second_not_redeemed_offers_no_further_retry(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer()
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False,
                              times=2))
    first = await r.redeem(shop.member, shop.offer)
    second = await r.redeem(shop.member, shop.offer)
    assert (first.kind, first.retry_allowed) == (OutcomeKind.NOT_REDEEMED, True)
    assert (second.kind, second.retry_allowed) == (OutcomeKind.NOT_REDEEMED, False)
    assert shop.redeem_posts() == 2


async def test_cancelled_mid_post_leaves_unknown_for_reconcile(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # E.g. an exclusive worker cancelled by a new scan: Engage may still act on the POST.
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=0.5))
    r = redeemer()
    task = asyncio.create_task(r.redeem(shop.member, shop.offer))
    await async_wait_until(lambda: shop.redeem_posts() == 1, what="the POST")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert states(journal) == [("unknown", "Cancelled")]
    assert not r.in_flight
    wait_until(shop.used_in_engage, what="the simulator's late commit")
    assert (await r.reconcile()).resolved == 1
    assert states(journal) == [("verified-redeemed", "Cancelled")]
    assert shop.redeem_posts() == 1


async def test_slow_redeem_beyond_the_timeout_is_unknown_then_verified(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # Engage answers after 1.5 s and commits then; we give up reading at 0.5 s, re-read at
    # once (still active) and again 2 s later (used by then).
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=1.5))
    async with make_client(sim, redeem_read=0.5) as slow:
        r = redeemer(slow, verify_delays=(0.0, 2.0))
        task = asyncio.create_task(r.redeem(shop.member, shop.offer))
        await async_wait_until(lambda: states(journal) == [("unknown", "EngageTimeout")],
                               what="the unknown row")
        # While the first attempt is unresolved, another press sends nothing.
        assert r.in_flight
        with pytest.raises(RedeemInProgress):
            await r.redeem(shop.member, shop.offer)
        out = await task
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED
    assert isinstance(out.error, EngageTimeout)
    assert states(journal) == [("verified-redeemed", "EngageTimeout")]
    assert shop.redeem_posts() == 1


async def test_late_commit_after_not_redeemed_then_retry_says_verify(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # The re-read happens before Engage finishes; the staff retry then meets a 409 that may be
    # our own first attempt: it must not be shown as plain success nor plain "already used".
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=2.0))
    async with make_client(sim, redeem_read=0.3) as slow:
        r = redeemer(slow)
        first = await r.redeem(shop.member, shop.offer)
        assert first.kind is OutcomeKind.NOT_REDEEMED
        wait_until(shop.used_in_engage, what="the late commit")
        second = await r.redeem(shop.member, shop.offer)
    assert second.kind is OutcomeKind.ALREADY_USED_VERIFY and not second.apply
    assert isinstance(second.error, PromotionAlreadyRedeemed)
    assert states(journal) == [("verified-not-redeemed", "EngageTimeout"),
                               ("rejected", "PromotionAlreadyRedeemed")]
    assert shop.redeem_posts() == 2


# --- at most one in flight ---------------------------------------------------------------------

async def test_five_concurrent_redeems_send_one_post(shop: Shop, journal: Journal,
                                                     redeemer: RedeemerFactory) -> None:
    r = redeemer()
    results = await asyncio.gather(*(r.redeem(shop.member, shop.offer) for _ in range(5)),
                                   return_exceptions=True)
    kinds = [x.kind if not isinstance(x, BaseException) else type(x) for x in results]
    assert kinds.count(OutcomeKind.REDEEMED) == 1
    assert kinds.count(RedeemInProgress) == 4
    assert shop.redeem_posts() == 1
    assert states(journal) == [("redeemed", None)]
    assert not r.in_flight


# --- definite answers ----------------------------------------------------------------------------

async def test_409_on_a_fresh_attempt_is_rejected_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.another_till_redeems()
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REJECTED and not out.apply
    assert isinstance(out.error, PromotionAlreadyRedeemed)
    assert states(journal) == [("rejected", "PromotionAlreadyRedeemed")]
    assert shop.redeem_posts() == 1


async def test_409_after_our_own_unknown_says_verify(shop: Shop, journal: Journal,
                                                     redeemer: RedeemerFactory) -> None:
    r = redeemer()
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False))
    assert (await r.redeem(shop.member, shop.offer)).kind is OutcomeKind.NOT_REDEEMED
    shop.another_till_redeems()
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.ALREADY_USED_VERIFY and not out.apply
    assert states(journal) == [("verified-not-redeemed", "ConnectionLost"),
                               ("rejected", "PromotionAlreadyRedeemed")]
    assert shop.redeem_posts() == 2


async def test_401_bad_key_is_rejected(sim: Simulator, shop: Shop, journal: Journal,
                                       redeemer: RedeemerFactory) -> None:
    async with make_client(sim, api_key="not-the-key") as bad:
        out = await redeemer(bad).redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REJECTED and isinstance(out.error, Unauthorized)
    assert states(journal) == [("rejected", "Unauthorized")]
    assert shop.redeem_posts() == 1 and not shop.used_in_engage()


async def test_429_with_retry_after_is_rejected(shop: Shop, journal: Journal,
                                                redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("status", method="POST", path=REDEEM, status=429,
                              headers={"Retry-After": "7"}))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REJECTED and isinstance(out.error, RateLimited)
    assert out.error.retry_after == 7
    row = journal.rows()[0]
    assert row.state is JournalState.REJECTED
    assert row.note == "rate limited; Engage asked to wait 7 s"
    assert shop.redeem_posts() == 1 and not shop.used_in_engage()


async def test_500_is_verified_not_redeemed(shop: Shop, journal: Journal,
                                            redeemer: RedeemerFactory) -> None:
    # A 5xx may hide a commit, so it is verified rather than trusted either way.
    shop.sim.faults.add(Fault("status", method="POST", path=REDEEM, status=500))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.NOT_REDEEMED and isinstance(out.error, ServerError)
    assert [s for s, _ in states(journal)] == ["verified-not-redeemed"]
    assert shop.redeem_posts() == 1 and not shop.used_in_engage()


async def test_malformed_json_on_a_200_is_redeemed(shop: Shop, journal: Journal,
                                                   redeemer: RedeemerFactory) -> None:
    # Engage's redeem body is undocumented; the 200 is what counts.
    shop.sim.faults.add(Fault("malformed_json", method="POST", path=REDEEM))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REDEEMED
    assert states(journal) == [("redeemed", None)]
    assert shop.redeem_posts() == 1 and shop.used_in_engage()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_engage_unreachable_before_sending_is_rejected_not_sent(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    breaker = CircuitBreaker(failure_threshold=3)
    async with make_client(sim, url=f"http://127.0.0.1:{_closed_port()}") as nowhere:
        out = await redeemer(nowhere, breaker=breaker).redeem(shop.member, shop.offer)
    assert breaker.failures == 1  # the lookup's breaker, if shared, learns of the outage
    assert out.kind is OutcomeKind.REJECTED and isinstance(out.error, EngageUnreachable)
    assert not out.error.request_sent
    row = journal.rows()[0]
    assert (row.state, row.note) == (JournalState.REJECTED, "not sent: no connection to Engage")
    assert shop.redeem_posts() == 0


async def test_open_breaker_fails_fast_without_a_post_or_a_row(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=60)
    breaker.record_failure()
    out = await redeemer(breaker=breaker).redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REJECTED and isinstance(out.error, CircuitOpen)
    assert out.journal_id is None and journal.rows() == []
    assert shop.redeem_posts() == 0


async def test_no_post_when_the_journal_cannot_record_the_attempt(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    # Reads still work, writes fail: the redeem gets past its look at earlier attempts and is
    # stopped by the journal refusing the new row (standing in for a full or broken disk).
    with contextlib.closing(sqlite3.connect(journal.path)) as db:
        db.execute("CREATE TRIGGER full_disk BEFORE INSERT ON redemptions "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        db.commit()
    with pytest.raises(JournalError, match="disk is full"):
        await redeemer().redeem(shop.member, shop.offer)
    assert "the journal could not record the attempt" in caplog.text
    assert shop.redeem_posts() == 0 and not shop.used_in_engage()
    assert journal.rows() == []


# --- the re-read fails too -------------------------------------------------------------------

async def test_reread_failing_too_leaves_unknown_and_blocks_blind_retries(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer()
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    shop.sim.faults.add(Fault("status", method="GET", path=PROMOTIONS, status=503,
                                times=None))
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.UNKNOWN and not out.apply
    assert states(journal) == [("unknown", "GatewayTimeout")]
    # Pressing redeem again re-checks first and sends no POST while Engage can't tell us.
    again = await r.redeem(shop.member, shop.offer)
    assert again.kind is OutcomeKind.UNKNOWN and again.journal_id == out.journal_id
    assert shop.redeem_posts() == 1
    # Once Engage answers, the next press settles the old row and reports "used, verify".
    shop.sim.faults.clear()
    third = await r.redeem(shop.member, shop.offer)
    assert third.kind is OutcomeKind.ALREADY_USED_VERIFY
    assert states(journal) == [("verified-redeemed", "GatewayTimeout")]
    assert shop.redeem_posts() == 1


async def test_malformed_reread_leaves_unknown(shop: Shop, journal: Journal,
                                               redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=True))
    shop.sim.faults.add(Fault("malformed_json", method="GET", path=PROMOTIONS, times=None))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.UNKNOWN
    assert states(journal) == [("unknown", "ConnectionLost")]
    assert shop.redeem_posts() == 1


# --- reconciliation ------------------------------------------------------------------------------

def _crash_row(journal: Journal, member: Member, offer: Offer) -> int:
    """A row as a crash between begin() and Engage's answer leaves it."""
    return journal.begin(store="Centrum", terminal="till-2", masked_card=member.masked_card,
                         contact_id=member.contact_id, offer_id=offer.id,
                         promotion_id=offer.promotion_id, offer_name=offer.name,
                         value_applied=offer.value_text)


async def test_reconcile_resolves_rows_left_pending_or_unknown(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    used = _crash_row(journal, shop.member, shop.offer)
    shop.another_till_redeems()  # stands in for "Engage committed before we crashed"
    other_member, other_offer = _seed(sim)
    active = _crash_row(journal, other_member, other_offer)
    journal.set_state(active, JournalState.UNKNOWN, code="EngageTimeout")
    done = journal.begin(store="s", terminal="t", masked_card=MASKED, contact_id="c",
                         offer_id="x", promotion_id=None, offer_name="n", value_applied="v")
    journal.set_state(done, JournalState.REDEEMED)

    report = await redeemer().reconcile()
    assert (report.resolved, report.unresolved) == (2, 0)
    assert (report.redeemed, report.not_redeemed) == (1, 1)
    assert journal.get(used).state is JournalState.VERIFIED_REDEEMED
    assert journal.get(active).state is JournalState.VERIFIED_NOT_REDEEMED
    assert journal.get(done).state is JournalState.REDEEMED
    assert journal.unresolved() == []
    assert shop.redeem_posts() == 0  # reconciliation only reads


async def test_reconcile_with_engage_down_keeps_rows_and_marks_pending_unknown(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    row = _crash_row(journal, shop.member, shop.offer)
    sim.stop()
    report = await redeemer().reconcile()
    assert (report.resolved, report.unresolved) == (0, 1)
    assert journal.get(row).state is JournalState.UNKNOWN


async def test_reconcile_and_redeem_exclude_each_other(shop: Shop, journal: Journal,
                                                       redeemer: RedeemerFactory) -> None:
    _crash_row(journal, shop.member, shop.offer)
    shop.sim.faults.add(Fault("latency", method="GET", path=PROMOTIONS, latency=0.3))
    r = redeemer()
    task = asyncio.create_task(r.reconcile())
    await async_wait_until(lambda: r.in_flight, what="reconcile to start")
    with pytest.raises(RedeemInProgress):
        await r.redeem(shop.member, shop.offer)
    assert (await task).resolved == 1
    assert shop.redeem_posts() == 0


# --- the crash: a real process SIGKILLed between 'pending' and Engage's answer ------------------

CHILD = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from kiosk.engage.client import EngageClient
    from kiosk.journal import Journal
    from kiosk.offers import Member, Offer
    from kiosk.redeem import Redeemer
    from kiosk.scanner.barcode import mask_card

    url, key, path, cid, card, iid, pid = sys.argv[1:8]

    async def main():
        async with EngageClient(url, key) as client:
            r = Redeemer(client, Journal(Path(path)), store="Centrum", terminal="till-2")
            member = Member(contact_id=cid, first_name="Anna", card=card,
                            masked_card=mask_card(card))
            offer = Offer(id=iid, promotion_id=pid, name="20 % off shoes", value_type="PERCENT",
                          value_text="20 %", till_instruction="Give 20 % off")
            await r.redeem(member, offer)
            print("the redeem finished: the kill came too late", flush=True)

    asyncio.run(main())
""")


def _journal_states(path: Path) -> list[str]:
    """What another process sees in the journal file right now (read-only)."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [s for (s,) in db.execute("SELECT state FROM redemptions ORDER BY id")]
    except sqlite3.OperationalError:  # the table isn't created yet
        return []
    finally:
        db.close()


@pytest.mark.parametrize(("latency", "committed"), [(3.0, True), (30.0, False)])
async def test_sigkill_between_pending_and_the_answer_is_reconciled(
        sim: Simulator, shop: Shop, tmp_path: Path, client: EngageClient, latency: float,
        committed: bool) -> None:
    # The simulator's "latency" fault waits, then commits. Killed during the wait, the child
    # leaves 'pending'. With 3 s the simulator still commits (its handler outlives the client);
    # with 30 s we reconcile long before it would, and stopping the simulator cancels it.
    path = tmp_path / "crash" / "journal.sqlite3"
    sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=latency))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, sim.url, sim.api_key, str(path), shop.member.contact_id,
         CARD, shop.offer.id, str(shop.offer.promotion_id)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    try:
        wait_until(lambda: _journal_states(path) == ["pending"], timeout=15,
                   what="the child's pending row")
        wait_until(lambda: shop.redeem_posts() == 1, what="the child's POST to arrive")
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    out, err = child.communicate()
    assert b"too late" not in out, err.decode()
    assert _journal_states(path) == ["pending"]  # the crash left it unresolved

    if committed:
        wait_until(shop.used_in_engage, timeout=10, what="the simulator's late commit")
    else:
        assert not shop.used_in_engage()
    with Journal(path) as journal:
        report = await Redeemer(client, journal, store="Centrum", terminal="till-2").reconcile()
        assert (report.resolved, report.unresolved) == (1, 0)
        (row,) = journal.rows()
        want = JournalState.VERIFIED_REDEEMED if committed else JournalState.VERIFIED_NOT_REDEEMED
        assert row.state is want
        assert row.offer_id == shop.offer.id and row.masked_card == MASKED
    assert shop.redeem_posts() == 1  # the dead child's only; reconciliation never POSTs

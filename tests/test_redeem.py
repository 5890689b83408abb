"""The redemption flow over real HTTP: the real EngageClient against the real simulator,
with a real SQLite journal. Every test asserts what staff would be told, what the journal
says, and how many redeem POSTs Engage received."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.breaker import CircuitBreaker
from kiosk.config import Settings
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import (
    CircuitOpen,
    EngageUnreachable,
    GatewayTimeout,
    PromotionAlreadyRedeemed,
    RateLimited,
    ServerError,
    Unauthorized,
)
from kiosk.journal import Journal, JournalError, JournalState
from kiosk.offers import Member, Offer
from kiosk.redeem import OutcomeKind, Redeemer, RedeemInProgress, RedeemOutcome
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
        kw.setdefault("recheck_delays", (0.05, 0.1))
        kw.setdefault("settle_window", 0.5)
        return Redeemer(c or client, journal, store="Centrum", terminal="till-2",
                        **kw)  # type: ignore[arg-type]
    return make


class Told:
    """The answers background checks settle (what the UI would show or put in a notice)."""

    def __init__(self, r: Redeemer) -> None:
        self.outcomes: list[RedeemOutcome] = []
        r.add_listener(self.outcomes.append)

    @property
    def kinds(self) -> list[OutcomeKind]:
        return [o.kind for o in self.outcomes]


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


def test_the_redeem_timeout_defaults_to_60_s() -> None:
    # Voyado: Engage may finish a redeem long after 4.5 s; clients should wait >= 60 s.
    assert ClientTimeouts().redeem_read == 60.0
    assert Settings.fields["engage_redeem_timeout"].default == 60.0


async def test_a_slow_engage_within_the_default_timeout_is_a_plain_redeem(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # Reproduction 2 with the default timeout: Engage holds the POST, then commits and answers.
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=2.5))
    async with EngageClient(sim.url, sim.api_key) as default_client:
        out = await redeemer(default_client).redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REDEEMED and out.apply
    assert states(journal) == [("redeemed", None)]


# --- ambiguous answers: unknown, then settled by evidence -------------------------------------

async def test_504_after_commit_is_verified_redeemed(shop: Shop, journal: Journal,
                                                     redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED and out.apply
    assert isinstance(out.error, GatewayTimeout)
    assert out.redeemed_on is not None  # the re-read said when: inside this attempt's window
    assert states(journal) == [("verified-redeemed", "GatewayTimeout")]
    assert "inside this attempt's window" in (journal.rows()[0].note or "")
    assert shop.redeem_posts() == 1
    reads = shop.sim.requests_to("GET", PROMOTIONS)
    assert reads and reads[-1].time > shop.sim.requests_to("POST", REDEEM)[0].time


async def test_connection_dropped_after_commit_is_verified_redeemed(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=True))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED
    assert isinstance(out.error, EngageUnreachable) and out.error.request_sent
    assert states(journal) == [("verified-redeemed", "ConnectionLost")]


async def test_answer_lost_and_nothing_committed_is_checking_until_the_window_ends(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False))
    r = redeemer(settle_window=0.4)
    told = Told(r)
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.CHECKING and not out.apply and not out.final
    assert states(journal) == [("unknown", "ConnectionLost")]
    await r.drain()
    assert told.kinds == [OutcomeKind.NOT_REDEEMED]
    assert told.outcomes[0].retry_allowed and told.outcomes[0].settled
    (row,) = journal.rows()
    assert (row.state, row.engage_code) == (JournalState.VERIFIED_NOT_REDEEMED, "ConnectionLost")
    waited = datetime.fromisoformat(row.updated_at) - datetime.fromisoformat(row.created_at)
    assert waited.total_seconds() >= 0.4  # written only after the settle window
    assert shop.redeem_posts() == 1 and not shop.used_in_engage()


async def test_late_commit_inside_the_window_settles_as_redeemed(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # Reproduction 2: Engage holds the POST past our timeout and commits later. On main the
    # re-read saw it active, staff read "Not redeemed: try again" and the journal kept
    # verified-not-redeemed for ever.
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=1.2))
    async with make_client(sim, redeem_read=0.3) as slow:
        r = redeemer(slow, settle_window=4.0, recheck_delays=(0.2, 0.4))
        told = Told(r)
        out = await r.redeem(shop.member, shop.offer)
        assert out.kind is OutcomeKind.CHECKING and not out.apply
        assert states(journal) == [("unknown", "EngageTimeout")]
        await r.drain()
    assert told.kinds == [OutcomeKind.VERIFIED_REDEEMED] and told.outcomes[0].apply
    assert told.outcomes[0].journal_id == out.journal_id
    assert states(journal) == [("verified-redeemed", "EngageTimeout")]
    assert shop.redeem_posts() == 1


async def test_a_retry_inside_the_window_that_gets_200_closes_the_open_attempt(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False))
    r = redeemer(settle_window=2.0)
    told = Told(r)
    first = await r.redeem(shop.member, shop.offer)
    assert first.kind is OutcomeKind.CHECKING
    second = await r.redeem(shop.member, shop.offer)  # staff retry, allowed inside the window
    assert second.kind is OutcomeKind.REDEEMED and second.apply
    # Engage just accepted the instance: the first attempt can't have committed it.
    assert states(journal) == [("verified-not-redeemed", "ConnectionLost"), ("redeemed", None)]
    await r.drain()
    assert told.outcomes == []  # nothing left to settle: no second "apply"
    assert shop.redeem_posts() == 2 and shop.used_in_engage()


async def test_409_after_our_own_late_commit_is_ours(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # The first attempt commits after we gave up; the staff retry meets 409: redeemedOn lies
    # inside the first attempt's window, so it is ours and the discount is applied once.
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=0.8))
    async with make_client(sim, redeem_read=0.2) as slow:
        r = redeemer(slow, settle_window=5.0, recheck_delays=(2.0,))
        told = Told(r)
        first = await r.redeem(shop.member, shop.offer)
        assert first.kind is OutcomeKind.CHECKING
        wait_until(shop.used_in_engage, what="the late commit")
        second = await r.redeem(shop.member, shop.offer)
        assert second.kind is OutcomeKind.VERIFIED_REDEEMED and second.apply
        assert isinstance(second.error, PromotionAlreadyRedeemed)
        assert second.journal_id == first.journal_id  # the attempt that redeemed it
        await r.drain()
    assert told.outcomes == []
    assert states(journal) == [("verified-redeemed", "EngageTimeout"),
                               ("rejected", "PromotionAlreadyRedeemed")]
    assert shop.redeem_posts() == 2


async def test_cancelled_mid_post_is_checked_in_the_background(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=0.3))
    r = redeemer(settle_window=3.0, recheck_delays=(0.2,))
    told = Told(r)
    task = asyncio.create_task(r.redeem(shop.member, shop.offer))
    await async_wait_until(lambda: shop.redeem_posts() == 1, what="the POST")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert states(journal) == [("unknown", "Cancelled")]
    assert not r.in_flight
    await r.drain()
    assert told.kinds == [OutcomeKind.VERIFIED_REDEEMED]
    assert states(journal) == [("verified-redeemed", "Cancelled")]
    assert shop.redeem_posts() == 1


# --- reproduction 1: never "apply" an offer used before the POST left -------------------------

def till_a_redeemed_it(shop: Shop, minutes_ago: float) -> datetime:
    """Another till redeemed the offer earlier (Engage stamps redeemedOn then)."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    shop.sim.state.redeem_clock = lambda: when
    try:
        shop.another_till_redeems()
    finally:
        shop.sim.state.redeem_clock = None
    return when


@pytest.mark.parametrize("fault", ["commit_then_504", "drop_after_read", "slow"])
async def test_a_stale_list_redeem_of_an_offer_used_before_is_never_apply(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory,
        fault: str) -> None:
    # Till B shows a stale list; its redeem's answer is lost. On main the re-read showed the
    # offer used and B said "apply": the customer got the discount twice.
    used_on = till_a_redeemed_it(shop, minutes_ago=10)
    if fault == "slow":
        shop.sim.faults.add(Fault("latency", method="POST", path=REDEEM, latency=0.5))
    else:
        shop.sim.faults.add(Fault(fault, method="POST", path=REDEEM))  # type: ignore[arg-type]
    async with make_client(sim, redeem_read=0.2) as c:
        out = await redeemer(c).redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.ALREADY_USED and not out.apply
    assert out.redeemed_on is not None and abs(out.redeemed_on - used_on) < timedelta(seconds=1)
    assert not out.by_this_till
    (row,) = journal.rows()
    assert row.state is JournalState.VERIFIED_NOT_REDEEMED
    assert "used before this attempt" in (row.note or "")


async def test_this_tills_own_redemption_refuses_before_any_post(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer()
    assert (await r.redeem(shop.member, shop.offer)).kind is OutcomeKind.REDEEMED
    again = await r.redeem(shop.member, shop.offer)  # a stale list still shows it
    assert again.kind is OutcomeKind.ALREADY_USED and again.by_this_till and not again.apply
    assert again.redeemed_on is not None
    assert shop.redeem_posts() == 1 and len(journal.rows()) == 1


async def test_this_tills_verified_redemption_refuses_too(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    r = redeemer()
    assert (await r.redeem(shop.member, shop.offer)).kind is OutcomeKind.VERIFIED_REDEEMED
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    again = await r.redeem(shop.member, shop.offer)
    assert again.kind is OutcomeKind.ALREADY_USED and again.by_this_till
    assert shop.redeem_posts() == 1


@pytest.mark.parametrize("listed", [[], "undated"])
async def test_used_without_a_date_is_check_never_apply(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, listed: object) -> None:
    # Engage may drop a used instance from the list, or list it without redeemedOn.
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    inst = dict(shop.sim.state.promotion_instance(shop.offer.id) or {})
    inst.pop("contactId")
    body = [] if listed == [] else [{**inst, "redeemed": True, "redeemedOn": None}]
    shop.sim.faults.add(Fault("status", method="GET", path=PROMOTIONS, status=200,
                              body=json.dumps(body)))
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.USED_CHECK and not out.apply
    assert states(journal) == [("unknown", "GatewayTimeout")]  # not proven either way


async def test_the_idle_recheck_settles_what_reconcile_would_and_leaves_used_no_date_alone(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    """``recheck_open`` (the idle till's re-check): a "used, no date" attempt stays open with
    its row untouched (no write: no fsync, no fleet push, no "newer" row) and isn't announced
    again; once Engage shows the date inside its window it is settled as ours and announced.
    A ``pending`` row (a POST may be in flight) is left alone."""
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    inst = dict(shop.sim.state.promotion_instance(shop.offer.id) or {})
    inst.pop("contactId")
    undated = Fault("status", method="GET", path=PROMOTIONS, status=200, times=None,
                    body=json.dumps([{**inst, "redeemed": True, "redeemedOn": None}]))
    shop.sim.faults.add(undated)
    later = [timedelta(0)]
    r = redeemer(now=lambda: datetime.now(UTC) + later[0])
    told = Told(r)
    assert (await r.redeem(shop.member, shop.offer)).kind is OutcomeKind.USED_CHECK
    (row,) = journal.rows()
    pending = journal.begin(store="Centrum", terminal="till-2", masked_card=MASKED,
                            contact_id="someone-else", offer_id="other", promotion_id=None,
                            offer_name="x", value_applied="x")
    later[0] = timedelta(seconds=1)  # past the settle window (0.5 s here): the re-check's
    report = await r.recheck_open()
    assert (report.resolved, report.unresolved) == (0, 2) and told.kinds == []
    assert journal.rows()[0] == row  # not written again
    assert journal.get(pending).state is JournalState.PENDING
    shop.sim.faults.clear()  # Engage now lists it with its date, inside the attempt's window
    report = await r.recheck_open()
    assert (report.resolved, report.redeemed) == (1, 1)
    assert told.kinds == [OutcomeKind.VERIFIED_REDEEMED] and told.outcomes[0].settled
    assert journal.get(row.id).state is JournalState.VERIFIED_REDEEMED
    assert shop.redeem_posts() == 1


async def test_the_idle_recheck_stops_when_told(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    """``keep_going`` False (a customer came): no re-read at all."""
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=False))
    shop.sim.faults.add(Fault("status", method="GET", path=PROMOTIONS, status=503, times=None))
    r = redeemer()
    await r.redeem(shop.member, shop.offer)
    await r.drain()
    shop.sim.faults.clear()
    reads = len(shop.sim.requests_to("GET", PROMOTIONS))
    assert (await r.recheck_open(lambda: False)).unresolved == 1
    assert len(shop.sim.requests_to("GET", PROMOTIONS)) == reads
    assert (await r.recheck_open()).not_redeemed == 1


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



async def test_a_till_keeps_no_lock_per_offer_it_has_redeemed(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    """A till redeems thousands of offers over the weeks it runs: what guarded each one while
    it was being redeemed goes with it (the core endurance benchmark grew with one lock an
    offer before), also when concurrent calls waited for it."""
    r = redeemer()
    for i in range(20):
        iid = sim.state.add_offer(shop.member.contact_id, name=f"Offer {i}",
                                  value_type="PERCENT", value=10)
        offer = replace(shop.offer, id=iid, name=f"Offer {i}")
        results = await asyncio.gather(*(r.redeem(shop.member, offer) for _ in range(3)),
                                       return_exceptions=True)
        assert sum(not isinstance(x, BaseException) and x.kind is OutcomeKind.REDEEMED
                   for x in results) == 1
    await r.drain()
    assert len(r._offer_locks) == 0
    assert shop.redeem_posts() == 20

# --- definite answers ----------------------------------------------------------------------------

async def test_409_on_a_fresh_attempt_is_rejected_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    shop.another_till_redeems()
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.REJECTED and not out.apply
    assert isinstance(out.error, PromotionAlreadyRedeemed)
    assert states(journal) == [("rejected", "PromotionAlreadyRedeemed")]
    assert shop.redeem_posts() == 1


async def test_409_after_our_own_open_attempt_used_before_it_is_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # Our first attempt's answer is lost; the retry meets 409; redeemedOn is older than our
    # first attempt: someone else used it before.
    used_on = till_a_redeemed_it(shop, minutes_ago=5)
    shop.sim.faults.add(Fault("status", method="POST", path=REDEEM, status=503))
    shop.sim.faults.add(Fault("status", method="GET", path=PROMOTIONS, status=503, times=3))
    r = redeemer(settle_window=3.0, recheck_delays=(2.0,))
    first = await r.redeem(shop.member, shop.offer)
    assert first.kind is OutcomeKind.CHECKING
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.ALREADY_USED and not out.apply
    assert out.redeemed_on is not None and abs(out.redeemed_on - used_on) < timedelta(seconds=1)
    assert states(journal) == [("verified-not-redeemed", "SimulatedFault"),
                               ("rejected", "PromotionAlreadyRedeemed")]
    await r.drain()


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


async def test_500_is_checked_then_not_redeemed(shop: Shop, journal: Journal,
                                                redeemer: RedeemerFactory) -> None:
    # A 5xx may hide a commit, so it is checked rather than trusted either way.
    shop.sim.faults.add(Fault("status", method="POST", path=REDEEM, status=500))
    r = redeemer()
    told = Told(r)
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.CHECKING and isinstance(out.error, ServerError)
    await r.drain()
    assert told.kinds == [OutcomeKind.NOT_REDEEMED]
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


# --- reproduction 4: the journal can't record the attempt ---------------------------------------

async def test_a_full_journal_sends_nothing_and_says_so(shop: Shop, journal: Journal,
                                                        redeemer: RedeemerFactory) -> None:
    # Reproduction 4. SQLite's own "database or disk is full": the file may not grow, and
    # earlier attempts filled what it has. On main staff read "Outcome unknown ... The attempt
    # is in the journal", which was false.
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(JournalError):
        for i in range(10_000):
            journal.begin(store="s", terminal="t", masked_card=MASKED, contact_id="c",
                          offer_id=f"earlier-{i}", promotion_id=None, offer_name="n" * 150,
                          value_applied="v")
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.JOURNAL_FAILED and not out.apply
    assert isinstance(out.error, JournalError) and "full" in str(out.error)
    assert shop.redeem_posts() == 0 and not shop.used_in_engage()


async def test_a_closed_journal_sends_nothing(shop: Shop, journal: Journal,
                                              redeemer: RedeemerFactory) -> None:
    journal.close()  # stands in for a broken disk
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.JOURNAL_FAILED
    assert shop.redeem_posts() == 0 and not shop.used_in_engage()


# --- the re-read fails too -------------------------------------------------------------------

async def test_a_failing_reread_keeps_checking_and_settles_when_engage_answers(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer(settle_window=5.0, recheck_delays=(0.2,))
    told = Told(r)
    shop.sim.faults.add(Fault("commit_then_504", method="POST", path=REDEEM))
    shop.sim.faults.add(Fault("status", method="GET", path=PROMOTIONS, status=503,
                              times=None))
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.CHECKING and not out.apply
    assert states(journal) == [("unknown", "GatewayTimeout")]
    # A staff retry inside the window is sent: Engage answers 409, and still nothing to apply.
    again = await r.redeem(shop.member, shop.offer)
    assert again.kind is OutcomeKind.CHECKING and not again.apply
    assert shop.redeem_posts() == 2
    shop.sim.faults.clear()  # Engage answers re-reads again
    await r.drain()
    assert told.kinds == [OutcomeKind.VERIFIED_REDEEMED]
    assert told.outcomes[0].journal_id == out.journal_id
    assert states(journal) == [("verified-redeemed", "GatewayTimeout"),
                               ("rejected", "PromotionAlreadyRedeemed")]


async def test_engage_silent_for_the_whole_window_stays_unknown(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    r = redeemer(settle_window=0.4)
    told = Told(r)
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=True))
    shop.sim.faults.add(Fault("malformed_json", method="GET", path=PROMOTIONS, times=None))
    assert (await r.redeem(shop.member, shop.offer)).kind is OutcomeKind.CHECKING
    await r.drain()
    assert told.kinds == [OutcomeKind.UNKNOWN] and not told.outcomes[0].apply
    assert states(journal) == [("unknown", "ConnectionLost")]  # for the next reconcile


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

    r = redeemer(settle_window=0.0)  # every window is over
    told = Told(r)
    report = await r.reconcile()
    assert (report.resolved, report.unresolved, report.checking) == (2, 0, 0)
    assert (report.redeemed, report.not_redeemed) == (1, 1)
    assert journal.get(used).state is JournalState.VERIFIED_REDEEMED
    assert journal.get(active).state is JournalState.VERIFIED_NOT_REDEEMED
    assert journal.get(done).state is JournalState.REDEEMED
    assert journal.unresolved() == []
    assert sorted(told.kinds) == sorted([OutcomeKind.VERIFIED_REDEEMED,
                                         OutcomeKind.NOT_REDEEMED])
    assert shop.redeem_posts() == 0  # reconciliation only reads


async def test_reconcile_keeps_a_row_inside_its_window_unknown_and_checks_it(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    # Reproduction 2, second half: a crash left 'pending'; at start the offer is still active,
    # but Engage may still commit. On main: verified-not-redeemed at once, never looked at again.
    row = _crash_row(journal, shop.member, shop.offer)
    r = redeemer(settle_window=1.0, recheck_delays=(0.2,))
    told = Told(r)
    report = await r.reconcile()
    assert (report.resolved, report.unresolved, report.checking) == (0, 1, 1)
    assert journal.get(row).state is JournalState.UNKNOWN
    shop.another_till_redeems()  # Engage finishes the crashed till's request: a late commit
    await r.drain()
    assert told.kinds == [OutcomeKind.VERIFIED_REDEEMED]
    assert journal.get(row).state is JournalState.VERIFIED_REDEEMED


async def test_reconcile_a_row_used_before_it_started_is_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    till_a_redeemed_it(shop, minutes_ago=3)
    row = _crash_row(journal, shop.member, shop.offer)
    report = await redeemer().reconcile()
    assert (report.resolved, report.redeemed, report.not_redeemed) == (1, 0, 1)
    assert journal.get(row).state is JournalState.VERIFIED_NOT_REDEEMED


async def test_reconcile_with_engage_down_keeps_rows_and_marks_pending_unknown(
        sim: Simulator, shop: Shop, journal: Journal, redeemer: RedeemerFactory) -> None:
    row = _crash_row(journal, shop.member, shop.offer)
    sim.stop()
    report = await redeemer(settle_window=0.0).reconcile()
    assert (report.resolved, report.unresolved) == (0, 1)
    assert journal.get(row).state is JournalState.UNKNOWN


async def test_reconcile_and_redeem_exclude_each_other(shop: Shop, journal: Journal,
                                                       redeemer: RedeemerFactory) -> None:
    _crash_row(journal, shop.member, shop.offer)
    shop.sim.faults.add(Fault("latency", method="GET", path=PROMOTIONS, latency=0.3))
    r = redeemer(settle_window=0.0)
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
        r = Redeemer(client, journal, store="Centrum", terminal="till-2")  # 5 min window
        report = await r.reconcile()
        (row,) = journal.rows()
        if committed:  # redeemedOn inside the dead attempt's window: ours
            assert (report.resolved, report.unresolved) == (1, 0)
            assert row.state is JournalState.VERIFIED_REDEEMED
        else:  # still active, and Engage may yet commit it: no verdict inside the window
            assert (report.resolved, report.unresolved, report.checking) == (0, 1, 1)
            assert row.state is JournalState.UNKNOWN
        await r.aclose()
        assert row.offer_id == shop.offer.id and row.masked_card == MASKED
    assert shop.redeem_posts() == 1  # the dead child's only; reconciliation never POSTs

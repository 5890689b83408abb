"""A lost redeem answer when the till's clock is off Engage's: the real client against the real
simulator run with its clock shifted (``SimState.clock_offset``: its ``redeemedOn`` stamps and
its ``Date`` header), a real journal. Time can't say whose a used offer is then: staff are told
to check, never "apply" and never "already used" for our own redemption.

Each of the two harms fails on the code before the clock watch: a till 5 s behind said "apply"
for another till's redemption made just before its POST; a till 5 s ahead said "already used"
for its own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.engage.client import EngageClient
from kiosk.engage.clock import ClockWatch
from kiosk.journal import Journal, JournalState
from kiosk.redeem import CLOCK_OFF, OutcomeKind, Redeemer
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault
from tests.test_redeem import REDEEM, Shop, Told, _seed, make_client

RedeemerFactory = Callable[..., Redeemer]


@pytest.fixture
def shop(sim: Simulator) -> Shop:
    member, offer = _seed(sim)
    return Shop(sim, member, offer)


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EngageClient]:
    async with make_client(sim) as c:
        yield c


@pytest.fixture
def redeemer(client: EngageClient, journal: Journal) -> RedeemerFactory:
    """This till's redeemer, with the client's clock watch (as ``build_services`` wires it)."""
    def make(**kw: object) -> Redeemer:
        kw.setdefault("recheck_delays", (0.05, 0.1))
        kw.setdefault("settle_window", 0.5)
        kw.setdefault("engage_clock", client.clock)
        return Redeemer(client, journal, store="Centrum", terminal="till-2",
                        **kw)  # type: ignore[arg-type]
    return make


def lost(shop: Shop, *, commit: bool) -> None:
    """The redeem's answer is lost after Engage read it (committed or not)."""
    shop.sim.faults.add(Fault("drop_after_read", method="POST", path=REDEEM, commit=commit))


async def test_till_behind_another_tills_redemption_just_before_ours_is_check_not_apply(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    shop.sim.state.clock_offset = 5.0  # Engage 5 s ahead: the till is 5 s behind
    shop.another_till_redeems()  # a moment before our POST leaves (the stale list)
    lost(shop, commit=True)  # ours meets "already redeemed", and its answer is lost
    out = await redeemer(settle_window=300.0).redeem(shop.member, shop.offer)
    # Old code: redeemedOn (Engage's clock) fell inside our window (the till's): "apply".
    assert out.kind is OutcomeKind.USED_CHECK and not out.apply and out.clock_off
    (row,) = journal.rows()
    assert row.state is JournalState.UNKNOWN  # IT's row: open until a person settles it
    assert (row.note or "").startswith(CLOCK_OFF) and "behind Engage" in (row.note or "")
    assert shop.redeem_posts() == 1


async def test_till_ahead_our_own_committed_redemption_is_check_not_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    shop.sim.state.clock_offset = -5.0  # the till is 5 s ahead of Engage
    lost(shop, commit=True)  # our redemption commits; its answer is lost
    out = await redeemer().redeem(shop.member, shop.offer)
    # Old code: redeemedOn looked 5 s older than our attempt: "already used", no discount.
    assert out.kind is OutcomeKind.USED_CHECK and not out.apply and out.clock_off
    assert shop.used_in_engage()
    (row,) = journal.rows()
    assert row.state is JournalState.UNKNOWN and "ahead of Engage" in (row.note or "")


async def test_used_long_before_stays_already_used_with_the_clock_off(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    # Ten minutes before our attempt is before it on any reading of a clock 5 s off: the
    # measured offset's lower bound keeps that certain, so staff aren't sent to check it.
    shop.sim.state.clock_offset = 5.0
    when = datetime.now(UTC) - timedelta(minutes=10) + timedelta(seconds=5)
    shop.sim.state.redeem_clock = lambda: when
    shop.another_till_redeems()
    shop.sim.state.redeem_clock = None
    lost(shop, commit=True)
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.ALREADY_USED and not out.apply and not out.by_this_till
    (row,) = journal.rows()
    assert row.state is JournalState.VERIFIED_NOT_REDEEMED
    assert "before even so" in (row.note or "")


async def test_an_attempt_lost_while_the_clock_was_off_is_never_settled_by_time_later(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    # The answer is lost while the till is 5 s behind and nothing is used yet; the clock is
    # set right; then another till redeems the offer (inside our window on the till's clock,
    # after our POST on Engage's). The window was stamped by the wrong clock: still "check".
    shop.sim.state.clock_offset = 5.0
    lost(shop, commit=False)
    r = redeemer(settle_window=30.0, recheck_delays=(0.3,))
    told = Told(r)
    out = await r.redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.CHECKING
    assert (journal.rows()[0].note or "").startswith(CLOCK_OFF)
    shop.sim.state.clock_offset = 0.0  # NTP fixed (the till's clock stepped 5 s forward)
    await client.ping()
    assert not client.clock.off_by_more_than(1.0)
    shop.another_till_redeems()
    await r.drain()
    # Old code (no note, no watch): redeemedOn inside the window: "apply".
    assert told.kinds == [OutcomeKind.USED_CHECK] and told.outcomes[0].clock_off
    assert journal.rows()[0].state is JournalState.UNKNOWN


async def test_no_date_header_keeps_todays_outcomes(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    shop.sim.state.date_header = False
    lost(shop, commit=True)
    out = await redeemer().redeem(shop.member, shop.offer)
    assert out.kind is OutcomeKind.VERIFIED_REDEEMED and out.apply and not out.clock_off
    assert client.clock.offset() is None and client.clock.samples == 0
    assert "inside this attempt's window" in (journal.rows()[0].note or "")


async def test_the_watch_sees_the_simulators_clock_and_warns_once(
        caplog: pytest.LogCaptureFixture, shop: Shop) -> None:
    caplog.set_level(logging.INFO, "kiosk.engage.clock")
    async with EngageClient(shop.sim.url, shop.sim.api_key, clock=ClockWatch(quiet=0)) as c:
        for offset in (0.0, -5.0, -5.0, 0.0):
            shop.sim.state.clock_offset = offset
            await c.ping()
            found = c.clock.offset()
            assert found is not None and found.low <= offset <= found.high + 0.01
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "ahead of Engage" in warnings[0] and "ok again" in warnings[1]


async def test_a_voucher_lost_while_the_till_is_ahead_is_check_not_already_used(
        shop: Shop, journal: Journal, redeemer: RedeemerFactory, client: EngageClient) -> None:
    # Vouchers are settled by the same evidence (redeemedOn from the voucher list).
    from kiosk.rewards import usable_vouchers

    sim = shop.sim
    sim.state.rewards.add_voucher(shop.member.contact_id, name="Bonuscheck 100 kr", amount=100,
                                  currency="SEK", expires_on=datetime.now(UTC) + timedelta(9))
    (voucher,) = usable_vouchers(await client.get_reward_vouchers(shop.member.contact_id),
                                 datetime.now(UTC))
    sim.state.clock_offset = -5.0
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/reward-vouchers/.+/redeem$",
                         commit=True))
    out = await redeemer().redeem(shop.member, voucher)
    # Old code: "already used" for the voucher this very attempt redeemed.
    assert out.kind is OutcomeKind.USED_CHECK and out.clock_off and not out.apply
    assert sim.state.rewards.voucher(voucher.id)["redeemed"]  # type: ignore[index]
    assert journal.rows()[0].state is JournalState.UNKNOWN

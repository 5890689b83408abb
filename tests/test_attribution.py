"""Whose redemption is it: the attribution rules (pure), and the one that needs a journal row
older than its settle window, through the real simulator and a real journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.attribution import Attempt, before, owner
from kiosk.journal import Journal, JournalState
from kiosk.redeem import OutcomeKind, Redeemer
from kiosk.sim import Simulator
from tests.test_redeem import Shop, Told, _seed, make_client

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_used_inside_one_attempts_window_is_that_attempt() -> None:
    one = Attempt(1, at(0))
    assert owner(at(0.4), [one]) == one
    assert owner(at(-0.9), [one]) == one  # within the clock margin before the POST left
    assert owner(at(-1.1), [one]) is None and before(at(-1.1), one)


def test_of_several_attempts_the_latest_started_by_then_is_the_owner() -> None:
    one, two = Attempt(1, at(0)), Attempt(2, at(5))
    assert owner(at(3), [one, two]) == one
    assert owner(at(6), [one, two]) == two


def test_used_after_the_settle_window_is_nobody_here() -> None:
    # Engage may commit an attempt up to the settle window after it left; a redemption dated
    # later is another till's (or a later visit's), however long our row stayed open.
    one = Attempt(1, at(0))
    assert owner(at(300.5), [one], window=300) == one  # within the margin after the window
    assert owner(at(302), [one], window=300) is None and not before(at(302), one)
    assert owner(at(10_000), [one]) == one  # no window given: unbounded (the old rule)


def test_the_window_is_the_latest_started_attempts() -> None:
    one, two = Attempt(1, at(0)), Attempt(2, at(200))
    assert owner(at(350), [one, two], window=300) == two
    assert owner(at(600), [one, two], window=300) is None


async def test_reconcile_of_a_row_older_than_its_window_does_not_claim_a_later_redemption(
        sim: Simulator, tmp_path: Path) -> None:
    # A row left unknown (every re-read failed, or the till was off) for longer than its
    # settle window; meanwhile the member redeemed the offer at another till. The old rule
    # (used at or after the attempt started = ours) said "apply" for that other redemption.
    member, offer = _seed(sim)
    shop = Shop(sim, member, offer)
    path = tmp_path / "journal.sqlite3"
    with Journal(path, clock=lambda: datetime.now(UTC) - timedelta(minutes=10)) as old:
        row = old.begin(store="Centrum", terminal="till-2", masked_card=member.masked_card,
                        contact_id=member.contact_id, offer_id=offer.id,
                        promotion_id=offer.promotion_id, offer_name=offer.name,
                        value_applied=offer.value_text)
        old.set_state(row, "unknown", code="EngageTimeout")
    shop.another_till_redeems()  # now: ten minutes after our attempt left
    with Journal(path) as journal:
        async with make_client(sim) as client:
            r = Redeemer(client, journal, store="Centrum", terminal="till-2",
                         settle_window=300.0)
            told = Told(r)
            report = await r.reconcile()
            await r.drain()
        got = journal.get(row)
    assert (report.redeemed, report.not_redeemed) == (0, 1)
    assert [(o.kind, o.apply) for o in told.outcomes] == [(OutcomeKind.ALREADY_USED, False)]
    assert got.state is JournalState.VERIFIED_NOT_REDEEMED
    assert got.note is not None and "after this attempt's settle window" in got.note

"""Points in the member header, the vouchers section, a voucher redeemed through the same
confirm -> journal -> verify path, and the undo behind the staff PIN. Pilot against the
simulator over HTTP, a real journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.i18n import format_date
from kiosk.journal import Kind, ReactivationState
from kiosk.sim import Fault
from kiosk.staff_pin import PinGuard, hash_pin
from kiosk.ui.screens.offers import OffersScreen
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, BO, Kiosk, Members

VOUCHER_REDEEM = r"/reward-vouchers/[^/]+/redeem$"
REACTIVATE = r"/reactivate$"


@pytest.fixture
def vouchers(sim, members: Members) -> dict[str, str]:
    rw = sim.state.rewards
    soon = datetime.now(UTC) + timedelta(days=12)
    rw.add_points(members.anna, 1250)
    rw.add_points(members.anna, 200, valid_from=soon)
    return {
        "hundred": rw.add_voucher(members.anna, name="Bonuscheck 100 kr", amount=100,
                                  currency="SEK", expires_on=soon),
        "fifty": rw.add_voucher(members.anna, name="Bonuscheck 50 kr", amount=50,
                                currency="SEK", expires_on=soon + timedelta(days=30)),
        "used": rw.add_voucher(members.anna, name="Used one", amount=10, currency="SEK",
                               expires_on=soon, redeemed_on=datetime.now(UTC)),
    }


async def choose(k: Kiosk, name: str) -> None:
    screen = k.app.screen
    assert isinstance(screen, OffersScreen)
    await k.pilot.press("home")
    for _ in range(20):
        if screen.highlighted_offer is not None and screen.highlighted_offer.name == name:
            return
        await k.pilot.press("down")
    raise AssertionError(f"{name} not reachable with Down")


def voucher_used(k: Kiosk, voucher_id: str) -> bool:
    wire = k.sim.state.rewards.voucher(voucher_id)
    assert wire is not None
    return bool(wire["redeemed"])


async def test_header_points_and_vouchers_section(start_kiosk, members: Members,
                                                  vouchers: dict[str, str]) -> None:
    async with start_kiosk(size=(100, 40)) as k:
        await k.scan(ANNA)
        text = k.text()
        assert "1 250 points (+200 pending)" in text
        assert "4 to use · 1 not usable here  ·  2 reward vouchers" in text
        assert "Reward vouchers" in text
        assert "Bonuscheck 100 kr" in text and "  100 kr   until " in text
        wire = k.sim.state.rewards.voucher(vouchers["hundred"]) or {}
        expiry = format_date(datetime.fromisoformat(wire["expiresOn"]))  # not a second now()
        assert f"until {expiry}".replace("\u00a0", " ") in text
        assert "Used one" not in text


async def test_points_without_pending_and_member_without_rewards(start_kiosk, sim,
                                                                 members: Members) -> None:
    sim.state.rewards.add_points(members.anna, 80)
    async with start_kiosk() as k:
        await k.scan(ANNA)
        assert "80 points" in k.text() and "pending" not in k.text()
        await k.scan(BO)
        assert "0 points" in k.text() and "reward voucher" not in k.text()


async def test_failing_rewards_calls_say_so_and_keep_the_offers(
        start_kiosk, sim, members: Members, vouchers: dict[str, str]) -> None:
    sim.faults.add(Fault("status", path=r"/reward-vouchers", status=500, times=None))
    sim.faults.add(Fault("status", path=r"/point-accounts", status=404, times=None))
    async with start_kiosk(size=(100, 30)) as k:
        await k.scan(ANNA)
        text = k.text()
        assert "reward vouchers couldn't be loaded" in text
        assert "points couldn't be loaded" in text
        assert "Autumn 20" in text and "Bonuscheck" not in text
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")  # the offers still work


async def test_redeem_a_voucher_then_an_offer_in_one_visit(
        start_kiosk, members: Members, vouchers: dict[str, str]) -> None:
    async with start_kiosk(size=(100, 40)) as k:
        await k.scan(ANNA)
        await choose(k, "Bonuscheck 100 kr")
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        text = k.text()
        assert "Redeem this reward voucher?" in text and "Take 100 kr off (reward voucher" in text
        assert k.sim.requests_to("POST", VOUCHER_REDEEM) == []
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        text = k.text()
        assert "Take 100 kr off" in text and "F3 gives the voucher back" in text
        assert voucher_used(k, vouchers["hundred"])
        # ... the next offer of the same visit: Enter reads the member's offers again
        await k.pilot.press("enter")
        await k.wait_for(lambda: type(k.app.screen).__name__ == "OffersScreen"
                         and not k.app.busy_text, "the member's offers again")
        assert "Bonuscheck 100 kr" not in k.text()
        assert "This visit, apply: 100 kr" in k.text()
        await choose(k, "Autumn 20")
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        assert "F3" not in k.text()  # an offer has no undo
    rows = k.journal.rows()
    assert [(r.kind, str(r.state)) for r in rows] == [(Kind.VOUCHER, "redeemed"),
                                                      (Kind.PROMOTION, "redeemed")]
    assert len(k.sim.requests_to("POST", VOUCHER_REDEEM)) == 1
    assert len(k.sim.requests_to("POST", r"/codes/[^/]+/redeem$")) == 1


async def test_undo_a_voucher_behind_the_pin(start_kiosk, services: KioskServices,
                                             members: Members, vouchers: dict[str, str]) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    async with start_kiosk(size=(100, 40)) as k:
        await k.scan(ANNA)
        await choose(k, "Bonuscheck 100 kr")
        await k.pilot.press("enter", "enter")
        await k.screen_is("ResultScreen")
        await k.pilot.press("f3")
        await k.screen_is("PinScreen")
        assert k.sim.requests_to("POST", REACTIVATE) == []
        await k.pilot.press("2", "4", "6", "8", "enter")
        await k.screen_is("UndoScreen")
        assert "Give this reward voucher back?" in k.text()
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Take the voucher off the sale" in k.text(), "undo result")
        assert "Voucher given back" in k.text()
        assert not voucher_used(k, vouchers["hundred"])
    (undo,) = k.journal.reactivations()
    assert undo.state is ReactivationState.REACTIVATED and undo.voucher_id == vouchers["hundred"]
    assert len(k.sim.requests_to("POST", REACTIVATE)) == 1


async def test_undo_cancelled_sends_nothing_and_the_limit_is_told_in_plain_words(
        start_kiosk, sim, members: Members, vouchers: dict[str, str]) -> None:
    sim.state.rewards.reactivation_limit = 0
    async with start_kiosk(size=(100, 40)) as k:
        await k.scan(ANNA)
        await choose(k, "Bonuscheck 100 kr")
        await k.pilot.press("enter", "enter")
        await k.screen_is("ResultScreen")
        await k.pilot.press("f3")  # no PIN configured: straight to the confirmation
        await k.screen_is("UndoScreen")
        await k.pilot.press("escape")
        await k.screen_is("ResultScreen")
        assert k.sim.requests_to("POST", REACTIVATE) == []
        await k.pilot.press("f3")
        await k.screen_is("UndoScreen")
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Can't give this voucher back" in k.text(), "refusal")
        assert "as many times as Engage allows" in k.text()
        assert voucher_used(k, vouchers["hundred"])
    (undo,) = k.journal.reactivations()
    assert (undo.state, undo.engage_code) == (ReactivationState.REJECTED,
                                              "ReactivationLimitExceeded")

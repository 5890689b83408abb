"""Reward vouchers, points and the v3 promotion redeem through the client, against the
simulator; shapes the simulator doesn't serve through httpx.MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from kiosk.engage.client import EngageClient
from kiosk.engage.errors import (
    BadResponse,
    ConnectionLost,
    GatewayTimeout,
    InvalidRewardVoucherId,
    ReactivationLimitExceeded,
    RewardVoucherAlreadyActivated,
    RewardVoucherAlreadyRedeemed,
    RewardVoucherExpired,
    RewardVoucherNotFound,
    ServerError,
    error_from_response,
)
from kiosk.engage.models import RewardVoucher
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault
from tests.engage.engage_members import Member

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def voucher(sim: Simulator, member: Member) -> str:
    """A 100 SEK voucher of the test member, valid 30 days."""
    return sim.state.rewards.add_voucher(
        member.id, name="Bonuscheck 100 kr", amount=100, currency="SEK", points=1000,
        expires_on=datetime.now(UTC) + timedelta(days=30),
        local_values=[{"currency": "EUR", "amount": 9.5}])


async def test_lists_and_parses_vouchers(engage: EngageClient, member: Member,
                                         voucher: str) -> None:
    (v,) = await engage.get_reward_vouchers(member.id)
    assert v.id == voucher and v.name == "Bonuscheck 100 kr" and not v.redeemed
    assert v.value is not None and (v.value.amount, v.value.currency) == (Decimal(100), "SEK")
    assert v.value_in("EUR").amount == Decimal("9.5")  # type: ignore[union-attr]
    assert v.value_in("NOK") == v.value  # no local value: its own
    assert v.points == 1000 and v.expires_on is not None and v.voucher_number
    assert await engage.get_reward_vouchers(member.id, "redeemed") == []


async def test_redeem_and_reactivate(engage: EngageClient, sim: Simulator, member: Member,
                                     voucher: str) -> None:
    await engage.redeem_reward_voucher(voucher)
    (used,) = await engage.get_reward_vouchers(member.id, "all")
    assert used.redeemed and used.redeemed_on is not None
    assert await engage.get_reward_vouchers(member.id) == []
    await engage.reactivate_reward_voucher(voucher)
    assert [v.id for v in await engage.get_reward_vouchers(member.id)] == [voucher]
    posts = [r.path for r in sim.requests if r.method == "POST"]
    assert posts == [f"/api/v3/reward-vouchers/{voucher}/redeem",
                     f"/api/v3/reward-vouchers/{voucher}/reactivate"]


async def test_every_voucher_error_is_typed(engage: EngageClient, sim: Simulator,
                                            member: Member, voucher: str) -> None:
    with pytest.raises(InvalidRewardVoucherId):
        await engage.redeem_reward_voucher("nope")
    with pytest.raises(RewardVoucherNotFound):
        await engage.redeem_reward_voucher(MISSING)
    with pytest.raises(RewardVoucherAlreadyActivated):
        await engage.reactivate_reward_voucher(voucher)
    await engage.redeem_reward_voucher(voucher)
    with pytest.raises(RewardVoucherAlreadyRedeemed):
        await engage.redeem_reward_voucher(voucher)
    sim.state.rewards.reactivation_limit = 0
    with pytest.raises(ReactivationLimitExceeded):
        await engage.reactivate_reward_voucher(voucher)
    old = sim.state.rewards.add_voucher(member.id, name="old", amount=10, currency="SEK",
                                        expires_on=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(RewardVoucherExpired):
        await engage.redeem_reward_voucher(old)
    # The v2 page's 406 and its bonus-check names land in the same classes.
    body = json.dumps({"errorCode": "ReactivationLimitExceeded"}).encode()
    assert isinstance(error_from_response(406, body), ReactivationLimitExceeded)
    body = json.dumps({"errorCode": "BonusCheckExpired"}).encode()
    assert isinstance(error_from_response(406, body), RewardVoucherExpired)


async def test_a_voucher_redeem_is_never_resent_after_it_left(
        engage: EngageClient, sim: Simulator, voucher: str) -> None:
    sim.faults.add(Fault("drop_after_read", method="POST", instance_id=voucher))
    with pytest.raises(ConnectionLost) as lost:
        await engage.redeem_reward_voucher(voucher)
    assert lost.value.request_sent and lost.value.outcome_unknown
    sim.faults.add(Fault("commit_then_504", method="POST", instance_id=voucher))
    with pytest.raises(GatewayTimeout) as late:
        await engage.reactivate_reward_voucher(voucher)
    assert late.value.outcome_unknown
    assert len([r for r in sim.requests if r.method == "POST"]) == 2  # one each, no resend


async def test_voucher_list_gets_are_retried_on_5xx(engage: EngageClient, sim: Simulator,
                                                    member: Member, voucher: str) -> None:
    sim.faults.add(Fault("status", path="reward-vouchers", status=503, times=1))
    assert len(await engage.get_reward_vouchers(member.id)) == 1
    assert len([r for r in sim.requests if "reward-vouchers" in r.path]) == 2
    sim.faults.add(Fault("status", path="reward-vouchers", status=503, times=None))
    with pytest.raises(ServerError):
        await engage.get_reward_vouchers(member.id)


async def test_points_balance_and_pending(engage: EngageClient, sim: Simulator,
                                          member: Member) -> None:
    assert await engage.get_point_accounts(member.id) == []
    sim.state.rewards.add_points(member.id, 300)
    sim.state.rewards.add_points(member.id, 50,
                                 valid_from=datetime.now(UTC) + timedelta(days=3))
    (account,) = await engage.get_point_accounts(member.id)
    assert account.balance == 300 and account.pending_points == 50
    pending = await engage.get_point_transactions(account_id=account.id, filter="Pending")
    assert [t.amount for t in pending] == [50] and pending[0].valid_from is not None
    both = await engage.get_point_transactions(contact_id=member.id, definition_id=1)
    assert sorted(t.amount for t in both) == [50, 300]
    with pytest.raises(ValueError):
        await engage.get_point_transactions(contact_id=member.id)


def _mock_client(answers: dict[str, object]) -> EngageClient:
    def handler(request: httpx.Request) -> httpx.Response:
        body = answers[request.url.path]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(200, content=raw)

    return EngageClient("https://tenant.example", "k", transport=httpx.MockTransport(handler))


async def test_bare_lists_unknown_fields_and_other_point_names_are_accepted() -> None:
    client = _mock_client({
        "/api/v3/point-accounts": [{"id": 7, "contactId": "c", "pointDefinitionId": 1,
                                    "balance": "12.5", "somethingNew": True}],
        "/api/v3/reward-vouchers/available": [{"id": "v1", "value": 50, "newField": 1,
                                               "voucherNumber": 123, "points": None}],
    })
    async with client:
        (account,) = await client.get_point_accounts("c")
        assert account.balance == Decimal("12.5") and account.pending_points is None
        assert account.definition_id == 1
        (v,) = await client.get_reward_vouchers("c")
        assert v.voucher_number == "123" and v.value is not None and v.value.currency is None


async def test_a_wrong_list_shape_is_a_bad_response() -> None:
    for answer in ({"vouchers": []}, {"items": "x"}, b"not json", [{"name": "no id"}]):
        client = _mock_client({"/api/v3/reward-vouchers/available": answer})
        async with client:
            with pytest.raises(BadResponse):
                await client.get_reward_vouchers("c")


async def test_promotion_redeem_v3_is_a_setting(sim: Simulator, member: Member) -> None:
    promo = sim.state.add_offer(member.id, name="10 %", value_type="PERCENT", value=10)
    async with EngageClient(sim.url, sim.api_key, promotion_redeem_api="v3") as client:
        await client.redeem(promo)
    (post,) = [r for r in sim.requests if r.method == "POST"]
    assert post.path == f"/api/v3/promotion-assignments/{promo}/redeem"
    assert post.json() == {"redemptionChannel": "POS"}
    with pytest.raises(ValueError):
        EngageClient(sim.url, sim.api_key, promotion_redeem_api="v4")


def test_voucher_model_ignores_unknown_fields() -> None:
    v = RewardVoucher.model_validate({"id": "x", "future": {"a": 1}, "localValues": "junk"})
    assert v.local_values == [] and v.value is None

"""The simulator's reward vouchers and points over HTTP: Engage's documented semantics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from kiosk.sim import Fault, Simulator
from tests.sim.simtools import ANNA, ERIK, SARA, client_for, error_code

MAJA = ERIK  # two vouchers (one reactivated 3 times already), pending points
V = "/api/v3/reward-vouchers"


def vouchers(api: httpx.Client, cid: str, which: str = "/available") -> list[dict]:
    r = api.get(f"{V}{which}", params={"contactId": cid})
    assert r.status_code == 200, r.text
    page = r.json()
    assert set(page) == {"count", "offset", "totalCount", "items"}
    assert page["count"] == len(page["items"]) == page["totalCount"]
    return page["items"]


def test_demo_member_has_available_redeemed_and_expired_vouchers(
        api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    available = vouchers(api, cid)
    every = vouchers(api, cid, "")
    redeemed = vouchers(api, cid, "/redeemed")
    assert [v["name"] for v in available] == ["Bonuscheck 100 kr", "Bonuscheck 50 kr"]
    assert len(every) == 4 and [v["name"] for v in redeemed] == ["Bonuscheck 75 kr"]
    first = available[0]
    assert set(first) == {"id", "voucherNumber", "name", "redeemed", "redeemedOn", "expiresOn",
                          "value", "localValues", "points"}
    assert first["value"] == {"currency": "SEK", "amount": 100}
    assert {"currency": "EUR", "amount": 9} in first["localValues"]
    assert first["redeemed"] is False and first["redeemedOn"] is None and first["points"] == 1000
    assert redeemed[0]["redeemed"] is True and redeemed[0]["redeemedOn"]
    assert vouchers(api, contact_id(SARA)) == []


def test_redeem_records_redeemed_on_and_refuses_a_second_time(
        sim: Simulator, api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    vid = vouchers(api, cid)[0]["id"]
    r = api.post(f"{V}/{vid}/redeem")
    assert r.status_code == 200 and r.json()["redeemed"] is True and r.json()["redeemedOn"]
    assert vid not in [v["id"] for v in vouchers(api, cid)]
    assert vid in [v["id"] for v in vouchers(api, cid, "/redeemed")]
    assert error_code(api.post(f"{V}/{vid}/redeem")) == (409, "RewardVoucherAlreadyRedeemed")
    assert error_code(api.post(f"{V}/not-a-guid/redeem")) == (400, "InvalidRewardVoucherId")
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_code(api.post(f"{V}/{missing}/redeem")) == (404, "RewardVoucherNotFound")
    expired = next(v for v in vouchers(api, cid, "") if v["name"] == "Bonuscheck 25 kr")
    assert error_code(api.post(f"{V}/{expired['id']}/redeem")) == (409, "RewardVoucherExpired")


def test_reactivate_makes_it_available_again_up_to_the_limit(
        sim: Simulator, api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    v = vouchers(api, cid)[0]
    assert error_code(api.post(f"{V}/{v['id']}/reactivate")) == (
        409, "RewardVoucherAlreadyActivated")
    stamps = []
    for _ in range(3):
        assert api.post(f"{V}/{v['id']}/redeem").status_code == 200
        stamps.append(sim.state.rewards.voucher(v["id"])["redeemedOn"])  # type: ignore[index]
        again = api.post(f"{V}/{v['id']}/reactivate")
        assert again.status_code == 200 and again.json()["redeemed"] is False
        # value and expiry unchanged
        assert again.json()["value"] == v["value"] and again.json()["expiresOn"] == v["expiresOn"]
    assert all(stamps)
    assert api.post(f"{V}/{v['id']}/redeem").status_code == 200
    assert error_code(api.post(f"{V}/{v['id']}/reactivate")) == (409, "ReactivationLimitExceeded")
    limited = next(x for x in vouchers(api, contact_id(MAJA)) if x["name"] == "Bonuscheck 50 kr")
    assert api.post(f"{V}/{limited['id']}/redeem").status_code == 200
    assert error_code(api.post(f"{V}/{limited['id']}/reactivate")) == (
        409, "ReactivationLimitExceeded")


def test_a_voucher_that_expired_after_its_redeem_cant_be_reactivated(
        sim: Simulator, api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    v = vouchers(api, cid)[1]  # expires in 10 days
    assert api.post(f"{V}/{v['id']}/redeem").status_code == 200
    real = sim.state.clock
    sim.state.clock = lambda: real() + timedelta(days=11)
    try:
        assert error_code(api.post(f"{V}/{v['id']}/reactivate")) == (409, "RewardVoucherExpired")
    finally:
        sim.state.clock = real


def test_point_accounts_give_balance_and_pending(
        api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    r = api.get("/api/v3/point-accounts", params={"contactId": contact_id(MAJA)})
    assert r.status_code == 200
    (account,) = r.json()["items"]
    assert account["balance"] == 430 and account["pendingPoints"] == 120
    assert account["definitionId"] == 1
    empty = api.get("/api/v3/point-accounts", params={"contactId": contact_id(SARA)})
    assert empty.json()["items"] == []
    assert error_code(api.get("/api/v3/point-accounts", params={"contactId": "x"})) == (
        400, "InvalidContactId")
    tx = api.get("/api/v3/point-transactions",
                 params={"accountId": account["id"], "filter": "Pending"})
    assert [t["amount"] for t in tx.json()["items"]] == [120]
    both = api.get("/api/v3/point-transactions",
                   params={"contactId": contact_id(MAJA), "definitionId": 1})
    assert sorted(t["amount"] for t in both.json()["items"]) == [120, 430]
    assert api.get("/api/v3/point-transactions").status_code == 400


def test_faults_apply_to_voucher_routes(sim: Simulator, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    with client_for(sim) as api:
        vid = vouchers(api, cid)[0]["id"]
        sim.faults.add(Fault("commit_then_504", method="POST", instance_id=vid))
        assert api.post(f"{V}/{vid}/redeem").status_code == 504
        # committed although the answer said 504
        assert sim.state.rewards.voucher(vid)["redeemed"] is True  # type: ignore[index]
        sim.faults.add(Fault("status", path="/point-accounts", status=503))
        assert api.get("/api/v3/point-accounts", params={"contactId": cid}).status_code == 503


def test_v3_promotion_redeem_path(api: httpx.Client, offers: Callable[..., list]) -> None:
    promo = offers(ANNA)[0]
    r = api.post(f"/api/v3/promotion-assignments/{promo['id']}/redeem",
                 json={"redemptionChannel": "POS"})
    assert r.status_code == 200 and r.json()["redeemed"] is True
    assert error_code(api.post(f"/api/v3/promotion-assignments/{promo['id']}/redeem",
                               json={"redemptionChannel": "POS"})) == (
        409, "PromotionAlreadyRedeemed")

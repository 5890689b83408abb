"""A contact's promotion instances: list (channel filter), redeem on every path, assign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from kiosk.sim import SimState, Simulator
from kiosk.sim.rules import TZ
from tests.sim.simtools import ANNA, ERIK, OMAR, SARA, client_for, error_code
from tests.support import tenant_today

Offers = Callable[..., list[Any]]
POS = {"redemptionChannel": "POS"}
MISSING = "00000000-0000-4000-8000-000000000000"


def by_name(items: list[Any]) -> dict[str, Any]:
    return {p["name"]: p for p in items}


def test_pos_list_has_every_value_type_typed_as_engage_lists_them(offers: Offers) -> None:
    listed = by_name(offers(ANNA))
    assert set(listed) == {"20 % på hela köpet", "100 kr rabatt", "Gratis kaffe",
                           "Vårkampanj: 3 för 2 på strumpor", "50 kr födelsedagspresent",
                           "Julklappsrabatt 15 %", "10 % på skor"}  # not valid yet, expired
    pos = {n: p["redemptionChannels"][0] for n, p in listed.items()}
    assert (pos["20 % på hela köpet"]["valueType"], pos["20 % på hela köpet"]["value"]) == \
        ("PERCENT", 20)
    assert pos["100 kr rabatt"]["value"] == {"amount": 100, "currency": "SEK"}
    assert pos["Gratis kaffe"]["valueType"] == "MANUAL"
    assert pos["Gratis kaffe"]["instruction"].startswith("Ge medlemmen")
    assert (pos["Vårkampanj: 3 för 2 på strumpor"]["valueType"],
            pos["Vårkampanj: 3 för 2 på strumpor"]["value"]) == ("EXTERNALOFFER", "TILL-3FOR2")


def test_a_listed_instance_has_every_engage_field(offers: Offers) -> None:
    p = by_name(offers(ANNA))["20 % på hela köpet"]
    assert set(p) >= {"id", "promotionId", "externalId", "type", "name", "expiresOn", "heading",
                      "description", "redeemed", "redeemedOn", "imageUrl", "link",
                      "redemptionChannels"}
    assert p["type"] == "Multichannel"
    assert p["id"] != p["promotionId"]
    assert set(p["redemptionChannels"][0]) == {"type", "valueType", "value", "localValues",
                                               "instruction"}
    expires = datetime.fromisoformat(p["expiresOn"])
    assert expires.utcoffset() is not None
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)
    assert expires.date() == datetime.now(TZ).date() + timedelta(days=30)


def test_redeemed_instances_are_listed_and_expired_ones_are_not(offers: Offers,
                                                               sim: Simulator) -> None:
    listed = by_name(offers(ANNA))
    used = listed["50 kr födelsedagspresent"]
    assert used["redeemed"] is True
    assert datetime.fromisoformat(used["redeemedOn"]) < datetime.now(TZ)
    assert "10 % på skor" in listed  # expired 3 days ago: the demo lists it (includeExpired)
    sim.state.include_expired = False
    assert "10 % på skor" not in by_name(offers(ANNA))


def test_channel_filter_selects_promotions_having_that_channel(offers: Offers) -> None:
    ecom = by_name(offers(ANNA, "ECOM"))
    assert set(ecom) == {"100 kr rabatt", "Fri frakt på webben"}
    assert len(offers(ANNA, None)) == 8  # every one, the expired one too (includeExpired)
    assert offers(OMAR, "POS") == []
    assert offers(SARA, None) == []


def test_an_offer_not_started_yet_carries_valid_from(offers: Offers) -> None:
    listed = by_name(offers(ANNA))
    later = datetime.fromisoformat(listed["Julklappsrabatt 15 %"]["validFrom"])
    assert later.date() == datetime.now(TZ).date() + timedelta(days=10)
    assert "validFrom" not in listed["20 % på hela köpet"]  # started: as Engage documents it


def test_markup_looking_names_are_sent_verbatim(offers: Offers) -> None:
    assert "[bold]Spring[/] 3 for 2" in by_name(offers(ERIK))


def test_list_errors(api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    cid = contact_id(ANNA)
    bad = api.get(f"/api/v2/contacts/{cid}/promotions", params={"redemptionChannelType": "SHOP"})
    assert error_code(bad) == (400, "NotAValidRedemptionChannel")
    assert error_code(api.get(f"/api/v2/contacts/{MISSING}/promotions")) == \
        (404, "ContactNotFound")
    assert error_code(api.get("/api/v2/contacts/x/promotions")) == (400, "InvalidContactId")


def test_v3_promotion_assignments_list_like_v2(api: httpx.Client, offers: Offers,
                                               contact_id: Callable[[str], str]) -> None:
    r = api.get("/api/v3/promotion-assignments",
                params={"contactId": contact_id(ANNA), "redemptionChannelType": "POS"})
    assert r.json() == offers(ANNA)


# --- redeem ---------------------------------------------------------------------------------

def redeem_paths(contact: str, instance: str) -> dict[str, str]:
    return {
        "v2 codes": f"/api/v2/promotions/codes/{instance}/redeem",
        "v2 contact": f"/api/v2/contacts/{contact}/promotions/{instance}/redeem",
        "v3 assignments": f"/api/v3/promotion-assignments/{instance}/redeem",
        "v3 codes": f"/api/v3/promotions/codes/{instance}/redeem",
    }


@pytest.mark.parametrize("path", ["v2 codes", "v2 contact", "v3 assignments", "v3 codes"])
def test_redeem_flips_redeemed_once_then_409_already_redeemed(
        api: httpx.Client, sim: Simulator, offers: Offers, contact_id: Callable[[str], str],
        path: str) -> None:
    offer = by_name(offers(ANNA))["20 % på hela köpet"]
    url = redeem_paths(contact_id(ANNA), offer["id"])[path]
    r = api.post(url, json=POS)
    assert r.status_code == 200
    assert r.json()["redeemed"] is True
    seen = sim.state.promotion_instance(offer["id"])
    assert seen is not None and seen["redeemed"] is True
    redeemed_on = datetime.fromisoformat(seen["redeemedOn"])
    assert abs((datetime.now(TZ) - redeemed_on).total_seconds()) < 5
    assert by_name(offers(ANNA))["20 % på hela köpet"]["redeemed"] is True
    again = api.post(url, json=POS)
    assert error_code(again) == (409, "PromotionAlreadyRedeemed")
    assert sim.state.promotion_instance(offer["id"])["redeemedOn"] == seen["redeemedOn"]


@pytest.mark.parametrize("body", [{"redemptionChannel": "SHOP"}, {"redemptionChannel": "pos"},
                                  {}, None, "POS"])
def test_redeem_with_a_bad_channel_is_400(api: httpx.Client, offers: Offers,
                                          sim: Simulator, body: Any) -> None:
    offer = by_name(offers(ANNA))["Gratis kaffe"]
    r = api.post(f"/api/v2/promotions/codes/{offer['id']}/redeem", json=body)
    assert error_code(r) == (400, "NotAValidRedemptionChannel")
    assert sim.state.promotion_instance(offer["id"])["redeemed"] is False


def test_redeem_with_a_body_that_is_not_json_is_400(api: httpx.Client, offers: Offers) -> None:
    offer = by_name(offers(ANNA))["Gratis kaffe"]
    r = api.post(f"/api/v2/promotions/codes/{offer['id']}/redeem", content=b"POS")
    assert error_code(r) == (400, "NotAValidRedemptionChannel")


@pytest.mark.parametrize("instance", ["", "not-a-guid", "12345"])
def test_redeem_with_no_or_a_non_guid_id_is_400_invalid_promotion_id_no_data(
        api: httpx.Client, instance: str) -> None:
    r = api.post(f"/api/v2/promotions/codes/{instance}/redeem", json=POS)
    assert error_code(r) == (400, "InvalidPromotionIdNoData")


def test_redeem_of_an_unknown_or_template_id_is_404_promotion_not_found(
        api: httpx.Client, offers: Offers) -> None:
    template_id = by_name(offers(ANNA))["Gratis kaffe"]["promotionId"]
    for pid in (MISSING, template_id):
        r = api.post(f"/api/v2/promotions/codes/{pid}/redeem", json=POS)
        assert error_code(r) == (404, "PromotionNotFound")


def test_contact_scoped_redeem_of_another_members_offer_is_404_not_associated(
        api: httpx.Client, offers: Offers, contact_id: Callable[[str], str],
        sim: Simulator) -> None:
    offer = by_name(offers(ANNA))["Gratis kaffe"]
    r = api.post(f"/api/v2/contacts/{contact_id(ERIK)}/promotions/{offer['id']}/redeem", json=POS)
    assert error_code(r) == (404, "PromotionNotAssociatedWithContact")
    r = api.post(f"/api/v2/contacts/{MISSING}/promotions/{offer['id']}/redeem", json=POS)
    assert error_code(r) == (404, "ContactNotFound")
    assert sim.state.promotion_instance(offer["id"])["redeemed"] is False


def test_redeem_in_store_of_an_online_only_offer_is_409_not_valid_for_channel(
        api: httpx.Client, offers: Offers, sim: Simulator) -> None:
    offer = by_name(offers(ANNA, "ECOM"))["Fri frakt på webben"]
    r = api.post(f"/api/v2/promotions/codes/{offer['id']}/redeem", json=POS)
    assert error_code(r) == (409, "PromotionNotValidForRedemptionChannel")
    ok = api.post(f"/api/v2/promotions/codes/{offer['id']}/redeem",
                  json={"redemptionChannel": "ECOM"})
    assert ok.status_code == 200


def test_redeem_of_an_expired_offer_is_409_promotion_expired(api: httpx.Client,
                                                             sim: Simulator) -> None:
    cid = sim.state.add_contact(first_name="Ola", card="2004173000650")
    old = sim.state.add_offer(cid, name="Old", value_type="PERCENT", value=10,
                              expires_on=tenant_today() - timedelta(days=1))
    r = api.post(f"/api/v2/promotions/codes/{old}/redeem", json=POS)
    assert error_code(r) == (409, "PromotionExpired")
    assert sim.state.promotion_instance(old)["redeemed"] is False


# --- assign ---------------------------------------------------------------------------------

def active_template(api: httpx.Client, **validity: Any) -> str:
    body = {"name": "Assign me", "validity": {"startDate": tenant_today().isoformat(), **validity},
            "redemptionChannels": [{"type": "POS", "valueType": "MONEY", "value": "75"}]}
    pid = api.post("/api/v2/promotions/multichannels", json=body).json()["id"]
    assert api.post(f"/sim/promotions/{pid}/activate").status_code == 200
    return pid


def test_assign_v3_creates_an_instance_with_its_own_id_listed_for_the_contact(
        api: httpx.Client, offers: Offers, contact_id: Callable[[str], str]) -> None:
    pid = active_template(api, endDate=(tenant_today() + timedelta(days=10)).isoformat())
    r = api.post("/api/v3/promotion-assignments",
                 json={"contactId": contact_id(SARA), "promotionId": pid})
    assert r.status_code == 200
    inst = r.json()
    assert inst["promotionId"] == pid and inst["id"] != pid
    assert inst["redemptionChannels"][0]["value"] == {"amount": 75, "currency": "SEK"}
    assert datetime.fromisoformat(inst["expiresOn"]).date() == tenant_today() + timedelta(days=10)
    assert [p["id"] for p in offers(SARA)] == [inst["id"]]


def test_assign_v2_path_needs_no_body(api: httpx.Client, offers: Offers,
                                      contact_id: Callable[[str], str]) -> None:
    pid = active_template(api)
    cid = contact_id(SARA)
    r = api.post(f"/api/v2/contacts/{cid}/promotions/{pid}/assign")
    assert r.status_code == 200
    assert r.json()["expiresOn"] is None  # neither endDate nor assignedValidity
    assert len(offers(SARA)) == 1


def test_assigned_validity_in_days_counts_from_the_assignment_day(
        api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    pid = active_template(api, assignedValidity={"unit": "Days", "amount": 10})
    inst = api.post("/api/v3/promotion-assignments",
                    json={"contactId": contact_id(SARA), "promotionId": pid}).json()
    expires = datetime.fromisoformat(inst["expiresOn"])
    assert expires.date() == datetime.now(TZ).date() + timedelta(days=10)
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)


@pytest.mark.parametrize(("today", "months", "last_day"), [
    (date(2026, 11, 27), 3, date(2027, 2, 27)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
])
def test_assigned_validity_in_months_counts_calendar_months(
        today: date, months: int, last_day: date) -> None:
    state = SimState(clock=lambda: datetime(today.year, today.month, today.day, 12, tzinfo=TZ))
    cid = state.add_contact(first_name="Test")
    pid = state.create_template({"name": "M", "validity": {
        "startDate": today.isoformat(), "assignedValidity": {"unit": "Months", "amount": months}}})
    state.activate(pid["id"])
    with Simulator(state) as sim, client_for(sim) as api:
        r = api.post("/api/v3/promotion-assignments", json={"contactId": cid,
                                                             "promotionId": pid["id"]})
    assert datetime.fromisoformat(r.json()["expiresOn"]).date() == last_day


def test_assign_takes_the_earlier_of_end_date_and_assigned_validity(
        api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    end = tenant_today() + timedelta(days=5)
    pid = active_template(api, endDate=end.isoformat(),
                          assignedValidity={"unit": "Months", "amount": 1})
    inst = api.post("/api/v3/promotion-assignments",
                    json={"contactId": contact_id(SARA), "promotionId": pid}).json()
    assert datetime.fromisoformat(inst["expiresOn"]).date() == end


def test_assign_errors(api: httpx.Client, contact_id: Callable[[str], str],
                       sim: Simulator) -> None:
    cid = contact_id(SARA)
    pid = active_template(api)
    post = lambda body: api.post("/api/v3/promotion-assignments", json=body)  # noqa: E731
    assert error_code(post({"contactId": "x", "promotionId": pid})) == (400, "InvalidContactId")
    assert error_code(post({"promotionId": pid})) == (400, "InvalidContactId")
    assert error_code(post({"contactId": cid, "promotionId": "x"})) == (400, "InvalidPromotionId")
    assert error_code(post({"contactId": MISSING, "promotionId": pid})) == \
        (404, "ContactNotFound")
    assert error_code(post({"contactId": cid, "promotionId": MISSING})) == \
        (404, "PromotionNotFound")
    draft = api.post("/api/v2/promotions/multichannels", json={
        "name": "Draft", "validity": {"startDate": tenant_today().isoformat()}}).json()["id"]
    assert error_code(post({"contactId": cid, "promotionId": draft})) == \
        (409, "PromotionNotActive")
    assert error_code(api.post(f"/api/v2/contacts/{cid}/promotions/{MISSING}/assign")) == \
        (404, "PromotionNotFound")
    assert sim.state.list_promotions(cid, None) == []


def test_assign_of_an_ended_promotion_is_409_promotion_expired(
        api: httpx.Client, contact_id: Callable[[str], str]) -> None:
    past = tenant_today() - timedelta(days=10)
    body = {"name": "Ended", "validity": {"startDate": past.isoformat(),
                                          "endDate": (past + timedelta(days=2)).isoformat()}}
    pid = api.post("/api/v2/promotions/multichannels", json=body).json()["id"]
    api.post(f"/sim/promotions/{pid}/activate")
    r = api.post("/api/v3/promotion-assignments",
                 json={"contactId": contact_id(SARA), "promotionId": pid})
    assert error_code(r) == (409, "PromotionExpired")

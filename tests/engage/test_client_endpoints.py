"""Every Engage endpoint the client speaks, against the real simulator over loopback HTTP.

Assertions are on what the client returns and on what the simulator received or now holds.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from kiosk.engage.client import EngageClient
from kiosk.engage.errors import PromotionNotFound
from kiosk.engage.models import (
    AssignedValidity,
    Money,
    PromotionDraft,
    TemplateChannel,
    Validity,
)
from kiosk.sim import Simulator
from tests.engage.engage_members import Member
from tests.support import tenant_today

TODAY = tenant_today()


def draft(external_id: str | None = "KIOSK-TEST-1", **validity: object) -> PromotionDraft:
    return PromotionDraft(
        name="Kiosk test 20%", external_id=external_id,
        validity=Validity(start_date=TODAY, **validity),  # type: ignore[arg-type]
        redemption_channels=[TemplateChannel(type="POS", value_type="PERCENT", value="20",
                                             instruction="Scan at till")],
    )


# --- contacts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("key, attr", [("customKey", "card"), ("email", "email"),
                                       ("mobilePhone", "phone"),
                                       ("socialSecurityNumber", "ssn"), ("any", "email")])
async def test_find_contact_id_by_each_key(engage: EngageClient, sim: Simulator, member: Member,
                                           key: str, attr: str) -> None:
    value = getattr(member, attr)
    assert await engage.find_contact_id(value, key) == member.id  # type: ignore[arg-type]
    sent = sim.requests_to("GET", r"^/api/v3/contacts/id$")[-1]
    assert key in sent.query


async def test_find_contact_id_with_contact_type(engage: EngageClient, sim: Simulator,
                                                 member: Member) -> None:
    assert await engage.find_contact_id(member.card, contact_type="Member") == member.id
    assert "contactType=Member" in sim.requests_to("GET", r"/contacts/id$")[-1].query


async def test_get_contact(engage: EngageClient, member: Member) -> None:
    contact = await engage.get_contact(member.id)
    assert contact.id == member.id
    assert contact.first_name == "Astrid"
    assert contact.attributes["memberNumber"] == member.card


async def test_get_promotions_typed_by_value_type(engage: EngageClient, sim: Simulator,
                                                  member: Member) -> None:
    add = sim.state.add_offer
    percent = add(member.id, name="20% off", value_type="PERCENT", value=20)
    money = add(member.id, name="100 SEK off", value_type="MONEY", value="100.50")
    manual = add(member.id, name="Free coffee", value_type="MANUAL", value="Free coffee",
                 instruction="Hand over one coffee")
    code = add(member.id, name="Jeans", value_type="EXTERNALOFFER", value="10056")
    online = add(member.id, name="Online only", value_type="PERCENT", value=10,
                 channels=("ECOM",))

    pos = {p.id: p for p in await engage.get_promotions(member.id)}
    assert set(pos) == {percent, money, manual, code}
    assert pos[percent].channel("POS").value == Decimal(20)  # type: ignore[union-attr]
    assert pos[money].channel("POS").value == Money(amount=Decimal("100.5"),  # type: ignore[union-attr]
                                                    currency="SEK")
    assert pos[manual].channel("POS").value == "Free coffee"  # type: ignore[union-attr]
    assert pos[manual].channel("POS").instruction == "Hand over one coffee"  # type: ignore[union-attr]
    assert pos[code].channel("POS").value == "10056"  # type: ignore[union-attr]
    assert sim.requests_to("GET", r"/promotions$")[-1].query == "redemptionChannelType=POS"

    everything = {p.id for p in await engage.get_promotions(member.id, None)}
    assert everything == {percent, money, manual, code, online}
    assert sim.requests_to("GET", r"/promotions$")[-1].query == ""


async def test_a_members_offers_do_not_outlive_the_reply(engage: EngageClient, sim: Simulator,
                                                        member: Member) -> None:
    """Nothing keeps a member's offer ids or texts once the kiosk drops the parsed reply.

    pydantic's JSON parser caches every string value it reads unless told otherwise: weeks of
    visits would fill its cache (~1 MB) with offer ids, codes and names.
    """
    sim.state.add_offer(member.id, name="Astrid's 20% off", value_type="PERCENT", value=20)
    sim.state.add_offer(member.id, name="Code", value_type="EXTERNALOFFER", value="CODE-77121")
    promotions = await engage.get_promotions(member.id)
    kept = [p.id for p in promotions] + [p.name for p in promotions] + [
        p.channel("POS").value for p in promotions  # type: ignore[union-attr]
        if p.channel("POS").value == "CODE-77121"]  # type: ignore[union-attr]
    del promotions

    # One reference from `kept`, one from getrefcount's own argument.
    assert [sys.getrefcount(kept[i]) for i in range(len(kept))] == [2] * len(kept)


async def test_get_promotions_of_a_member_without_offers(engage: EngageClient,
                                                         member: Member) -> None:
    assert await engage.get_promotions(member.id) == []


# --- redeem ------------------------------------------------------------------------------------

async def test_redeem_marks_the_instance_redeemed(engage: EngageClient, sim: Simulator,
                                                  member: Member) -> None:
    offer = sim.state.add_offer(member.id, name="20% off", value_type="PERCENT", value=20)
    await engage.redeem(offer)
    held = sim.state.promotion_instance(offer)
    assert held is not None and held["redeemed"] is True and held["redeemedOn"]
    posts = sim.requests_to("POST", r"/redeem$")
    assert [p.path for p in posts] == [f"/api/v2/promotions/codes/{offer}/redeem"]
    assert json.loads(posts[0].body) == {"redemptionChannel": "POS"}
    promotions = await engage.get_promotions(member.id)
    assert [p.redeemed for p in promotions] == [True]


async def test_redeem_on_the_contact_scoped_path(engage: EngageClient, sim: Simulator,
                                                 member: Member) -> None:
    offer = sim.state.add_offer(member.id, name="Coffee", value_type="MANUAL", value="Coffee")
    await engage.redeem(offer, contact_id=member.id)
    assert sim.state.promotion_instance(offer)["redeemed"] is True  # type: ignore[index]
    assert sim.requests_to("POST", r"/redeem$")[0].path == (
        f"/api/v2/contacts/{member.id}/promotions/{offer}/redeem")


# --- promotion templates -----------------------------------------------------------------------

async def test_create_promotion_with_assigned_validity(engage: EngageClient,
                                                       sim: Simulator) -> None:
    made = await engage.create_promotion(
        draft(assigned_validity=AssignedValidity(unit="Months", amount=3)))
    assert made.status == "Draft" and made.id
    assert made.validity.start_date == TODAY
    assert made.validity.assigned_validity == AssignedValidity(unit="Months", amount=3)
    sent = sim.requests_to("POST", r"/promotions/multichannels$")[0].json()
    assert sent["validity"] == {"startDate": TODAY.isoformat(),
                                "assignedValidity": {"unit": "Months", "amount": 3}}
    assert sent["redemptionChannels"][0]["value"] == "20"


async def test_create_promotion_with_end_date_up_to_9999_12_30(engage: EngageClient,
                                                               sim: Simulator) -> None:
    made = await engage.create_promotion(draft(end_date=date(9999, 12, 30)))
    assert made.validity.end_date == date(9999, 12, 30)
    sent = sim.requests_to("POST", r"/promotions/multichannels$")[0].json()
    assert sent["validity"]["endDate"] == "9999-12-30"


async def test_get_promotion_by_id_and_by_external_id(engage: EngageClient) -> None:
    made = await engage.create_promotion(draft("KIOSK-GET"))
    assert await engage.get_promotion(made.id) == made
    assert await engage.get_promotion_by_external_id("KIOSK-GET") == made


async def test_update_promotion(engage: EngageClient) -> None:
    made = await engage.create_promotion(draft("KIOSK-UPD"))
    changed = made.model_copy(update={"name": "Kiosk test 25%"})
    changed.redemption_channels[0] = TemplateChannel(type="POS", value_type="PERCENT", value="25")
    updated = await engage.update_promotion(changed)
    assert updated.name == "Kiosk test 25%" and updated.redemption_channels[0].value == "25"
    assert (await engage.get_promotion(made.id)).name == "Kiosk test 25%"


async def test_get_validity_by_id_and_by_external_id(engage: EngageClient) -> None:
    made = await engage.create_promotion(draft("KIOSK-VAL", end_date=TODAY + timedelta(days=9)))
    expected = Validity(start_date=TODAY, end_date=TODAY + timedelta(days=9))
    assert await engage.get_validity(made.id) == expected
    assert await engage.get_validity_by_external_id("KIOSK-VAL") == expected


async def test_update_validity(engage: EngageClient) -> None:
    made = await engage.create_promotion(draft("KIOSK-UV"))
    new = Validity(start_date=TODAY, assigned_validity=AssignedValidity(unit="Days", amount=30))
    updated = await engage.update_validity(made.id, new)
    assert updated.id == made.id and updated.validity == new
    assert await engage.get_validity(made.id) == new


async def test_assign_promotion_creates_an_instance(engage: EngageClient, sim: Simulator,
                                                    member: Member) -> None:
    made = await engage.create_promotion(draft("KIOSK-ASSIGN", end_date=TODAY + timedelta(5)))
    sim.state.activate(made.id)  # Engage activates in its UI; the simulator in Python
    instance = await engage.assign_promotion(member.id, made.id)
    assert instance.promotion_id == made.id and instance.id != made.id
    assert not instance.redeemed
    assert instance.expires_on is not None and instance.expires_on.date() == TODAY + timedelta(5)
    assert sim.requests_to("POST", r"/promotion-assignments$")[0].json() == {
        "contactId": member.id, "promotionId": made.id}
    assert [p.id for p in await engage.get_promotions(member.id)] == [instance.id]


async def test_delete_promotion(engage: EngageClient) -> None:
    made = await engage.create_promotion(draft("KIOSK-DEL"))
    assert await engage.delete_promotion(made.id) is None
    with pytest.raises(PromotionNotFound):
        await engage.get_promotion(made.id)


async def test_delete_promotion_by_external_id(engage: EngageClient, sim: Simulator) -> None:
    made = await engage.create_promotion(draft("KIOSK-DEL-EXT"))
    await engage.delete_promotion_by_external_id("KIOSK-DEL-EXT")
    with pytest.raises(PromotionNotFound):
        await engage.get_promotion(made.id)
    assert sim.requests_to("DELETE", r"/multichannels$")[0].query == "externalId=KIOSK-DEL-EXT"


async def test_ping(engage: EngageClient, sim: Simulator) -> None:
    seconds = await engage.ping()
    assert 0 < seconds < 5
    assert [r.path for r in sim.requests] == ["/api/v2/contacts/count"]

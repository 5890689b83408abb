"""The shipped demo data and the Python seeding API the demo, tests and benchmarks use."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.sim import DemoCard, SimState, Simulator, load_demo_data
from kiosk.sim.demo import demo_data_path
from kiosk.sim.rules import TZ
from tests.sim.simtools import BERG, SARA, error_code
from tests.support import tenant_today


def ean13_ok(code: str) -> bool:
    """Written out here, not imported, so the data is checked independently of the app."""
    if len(code) != 13 or not code.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return json.loads(demo_data_path().read_text(encoding="utf-8"))


def test_every_card_is_an_in_store_ean13_with_a_valid_check_digit(data: dict[str, Any]) -> None:
    cards = [m["card"] for m in data["members"]]
    assert len(cards) >= 4
    for card in cards:
        assert ean13_ok(card), card
        assert 20 <= int(card[:2]) <= 29, card


def test_the_demo_covers_what_the_kiosk_must_handle(data: dict[str, Any]) -> None:
    offers = [o for m in data["members"] for o in m["offers"]]
    pos_types = {c["valueType"] for o in offers for c in o["channels"] if c["type"] == "POS"}
    assert pos_types >= {"PERCENT", "MONEY", "MANUAL", "EXTERNALOFFER"}
    assert any(all(c["type"] == "ECOM" for c in o["channels"]) for o in offers)  # online only
    assert any(o.get("startsInDays", 0) > 0 for o in offers)  # not valid yet
    assert any(o.get("redeemedDaysAgo") is not None for o in offers)  # used
    assert sum(bool(o.get("description")) for o in offers) >= 5  # conditions
    assert data["includeExpired"] is True
    assert any((o.get("expiresInDays") or 0) < 0 for o in offers)  # expired
    assert any(o.get("redeemedDaysAgo") is not None for o in offers)  # already used
    assert any("[" in o["name"] and "[/" in o["name"] for o in offers)  # markup-looking
    assert any(not m["offers"] for m in data["members"])  # a member with no offers
    cards = [m["card"] for m in data["members"]]
    assert len(cards) - len(set(cards)) == 1  # one card shared by two contacts


def test_demo_dates_are_relative_so_the_demo_never_rots(data: dict[str, Any]) -> None:
    text = json.dumps(data)
    assert "expiresOn" not in text and re.search(r"\d{4}-\d{2}-\d{2}", text) is None
    in_ten_years = SimState(seed=data, clock=lambda: datetime(2036, 5, 1, 9, tzinfo=TZ))
    anna = in_ten_years.find_contact_id({"customKey": data["members"][0]["card"]})
    listed = in_ten_years.list_promotions(anna, "POS")
    assert len(listed) == 7  # 5 usable or used, one not valid yet, one expired (includeExpired)
    (later,) = [p for p in listed if "validFrom" in p]
    assert datetime.fromisoformat(later["validFrom"]).date() == date(2036, 5, 11)
    assert all(p["redeemed"] or datetime.fromisoformat(p["expiresOn"]).year == 2036
               for p in listed if p["expiresOn"])


def test_demo_cards_list_each_card_once_with_a_note() -> None:
    cards = load_demo_data().demo_cards()
    assert all(isinstance(c, DemoCard) and c.note for c in cards)
    assert len({c.card for c in cards}) == len(cards) == 5
    shared = next(c for c in cards if c.card == BERG)
    assert shared.first_name == "Lars / Lena"
    assert next(c for c in cards if c.card == SARA).first_name == "Sara"


def test_load_demo_data_from_another_file(tmp_path: Path) -> None:
    f = tmp_path / "tenant.json"
    f.write_text(json.dumps({"members": [{"firstName": "Ada", "card": "2004173000650",
                                          "offers": []}]}))
    state = load_demo_data(f)
    assert [c.first_name for c in state.demo_cards()] == ["Ada"]
    f.write_text('{"people": []}')
    with pytest.raises(ValueError):
        load_demo_data(f)


def test_seeded_ids_stay_the_same_across_restarts() -> None:
    a, b = load_demo_data(), load_demo_data()
    query = {"customKey": "2004173000100"}
    assert a.find_contact_id(query) == b.find_contact_id(query)
    cid = a.find_contact_id(query)
    assert [p["id"] for p in a.list_promotions(cid, None)] == \
        [p["id"] for p in b.list_promotions(cid, None)]
    assert a.add_contact(first_name="X") != b.add_contact(first_name="X")  # new ones are random


def test_add_offer_makes_a_redeemable_offer_of_each_type(sim: Simulator,
                                                         api: httpx.Client) -> None:
    cid = sim.state.add_contact(first_name="Test", card="2004173000650")
    made = {
        "PERCENT": sim.state.add_offer(cid, name="p", value_type="PERCENT", value=15),
        "MONEY": sim.state.add_offer(cid, name="m", value_type="MONEY", value="49.50"),
        "MANUAL": sim.state.add_offer(cid, name="g", value_type="MANUAL", value="Gift",
                                      instruction="Hand over a gift"),
        "EXTERNALOFFER": sim.state.add_offer(cid, name="e", value_type="EXTERNALOFFER",
                                             value="CODE9", channels=("POS", "ECOM")),
    }
    listed = {p["id"]: p for p in api.get(f"/api/v2/contacts/{cid}/promotions").json()}
    values = {k: listed[i]["redemptionChannels"][0]["value"] for k, i in made.items()}
    assert values == {"PERCENT": 15, "MONEY": {"amount": 49.5, "currency": "SEK"},
                      "MANUAL": "Gift", "EXTERNALOFFER": "CODE9"}
    assert len(listed[made["EXTERNALOFFER"]]["redemptionChannels"]) == 2
    assert api.post(f"/api/v2/promotions/codes/{made['MONEY']}/redeem",
                    json={"redemptionChannel": "POS"}).status_code == 200
    inspected = sim.state.promotion_instance(made["MONEY"])
    assert inspected is not None and inspected["redeemed"] and inspected["contactId"] == cid


def test_add_offer_can_seed_used_and_expired_offers(sim: Simulator, api: httpx.Client) -> None:
    cid = sim.state.add_contact(first_name="Test")
    sim.state.include_expired = False  # the demo lists them; Engage's default is assumed not to
    used = sim.state.add_offer(cid, name="used", value_type="PERCENT", value=5, redeemed=True)
    old = sim.state.add_offer(cid, name="old", value_type="PERCENT", value=5,
                              expires_on=tenant_today() - timedelta(days=2))
    assert sim.state.promotion_instance(used)["redeemed"] is True
    assert error_code(api.post(f"/api/v2/promotions/codes/{used}/redeem",
                               json={"redemptionChannel": "POS"})) == \
        (409, "PromotionAlreadyRedeemed")
    assert [p["id"] for p in sim.state.list_promotions(cid, "POS")] == [used]
    assert sim.state.promotion_instance(old) is not None
    assert sim.state.promotion_instance("nope") is None


def test_add_offers_bulk_mixes_the_four_types(sim: Simulator) -> None:
    cid = sim.state.add_contact(first_name="Many")
    ids = sim.state.add_offers_bulk(cid, 200)
    assert len(set(ids)) == 200
    listed = sim.state.list_promotions(cid, "POS")
    assert len(listed) == 200
    assert {p["redemptionChannels"][0]["valueType"] for p in listed} == \
        {"PERCENT", "MONEY", "MANUAL", "EXTERNALOFFER"}


def test_add_offer_to_an_unknown_contact_fails_loudly() -> None:
    with pytest.raises(KeyError):
        SimState().add_offer("00000000-0000-4000-8000-000000000000", name="x",
                             value_type="PERCENT", value=5)


def test_an_empty_state_has_no_contacts_and_resets_to_empty() -> None:
    state = SimState()
    state.add_contact(first_name="Temp")
    state.reset()
    assert state.contact_count() == 0 and state.demo_cards() == []

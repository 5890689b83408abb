"""Promotion templates: create (both validity styles), get, update, validity, delete, activate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from tests.sim.simtools import SARA, error_code

MISSING = "00000000-0000-4000-8000-000000000000"


def draft(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": "KIOSK-TEST-1", "name": "Kiosk test 20%",
        "validity": {"startDate": "2026-03-18", "assignedValidity": {"unit": "Months",
                                                                     "amount": 3}},
        "presentation": {"heading": "20% off", "description": "Test",
                         "link": "http://www.example.com"},
        "redemptionChannels": [{"type": "POS", "valueType": "PERCENT", "value": "20",
                                "instruction": "Scan at till"}],
    }
    body.update(over)
    return body


def create(api: httpx.Client, version: str = "v2", **over: Any) -> dict[str, Any]:
    r = api.post(f"/api/{version}/promotions/multichannels", json=draft(**over))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_create_is_always_draft_and_echoes_dates_with_an_offset(api: httpx.Client,
                                                                version: str) -> None:
    made = create(api, version, status="Active")
    assert made["status"] == "Draft"
    assert made["id"] and made["externalId"] == "KIOSK-TEST-1"
    start = datetime.fromisoformat(made["validity"]["startDate"])
    assert start.date() == date(2026, 3, 18) and start.utcoffset() is not None
    assert made["validity"]["assignedValidity"] == {"unit": "Months", "amount": 3}
    assert made["redemptionChannels"][0]["value"] == "20"  # templates keep values as text
    assert made["presentation"]["heading"] == "20% off"


def test_create_with_start_and_end_date_up_to_9999_12_30(api: httpx.Client) -> None:
    made = create(api, validity={"startDate": "2026-03-18", "endDate": "9999-12-30"},
                  redemptionChannels=[{"type": "POS", "valueType": "MONEY", "value": "100.00"}])
    assert made["validity"]["endDate"].startswith("9999-12-30")
    assert made["validity"]["assignedValidity"] is None


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"name": None}, {"name": "   "},
    {"validity": {"startDate": "2026-03-18T00:00:00+01:00"}},  # dates only, no time of day
    {"validity": {"startDate": "18/03/2026"}},
    {"validity": {}},
    {"validity": {"startDate": "2026-03-18", "endDate": "9999-12-31"}},
    {"validity": {"startDate": "2026-03-18", "endDate": "2026-03-17"}},
    {"validity": {"startDate": "2026-02-30"}},
    {"validity": {"startDate": "2026-03-18", "assignedValidity": {"unit": "Weeks", "amount": 1}}},
    {"validity": {"startDate": "2026-03-18", "assignedValidity": {"unit": "Days", "amount": 0}}},
    {"redemptionChannels": [{"type": "SHOP", "valueType": "PERCENT", "value": "20"}]},
    {"redemptionChannels": [{"type": "POS", "valueType": "BOGUS", "value": "20"}]},
    {"redemptionChannels": [{"type": "POS", "valueType": "PERCENT", "value": "120"}]},
    {"redemptionChannels": [{"type": "POS", "valueType": "MONEY", "value": "lots"}]},
    {"redemptionChannels": [{"type": "POS", "valueType": "MANUAL", "value": ""}]},
    {"redemptionChannels": [{"type": "POS", "valueType": "MANUAL", "value": "a"},
                            {"type": "POS", "valueType": "MANUAL", "value": "b"}]},
])
def test_create_rejects_a_bad_body_with_400_bad_request(api: httpx.Client,
                                                        bad: dict[str, Any]) -> None:
    r = api.post("/api/v2/promotions/multichannels", json=draft(**bad))
    assert error_code(r) == (400, "BadRequest")
    assert r.json()["message"]


def test_create_rejects_a_non_object_body(api: httpx.Client) -> None:
    for content in (b"[]", b"not json"):
        r = api.post("/api/v2/promotions/multichannels", content=content)
        assert error_code(r) == (400, "BadRequest")


def test_a_second_template_with_the_same_external_id_is_409(api: httpx.Client) -> None:
    create(api)
    r = api.post("/api/v2/promotions/multichannels", json=draft())
    assert error_code(r) == (409, "ExternalIdAlreadyExists")


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_get_by_id_and_by_external_id(api: httpx.Client, version: str) -> None:
    made = create(api)
    base = f"/api/{version}/promotions/multichannels"
    assert api.get(f"{base}/{made['id']}").json() == made
    assert api.get(base, params={"externalId": "KIOSK-TEST-1"}).json() == made
    assert error_code(api.get(f"{base}/{MISSING}")) == (404, "PromotionNotFound")
    assert error_code(api.get(f"{base}/nope")) == (400, "InvalidPromotionId")
    assert error_code(api.get(base, params={"externalId": "NOPE"})) == (404, "PromotionNotFound")
    assert error_code(api.get(base)) == (400, "BadRequest")


def test_update_replaces_a_draft_whole(api: httpx.Client) -> None:
    made = create(api)
    changed = {**made, "name": "Renamed", "presentation": {"heading": "New"},
               "validity": {"startDate": "2026-04-01", "endDate": "2026-05-01"},
               "redemptionChannels": [{"type": "ECOM", "valueType": "EXTERNALOFFER",
                                       "value": "CODE1"}]}
    r = api.put(f"/api/v2/promotions/multichannels/{made['id']}", json=changed)
    assert r.status_code == 200
    got = api.get(f"/api/v2/promotions/multichannels/{made['id']}").json()
    assert (got["name"], got["presentation"]["heading"], got["presentation"]["description"]) == \
        ("Renamed", "New", None)
    assert got["validity"]["assignedValidity"] is None
    assert got["validity"]["endDate"].startswith("2026-05-01")
    assert [c["type"] for c in got["redemptionChannels"]] == ["ECOM"]
    assert got["status"] == "Draft"


def test_update_errors(api: httpx.Client) -> None:
    made = create(api)
    url = f"/api/v2/promotions/multichannels/{made['id']}"
    assert error_code(api.put(url, json=draft(name=""))) == (400, "BadRequest")
    assert error_code(api.put(url, json=draft(id=MISSING))) == (400, "BadRequest")
    assert api.put(url, json=draft(id=made["id"])).status_code == 200
    assert error_code(api.put(f"/api/v2/promotions/multichannels/{MISSING}", json=draft())) == \
        (404, "PromotionNotFound")
    # Engage echoes dates with a time of day; a request must send YYYY-MM-DD again
    assert error_code(api.put(url, json=made)) == (400, "BadRequest")
    api.post(f"/sim/promotions/{made['id']}/activate")
    r = api.put(url, json=draft(name="Too late"))
    assert error_code(r) == (409, "PromotionNotDraft")
    assert api.get(url).json()["name"] == "Kiosk test 20%"


def test_validity_get_and_update(api: httpx.Client) -> None:
    made = create(api)
    base = "/api/v2/promotions/multichannels"
    v = api.get(f"{base}/{made['id']}/validity").json()
    assert set(v) == {"startDate", "endDate", "assignedValidity"}
    assert api.get(f"{base}/validity", params={"externalId": "KIOSK-TEST-1"}).json() == v
    r = api.put(f"{base}/{made['id']}/validity",
                json={"startDate": "2026-06-01", "endDate": "2026-06-30"})
    assert r.status_code == 200 and r.json()["id"] == made["id"]
    v2 = api.get(f"{base}/{made['id']}/validity").json()
    assert v2["startDate"].startswith("2026-06-01") and v2["endDate"].startswith("2026-06-30")
    assert v2["assignedValidity"] is None
    bad = api.put(f"{base}/{made['id']}/validity", json={"startDate": "2026-06-01T10:00:00"})
    assert error_code(bad) == (400, "BadRequest")
    assert error_code(api.get(f"{base}/validity", params={"externalId": "NOPE"})) == \
        (404, "PromotionNotFound")


def test_validity_of_an_active_template_cannot_change(api: httpx.Client) -> None:
    made = create(api)
    api.post(f"/sim/promotions/{made['id']}/activate")
    r = api.put(f"/api/v2/promotions/multichannels/{made['id']}/validity",
                json={"startDate": "2026-06-01"})
    assert error_code(r) == (409, "PromotionNotDraft")


def test_delete_by_id_and_by_external_id(api: httpx.Client) -> None:
    a = create(api)
    b = create(api, externalId="KIOSK-TEST-2")
    r = api.delete(f"/api/v2/promotions/multichannels/{a['id']}")
    assert (r.status_code, r.content) == (200, b"")
    assert error_code(api.get(f"/api/v2/promotions/multichannels/{a['id']}")) == \
        (404, "PromotionNotFound")
    r = api.delete("/api/v2/promotions/multichannels", params={"externalId": "KIOSK-TEST-2"})
    assert r.status_code == 200
    assert error_code(api.get(f"/api/v2/promotions/multichannels/{b['id']}")) == \
        (404, "PromotionNotFound")
    assert error_code(api.delete(f"/api/v2/promotions/multichannels/{a['id']}")) == \
        (404, "PromotionNotFound")


def test_an_assigned_template_cannot_be_deleted(api: httpx.Client,
                                                contact_id: Callable[[str], str]) -> None:
    made = create(api)
    api.post(f"/sim/promotions/{made['id']}/activate")
    api.post("/api/v3/promotion-assignments",
             json={"contactId": contact_id(SARA), "promotionId": made["id"]})
    r = api.delete(f"/api/v2/promotions/multichannels/{made['id']}")
    assert error_code(r) == (409, "PromotionAssigned")
    r = api.delete("/api/v2/promotions/multichannels", params={"externalId": "KIOSK-TEST-1"})
    assert error_code(r) == (409, "PromotionAssigned")


def test_sim_activate_makes_a_draft_assignable(api: httpx.Client) -> None:
    made = create(api)
    r = api.post(f"/sim/promotions/{made['id']}/activate")
    assert r.json()["status"] == "Active"
    assert api.get(f"/api/v2/promotions/multichannels/{made['id']}").json()["status"] == "Active"
    assert error_code(api.post(f"/sim/promotions/{MISSING}/activate")) == \
        (404, "PromotionNotFound")

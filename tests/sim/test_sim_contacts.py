"""Contact endpoints: id lookup by every key (v2 and v3), contact by id, contact count."""

from __future__ import annotations

import httpx
import pytest

from kiosk.sim import Simulator
from tests.sim.simtools import ANNA, BERG, SARA, error_code

ANNA_EMAIL = "anna.lindqvist@example.com"
ANNA_PHONE = "+46701740605"
ANNA_SSN = "19850312-1231"


@pytest.mark.parametrize("version", ["v2", "v3"])
@pytest.mark.parametrize(("key", "value"), [
    ("customKey", ANNA), ("email", ANNA_EMAIL), ("email", "Anna.Lindqvist@EXAMPLE.com"),
    ("mobilePhone", ANNA_PHONE), ("mobilePhone", "070-174 06 05"),
    ("socialSecurityNumber", ANNA_SSN), ("socialSecurityNumber", "8503121231"),
    ("any", ANNA_EMAIL), ("any", ANNA_SSN), ("any", ANNA_PHONE),
])
def test_lookup_returns_the_id_as_a_quoted_json_string(api: httpx.Client, sim: Simulator,
                                                       version: str, key: str,
                                                       value: str) -> None:
    r = api.get(f"/api/{version}/contacts/id", params={key: value})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.text.startswith('"') and r.text.endswith('"')
    contact = sim.state.get_contact(r.json())
    assert contact["attributes"]["firstName"] == "Anna"


def test_lookup_by_card_finds_the_member_whose_member_number_it_is(api: httpx.Client) -> None:
    anna = api.get("/api/v3/contacts/id", params={"customKey": ANNA}).json()
    sara = api.get("/api/v3/contacts/id", params={"customKey": SARA}).json()
    assert anna != sara
    assert api.get(f"/api/v3/contacts/{sara}").json()["attributes"]["memberNumber"] == SARA


def test_lookup_by_any_stops_at_the_first_attribute_the_value_validates_as(
        api: httpx.Client) -> None:
    # a 13-digit card validates as a phone number, so Engage never tries it as customKey
    r = api.get("/api/v3/contacts/id", params={"any": ANNA})
    assert error_code(r) == (404, "ContactNotFound")


def test_lookup_by_any_reaches_custom_key_for_a_non_numeric_card(
        api: httpx.Client, sim: Simulator) -> None:
    cid = sim.state.add_contact(first_name="Kim", card="MEMBER-77")
    r = api.get("/api/v3/contacts/id", params={"any": "MEMBER-77"})
    assert (r.status_code, r.json()) == (200, cid)


def test_lookup_of_an_unknown_card_is_404_contact_not_found(api: httpx.Client) -> None:
    r = api.get("/api/v3/contacts/id", params={"customKey": "2999999999993"})
    assert error_code(r) == (404, "ContactNotFound")
    assert r.json()["message"]


def test_a_card_shared_by_two_contacts_is_409_multiple_matches_with_both_ids(
        api: httpx.Client, sim: Simulator) -> None:
    r = api.get("/api/v3/contacts/id", params={"customKey": BERG})
    assert error_code(r) == (409, "MultipleMatches")
    ids = r.json()["multipleMatchesFound"]
    names = sorted(sim.state.get_contact(i)["attributes"]["firstName"] for i in ids)
    assert names == ["Lars", "Lena"]


@pytest.mark.parametrize(("key", "value", "code"), [
    ("email", "anna.example.com", "InvalidEmailAddress"),
    ("email", "anna@", "InvalidEmailAddress"),
    ("mobilePhone", "phone-me", "InvalidPhoneNumber"),
    ("mobilePhone", "+46 12", "InvalidPhoneNumber"),
    ("socialSecurityNumber", "19850312-1234", "InvalidSocialSecurityNumber"),  # bad check digit
    ("socialSecurityNumber", "19851312-1231", "InvalidSocialSecurityNumber"),  # month 13
    ("customKey", "", "InvalidSearchQuery"),
    ("any", " ", "InvalidSearchQuery"),
])
def test_a_malformed_lookup_value_is_400_with_its_code(api: httpx.Client, key: str, value: str,
                                                       code: str) -> None:
    assert error_code(api.get("/api/v3/contacts/id", params={key: value})) == (400, code)


def test_a_lookup_without_any_key_is_400_invalid_search_query(api: httpx.Client) -> None:
    assert error_code(api.get("/api/v3/contacts/id")) == (400, "InvalidSearchQuery")


def test_contact_type_is_checked_and_filters(api: httpx.Client) -> None:
    ok = api.get("/api/v3/contacts/id", params={"customKey": ANNA, "contactType": "Member"})
    assert ok.status_code == 200
    other = api.get("/api/v3/contacts/id", params={"customKey": ANNA, "contactType": "Contact"})
    assert error_code(other) == (404, "ContactNotFound")
    bad = api.get("/api/v3/contacts/id", params={"customKey": ANNA, "contactType": "Robot"})
    assert error_code(bad) == (400, "InvalidContactType")


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_contact_by_id_has_engage_shape(api: httpx.Client, version: str) -> None:
    cid = api.get("/api/v3/contacts/id", params={"customKey": ANNA}).json()
    r = api.get(f"/api/{version}/contacts/{cid}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"id", "attributes", "meta", "preferences", "consents"}
    assert body["id"] == cid
    attrs = body["attributes"]
    assert (attrs["firstName"], attrs["lastName"], attrs["memberNumber"], attrs["email"],
            attrs["mobilePhone"]) == ("Anna", "Lindqvist", ANNA, ANNA_EMAIL, ANNA_PHONE)
    assert body["preferences"]["acceptsEmail"] in (True, False)


def test_contact_by_id_errors(api: httpx.Client) -> None:
    assert error_code(api.get("/api/v3/contacts/not-a-guid")) == (400, "InvalidContactId")
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_code(api.get(f"/api/v3/contacts/{missing}")) == (404, "ContactNotFound")


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_contact_count_is_a_json_integer(api: httpx.Client, sim: Simulator,
                                         version: str) -> None:
    r = api.get(f"/api/{version}/contacts/count")
    assert r.status_code == 200
    assert r.json() == 6
    sim.state.add_contact(first_name="New")
    assert api.get(f"/api/{version}/contacts/count").json() == 7

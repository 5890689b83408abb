"""Fault injection, each kind as a client on the wire sees it, and how faults are keyed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kiosk.sim import Fault, Simulator
from tests.sim.simtools import ANNA, client_for, error_code
from tests.support import wait_until

POS = {"redemptionChannel": "POS"}
Offers = Callable[..., list[Any]]


def coffee_and_percent(offers: Offers) -> tuple[str, str]:
    names = {p["name"]: p["id"] for p in offers(ANNA)}
    return names["Gratis kaffe"], names["20 % på hela köpet"]


def redeem(api: httpx.Client, instance_id: str) -> httpx.Response:
    return api.post(f"/api/v2/promotions/codes/{instance_id}/redeem", json=POS)


def test_commit_then_504_commits_the_redeem_and_answers_gateway_timeout(
        api: httpx.Client, sim: Simulator, offers: Offers) -> None:
    coffee, _ = coffee_and_percent(offers)
    sim.faults.add(Fault("commit_then_504", path=r"/redeem$"))
    assert error_code(redeem(api, coffee)) == (504, "GatewayTimeout")
    assert sim.state.promotion_instance(coffee)["redeemed"] is True
    assert error_code(redeem(api, coffee)) == (409, "PromotionAlreadyRedeemed")


@pytest.mark.parametrize("commit", [True, False])
def test_drop_after_read_closes_the_connection_without_a_response(
        api: httpx.Client, sim: Simulator, offers: Offers, commit: bool) -> None:
    coffee, _ = coffee_and_percent(offers)
    sim.faults.add(Fault("drop_after_read", path=r"/redeem$", commit=commit))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        redeem(api, coffee)
    received = sim.requests_to("POST", r"/redeem$")
    assert [r.json() for r in received] == [POS]  # the whole request was read first
    assert sim.state.promotion_instance(coffee)["redeemed"] is commit
    assert api.get("/api/v2/contacts/count").status_code == 200  # a new connection works
    assert sim.connections_opened == 2


def test_status_fault_answers_that_status_and_commits_nothing(
        api: httpx.Client, sim: Simulator, offers: Offers) -> None:
    coffee, _ = coffee_and_percent(offers)
    sim.faults.add(Fault("status", path=r"/redeem$", status=503))
    r = redeem(api, coffee)
    assert error_code(r) == (503, "SimulatedFault")
    assert sim.state.promotion_instance(coffee)["redeemed"] is False
    assert redeem(api, coffee).status_code == 200  # times=1: gone after one use


def test_status_fault_with_its_own_body_and_headers(api: httpx.Client, sim: Simulator) -> None:
    sim.faults.add(Fault("status", status=429, body='{"errorCode":"TooManyRequests"}',
                         headers={"Retry-After": "7"}))
    r = api.get("/api/v2/contacts/count")
    assert (r.status_code, r.headers["retry-after"], r.json()) == \
        (429, "7", {"errorCode": "TooManyRequests"})


def test_malformed_json_is_a_200_with_truncated_json(
        api: httpx.Client, sim: Simulator, offers: Offers,
        contact_id: Callable[[str], str]) -> None:
    coffee, _ = coffee_and_percent(offers)
    sim.faults.add(Fault("malformed_json", method="GET", path=r"/promotions$"))
    r = api.get(f"/api/v2/contacts/{contact_id(ANNA)}/promotions")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        r.json()
    sim.faults.add(Fault("malformed_json", path=r"/redeem$"))
    assert redeem(api, coffee).status_code == 200
    assert sim.state.promotion_instance(coffee)["redeemed"] is True  # it still committed


def test_latency_delays_one_request_without_blocking_others(sim: Simulator) -> None:
    sim.faults.add(Fault("latency", path=r"/contacts/count$", latency=0.5))
    slow: list[httpx.Response] = []

    def call_slow() -> None:
        with client_for(sim) as c:
            slow.append(c.get("/api/v2/contacts/count"))

    t = threading.Thread(target=call_slow)
    t.start()
    wait_until(lambda: sim.requests_to("GET", r"/count$"), what="the slow request to arrive")
    with client_for(sim) as fast:
        assert fast.get("/api/v3/contacts/id", params={"customKey": ANNA}).status_code == 200
    assert t.is_alive() and not slow  # the slow one is still waiting
    t.join(5)
    assert slow[0].status_code == 200 and slow[0].json() == 6


def test_a_fault_keyed_by_instance_id_hits_only_that_offer(api: httpx.Client, sim: Simulator,
                                                            offers: Offers) -> None:
    coffee, percent = coffee_and_percent(offers)
    sim.faults.add(Fault("status", instance_id=coffee, status=500, times=None))
    assert redeem(api, percent).status_code == 200
    assert error_code(redeem(api, coffee)) == (500, "SimulatedFault")
    assert error_code(redeem(api, coffee)) == (500, "SimulatedFault")  # times=None: until cleared
    assert api.get("/api/v2/contacts/count").status_code == 200
    sim.faults.clear()
    assert redeem(api, coffee).status_code == 200


def test_a_fault_keyed_by_method_and_path_counts_its_times(api: httpx.Client,
                                                          sim: Simulator) -> None:
    sim.faults.add(Fault("status", method="POST", path=r"/count", status=502))
    sim.faults.add(Fault("status", method="GET", path=r"/contacts/count$", status=503, times=2))
    codes = [api.get("/api/v2/contacts/count").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert len(sim.faults.active()) == 1  # the POST fault never matched


def test_faults_apply_only_after_the_api_key_is_accepted(sim: Simulator) -> None:
    sim.faults.add(Fault("status", status=503))
    with client_for(sim, apikey="wrong") as c:
        assert error_code(c.get("/api/v2/contacts/count")) == (401, "Unauthorized")
    assert len(sim.faults.active()) == 1


@pytest.mark.parametrize("kwargs", [{"kind": "explode"}, {"kind": "status", "path": "("},
                                    {"kind": "latency", "latency": -1},
                                    {"kind": "status", "times": 0}])
def test_a_bad_fault_is_refused_when_added(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)


def test_faults_over_http_for_integrators(api: httpx.Client, sim: Simulator) -> None:
    r = api.post("/sim/faults", json={"kind": "status", "status": 503,
                                      "path": "/contacts/count$", "times": 1})
    assert r.status_code == 200 and r.json()["kind"] == "status"
    assert [f["status"] for f in api.get("/sim/faults").json()] == [503]
    assert api.get("/api/v2/contacts/count").status_code == 503
    api.post("/sim/faults", json={"kind": "latency", "times": None})
    assert api.delete("/sim/faults").status_code == 200
    assert sim.faults.active() == []
    assert error_code(api.post("/sim/faults", json={"kind": "explode"})) == (400, "BadRequest")
    assert error_code(api.post("/sim/faults", json={})) == (400, "BadRequest")

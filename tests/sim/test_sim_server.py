"""The server around the routes: API key, content type, rate limit, connections, start/stop,
request log, reset, the /sim admin, and what it prints or logs (no card numbers)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from kiosk.sim import DEMO_API_KEY, Fault, Simulator
from kiosk.sim.app import RateLimiter
from kiosk.sim.rules import TZ
from tests.sim.simtools import ANNA, client_for, error_code
from tests.support import wait_until

POS = {"redemptionChannel": "POS"}


@pytest.mark.parametrize("key", ["", "wrong", DEMO_API_KEY + "x"])
def test_a_missing_or_wrong_api_key_is_401_unauthorized(sim: Simulator, key: str) -> None:
    with client_for(sim, apikey=key) as c:
        for r in (c.get("/api/v2/contacts/count"),
                  c.get("/api/v3/contacts/id", params={"customKey": ANNA}),
                  c.post("/api/v2/promotions/codes/x/redeem", json=POS),
                  c.get("/sim/stats")):
            assert error_code(r) == (401, "Unauthorized")
    assert len(sim.requests) == 3  # /api calls are recorded even when refused


def test_the_simulator_accepts_the_key_it_was_given() -> None:
    with Simulator(api_key="integrator-key") as sim:
        with client_for(sim) as c:
            assert c.get("/api/v2/contacts/count").status_code == 200
        with client_for(sim, apikey=DEMO_API_KEY) as c:
            assert c.get("/api/v2/contacts/count").status_code == 401


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_call_without_json_content_type_is_aspnets_500(
        sim: Simulator, offers: Callable[..., list[Any]], content_type: str) -> None:
    coffee = next(p["id"] for p in offers(ANNA) if p["name"] == "Gratis kaffe")
    with client_for(sim, **{"Content-Type": content_type}) as c:
        r = c.post(f"/api/v2/promotions/codes/{coffee}/redeem",
                   content=b'{"redemptionChannel":"POS"}')
    # Engage documents a 500 "An error has occurred."; ASP.NET's body for it is this JSON
    assert (r.status_code, r.json()) == (500, {"Message": "An error has occurred."})
    assert sim.state.promotion_instance(coffee)["redeemed"] is False


def test_json_content_type_with_a_charset_is_accepted_and_gets_need_none(
        sim: Simulator, offers: Callable[..., list[Any]]) -> None:
    coffee = next(p["id"] for p in offers(ANNA) if p["name"] == "Gratis kaffe")
    with client_for(sim, **{"Content-Type": "application/json; charset=utf-8"}) as c:
        assert c.post(f"/api/v2/promotions/codes/{coffee}/redeem", json=POS).status_code == 200
    with client_for(sim, **{"Content-Type": ""}) as c:
        assert c.get("/api/v2/contacts/count").status_code == 200


def test_above_the_rate_limit_engage_answers_429_with_retry_after() -> None:
    with Simulator(rate_limit=1.0) as sim, client_for(sim) as c:
        first, second = c.get("/api/v2/contacts/count"), c.get("/api/v2/contacts/count")
        assert first.status_code == 200
        assert error_code(second) == (429, "TooManyRequests")
        assert int(second.headers["retry-after"]) >= 1


def test_no_rate_limit_when_switched_off() -> None:
    with Simulator(rate_limit=None) as sim, client_for(sim) as c:
        assert {c.get("/api/v2/contacts/count").status_code for _ in range(20)} == {200}
    assert RateLimiter(None).retry_after("any key") is None


def test_the_rate_is_counted_per_key_and_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, clock=lambda: now[0])
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, 1]
    assert limiter.retry_after("b") is None  # another key has its own budget
    now[0] += 0.5  # one request's worth refilled
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1
    assert RateLimiter(0.1, clock=lambda: now[0]).retry_after("a") is None


def test_a_pooled_client_reuses_one_connection(sim: Simulator) -> None:
    with client_for(sim) as c:
        for _ in range(5):
            c.get("/api/v2/contacts/count")
    assert sim.connections_opened == 1
    with client_for(sim) as c:
        c.get("/api/v2/contacts/count")
    with client_for(sim, Connection="close") as c:
        c.get("/api/v2/contacts/count")
        c.get("/api/v2/contacts/count")
    assert sim.connections_opened == 4


def test_accepted_connections_have_nagle_off(sim: Simulator, api: httpx.Client) -> None:
    # without TCP_NODELAY every call waits ~40 ms for a delayed ACK
    api.get("/api/v2/contacts/count")
    protocols = list(sim._conns.by_client.values())
    sock = protocols[0].transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_start_returns_a_url_that_accepts_connections_and_stop_frees_the_port() -> None:
    sim = Simulator()
    url = sim.start()
    port = int(url.rsplit(":", 1)[1])
    assert url == sim.url == f"http://127.0.0.1:{port}"
    with client_for(sim) as c:
        assert c.get("/api/v2/contacts/count").status_code == 200  # keep-alive open at stop
    sim.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert not [t for t in threading.enumerate() if t.name.startswith("engage-sim:")]
    with pytest.raises(RuntimeError):
        _ = sim.url
    with Simulator(port=port) as again, client_for(again) as c:  # the same port, at once
        assert c.get("/api/v2/contacts/count").status_code == 200


def test_stop_does_not_wait_for_a_slow_request(sim: Simulator) -> None:
    sim.faults.add(Fault("latency", latency=30.0))
    errors: list[Exception] = []

    def call() -> None:
        with client_for(sim) as c:
            try:
                c.get("/api/v2/contacts/count")
            except httpx.HTTPError as exc:
                errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    wait_until(lambda: sim.requests, what="the request to arrive")
    sim.stop()
    t.join(5)
    assert not t.is_alive() and isinstance(errors[0], httpx.TransportError)


def test_serves_on_ipv6_loopback_too() -> None:
    with Simulator(host="::1") as sim, client_for(sim) as c:
        assert sim.url.startswith("http://[::1]:")
        assert c.get("/api/v2/contacts/count").json() == 6


def test_no_card_number_or_key_in_reprs(sim: Simulator) -> None:
    assert "2004173" not in repr(sim.state) and sim.api_key not in repr(sim)


def test_a_port_in_use_is_an_os_error() -> None:
    with Simulator() as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            Simulator(port=port).start()


def test_the_request_log_has_what_engage_received(sim: Simulator, api: httpx.Client) -> None:
    api.get("/api/v3/contacts/id", params={"customKey": ANNA})
    api.post("/api/v2/promotions/codes/x/redeem", json=POS)
    api.get("/sim/stats")  # admin calls are not recorded
    lookup, redeem = sim.requests
    assert (lookup.method, lookup.path, lookup.query) == \
        ("GET", "/api/v3/contacts/id", f"customKey={ANNA}")
    assert lookup.headers["apikey"] == sim.api_key
    assert lookup.headers["user-agent"] == "KioskTests/1.0"
    assert redeem.json() == POS and redeem.headers["content-type"] == "application/json"
    assert sim.requests_to("POST", r"/redeem$") == [redeem]
    assert sim.requests_to("get", r"/contacts/id$") == [lookup]
    assert sim.api_key not in repr(lookup) and sim.api_key not in repr(sim)
    sim.clear_requests()
    assert sim.requests == []


def test_the_request_log_over_http_masks_the_key(sim: Simulator, api: httpx.Client) -> None:
    api.get("/api/v2/contacts/count")
    logged = api.get("/sim/requests").json()
    assert [(x["method"], x["path"]) for x in logged] == [("GET", "/api/v2/contacts/count")]
    assert logged[0]["headers"]["apikey"] == "***"
    assert api.delete("/sim/requests").status_code == 200 and sim.requests == []


def test_reset_returns_to_the_seed(sim: Simulator, api: httpx.Client,
                                   offers: Callable[..., list[Any]]) -> None:
    # the seed's dates are relative to the clock: one that ticks between the two reads
    # would move the seeded redemption's redeemedOn a second
    sim.state.clock = lambda: datetime(2026, 11, 29, 12, 0, tzinfo=TZ)
    sim.state.reset()
    before = offers(ANNA)
    coffee = next(p["id"] for p in before if p["name"] == "Gratis kaffe")
    api.post(f"/api/v2/promotions/codes/{coffee}/redeem", json=POS)
    sim.state.add_contact(first_name="Extra")
    sim.state.reset()
    assert offers(ANNA) == before  # same ids, nothing redeemed
    assert api.get("/api/v2/contacts/count").json() == 6


def test_reset_over_http_also_clears_faults_and_the_log(sim: Simulator,
                                                         api: httpx.Client) -> None:
    sim.state.add_contact(first_name="Extra")
    sim.faults.add(Fault("status", path="/nothing-matches", times=None))
    api.get("/api/v2/contacts/count")
    assert api.post("/sim/reset").status_code == 200
    assert (sim.state.contact_count(), sim.faults.active(), sim.requests) == (6, [], [])


def test_stats_and_demo_cards_over_http(sim: Simulator, api: httpx.Client) -> None:
    api.get("/api/v2/contacts/count")
    stats = api.get("/sim/stats").json()
    assert stats == {"connectionsOpened": 1, "requests": 1, "contacts": 6}
    cards = api.get("/sim/demo-cards").json()
    assert cards[0] == {"card": ANNA, "firstName": "Anna", "note": sim.state.demo_cards()[0].note}


def test_integrators_can_add_a_contact_and_an_offer_over_http(api: httpx.Client) -> None:
    cid = api.post("/sim/contacts", json={"firstName": "Ines", "card": "2710000049319"}).json()
    r = api.post(f"/sim/contacts/{cid['id']}/offers",
                 json={"name": "5 %", "valueType": "PERCENT", "value": 5})
    assert r.status_code == 200
    found = api.get("/api/v3/contacts/id", params={"customKey": "2710000049319"}).json()
    listed = api.get(f"/api/v2/contacts/{found}/promotions").json()
    assert [(p["id"], p["redemptionChannels"][0]["value"]) for p in listed] == \
        [(r.json()["id"], 5)]
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_code(api.post(f"/sim/contacts/{missing}/offers", json={})) == \
        (404, "ContactNotFound")


def test_an_unknown_api_path_is_404_and_a_wrong_method_405(api: httpx.Client) -> None:
    assert error_code(api.get("/api/v2/nothing/here")) == (404, "ResourceNotFound")
    r = api.patch("/api/v2/contacts/count")
    assert error_code(r) == (405, "MethodNotAllowed") and r.headers["allow"] == "GET, HEAD"


def test_nothing_is_printed_or_logged_with_a_card_number(
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    with caplog.at_level(logging.DEBUG), Simulator() as sim, client_for(sim) as c:
        c.get("/api/v3/contacts/id", params={"customKey": ANNA})
        c.get("/api/v3/contacts/id", params={"customKey": "2999999999993"})
    out, err = capfd.readouterr()
    assert ANNA not in out + err and "2999999999993" not in out + err
    uvicorn_records = [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert not any(ANNA in r.getMessage() for r in uvicorn_records)
    assert not any(r.name == "uvicorn.access" for r in caplog.records)

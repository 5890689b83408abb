"""Bad input at the simulator, as an attacker or a careless integrator sends it: every answer is
a 4xx with the JSON error body (Engage's documented content-type 500 aside), nothing is kept
that wasn't asked for, and nothing stalls the server or prints a traceback."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kiosk.sim import Fault, Simulator
from kiosk.sim.app import MAX_BODY
from kiosk.sim.faults import LOG_BODY_LIMIT
from tests.sim.simtools import ANNA, client_for, error_code
from tests.support import wait_until

POS = {"redemptionChannel": "POS"}
GUID = "2e40b702-2767-4abe-ae99-aa510108e22b"
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
# (path, methods it answers): every /api route of the simulator
API_ROUTES: list[tuple[str, set[str]]] = [
    ("/api/v2/contacts/count", {"GET"}), ("/api/v3/contacts/count", {"GET"}),
    ("/api/v3/contacts/id", {"GET"}), (f"/api/v3/contacts/{GUID}", {"GET"}),
    (f"/api/v2/contacts/{GUID}/promotions", {"GET"}),
    ("/api/v3/promotion-assignments", {"GET", "POST"}),
    (f"/api/v2/promotions/codes/{GUID}/redeem", {"POST"}),
    (f"/api/v2/contacts/{GUID}/promotions/{GUID}/redeem", {"POST"}),
    (f"/api/v3/promotion-assignments/{GUID}/redeem", {"POST"}),
    (f"/api/v2/contacts/{GUID}/promotions/{GUID}/assign", {"POST"}),
    ("/api/v3/promotions/multichannels", {"GET", "POST", "DELETE"}),
    # PUT/DELETE here are the {id} route's, with the id "validity" (400 InvalidPromotionId)
    ("/api/v3/promotions/multichannels/validity", {"GET", "PUT", "DELETE"}),
    (f"/api/v3/promotions/multichannels/{GUID}", {"GET", "PUT", "DELETE"}),
    (f"/api/v3/promotions/multichannels/{GUID}/validity", {"GET", "PUT"}),
]


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def assert_json_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:200]
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["errorCode"], str) and isinstance(body["message"], str)
    return body


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


@pytest.mark.parametrize("content_type", ["application/json", ""])
def test_a_wrong_method_on_an_api_path_is_405_json(sim: Simulator, content_type: str) -> None:
    with client_for(sim, **{"Content-Type": content_type}) as c:
        for path, allowed in API_ROUTES:
            for method in sorted(set(METHODS) - allowed):
                r = c.request(method, path, content=b"{}")
                assert_json_error(r, 405)
                assert set(r.headers["allow"].split(", ")) >= allowed, (method, path)


def test_the_key_is_checked_before_the_body_is_read_and_nothing_big_is_kept(
        sim: Simulator) -> None:
    big = b"x" * (10 * 1024 * 1024)
    before = rss_mb()
    with client_for(sim, apikey="wrong") as c:
        for _ in range(10):
            assert_json_error(c.post("/api/v3/promotion-assignments", content=big), 401)
    with client_for(sim) as c:
        for _ in range(10):
            assert_json_error(c.post("/api/v3/promotion-assignments", content=big), 413)
        kept = c.post("/api/v3/promotion-assignments", content=b"[" + b" " * (MAX_BODY - 2)
                      + b"]")
        assert_json_error(kept, 400)  # read (it fits), but not a contact id
    assert rss_mb() - before < 60  # was 650 MB for 60 such requests
    bodies = [r for r in sim.requests if r.path == "/api/v3/promotion-assignments"]
    assert [r.body_note for r in bodies] == ["not read"] * 20 + ["truncated"]
    assert sum(len(r.body) for r in bodies) == LOG_BODY_LIMIT
    assert sim.app.log.retained_bytes() < 200_000


def test_the_request_log_has_a_byte_budget() -> None:
    with Simulator(rate_limit=None) as sim, client_for(sim) as c:
        sim.app.log.max_bytes = 1_000_000
        for _ in range(40):
            c.post("/api/v3/promotion-assignments", content=b'"' + b"x" * 100_000 + b'"')
        assert sim.app.log.retained_bytes() <= 1_000_000
        assert 10 <= len(sim.requests) < 40  # the oldest went


@pytest.mark.parametrize("path", [
    f"/api/v2/promotions/codes/{GUID}/redeem", "/api/v3/promotions/multichannels",
    "/sim/faults", "/sim/contacts", f"/api/v3/promotions/multichannels/{GUID}",
])
def test_deeply_nested_json_is_400(api: httpx.Client, path: str) -> None:
    method = "PUT" if path.endswith(GUID) else "POST"
    for depth in (100_000, 33):
        r = api.request(method, path, content=nested(depth))
        assert error_code(r) == (400, "BadRequest"), (depth, r.text)
        assert "nested" in r.json()["message"]


@pytest.mark.parametrize("body", [b"", b"[]", b"1", b'"x"', b"null", b"{", b'{"card": 5}',
                                  b'{"firstName": ["a"]}'])
def test_sim_contacts_needs_an_object_of_strings(api: httpx.Client, body: bytes) -> None:
    before = api.get("/sim/stats").json()["contacts"]
    assert_json_error(api.post("/sim/contacts", content=body), 400)
    assert api.get("/sim/stats").json()["contacts"] == before


@pytest.mark.parametrize("body", [b"", b"[]", b'{"name": "x"}',
                                  b'{"name": "x", "valueType": "MONEY", "value": {}}',
                                  b'{"name": "x", "valueType": "MONEY", "value": "Infinity"}',
                                  b'{"name": "x", "valueType": "PERCENT", "value": 5, '
                                  b'"redeemed": "yes"}'])
def test_sim_offers_needs_a_checked_offer(api: httpx.Client,
                                          contact_id: Callable[[str], str], body: bytes) -> None:
    assert_json_error(api.post(f"/sim/contacts/{contact_id(ANNA)}/offers", content=body), 400)


def template(value_type: str, value: Any, validity: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": "Bad", "validity": validity or {"startDate": "2026-01-01"},
            "redemptionChannels": [{"type": "POS", "valueType": value_type, "value": value}]}


@pytest.mark.parametrize(("value_type", "value"), [
    ("MONEY", "Infinity"), ("MONEY", "-Infinity"), ("MONEY", "NaN"), ("MONEY", "1e5000"),
    ("MONEY", "1e999999"), ("MONEY", "1E3"), ("MONEY", "-5"), ("MONEY", "0"), ("MONEY", "٣"),
    ("MONEY", 1e308), ("PERCENT", "²"), ("PERCENT", "٣"), ("PERCENT", "101"),
    ("PERCENT", "1e1"), ("PERCENT", 20.5),
])
def test_money_and_percent_values_are_parsed_safely(api: httpx.Client, value_type: str,
                                                    value: Any) -> None:
    start = time.monotonic()
    r = api.post("/api/v3/promotions/multichannels", json=template(value_type, value))
    assert error_code(r) == (400, "BadRequest")
    assert time.monotonic() - start < 2  # "1e999999" used to stall the server for ~25 s


def test_good_values_still_list_as_numbers(api: httpx.Client,
                                           contact_id: Callable[[str], str]) -> None:
    for value_type, value, listed in (("MONEY", "49.50", {"amount": 49.5, "currency": "SEK"}),
                                      ("PERCENT", 20, 20), ("MONEY", 100, {"amount": 100,
                                                                          "currency": "SEK"})):
        made = api.post("/api/v3/promotions/multichannels", json=template(value_type, value))
        assert made.status_code == 200, made.text
        api.post(f"/sim/promotions/{made.json()['id']}/activate")
        cid = contact_id(ANNA)
        inst = api.post("/api/v3/promotion-assignments",
                        json={"contactId": cid, "promotionId": made.json()["id"]})
        assert inst.status_code == 200
        assert inst.json()["redemptionChannels"][0]["value"] == listed
    assert api.get(f"/api/v2/contacts/{cid}/promotions").status_code == 200


@pytest.mark.parametrize("unit", ["Days", "Months"])
@pytest.mark.parametrize("amount", [10**12, 10**5 * 4, 2**63])
def test_a_huge_assigned_validity_is_400(api: httpx.Client, unit: str, amount: int) -> None:
    validity = {"startDate": "2026-01-01", "assignedValidity": {"unit": unit, "amount": amount}}
    r = api.post("/api/v3/promotions/multichannels", json=template("MANUAL", "Gift", validity))
    assert error_code(r) == (400, "BadRequest")


def test_the_longest_assigned_validity_still_assigns(api: httpx.Client,
                                                     contact_id: Callable[[str], str]) -> None:
    validity = {"startDate": "2026-01-01", "assignedValidity": {"unit": "Months", "amount": 1200}}
    made = api.post("/api/v3/promotions/multichannels", json=template("MANUAL", "Gift", validity))
    api.post(f"/sim/promotions/{made.json()['id']}/activate")
    r = api.post("/api/v3/promotion-assignments",
                 json={"contactId": contact_id(ANNA), "promotionId": made.json()["id"]})
    assert r.status_code == 200 and r.json()["expiresOn"] > "2126"


@pytest.mark.parametrize("fault", [
    {"kind": "latency", "method": 5}, {"kind": "latency", "method": "GE T"},
    {"kind": "status", "times": 1.5}, {"kind": "status", "times": 0},
    {"kind": "status", "times": True}, {"kind": "status", "status": -1},
    {"kind": "status", "status": 1000}, {"kind": "status", "status": 101},
    {"kind": "status", "status": "500"}, {"kind": "latency", "latency": "NaN"},
    {"kind": "latency", "latency": 1e308}, {"kind": "latency", "latency": -1},
    {"kind": "latency", "latency": True}, {"kind": "status", "headers": [1]},
    {"kind": "status", "headers": {"X-A": 1}}, {"kind": "status", "headers": {"X-A": "a\r\nb"}},
    {"kind": "status", "headers": {"Content-Length": "5"}}, {"kind": "status", "body": 5},
    {"kind": "status", "commit": "no"}, {"kind": "nope"}, {}, {"kind": "status", "typo": 1},
    {"kind": "status", "path": "("}, {"kind": "status", "path": "(" * 300},
    {"kind": "status", "instanceId": 7}, [], "latency",
])
def test_a_rejected_fault_is_not_stored(api: httpx.Client, fault: Any) -> None:
    assert_json_error(api.post("/sim/faults", json=fault), 400)
    assert api.get("/sim/faults").json() == []
    assert api.get("/api/v2/contacts/count").status_code == 200


def test_nan_and_infinity_are_not_json(api: httpx.Client) -> None:
    for text in (b'{"kind": "latency", "latency": NaN}',
                 b'{"kind": "latency", "latency": Infinity}'):
        assert_json_error(api.post("/sim/faults", content=text), 400)
    assert api.get("/sim/faults").json() == []


def test_the_python_api_checks_faults_too() -> None:
    with pytest.raises(ValueError, match="status"):
        Fault("status", status=1000)
    with pytest.raises(ValueError, match="method"):
        Fault("latency", method=5)  # type: ignore[arg-type]
    assert Fault("latency", method="get", latency=1).method == "GET"


def test_malformed_json_keeps_the_handlers_status(api: httpx.Client, sim: Simulator,
                                                  offers: Callable[..., list[Any]]) -> None:
    coffee = next(p["id"] for p in offers(ANNA) if p["name"] == "Gratis kaffe")
    assert api.post(f"/api/v2/promotions/codes/{coffee}/redeem", json=POS).status_code == 200
    sim.faults.add(Fault("malformed_json", path=r"/redeem$"))
    r = api.post(f"/api/v2/promotions/codes/{coffee}/redeem", json=POS)
    assert r.status_code == 409  # a refusal stays a refusal, only its body is garbled
    assert r.text and not r.text.endswith("}")


def test_status_faults_without_a_body_status(api: httpx.Client, sim: Simulator) -> None:
    sim.faults.add(Fault("status", status=204, body='{"a": 1}', headers={"X-Sim": "yes"}))
    r = api.get("/api/v2/contacts/count")
    assert (r.status_code, r.content, r.headers["x-sim"]) == (204, b"", "yes")
    assert api.get("/api/v2/contacts/count").status_code == 200


@pytest.mark.parametrize(("method", "path", "status"), [
    ("PUT", "/sim/faults", 405), ("GET", "/sim/reset", 405), ("GET", "/sim", 404),
    ("GET", "/sim/nothing", 404), ("GET", "/", 404), ("POST", "/favicon.ico", 404),
    ("GET", "/apix", 404), ("BREW", "/api/v2/contacts/count", 405),
])
def test_sim_and_other_paths_answer_json(api: httpx.Client, method: str, path: str,
                                         status: int) -> None:
    assert_json_error(api.request(method, path), status)


def test_a_client_that_leaves_mid_body_leaves_no_traceback(
        sim: Simulator, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    host, port = sim.url.removeprefix("http://").rsplit(":", 1)
    with caplog.at_level(logging.DEBUG):
        for path in ("/api/v3/promotion-assignments", "/sim/contacts"):
            with socket.create_connection((host, int(port))) as sock:
                sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\napikey: {sim.api_key}\r\n"
                             "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
                             .encode())
                wait_until(lambda: sim.connections_opened and sim._conns.by_client,
                           what="the connection to be accepted")
            wait_until(lambda: not sim._conns.by_client, what="the server to see it close")
        with client_for(sim) as c:  # a round trip on the server's loop after the disconnects
            assert c.get("/sim/stats").status_code == 200
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("form", ["{%s}", "urn:uuid:%s", "%s-nodash", "(%s)"])
def test_only_the_documented_guid_form_is_an_id(api: httpx.Client, sim: Simulator,
                                                offers: Callable[..., list[Any]],
                                                contact_id: Callable[[str], str],
                                                form: str) -> None:
    coffee = next(p["id"] for p in offers(ANNA) if p["name"] == "Gratis kaffe")
    cid = contact_id(ANNA)

    def shaped(guid: str) -> str:
        return guid.replace("-", "") if form == "%s-nodash" else form % guid

    assert error_code(api.post(f"/api/v2/promotions/codes/{shaped(coffee)}/redeem", json=POS)) \
        == (400, "InvalidPromotionIdNoData")
    assert error_code(api.get(f"/api/v3/contacts/{shaped(cid)}")) == (400, "InvalidContactId")
    assert sim.state.promotion_instance(coffee)["redeemed"] is False
    # the documented form in upper case is the same id (Engage's GUIDs aren't case-sensitive)
    assert api.get(f"/api/v3/contacts/{cid.upper()}").json()["id"] == cid
    assert uuid.UUID(cid)


def test_a_stalled_request_does_not_block_others(sim: Simulator) -> None:
    """A slow body upload holds only its own connection."""
    host, port = sim.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port))) as slow:
        slow.sendall(f"POST /api/v3/promotion-assignments HTTP/1.1\r\nHost: x\r\n"
                     f"apikey: {sim.api_key}\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{".encode())
        done = threading.Event()

        def other() -> None:
            with client_for(sim) as c:
                c.get("/api/v2/contacts/count")
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(5)

"""Property: whatever method, path, headers and body arrive, the simulator answers like Engage
fails: never a 5xx except Engage's documented content-type 500 and the faults it was told to
inject, every error body the JSON shape, no traceback, and its memory stays bounded."""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.sim import Simulator
from kiosk.sim.app import MAX_BODY
from tests.fuzz import guid_forms, hostile_text, json_values
from tests.sim.simtools import _UNUSED_TLS, ANNA

ASPNET_500 = {"Message": "An error has occurred."}
BODY_METHODS = ("POST", "PUT", "PATCH")
RANDOM_GUID = "2e40b702-2767-4abe-ae99-aa510108e22b"
PATHS = [
    "/api/v2/contacts/count", "/api/v3/contacts/count", "/api/v3/contacts/id",
    "/api/v2/contacts/id", "/api/v3/contacts/{c}", "/api/v2/contacts/{c}/promotions",
    "/api/v3/promotion-assignments", "/api/v2/promotions/codes/{i}/redeem",
    "/api/v2/contacts/{c}/promotions/{i}/redeem", "/api/v3/promotion-assignments/{i}/redeem",
    "/api/v3/promotions/codes/{i}/redeem", "/api/v2/contacts/{c}/promotions/{p}/assign",
    "/api/v3/promotions/multichannels", "/api/v2/promotions/multichannels/validity",
    "/api/v3/promotions/multichannels/{p}", "/api/v3/promotions/multichannels/{p}/validity",
    "/sim/faults", "/sim/requests", "/sim/stats", "/sim/demo-cards", "/sim/contacts",
    "/sim/contacts/{c}/offers", "/sim/promotions/{p}/activate", "/sim/reset",
    "/", "/api", "/api/", "/sim", "/api/v9/{x}", "/{x}", "/api/v3/contacts/{x}/{x}",
]
QUERY_KEYS = ["customKey", "email", "mobilePhone", "socialSecurityNumber", "any", "contactType",
              "redemptionChannelType", "externalId", "contactId"]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
                 "text/plain", "", "application/jsonx", "multipart/form-data"]
HEADER_TEXT = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " ",
                      max_size=30).map(str.strip)  # h11 won't send edge blanks


def _wire(text: str) -> str:
    """What a client can put in a URL: a lone surrogate has no UTF-8 form (httpx and quote()
    refuse it before anything is sent), so it becomes '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


@dataclass
class Ids:
    contact: str
    instance: str
    template: str


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    content: bytes | None = field(repr=False)

    def __repr__(self) -> str:  # hypothesis prints failing examples: keep them readable
        size = None if self.content is None else len(self.content)
        return (f"Call({self.method} {self.path!r} params={self.params!r} "
                f"headers={self.headers!r} body[{size}]={(self.content or b'')[:120]!r})")


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def bodies() -> st.SearchStrategy[bytes | None]:
    channel = st.sampled_from(["POS", "ECOM", "OTHER", "pos", "", None, 5, "SMS"])
    amount = st.one_of(st.sampled_from([0, 1, 30, 1200, 1201, 36_500, 36_501, 10**12, 2**63,
                                        -1, 1.5, True, "3"]), st.integers())
    value = st.one_of(hostile_text(12), st.integers(), st.floats(allow_nan=False,
                                                                 allow_infinity=False))
    dates = st.one_of(st.sampled_from(["2026-01-01", "9999-12-30", "9999-12-31", "2026-02-30",
                                       "0001-01-01", "2026-01-01T00:00:00", None]),
                      hostile_text(12))
    template = st.fixed_dictionaries({
        "name": st.one_of(hostile_text(20), st.none()),
        "validity": st.one_of(st.none(), st.fixed_dictionaries({
            "startDate": dates, "endDate": dates,
            "assignedValidity": st.one_of(st.none(), st.fixed_dictionaries({
                "unit": st.sampled_from(["Days", "Months", "Weeks", None]), "amount": amount}))})),
        "redemptionChannels": st.lists(st.fixed_dictionaries({
            "type": channel, "valueType": st.sampled_from(["PERCENT", "MONEY", "MANUAL",
                                                           "EXTERNALOFFER", "SWIPE", "X"]),
            "value": value, "localValues": st.one_of(st.none(), json_values(4))}), max_size=3),
    }, optional={"externalId": hostile_text(12), "presentation": json_values(4),
                 "id": st.one_of(hostile_text(12), st.just(RANDOM_GUID))})
    # latency stays small when it is valid: a test can't wait an hour
    fault = st.fixed_dictionaries({"kind": st.sampled_from(
        ["latency", "status", "malformed_json", "drop_after_read", "commit_then_504", "x", 5])},
        optional={
            "method": st.sampled_from(["GET", "POST", "get", 5, None, "G T", ""]),
            "path": st.sampled_from(["/count$", "(", "redeem", None, "(" * 100, "x" * 600]),
            "times": st.sampled_from([None, 1, 2, 0, -1, 1.5, True, "1", 10**10]),
            "latency": st.sampled_from([0, 0.01, -1, 1e308, 3601, "x", None, True]),
            "status": st.sampled_from([-1, 0, 100, 101, 204, 304, 404, 409, 500, 503, 599,
                                       600, 1000, "500", True, None]),
            "commit": st.sampled_from([True, False, "no", None]),
            "body": st.one_of(st.none(), hostile_text(20), st.integers()),
            "headers": st.one_of(st.none(), st.dictionaries(HEADER_TEXT, HEADER_TEXT,
                                                            max_size=2),
                                 st.just({"Content-Length": "1"}), st.just([1])),
        })
    contact = st.dictionaries(st.sampled_from(["firstName", "lastName", "card", "email",
                                               "mobilePhone"]),
                              st.one_of(hostile_text(15), st.integers(), st.none()))
    offer = st.fixed_dictionaries({}, optional={
        "name": hostile_text(15), "valueType": st.sampled_from(["PERCENT", "MONEY", "MANUAL"]),
        "value": value, "channels": st.one_of(st.lists(channel, max_size=2), hostile_text(5)),
        "redeemed": st.sampled_from([True, False, "yes"])})
    return st.one_of(
        st.none(),
        st.fixed_dictionaries({"redemptionChannel": channel}).map(dumps),
        st.fixed_dictionaries({"contactId": st.one_of(hostile_text(12), st.just(RANDOM_GUID)),
                               "promotionId": st.one_of(hostile_text(12),
                                                        st.just(RANDOM_GUID))}).map(dumps),
        template.map(dumps), fault.map(dumps), contact.map(dumps), offer.map(dumps),
        json_values().map(dumps),
        st.binary(max_size=40),
        st.integers(min_value=1, max_value=100_000).map(lambda n: b"[" * n + b"]" * n),
        st.sampled_from([b"NaN", b'{"a": Infinity}', b"1" * 5000, b"\xff\xfe", b"{",
                         b'"' + b"x" * 200_000 + b'"', b"x" * (MAX_BODY + 1),
                         b"x" * (2 * MAX_BODY)]),
    )


def calls(ids: Ids, key: str) -> st.SearchStrategy[Call]:
    def segment(kind: str) -> st.SearchStrategy[str]:
        guid = {"c": ids.contact, "i": ids.instance, "p": ids.template}.get(kind, RANDOM_GUID)
        return st.one_of(guid_forms(guid), st.just(RANDOM_GUID),
                         hostile_text(12).map(lambda t: quote(_wire(t), safe="")))

    @st.composite
    def path(draw: st.DrawFn) -> str:
        template = draw(st.sampled_from(PATHS))
        for kind in "cipx":
            while "{" + kind + "}" in template:
                template = template.replace("{" + kind + "}", draw(segment(kind)), 1)
        return template

    headers = st.fixed_dictionaries(
        {"apikey": st.sampled_from([key] * 6 + ["", "wrong", key.upper(), key + "x"]),
         "Content-Type": st.sampled_from(CONTENT_TYPES)},
        optional={"X-Extra": HEADER_TEXT, "Accept": HEADER_TEXT,
                  "Host": st.sampled_from(["[", "a:b:c", "localhost", "x" * 200])})
    return st.builds(
        Call,
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
                                "BREW", "get"]),
        path=path(),
        params=st.dictionaries(st.sampled_from(QUERY_KEYS), hostile_text(20).map(_wire),
                              max_size=3),
        headers=headers,
        content=bodies(),
    )


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=None) as simulator:
        yield simulator


def demo_ids(client: httpx.Client) -> Ids:
    contact = client.get("/api/v3/contacts/id", params={"customKey": ANNA}).json()
    first = client.get(f"/api/v2/contacts/{contact}/promotions").json()[0]
    return Ids(contact, first["id"], first["promotionId"])


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def check(call: Call, r: httpx.Response | None, faults_were_on: bool) -> None:
    """What Engage would do; anything goes only while the test's own faults are switched on."""
    if faults_were_on and call.path.startswith("/api"):
        return  # injected: latency, a status, a drop, garbled JSON
    assert r is not None, "the connection broke without an injected fault"
    ctype = call.headers.get("Content-Type", "").lower()
    head = call.method == "HEAD"
    if r.status_code >= 500:
        assert r.status_code == 500 and call.method in BODY_METHODS
        assert not ctype.startswith("application/json")
        assert head or r.json() == ASPNET_500
        return
    if head or r.status_code < 400:
        if not head and r.content:
            json.loads(r.content)  # every answer is JSON
        return
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("errorCode"), str) and isinstance(body.get("message"), str)


def test_random_requests_get_engages_answers(sim: Simulator,
                                             caplog: pytest.LogCaptureFixture) -> None:
    client = httpx.Client(base_url=sim.url, timeout=10.0, verify=_UNUSED_TLS)
    ids = demo_ids(httpx.Client(base_url=sim.url, headers={"apikey": sim.api_key},
                                verify=_UNUSED_TLS))
    before = rss_mb()

    @settings(max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(calls(ids, sim.api_key), min_size=1, max_size=4))
    def run(sequence: list[Call]) -> None:
        sim.faults.clear()
        for call in sequence:
            faults_on = bool(sim.faults.active())
            try:
                r: httpx.Response | None = client.request(
                    call.method, call.path, params=call.params, headers=call.headers,
                    content=call.content)
            except httpx.LocalProtocolError:
                continue  # our own client refused to send it: nothing reached the simulator
            except httpx.TransportError:
                r = None
            check(call, r, faults_on)

    with caplog.at_level(logging.WARNING, logger="kiosk.sim"):
        try:
            run()
        finally:
            client.close()
    assert not [rec for rec in caplog.records if rec.name.startswith("kiosk.sim")]
    assert sim.app.log.retained_bytes() <= sim.app.log.max_bytes
    assert rss_mb() - before < 150  # bodies of 2 MB came: none of them is kept

"""The client against answers the simulator never sends (httpx.MockTransport).

HTML error pages, empty bodies, truncated JSON, wrong field types, plain-text codes, odd
statuses, Retry-After as an HTTP date, retry counting, the overall deadline, and which
transport failures a POST is (not) sent again after.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import (
    BadRequest,
    BadResponse,
    ConnectionLost,
    ContactNotFound,
    EngageTimeout,
    EngageUnreachable,
    NotFound,
    PromotionAlreadyRedeemed,
    RateLimited,
    ServerError,
)
from kiosk.sim import Simulator

API_KEY = "mock-key-5f1e2d"
CARD = "2012345678903"
GUID = "2e40b702-2767-4abe-ae99-aa510108e22b"
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    """A MockTransport handler that answers from a script and records every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise type(answer)(str(answer), request=request)  # type: ignore[call-arg]
        if callable(answer):
            result = answer(request)
            return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]
        return answer


ClientFactory = Callable[..., EngageClient]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """Build clients on a MockTransport; closes them afterwards."""
    made: list[EngageClient] = []

    def factory(recorder: Recorder, **kw: object) -> EngageClient:
        client = EngageClient("https://tenant.voyado.test", API_KEY,
                              transport=httpx.MockTransport(recorder), **kw)  # type: ignore[arg-type]
        client.retry_base = 0.001  # keep retry tests fast; the cap still applies
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


def text(status: int, body: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body.encode(), headers=headers)


def as_json(status: int, data: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


PROMO = {"id": "p1", "promotionId": "t1", "name": "20% off", "redeemed": False,
         "redemptionChannels": [{"type": "POS", "valueType": "PERCENT", "value": 20}]}


# --- bodies the simulator never sends ---------------------------------------------------------

async def test_html_error_page_from_a_proxy_is_a_server_error(make_client: ClientFactory) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    client = make_client(Recorder(text(502, page, **{"content-type": "text/html"})),
                         get_retries=0)
    with pytest.raises(ServerError) as caught:
        await client.get_contact(GUID)
    assert caught.value.status == 502
    assert caught.value.code is None and caught.value.detail is None
    assert "nginx" not in str(caught.value)


async def test_empty_404_on_lookup_is_contact_not_found(make_client: ClientFactory) -> None:
    client = make_client(Recorder(text(404, "")))
    with pytest.raises(ContactNotFound) as caught:
        await client.find_contact_id(CARD)
    assert caught.value.status == 404


async def test_empty_404_elsewhere_is_plain_not_found(make_client: ClientFactory) -> None:
    client = make_client(Recorder(text(404, "")))
    with pytest.raises(NotFound) as caught:
        await client.get_contact(GUID)
    assert type(caught.value) is NotFound


async def test_truncated_json_is_a_bad_response(make_client: ClientFactory) -> None:
    client = make_client(Recorder(text(200, json.dumps([PROMO])[:-20])))
    with pytest.raises(BadResponse, match="not JSON"):
        await client.get_promotions(GUID)


async def test_wrong_field_type_is_a_bad_response_naming_the_field(
        make_client: ClientFactory) -> None:
    bad = dict(PROMO, redeemed={"maybe": True})
    client = make_client(Recorder(as_json(200, [bad])))
    with pytest.raises(BadResponse, match="redeemed") as caught:
        await client.get_promotions(GUID)
    assert "maybe" not in str(caught.value)  # field names only, never values


async def test_percent_that_is_not_a_number_is_a_bad_response(make_client: ClientFactory) -> None:
    bad = dict(PROMO, redemptionChannels=[{"type": "POS", "valueType": "PERCENT",
                                           "value": "twenty"}])
    client = make_client(Recorder(as_json(200, [bad])))
    with pytest.raises(BadResponse):
        await client.get_promotions(GUID)


async def test_object_instead_of_list_is_a_bad_response(make_client: ClientFactory) -> None:
    client = make_client(Recorder(as_json(200, {"items": [PROMO]})))
    with pytest.raises(BadResponse):
        await client.get_promotions(GUID)


async def test_plain_text_code_body_picks_the_class(make_client: ClientFactory) -> None:
    client = make_client(Recorder(text(409, "PromotionAlreadyRedeemed",
                                       **{"content-type": "text/plain"})))
    with pytest.raises(PromotionAlreadyRedeemed) as caught:
        await client.redeem("p1")
    assert caught.value.code == "PromotionAlreadyRedeemed"


async def test_code_of_another_family_does_not_override_the_status(
        make_client: ClientFactory) -> None:
    client = make_client(Recorder(as_json(500, {"errorCode": "PromotionAlreadyRedeemed"})))
    with pytest.raises(ServerError) as caught:
        await client.redeem("p1")
    assert not isinstance(caught.value, PromotionAlreadyRedeemed)
    assert caught.value.outcome_unknown


async def test_teapot_is_a_bad_request_with_its_status(make_client: ClientFactory) -> None:
    client = make_client(Recorder(text(418, "I'm a teapot")))
    with pytest.raises(BadRequest) as caught:
        await client.get_contact(GUID)
    assert caught.value.status == 418


async def test_redirect_is_not_followed(make_client: ClientFactory) -> None:
    recorder = Recorder(text(302, "", location="https://login.example/"))
    client = make_client(recorder)
    with pytest.raises(BadResponse) as caught:
        await client.get_contact(GUID)
    assert caught.value.status == 302 and len(recorder.requests) == 1


async def test_redeem_ignores_its_200_body(make_client: ClientFactory) -> None:
    recorder = Recorder(text(200, "<not json at all"))
    client = make_client(recorder)
    assert await client.redeem("p1") is None
    sent = recorder.requests[0]
    assert sent.method == "POST" and sent.url.path == "/api/v2/promotions/codes/p1/redeem"
    assert json.loads(sent.content) == {"redemptionChannel": "POS"}


@pytest.mark.parametrize("body", [f'"{GUID}"', GUID, f"  {GUID}\n",
                                  json.dumps({"contactId": GUID})])
async def test_contact_id_as_json_string_or_raw_text(make_client: ClientFactory,
                                                     body: str) -> None:
    client = make_client(Recorder(text(200, body)))
    assert await client.find_contact_id(CARD) == GUID


@pytest.mark.parametrize("body", ["", "null", "42", '"../../admin"', "<html>ok</html>",
                                  '"a b"', "hello", GUID[:-1], json.dumps([GUID])])
async def test_contact_id_that_is_not_an_id_is_a_bad_response(make_client: ClientFactory,
                                                              body: str) -> None:
    client = make_client(Recorder(text(200, body)))
    with pytest.raises(BadResponse):
        await client.find_contact_id(CARD)


async def test_ids_cannot_reshape_the_path(make_client: ClientFactory) -> None:
    recorder = Recorder(as_json(200, {"id": "x", "attributes": {}}))
    client = make_client(recorder)
    await client.get_contact("../../promotions?x=1")
    assert recorder.requests[0].url.raw_path == (
        b"/api/v3/contacts/..%2F..%2Fpromotions%3Fx%3D1")


async def test_error_detail_does_not_echo_the_card(make_client: ClientFactory) -> None:
    client = make_client(Recorder(as_json(404, {"errorCode": "ContactNotFound",
                                                "message": f"No contact with customKey {CARD}"})))
    with pytest.raises(ContactNotFound) as caught:
        await client.find_contact_id(CARD)
    assert CARD not in (caught.value.detail or "")
    assert "No contact" in (caught.value.detail or "")


# --- retries of GETs ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_get_retries_5xx_then_succeeds(make_client: ClientFactory, status: int) -> None:
    recorder = Recorder(text(status, ""), text(status, ""), text(200, f'"{GUID}"'))
    client = make_client(recorder, get_retries=2)
    assert await client.find_contact_id(CARD) == GUID
    assert len(recorder.requests) == 3


async def test_get_gives_up_after_the_configured_retries(make_client: ClientFactory) -> None:
    recorder = Recorder(text(503, "Service Unavailable"))
    client = make_client(recorder, get_retries=2)
    with pytest.raises(ServerError) as caught:
        await client.find_contact_id(CARD)
    assert caught.value.status == 503
    assert len(recorder.requests) == 3


async def test_get_does_not_retry_a_4xx(make_client: ClientFactory) -> None:
    recorder = Recorder(as_json(404, {"errorCode": "ContactNotFound"}))
    client = make_client(recorder, get_retries=2)
    with pytest.raises(ContactNotFound):
        await client.find_contact_id(CARD)
    assert len(recorder.requests) == 1


async def test_get_retries_connection_failures(make_client: ClientFactory) -> None:
    recorder = Recorder(httpx.ConnectError("refused"), httpx.RemoteProtocolError("gone"),
                        text(200, f'"{GUID}"'))
    client = make_client(recorder, get_retries=2)
    assert await client.find_contact_id(CARD) == GUID
    assert len(recorder.requests) == 3


async def test_get_does_not_retry_a_read_timeout(make_client: ClientFactory) -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), text(200, f'"{GUID}"'))
    client = make_client(recorder, get_retries=2)
    with pytest.raises(EngageTimeout) as caught:
        await client.find_contact_id(CARD)
    assert caught.value.request_sent
    assert len(recorder.requests) == 1


async def test_429_honours_retry_after_seconds(make_client: ClientFactory) -> None:
    recorder = Recorder(text(429, "", **{"retry-after": "0.2"}), text(200, f'"{GUID}"'))
    client = make_client(recorder)
    start = time.monotonic()
    assert await client.find_contact_id(CARD) == GUID
    assert time.monotonic() - start >= 0.2
    assert len(recorder.requests) == 2


async def test_429_retry_after_http_date_beyond_deadline_raises_at_once(
        make_client: ClientFactory) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=2), usegmt=True)
    recorder = Recorder(text(429, "", **{"retry-after": later}), text(200, f'"{GUID}"'))
    client = make_client(recorder, timeouts=ClientTimeouts(lookup_deadline=5.0))
    start = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        await client.find_contact_id(CARD)
    assert time.monotonic() - start < 1.0
    assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 120
    assert len(recorder.requests) == 1


async def test_429_retry_after_http_date_in_the_past_retries_now(
        make_client: ClientFactory) -> None:
    earlier = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    recorder = Recorder(text(429, "", **{"retry-after": earlier}), text(200, f'"{GUID}"'))
    client = make_client(recorder)
    assert await client.find_contact_id(CARD) == GUID
    assert len(recorder.requests) == 2


async def test_deadline_exceeded_while_retrying_is_a_timeout(make_client: ClientFactory) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return text(200, f'"{GUID}"')

    recorder = Recorder(text(503, ""), hang)
    client = make_client(recorder, timeouts=ClientTimeouts(lookup_deadline=0.3))
    start = time.monotonic()
    with pytest.raises(EngageTimeout) as caught:
        await client.find_contact_id(CARD)
    assert time.monotonic() - start < 2.0
    assert caught.value.request_sent  # the second attempt was in flight
    assert len(recorder.requests) == 2


async def test_backoff_longer_than_the_deadline_returns_the_last_answer(
        make_client: ClientFactory) -> None:
    recorder = Recorder(text(503, ""))
    client = make_client(recorder, timeouts=ClientTimeouts(lookup_deadline=0.2))
    client.retry_base = client.retry_cap = 10.0  # any backoff now outlasts the deadline...
    client._rng.uniform = lambda a, b: b  # type: ignore[method-assign]  # ...deterministically
    with pytest.raises(ServerError):
        await client.find_contact_id(CARD)
    assert len(recorder.requests) == 1


async def test_pool_timeout_means_nothing_was_sent(make_client: ClientFactory) -> None:
    client = make_client(Recorder(httpx.PoolTimeout("pool")), get_retries=0)
    with pytest.raises(EngageTimeout) as caught:
        await client.get_contact(GUID)
    assert not caught.value.request_sent


# --- the redeem POST ---------------------------------------------------------------------------

@pytest.mark.parametrize("failure, error", [
    (httpx.ReadTimeout("slow"), EngageTimeout),
    (httpx.WriteTimeout("slow"), EngageTimeout),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."),
     ConnectionLost),
    (httpx.ReadError("reset"), ConnectionLost),
])
async def test_redeem_is_not_sent_again_once_it_may_have_left(
        make_client: ClientFactory, failure: Exception, error: type[Exception]) -> None:
    recorder = Recorder(failure, text(200, ""))
    client = make_client(recorder)
    with pytest.raises(error) as caught:
        await client.redeem("p1")
    assert caught.value.request_sent and caught.value.outcome_unknown  # type: ignore[attr-defined]
    assert len(recorder.requests) == 1


async def test_redeem_is_sent_once_more_after_a_connect_error(make_client: ClientFactory) -> None:
    recorder = Recorder(httpx.ConnectError("refused"), text(200, ""))
    client = make_client(recorder)
    await client.redeem("p1")
    assert len(recorder.requests) == 2


async def test_redeem_gives_up_after_two_connect_errors(make_client: ClientFactory) -> None:
    recorder = Recorder(httpx.ConnectTimeout("no route"))
    client = make_client(recorder)
    with pytest.raises(EngageUnreachable) as caught:
        await client.redeem("p1")
    assert type(caught.value) is EngageUnreachable
    assert not caught.value.request_sent and not caught.value.outcome_unknown
    assert len(recorder.requests) == 2


async def test_redeem_is_not_retried_on_5xx(make_client: ClientFactory) -> None:
    recorder = Recorder(text(503, ""), text(200, ""))
    client = make_client(recorder)
    with pytest.raises(ServerError) as caught:
        await client.redeem("p1")
    assert caught.value.outcome_unknown
    assert len(recorder.requests) == 1


async def test_redeem_uses_the_long_read_timeout(make_client: ClientFactory) -> None:
    recorder = Recorder(text(200, ""))
    client = make_client(recorder, timeouts=ClientTimeouts(read=2.0, redeem_read=33.0))
    await client.redeem("p1")
    assert recorder.requests[0].extensions["timeout"]["read"] == 33.0


async def test_lookups_use_the_short_read_timeout(make_client: ClientFactory) -> None:
    recorder = Recorder(text(200, f'"{GUID}"'))
    client = make_client(recorder, timeouts=ClientTimeouts(read=2.0, redeem_read=33.0))
    await client.find_contact_id(CARD)
    assert recorder.requests[0].extensions["timeout"]["read"] == 2.0


# --- what we raise never carries the URL, the card or the key ---------------------------------

async def test_transport_errors_are_named_by_class_only(make_client: ClientFactory) -> None:
    leaky = f"failed GET https://tenant.voyado.test/api/v3/contacts/id?customKey={CARD}"
    client = make_client(Recorder(httpx.ConnectError(leaky)), get_retries=0)
    with pytest.raises(EngageUnreachable) as caught:
        await client.find_contact_id(CARD)
    for shown in (str(caught.value), repr(caught.value)):
        assert CARD not in shown and "customKey" not in shown and API_KEY not in shown
    assert "ConnectError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


async def test_repr_shows_the_base_url_only() -> None:
    client = EngageClient("https://user:pw@tenant.voyado.test/?k=v", API_KEY)
    try:
        assert repr(client) == "EngageClient(base_url='https://tenant.voyado.test/')"
        assert API_KEY not in repr(client) and "pw" not in repr(client)
    finally:
        await client.aclose()


async def test_every_call_carries_the_headers(make_client: ClientFactory) -> None:
    recorder = Recorder(text(200, f'"{GUID}"'))
    client = make_client(recorder, user_agent="VoyadoKiosk/9.9")
    await client.find_contact_id(CARD)
    headers = recorder.requests[0].headers
    assert headers["apikey"] == API_KEY
    assert headers["user-agent"] == "VoyadoKiosk/9.9"
    assert headers["content-type"] == "application/json"


async def test_a_ca_bundle_path_becomes_a_verifying_ssl_context(sim: Simulator,
                                                                 tmp_path: Path) -> None:
    """A CA file path (what KIOSK_ENGAGE_CA_BUNDLE names) trusts that CA and verifies with it:
    checked by real handshakes, not by reading httpx's pool."""
    import warnings

    import certifi

    from kiosk.engage.errors import CertificateUntrusted
    from tests.tls_front import Certs, TlsFront

    certs = Certs.make()
    with TlsFront(sim, certs.good()) as front:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # httpx 0.28 deprecates verify=<path>
            trusting = EngageClient(front.url, sim.api_key, verify=str(certs.ca_file(tmp_path)))
            public_cas = EngageClient(front.url, sim.api_key, verify=certifi.where())
        try:
            assert await trusting.ping() > 0
            with pytest.raises(CertificateUntrusted):  # verification is on, with that bundle
                await public_cas.ping()
        finally:
            await trusting.aclose()
            await public_cas.aclose()


async def test_a_per_call_deadline_overrides_the_default(make_client: ClientFactory) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.5)
        return text(200, f'"{GUID}"')

    client = make_client(Recorder(slow), timeouts=ClientTimeouts(lookup_deadline=0.1))
    assert await client.find_contact_id(CARD, deadline=2.0) == GUID
    with pytest.raises(EngageTimeout):
        await client.find_contact_id(CARD)

"""Every documented Engage error, and every transport failure, as the client raises it.

All against the real simulator over loopback; faults are the simulator's own injections.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import (
    BadRequest,
    ConnectionLost,
    ContactNotFound,
    EngageTimeout,
    EngageUnreachable,
    GatewayTimeout,
    InvalidContactId,
    InvalidContactType,
    InvalidEmailAddress,
    InvalidPhoneNumber,
    InvalidPromotionId,
    InvalidPromotionIdNoData,
    InvalidSearchQuery,
    InvalidSocialSecurityNumber,
    MultipleMatches,
    NotAValidRedemptionChannel,
    PromotionAlreadyRedeemed,
    PromotionExpired,
    PromotionNotAssociatedWithContact,
    PromotionNotFound,
    PromotionNotValidForRedemptionChannel,
    RateLimited,
    ServerError,
    Unauthorized,
)
from kiosk.engage.models import PromotionDraft, TemplateChannel, Validity
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault
from tests.engage.engage_members import Member
from tests.support import async_wait_until, tenant_today

ClientFactory = Callable[..., EngageClient]


@pytest.fixture
async def make_client(sim: Simulator) -> AsyncIterator[ClientFactory]:
    """Clients on the simulator with other settings than the default ``engage`` fixture."""
    made: list[EngageClient] = []

    def factory(url: str | None = None, key: str | None = None, **kw: object) -> EngageClient:
        client = EngageClient(url or sim.url, key or sim.api_key, **kw)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


def offer(sim: Simulator, member: Member, **kw: object) -> str:
    args: dict[str, object] = {"name": "20% off", "value_type": "PERCENT", "value": 20}
    return sim.state.add_offer(member.id, **(args | kw))  # type: ignore[arg-type]


def redeemed(sim: Simulator, instance_id: str) -> bool:
    held = sim.state.promotion_instance(instance_id)
    return bool(held and held["redeemed"])


# --- contact lookup ----------------------------------------------------------------------------

async def test_contact_not_found(engage: EngageClient) -> None:
    with pytest.raises(ContactNotFound) as caught:
        await engage.find_contact_id("2099999999998")
    assert caught.value.status == 404 and caught.value.code == "ContactNotFound"


async def test_multiple_matches_lists_the_contacts(engage: EngageClient, sim: Simulator) -> None:
    first = sim.state.add_contact(first_name="Bo", card="2098765432109")
    second = sim.state.add_contact(first_name="Bea", card="2098765432109")
    with pytest.raises(MultipleMatches) as caught:
        await engage.find_contact_id("2098765432109")
    assert caught.value.status == 409
    assert sorted(caught.value.matches) == sorted([first, second])


@pytest.mark.parametrize("value, key, contact_type, error", [
    ("", "customKey", None, InvalidSearchQuery),
    ("not-an-address", "email", None, InvalidEmailAddress),
    ("12", "mobilePhone", None, InvalidPhoneNumber),
    ("123", "socialSecurityNumber", None, InvalidSocialSecurityNumber),
    ("2099000000015", "customKey", "Alien", InvalidContactType),
])
async def test_lookup_400s(engage: EngageClient, value: str, key: str,
                           contact_type: str | None, error: type[BadRequest]) -> None:
    with pytest.raises(error) as caught:
        await engage.find_contact_id(value, key, contact_type=contact_type)  # type: ignore[arg-type]
    assert caught.value.status == 400 and caught.value.code == error.code_name


async def test_lookup_4xx_is_not_retried(engage: EngageClient, sim: Simulator) -> None:
    with pytest.raises(ContactNotFound):
        await engage.find_contact_id("2099999999998")
    assert len(sim.requests) == 1


async def test_get_contact_with_a_malformed_id(engage: EngageClient) -> None:
    with pytest.raises(InvalidContactId):
        await engage.get_contact("not-a-guid")


async def test_get_promotions_of_an_unknown_contact(engage: EngageClient) -> None:
    with pytest.raises(ContactNotFound):
        await engage.get_promotions(str(uuid.uuid4()))


# --- redeem ------------------------------------------------------------------------------------

async def test_promotion_not_found(engage: EngageClient) -> None:
    with pytest.raises(PromotionNotFound) as caught:
        await engage.redeem(str(uuid.uuid4()))
    assert caught.value.status == 404 and not caught.value.outcome_unknown


async def test_promotion_not_associated_with_contact(engage: EngageClient, sim: Simulator,
                                                     member: Member) -> None:
    someone_else = sim.state.add_contact(first_name="Carl", card="2011111111117")
    theirs = sim.state.add_offer(someone_else, name="Theirs", value_type="PERCENT", value=5)
    with pytest.raises(PromotionNotAssociatedWithContact):
        await engage.redeem(theirs, contact_id=member.id)
    assert not redeemed(sim, theirs)


async def test_not_a_valid_redemption_channel(engage: EngageClient, sim: Simulator,
                                              member: Member) -> None:
    instance = offer(sim, member)
    with pytest.raises(NotAValidRedemptionChannel):
        await engage.redeem(instance, "STORE")
    assert not redeemed(sim, instance)


async def test_invalid_promotion_id_no_data(engage: EngageClient) -> None:
    with pytest.raises(InvalidPromotionIdNoData):
        await engage.redeem("not-a-guid")


async def test_promotion_not_valid_for_redemption_channel(engage: EngageClient, sim: Simulator,
                                                          member: Member) -> None:
    online_only = offer(sim, member, channels=("ECOM",))
    with pytest.raises(PromotionNotValidForRedemptionChannel):
        await engage.redeem(online_only, "POS")
    assert not redeemed(sim, online_only)


async def test_promotion_already_redeemed(engage: EngageClient, sim: Simulator,
                                          member: Member) -> None:
    instance = offer(sim, member)
    await engage.redeem(instance)
    with pytest.raises(PromotionAlreadyRedeemed) as caught:
        await engage.redeem(instance)
    assert caught.value.status == 409
    assert len(sim.requests_to("POST", r"/redeem$")) == 2


async def test_redeem_of_an_expired_offer(engage: EngageClient, sim: Simulator,
                                          member: Member) -> None:
    instance = offer(sim, member, expires_on=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(PromotionExpired):
        await engage.redeem(instance)


async def test_gateway_timeout_after_commit(engage: EngageClient, sim: Simulator,
                                            member: Member) -> None:
    instance = offer(sim, member)
    sim.faults.add(Fault("commit_then_504", method="POST", path=r"/redeem$"))
    with pytest.raises(GatewayTimeout) as caught:
        await engage.redeem(instance)
    assert caught.value.status == 504 and caught.value.outcome_unknown
    assert redeemed(sim, instance)  # Engage did it although it answered 504
    assert len(sim.requests_to("POST", r"/redeem$")) == 1  # and we did not send it again


# --- templates and assignment ------------------------------------------------------------------

def _draft(**validity: object) -> PromotionDraft:
    return PromotionDraft(
        name="Test", validity=Validity(start_date=tenant_today(), **validity),  # type: ignore[arg-type]
        redemption_channels=[TemplateChannel(type="POS", value_type="PERCENT", value="20")])


async def test_bad_request_for_an_invalid_template(engage: EngageClient, sim: Simulator) -> None:
    bad = _draft()
    bad.redemption_channels[0] = TemplateChannel(type="POS", value_type="PERCENT", value="150")
    with pytest.raises(BadRequest) as caught:
        await engage.create_promotion(bad)
    assert type(caught.value) is BadRequest and caught.value.code == "BadRequest"
    assert len(sim.requests_to("POST", r"/multichannels$")) == 1  # a 400 is not sent again


async def test_assign_with_an_invalid_contact_id(engage: EngageClient) -> None:
    made = await engage.create_promotion(_draft())
    with pytest.raises(InvalidContactId):
        await engage.assign_promotion("not-a-guid", made.id)


async def test_assign_with_an_invalid_promotion_id(engage: EngageClient, member: Member) -> None:
    with pytest.raises(InvalidPromotionId):
        await engage.assign_promotion(member.id, "not-a-guid")


async def test_assign_of_an_unknown_promotion(engage: EngageClient, member: Member) -> None:
    with pytest.raises(PromotionNotFound):
        await engage.assign_promotion(member.id, str(uuid.uuid4()))


async def test_assign_of_an_ended_promotion(engage: EngageClient, sim: Simulator,
                                            member: Member) -> None:
    ended = PromotionDraft(
        name="Ended", validity=Validity(start_date=tenant_today() - timedelta(days=10),
                                        end_date=tenant_today() - timedelta(days=1)))
    made = await engage.create_promotion(ended)
    sim.state.activate(made.id)
    with pytest.raises(PromotionExpired) as caught:
        await engage.assign_promotion(member.id, made.id)
    assert caught.value.status == 409


# --- authentication, rate limit, server errors -------------------------------------------------

async def test_wrong_api_key_is_unauthorized(make_client: ClientFactory) -> None:
    client = make_client(key="not-the-key")
    with pytest.raises(Unauthorized) as caught:
        await client.find_contact_id("2099000000015")
    assert caught.value.status == 401


async def test_rate_limited_without_retries() -> None:
    with Simulator(rate_limit=2) as sim:
        async with EngageClient(sim.url, sim.api_key, get_retries=0) as client:
            with pytest.raises(RateLimited) as caught:
                for _ in range(10):
                    await client.ping()
    assert caught.value.status == 429 and caught.value.retry_after == 1.0


async def test_rate_limited_retry_after_beyond_the_deadline_raises_at_once() -> None:
    with Simulator(rate_limit=1) as sim:
        timeouts = ClientTimeouts(lookup_deadline=0.5)
        async with EngageClient(sim.url, sim.api_key, timeouts=timeouts) as client:
            await client.ping()
            start = time.monotonic()
            with pytest.raises(RateLimited):
                await client.ping()
            assert time.monotonic() - start < 0.4
        assert len(sim.requests) == 2


async def test_rate_limited_lookup_waits_retry_after_and_succeeds(member: Member) -> None:
    with Simulator(rate_limit=1) as sim:
        cid = sim.state.add_contact(first_name="Dag", card=member.card)
        async with EngageClient(sim.url, sim.api_key) as client:
            await client.ping()  # spends the only token
            start = time.monotonic()
            assert await client.find_contact_id(member.card) == cid
            assert time.monotonic() - start >= 0.9  # Retry-After: 1
        assert len(sim.requests_to("GET", r"/contacts/id$")) == 2


async def test_server_error(make_client: ClientFactory, sim: Simulator, member: Member) -> None:
    client = make_client(get_retries=0)
    sim.faults.add(Fault("status", status=500, path=r"/contacts/"))
    with pytest.raises(ServerError) as caught:
        await client.get_contact(member.id)
    assert caught.value.status == 500 and caught.value.outcome_unknown


async def test_server_error_on_a_lookup_is_retried(engage: EngageClient, sim: Simulator,
                                                   member: Member) -> None:
    sim.faults.add(Fault("status", status=503, path=r"/contacts/id$", times=2))
    assert await engage.find_contact_id(member.card) == member.id
    assert len(sim.requests_to("GET", r"/contacts/id$")) == 3


async def test_server_error_on_redeem_is_not_retried(engage: EngageClient, sim: Simulator,
                                                     member: Member) -> None:
    instance = offer(sim, member)
    sim.faults.add(Fault("status", status=500, method="POST", path=r"/redeem$"))
    with pytest.raises(ServerError):
        await engage.redeem(instance)
    assert len(sim.requests_to("POST", r"/redeem$")) == 1


async def test_malformed_json_from_the_simulator_is_a_bad_response(
        engage: EngageClient, sim: Simulator, member: Member) -> None:
    from kiosk.engage.errors import BadResponse

    offer(sim, member)
    sim.faults.add(Fault("malformed_json", path=r"/promotions$"))
    with pytest.raises(BadResponse):
        await engage.get_promotions(member.id)


# --- transport ---------------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_on_a_closed_port(make_client: ClientFactory) -> None:
    client = make_client(url=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(EngageUnreachable) as caught:
        await client.find_contact_id("2099000000015")
    assert type(caught.value) is EngageUnreachable and not caught.value.request_sent


async def test_redeem_on_a_closed_port_is_not_an_unknown_outcome(
        make_client: ClientFactory) -> None:
    client = make_client(url=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(EngageUnreachable) as caught:
        await client.redeem(str(uuid.uuid4()))
    assert not caught.value.outcome_unknown


async def test_lookup_timeout(make_client: ClientFactory, sim: Simulator, member: Member) -> None:
    client = make_client(timeouts=ClientTimeouts(lookup_deadline=0.3))
    sim.faults.add(Fault("latency", latency=2.0, path=r"/contacts/id$"))
    start = time.monotonic()
    with pytest.raises(EngageTimeout) as caught:
        await client.find_contact_id(member.card)
    assert time.monotonic() - start < 1.5
    assert caught.value.request_sent


async def test_redeem_timeout_leaves_the_outcome_unknown(make_client: ClientFactory,
                                                         sim: Simulator, member: Member) -> None:
    client = make_client(timeouts=ClientTimeouts(redeem_read=0.3))
    instance = offer(sim, member)
    sim.faults.add(Fault("latency", latency=0.8, method="POST", path=r"/redeem$"))
    with pytest.raises(EngageTimeout) as caught:
        await client.redeem(instance)
    assert caught.value.request_sent and caught.value.outcome_unknown
    await async_wait_until(lambda: redeemed(sim, instance), what="the late redeem to commit")
    assert len(sim.requests_to("POST", r"/redeem$")) == 1


async def test_connection_lost_after_the_redeem_was_read(engage: EngageClient, sim: Simulator,
                                                         member: Member) -> None:
    instance = offer(sim, member)
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$"))
    with pytest.raises(ConnectionLost) as caught:
        await engage.redeem(instance)
    assert caught.value.request_sent and caught.value.outcome_unknown
    assert redeemed(sim, instance)
    assert len(sim.requests_to("POST", r"/redeem$")) == 1


async def test_connection_lost_on_a_lookup_without_retries(make_client: ClientFactory,
                                                           sim: Simulator,
                                                           member: Member) -> None:
    client = make_client(get_retries=0)
    sim.faults.add(Fault("drop_after_read", path=r"/contacts/id$"))
    with pytest.raises(ConnectionLost):
        await client.find_contact_id(member.card)


async def test_connection_lost_on_a_lookup_is_retried(engage: EngageClient, sim: Simulator,
                                                      member: Member) -> None:
    sim.faults.add(Fault("drop_after_read", path=r"/contacts/id$"))
    assert await engage.find_contact_id(member.card) == member.id
    assert len(sim.requests_to("GET", r"/contacts/id$")) == 2

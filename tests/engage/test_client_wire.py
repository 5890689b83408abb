"""What goes over the wire and into the logs: headers on every call, one reused connection,
and no card number or API key anywhere but the request itself."""

from __future__ import annotations

import logging
import uuid

import pytest

import kiosk
from kiosk.engage.client import EngageClient
from kiosk.engage.errors import EngageError
from kiosk.engage.models import PromotionDraft, TemplateChannel, Validity
from kiosk.sim import Simulator
from kiosk.sim.faults import Fault
from tests.engage.engage_members import Member
from tests.support import tenant_today


async def test_every_call_carries_key_user_agent_and_content_type(
        engage: EngageClient, sim: Simulator, member: Member) -> None:
    instance = sim.state.add_offer(member.id, name="20%", value_type="PERCENT", value=20)
    await engage.find_contact_id(member.card)
    await engage.get_contact(member.id)
    await engage.get_promotions(member.id)
    await engage.redeem(instance)
    made = await engage.create_promotion(PromotionDraft(
        name="T", external_id="WIRE", validity=Validity(start_date=tenant_today()),
        redemption_channels=[TemplateChannel(type="POS", value_type="PERCENT", value="5")]))
    await engage.get_promotion(made.id)
    await engage.get_promotion_by_external_id("WIRE")
    await engage.update_promotion(made)
    await engage.get_validity(made.id)
    await engage.get_validity_by_external_id("WIRE")
    await engage.update_validity(made.id, made.validity)
    await engage.delete_promotion(made.id)
    with pytest.raises(EngageError):
        await engage.delete_promotion_by_external_id("WIRE")  # already gone: still an HTTP call
    await engage.ping()

    seen = sim.requests
    assert {r.method for r in seen} == {"GET", "POST", "PUT", "DELETE"}
    assert len(seen) == 14
    for request in seen:
        assert request.headers.get("apikey") == sim.api_key, request.path
        assert request.headers.get("user-agent") == kiosk.USER_AGENT, request.path
        assert request.headers.get("content-type") == "application/json", request.path
    assert kiosk.USER_AGENT.startswith("VoyadoKiosk/")


async def test_fifty_lookups_share_one_connection(engage: EngageClient, sim: Simulator,
                                                  member: Member) -> None:
    for _ in range(50):
        assert await engage.find_contact_id(member.card) == member.id
    assert len(sim.requests) == 50
    assert sim.connections_opened == 1


async def test_card_and_key_never_reach_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    card, key = "2087654321092", "sk-live-7Q2mZ9xW4v"
    secrets = (card, key)
    for name in ("httpx", "httpcore", "kiosk"):
        caplog.set_level(logging.DEBUG, logger=name)
    raised: list[EngageError] = []
    with Simulator(api_key=key) as sim:
        contact_id = sim.state.add_contact(first_name="Eva", card=card)
        async with EngageClient(sim.url, key) as client:
            assert await client.find_contact_id(card) == contact_id  # 200
            sim.faults.add(Fault("status", status=503, path=r"/contacts/id$", times=None,
                                 body=f'{{"errorCode": "Down", "message": "customKey {card}"}}'))
            for call in (lambda: client.find_contact_id(card),  # 503, retried
                         lambda: client.find_contact_id(card, "any")):
                with pytest.raises(EngageError) as caught:
                    await call()
                raised.append(caught.value)
            sim.faults.clear()
            sim.faults.add(Fault("drop_after_read", path=r"/contacts/id$", times=None))
            with pytest.raises(EngageError) as caught:
                await client.find_contact_id(card)
            raised.append(caught.value)
            sim.faults.clear()
            with pytest.raises(EngageError) as caught:
                await client.find_contact_id(str(uuid.uuid4()) + card)  # 404
            raised.append(caught.value)
            client_repr = repr(client)

    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log the requests...
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert any(r.name == "kiosk.engage" for r in caplog.records)
    assert "/api/v3/contacts/id" in caplog.text  # ...and the path is still there for IT
    shown = [caplog.text, client_repr, *(str(e) for e in raised), *(repr(e) for e in raised),
             *(str(e.detail) for e in raised)]
    for text in shown:
        for secret in secrets:
            assert secret not in text

"""Every failure tells staff what happened and what to do next; the app stays up."""

from __future__ import annotations

import socket

from kiosk.breaker import CircuitBreaker
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.sim import Fault
from kiosk.ui.screens.offers import OffersScreen
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, NOBODY, TWINS, Kiosk, Members


def services_for(client: EngageClient, base: KioskServices) -> KioskServices:
    breaker = CircuitBreaker(3, 60.0)
    return KioskServices(
        lookup=MemberLookup(client, breaker=breaker),
        redeemer=Redeemer(client, base.journal, store="Test Store", terminal="Till 1",
                          verify_delays=(0.05,), verify_deadline=1.0, breaker=breaker),
        journal=base.journal, settings=base.settings)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens here any more


async def result_text(k: Kiosk) -> str:
    await k.screen_is("ResultScreen")
    return k.text()


async def redeem_first(k: Kiosk) -> str:
    await k.scan(ANNA)
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    await k.pilot.press("enter")
    return await result_text(k)


def first_offer_id(k: Kiosk) -> str:
    screen = k.app.screen
    assert isinstance(screen, OffersScreen)
    return screen.offers[0].id


async def test_card_not_found(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(NOBODY)
        text = await result_text(k)
        assert "Card not found" in text
        assert "without offers" in text


async def test_card_shared_by_several_members(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(TWINS)
        text = await result_text(k)
        assert "Several members share this card" in text
        assert "Twin" not in text


async def test_engage_unreachable(start_kiosk, members: Members, services: KioskServices
                                  ) -> None:
    client = EngageClient(closed_port_url(), "key", timeouts=ClientTimeouts(
        connect=0.5, lookup_deadline=1.0), get_retries=0)
    try:
        async with start_kiosk(services_=services_for(client, services)) as k:
            await k.scan(ANNA)
            text = await result_text(k)
            assert "Engage unreachable" in text or "not answering" in text
            assert "Continue the sale without offers." in text
            await k.pilot.press("enter")
            await k.screen_is("ScanScreen")
            await k.wait_for(lambda: "Engage: unavailable" in k.text(), "engage state")
    finally:
        await client.aclose()


async def test_breaker_open_fails_fast_without_calling_engage(
        start_kiosk, members: Members, services: KioskServices, sim) -> None:
    url = sim.url
    client = EngageClient(url, sim.api_key, timeouts=ClientTimeouts(lookup_deadline=1.0),
                          get_retries=0)
    sim.faults.add(Fault("status", method="GET", status=503, times=None))
    try:
        async with start_kiosk(services_=services_for(client, services)) as k:
            for _ in range(3):  # three answers of 503 open the breaker
                await k.scan(ANNA)
                await result_text(k)
                await k.pilot.press("enter")
                await k.screen_is("ScanScreen")
                k.app.gate.debouncer.reset()
            sim.clear_requests()
            await k.scan(ANNA)
            text = await result_text(k)
            assert "Engage unavailable" in text
            assert sim.requests == []
    finally:
        await client.aclose()


async def test_rejected_api_key_is_an_it_problem(start_kiosk, members: Members,
                                                 services: KioskServices, sim) -> None:
    client = EngageClient(sim.url, "not-the-key")
    try:
        async with start_kiosk(services_=services_for(client, services)) as k:
            await k.scan(ANNA)
            text = await result_text(k)
            assert "Kiosk not authorised by Engage" in text
            assert "IT" in text and "not something you" in text
            assert "not-the-key" not in text
    finally:
        await client.aclose()


async def test_rate_limited(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("status", method="GET", path=r"/contacts/id", status=429, times=None,
                         headers={"Retry-After": "7"}))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        text = await result_text(k)
        assert "Engage is busy" in text
        assert "Wait 7 seconds" in text


async def test_offer_already_used_elsewhere(start_kiosk, members: Members, sim) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        sim.state.redeem(first_offer_id(k), {"redemptionChannel": "POS"})  # another till
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        text = await result_text(k)
        assert "already used" in text.lower()
        assert "Don't apply it" in text or "Check before" in text
        assert len(k.posts()) == 1


async def test_offer_not_valid_in_store(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("status", method="POST", path=r"/redeem$", status=409,
                         body='{"errorCode": "PromotionNotValidForRedemptionChannel"}'))
    async with start_kiosk() as k:
        text = await redeem_first(k)
        assert "Not valid in store" in text
        assert "Don't apply it" in text


async def test_offer_gone(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("status", method="POST", path=r"/redeem$", status=404,
                         body='{"errorCode": "PromotionNotFound"}'))
    async with start_kiosk() as k:
        text = await redeem_first(k)
        assert "Offer no longer available" in text
        assert "Don't apply it" in text


async def test_answer_lost_but_redeemed_is_verified_success(start_kiosk, members: Members,
                                                             sim) -> None:
    sim.faults.add(Fault("commit_then_504", method="POST", path=r"/redeem$"))
    async with start_kiosk() as k:
        text = await redeem_first(k)
        assert "Give 20 % off" in text
        assert len(k.posts()) == 1


async def test_answer_lost_and_not_redeemed_says_try_again(start_kiosk, members: Members,
                                                           sim) -> None:
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    async with start_kiosk() as k:
        text = await redeem_first(k)
        assert "Not redeemed: try again" in text
        assert "Don't apply it" in text
        assert len(k.posts()) == 1


async def test_outcome_unknown_says_do_not_apply(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        # From now on the re-read that would settle the lost answer fails too.
        sim.faults.add(Fault("status", method="GET", path=r"/promotions", status=503,
                             times=None))
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("enter")
        text = await result_text(k)
        assert "Outcome unknown: don't apply" in text
        assert len(k.posts()) == 1


async def test_product_barcode_is_refused_before_engage(start_kiosk, members: Members, sim
                                                        ) -> None:
    async with start_kiosk(notifications=True) as k:
        sim.clear_requests()
        k.burst("4006381333931")  # a product's EAN-13, not an in-store card
        await k.wait_for(lambda: "Not a member card" in k.text(), "toast")
        assert sim.requests == []
        assert type(k.app.screen).__name__ == "ScanScreen"


async def test_malformed_answer_from_engage(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("malformed_json", method="GET", path=r"/promotions", times=None))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        text = await result_text(k)
        assert "Unexpected answer from Engage" in text
        assert "Continue the sale without offers." in text


async def test_server_error_during_lookup(start_kiosk, members: Members, sim) -> None:
    sim.faults.add(Fault("status", method="GET", path=r"/contacts/id", status=500, times=None))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        text = await result_text(k)
        assert "Engage had a problem" in text
        assert "Continue the sale without offers." in text

"""MemberLookup against the simulator over HTTP: round trips, the cache, the breaker."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from kiosk.breaker import CircuitBreaker
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.engage.errors import CircuitOpen, ContactNotFound, EngageUnreachable, MultipleMatches
from kiosk.lookup import MAX_CANDIDATES, MemberLookup, SharedCard
from kiosk.sim import Fault, Simulator

CARD = "2000000000015"
OTHER = "2000000000022"


@pytest.fixture
def anna(sim: Simulator) -> str:
    cid = sim.state.add_contact(first_name="Anna\x1b[2J", card=CARD, email="anna@example.com")
    sim.state.add_offer(cid, name="20 off", value_type="PERCENT", value=20)
    sim.state.add_offer(cid, name="web", value_type="PERCENT", value=5, channels=("ECOM",))
    return cid


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EngageClient]:
    c = EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(lookup_deadline=2.0))
    yield c
    await c.aclose()


def lookups_of_id(sim: Simulator) -> int:
    return len(sim.requests_to("GET", r"/api/v3/contacts/id$"))


async def test_new_card_two_round_trips_then_one_from_cache(sim: Simulator, anna: str,
                                                            client: EngageClient) -> None:
    lookup = MemberLookup(client)
    member, offers = await lookup.lookup(CARD)
    assert member.contact_id == anna and member.first_name == "Anna"  # ESC sequence stripped
    assert member.masked_card == "•••• 0015" and member.card == CARD
    assert [o.name for o in offers.usable] == ["20 off"]
    assert [(o.name, o.reason_text) for o in offers.not_usable] == [("web", "online only")]
    assert sim.requests_to("GET", r"/promotions$")[-1].query == ""  # every channel
    assert lookup.stats.round_trips == 2 and lookups_of_id(sim) == 1
    await lookup.lookup(CARD)
    assert lookup.stats.round_trips == 3 and lookup.stats.cache_hits == 1
    assert lookups_of_id(sim) == 1  # the card -> contactId answer came from the cache
    # 1 id lookup, then twice contact + promotions + vouchers + point accounts
    assert len(sim.requests) == 9


async def test_contact_and_promotions_are_fetched_concurrently(sim: Simulator, anna: str,
                                                               client: EngageClient) -> None:
    paths = (rf"/contacts/{anna}$", rf"/contacts/{anna}/promotions$",
             r"/reward-vouchers/available$", r"/point-accounts$")
    for path in paths:
        sim.faults.add(Fault("latency", method="GET", path=path, latency=0.5))
    lookup = MemberLookup(client)
    await lookup.lookup(CARD)
    times = [r.time for path in paths for r in sim.requests_to("GET", path)]
    assert len(times) == 4 and lookup.stats.round_trips == 2
    # Sequential calls would put a request at least one latency after another.
    assert max(times) - min(times) < 0.45


async def test_vouchers_and_points_come_with_the_member(sim: Simulator, anna: str,
                                                        client: EngageClient) -> None:
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC) + timedelta(days=3)
    sim.state.rewards.add_voucher(anna, name="Bonuscheck 50 kr", amount=50, currency="SEK",
                                  expires_on=soon,
                                  local_values=[{"currency": "NOK", "amount": 55}])
    sim.state.rewards.add_points(anna, 1250)
    sim.state.rewards.add_points(anna, 200, valid_from=soon)
    member, _ = await MemberLookup(client, currency="NOK").lookup(CARD)
    assert member.rewards is not None and member.rewards.points is not None
    assert member.rewards.points.text == "1\u00a0250 points (+200 pending)"
    (voucher,) = member.rewards.vouchers or ()
    assert (voucher.name, voucher.value_text) == ("Bonuscheck 50 kr", "55\u00a0NOK")


async def test_failing_vouchers_or_points_never_block_the_offers(
        sim: Simulator, anna: str, client: EngageClient) -> None:
    sim.faults.add(Fault("status", path=r"/reward-vouchers", status=404, times=None))
    sim.faults.add(Fault("status", path=r"/point-accounts", status=503, times=None))
    breaker = CircuitBreaker(failure_threshold=1, cooldown=60)
    member, offers = await MemberLookup(client, breaker=breaker).lookup(CARD)
    assert [o.name for o in offers.usable] == ["20 off"]
    assert member.rewards is not None
    assert member.rewards.vouchers is None and member.rewards.points is None
    assert breaker.state == "closed"  # a tenant without rewards is not an Engage outage
    without, _ = await MemberLookup(client, rewards=False).lookup(CARD)
    assert without.rewards is None


async def test_cached_id_of_a_merged_contact_is_dropped_and_looked_up_again(
        sim: Simulator, anna: str, client: EngageClient) -> None:
    lookup = MemberLookup(client)
    await lookup.lookup(CARD)
    sim.faults.add(Fault("status", method="GET", path=rf"/contacts/{anna}$", status=404,
                         body='{"errorCode": "ContactNotFound"}'))
    member, _ = await lookup.lookup(CARD)
    assert member.contact_id == anna
    assert lookup.stats.stale_ids == 1
    assert lookups_of_id(sim) == 2


async def test_failed_lookups_are_not_cached(sim: Simulator, client: EngageClient) -> None:
    lookup = MemberLookup(client)
    with pytest.raises(ContactNotFound):
        await lookup.lookup(CARD)
    sim.state.add_contact(first_name="Late", card=CARD)
    member, offers = await lookup.lookup(CARD)
    assert member.first_name == "Late" and offers.usable == () and offers.not_usable == ()


async def test_cache_expires_after_ttl_and_is_bounded(sim: Simulator, anna: str,
                                                      client: EngageClient) -> None:
    sim.state.add_contact(first_name="Bo", card=OTHER)
    now = [0.0]
    lookup = MemberLookup(client, cache_size=1, cache_ttl=60.0, clock=lambda: now[0])
    await lookup.lookup(CARD)
    await lookup.lookup(CARD)
    assert lookups_of_id(sim) == 1
    now[0] = 61.0
    await lookup.lookup(CARD)
    assert lookups_of_id(sim) == 2  # expired
    await lookup.lookup(OTHER)
    await lookup.lookup(CARD)
    assert lookups_of_id(sim) == 4  # only one entry fits: OTHER pushed CARD out


async def test_missing_first_name_is_none(sim: Simulator, client: EngageClient) -> None:
    sim.state.add_contact(first_name=None, card=OTHER)
    member, _ = await MemberLookup(client).lookup(OTHER)
    assert member.first_name is None


async def test_lookup_by_email(sim: Simulator, anna: str, client: EngageClient) -> None:
    member, _ = await MemberLookup(client, key="email").lookup("anna@example.com")
    assert member.contact_id == anna


SSN = "197811247399"  # a valid personnummer: its last four digits are the sensitive part


@pytest.mark.parametrize(("key", "value", "masked"), [
    ("socialSecurityNumber", SSN, "••••"),
    ("mobilePhone", "+46703124586", "••••"),
    ("email", "maria@example.com", "••••"),
    ("customKey", CARD, "•••• 0015"),
    ("any", "MB0015", "•••• 0015"),  # `any` goes as a card (not phone-shaped: see sim)
])
async def test_a_member_is_masked_by_the_key_it_was_found_by(
        sim: Simulator, client: EngageClient, key: str, value: str, masked: str) -> None:
    """No character of a personal number, mobile number or e-mail address in ``masked_card``
    (it goes to screens, the journal, F2 and the fleet); a card keeps its last four. Asked by
    the till's key or by a key given with the value (a typed e-mail), the same; and a re-read
    given the key (a shared value's choice, the next offer) keeps it."""
    card = value if key == "any" else CARD
    cid = sim.state.add_contact(first_name="Maria", card=card, social_security_number=SSN,
                                mobile_phone="+46703124586", email="maria@example.com")
    for lookup, asked in ((MemberLookup(client, key=key), None),  # type: ignore[arg-type]
                          (MemberLookup(client), key)):
        member, _ = await lookup.lookup(value, asked)  # type: ignore[arg-type]
        assert member.contact_id == cid and member.masked_card == masked
        assert member.key == key
        again, _ = await lookup.member(cid, value, member.key)
        assert again.masked_card == masked and again.key == key


async def test_a_shared_personal_number_carries_its_key(sim: Simulator,
                                                        client: EngageClient) -> None:
    for name in ("Maja", "Mikael"):
        sim.state.add_contact(first_name=name, social_security_number=SSN)
    with pytest.raises(SharedCard) as caught:
        await MemberLookup(client, key="socialSecurityNumber").lookup(SSN)
    assert caught.value.key == "socialSecurityNumber"


async def test_shared_card_lists_first_names_then_the_chosen_members_offers(
        sim: Simulator, client: EngageClient) -> None:
    a = sim.state.add_contact(first_name="Lars", last_name="Berg", card=OTHER,
                              email="lars@example.com")
    b = sim.state.add_contact(first_name="Lena\x1b[31m", card=OTHER)
    sim.state.add_offer(b, name="Lena's", value_type="PERCENT", value=10)
    lookup = MemberLookup(client)
    with pytest.raises(SharedCard) as caught:
        await lookup.lookup(OTHER)
    shared = caught.value
    assert isinstance(shared, MultipleMatches)  # anything without a chooser still says why
    assert [c.first_name for c in shared.candidates] == ["Lars", "Lena"]
    assert [c.contact_id for c in shared.candidates] == [a, b] and shared.more == 0
    assert "Berg" not in repr(shared.candidates) and a not in repr(shared.candidates)
    assert len(sim.requests_to("GET", r"/api/v3/contacts/[0-9a-f-]+$")) == 2
    member, offers = await lookup.member(b, OTHER)  # the chosen one: no new card lookup
    assert member.first_name == "Lena" and [o.name for o in offers.usable] == ["Lena's"]
    assert lookups_of_id(sim) == 1


async def test_shared_card_fetches_at_most_ten_members_concurrently(
        sim: Simulator, client: EngageClient) -> None:
    for i in range(12):
        sim.state.add_contact(first_name=None if i == 3 else f"M{i}", card=OTHER)
    sim.faults.add(Fault("latency", method="GET", path=r"/contacts/[0-9a-f-]{36}$",
                         latency=0.5, times=None))
    with pytest.raises(SharedCard) as caught:
        await MemberLookup(client).lookup(OTHER)
    names = [c.first_name for c in caught.value.candidates]
    assert len(names) == MAX_CANDIDATES and caught.value.more == 2
    assert names[3] == "Member 4"  # no first name in Engage: staff still get a line to pick
    fetched = sim.requests_to("GET", r"/api/v3/contacts/[0-9a-f-]{36}$")
    assert len(fetched) == MAX_CANDIDATES
    # One after another would spread their arrivals over 9 latencies (4.5 s); the client's
    # pool of 8 connections lets them arrive in two waves.
    assert max(r.time for r in fetched) - min(r.time for r in fetched) < 1.4


async def test_answers_from_engage_never_trip_the_breaker(sim: Simulator,
                                                          client: EngageClient) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown=60.0)
    lookup = MemberLookup(client, breaker=breaker)
    for _ in range(3):
        with pytest.raises(ContactNotFound):
            await lookup.lookup(CARD)
    assert breaker.state == "closed"


async def test_outage_opens_the_breaker_and_then_lookups_fail_fast(sim: Simulator, anna: str
                                                                   ) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    breaker = CircuitBreaker(failure_threshold=2, cooldown=60.0)
    async with EngageClient(dead, "key", get_retries=0,
                            timeouts=ClientTimeouts(connect=0.5, lookup_deadline=1.0)) as down:
        lookup = MemberLookup(down, breaker=breaker)
        for _ in range(2):
            with pytest.raises(EngageUnreachable):
                await lookup.lookup(CARD)
        assert breaker.state == "open"
        with pytest.raises(CircuitOpen):
            await lookup.lookup(CARD)
        assert lookup.stats.lookups == 2  # the refused one never started


async def test_server_errors_count_as_outage(sim: Simulator, anna: str, client: EngageClient
                                             ) -> None:
    sim.faults.add(Fault("status", method="GET", status=500, times=None))
    breaker = CircuitBreaker(failure_threshold=1, cooldown=60.0)
    lookup = MemberLookup(client, breaker=breaker)
    with pytest.raises(Exception):  # noqa: B017 - which 5xx class is the client's business
        await lookup.lookup(CARD)
    assert breaker.state == "open"
    before = len(sim.requests)
    with pytest.raises(CircuitOpen):
        await lookup.lookup(CARD)
    assert len(sim.requests) == before


async def test_a_personal_number_at_an_any_till_is_masked_as_one(
        sim: Simulator, client: EngageClient) -> None:
    """``any``: Engage doesn't say what matched; a value shaped like a personal number is
    masked and named as one (``kiosk.scanner.personal_number``), a card keeps its last four."""
    maria = sim.state.add_contact(first_name="Maria", social_security_number=SSN)
    lookup = MemberLookup(client, key="any")  # type: ignore[arg-type]
    member, _ = await lookup.lookup(SSN)
    assert member.contact_id == maria
    assert (member.masked_card, member.key) == ("••••", "socialSecurityNumber")
    again, _ = await lookup.member(maria, SSN, member.key)
    assert again.masked_card == "••••"

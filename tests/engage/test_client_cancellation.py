"""Cancelled lookups never leak a connection (reproduction 3 of issue 10).

A new scan cancels the lookup in flight. httpcore keeps the pool slot of a request cancelled at
the wrong moment (encode/httpcore#1093): after enough of them every call is a PoolTimeout.
Here 1,000 lookups are cancelled at random points against the simulator with latency on every
call, as a fast scanner does; then a lookup must still answer and the pool stay within its
limit, on both ends of the connection.
"""

from __future__ import annotations

import asyncio
import gc
import random
import warnings

import pytest

from kiosk.engage.client import MAX_CONNECTIONS, ClientTimeouts, EngageClient
from kiosk.lookup import MemberLookup
from kiosk.sim import Fault, Simulator
from kiosk.sim.state import SimState
from tests.engage.engage_members import Member
from tests.support import async_wait_until


@pytest.fixture
def slow_sim() -> Simulator:
    with Simulator(SimState(), rate_limit=None) as sim:
        sim.faults.add(Fault("latency", method="GET", latency=0.03, times=None))
        yield sim


async def test_a_thousand_cancelled_lookups_leave_the_pool_usable(slow_sim: Simulator) -> None:
    sim = slow_sim
    cards = [f"20990000{i:05d}" for i in range(2)]
    for card in cards:
        cid = sim.state.add_contact(first_name="Ada", card=card)
        sim.state.add_offer(cid, name="10 % off", value_type="PERCENT", value=10)
    rng = random.Random(1093)
    timeouts = ClientTimeouts(connect=1.0, read=2.0, pool=2.0, lookup_deadline=3.0)
    async with EngageClient(sim.url, sim.api_key, timeouts=timeouts) as client:
        lookup = MemberLookup(client, cache_size=0)  # every lookup: three calls, two at once
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            in_flight: list[asyncio.Task[object]] = []
            for i in range(1000):
                in_flight.append(asyncio.create_task(lookup.lookup(cards[i % 2])))
                if len(in_flight) > 16 or rng.random() < 0.5:
                    await asyncio.sleep(rng.uniform(0, 0.04))  # cancelled at a random point
                victim = in_flight.pop(rng.randrange(len(in_flight)))
                victim.cancel()
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            gc.collect()
        never_awaited = [w for w in caught if "never awaited" in str(w.message)]
        assert never_awaited == []

        # The next scan answers (it may wait for exchanges still finishing, a few latencies).
        member, offers = await lookup.lookup(cards[0])
        assert member.first_name == "Ada" and [o.name for o in offers.usable] == ["10 % off"]
        stats = client.pool_stats()
        assert 0 <= stats["connections"] <= MAX_CONNECTIONS
        # Every exchange the cancelled scans left behind finishes by itself.
        await async_wait_until(lambda: client.pool_stats()["exchanges"] == 0, timeout=10,
                               what="the left-behind exchanges to finish")
        assert client.pool_stats()["free_slots"] == MAX_CONNECTIONS
        assert sim.open_connections <= MAX_CONNECTIONS


async def test_a_cancelled_caller_does_not_cancel_the_request(sim: Simulator,
                                                              member: Member) -> None:
    # The exchange runs on to its answer: the connection goes back to the pool, reusable.
    # only the promotions read is slow (a fault is used once: on the first GET it would be spent)
    sim.faults.add(Fault("latency", method="GET", path=r"/promotions$", latency=1.0))
    async with EngageClient(sim.url, sim.api_key) as client:
        await client.get_contact(member.id)  # one connection, kept alive
        opened = sim.connections_opened
        task = asyncio.create_task(client.get_promotions(member.id))
        await async_wait_until(lambda: len(sim.requests) == 2, what="the second request")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await async_wait_until(lambda: client.pool_stats()["exchanges"] == 0, timeout=5,
                               what="the exchange to finish")
        await client.get_contact(member.id)
        assert sim.connections_opened == opened  # the same connection, reused

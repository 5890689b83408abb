"""Lookup time for a new card, without and with vouchers and points (issue 15).

    .venv/bin/python -m benchmarks.lookup_rewards [lookups] [latency_ms]

Against the simulator in its own process (``benchmarks.simproc``: the kiosk's CPU is not shared
with the server's) with the demo data (Anna: 4 POS offers, 2 usable vouchers, points with
pending points). "before" is the lookup as it was (contact + promotions), "after" adds the
voucher and point-account GETs to the same concurrent round; each lookup forgets the card
first, so it always pays the card -> contactId round trip too. With ``latency_ms`` every GET
waits that long in the simulator (a WAN-like Engage): two sequential round trips then cost
about 2 x latency whether two or four calls share the second one.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from benchmarks.simproc import SimProcess
from kiosk.engage.client import EngageClient
from kiosk.lookup import MemberLookup

ANNA = "2004173000100"


async def _measure(sim: SimProcess, lookups: int, rewards: bool) -> tuple[list[float], int]:
    samples: list[float] = []
    async with EngageClient(sim.url, sim.api_key) as client:
        lookup = MemberLookup(client, rewards=rewards)
        for _ in range(10):  # warm-up: connections, imports, pydantic schemas
            lookup.forget(ANNA)
            await lookup.lookup(ANNA)
        lookup.stats.round_trips = lookup.stats.lookups = 0
        for _ in range(lookups):
            lookup.forget(ANNA)
            start = time.perf_counter()
            member, _ = await lookup.lookup(ANNA)
            samples.append((time.perf_counter() - start) * 1000)
            assert (member.rewards is not None) == rewards
        return samples, lookup.stats.round_trips // max(1, lookup.stats.lookups)


def _summary(samples: list[float]) -> str:
    s = sorted(samples)
    return (f"median {statistics.median(s):6.1f} ms, p95 {s[int(0.95 * len(s)) - 1]:6.1f} ms, "
            f"max {s[-1]:6.1f} ms")


def main(lookups: int = 200, latency_ms: float = 0.0) -> None:
    with SimProcess() as sim:
        sim.call("latency", seconds=latency_ms / 1000, method="GET")
        for label, rewards in (("before (contact+offers)", False),
                               ("after  (+vouchers+points)", True)):
            samples, trips = asyncio.run(_measure(sim, lookups, rewards))
            print(f"{label}: {lookups} new-card lookups, {trips} sequential round trips each, "
                  f"latency {latency_ms:g} ms/GET: {_summary(samples)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
         float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)

"""Benchmark (not a test): per-call latency of a pooled ``find_contact_id`` on loopback.

    .venv/bin/python tests/engage/bench_lookup_latency.py [calls]

One EngageClient, one simulator (rate limit off), a few warm-up calls, then ``calls``
sequential lookups; prints median, p95, max and the connections the simulator accepted.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from kiosk.engage.client import EngageClient
from kiosk.sim import Simulator


async def measure(sim: Simulator, card: str, calls: int) -> list[float]:
    """Milliseconds per call, in call order."""
    samples: list[float] = []
    async with EngageClient(sim.url, sim.api_key) as client:
        for _ in range(20):  # warm-up: connection, imports, pydantic schemas
            await client.find_contact_id(card)
        for _ in range(calls):
            start = time.perf_counter()
            await client.find_contact_id(card)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def main(calls: int = 1000) -> None:
    with Simulator(rate_limit=None) as sim:
        card = "2099000000015"
        sim.state.add_contact(first_name="Bench", card=card)
        samples = sorted(asyncio.run(measure(sim, card, calls)))
        p95 = samples[int(0.95 * len(samples)) - 1]
        print(f"{calls} pooled find_contact_id calls on loopback: "
              f"median {statistics.median(samples):.2f} ms, p95 {p95:.2f} ms, "
              f"max {samples[-1]:.2f} ms, connections opened {sim.connections_opened}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)

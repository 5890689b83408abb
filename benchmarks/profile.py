"""Where a flow's time goes: ``python -m benchmarks.profile scan|redeem|render [N]``.

Runs one flow N times in the benchmark's headless kiosk (``harness.running_kiosk``) under
cProfile and prints the functions by cumulative and by own time, with call counts. Call
counts and shares of the total don't depend on the machine's load the way wall times do.
``--out FILE`` also writes the raw pstats for ``python -m pstats`` or snakeviz.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
from pathlib import Path

from .harness import Kiosk, bench_card, running_kiosk
from .simproc import SimProcess


async def _scan(k: Kiosk, card: str) -> None:
    await k.start_over()
    await k.scan(card)


async def _redeem(k: Kiosk, card: str) -> None:
    await k.start_over()
    await k.scan(card)
    confirm = k.probe.expect_screen("ConfirmScreen")
    k.key("enter", "\r")
    await k.wait(confirm, "the confirm screen")
    await k.pilot.pause()  # read before Enter, as in the benchmark
    result = k.probe.expect_screen("ResultScreen")
    k.key("enter", "\r")
    await k.wait(result, "the result screen")


async def profile(sim: SimProcess, flow: str, n: int, offers: int,
                  out: Path | None) -> str:
    card = bench_card(700 + offers)
    cid = sim.call("add_contact", first_name="Bench", card=card)
    sim.call("add_offers_bulk", contact_id=cid, n=offers if flow != "redeem" else n + 3)
    step = _redeem if flow == "redeem" else _scan
    async with running_kiosk(sim) as k:
        await step(k, card)  # warm-up: caches, lazy imports
        await k.start_over()
        gc.collect()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            await step(k, card)
        prof.disable()
        await k.start_over()
    if out:
        prof.dump_stats(str(out))
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("flow", choices=("scan", "redeem", "render"))
    parser.add_argument("n", type=int, nargs="?", default=20, help="repetitions (default 20)")
    parser.add_argument("--offers", type=int, default=None,
                        help="offers on the member (default: 6; render: 5000)")
    parser.add_argument("--out", type=Path, help="also write the pstats file here")
    args = parser.parse_args(argv)
    offers = args.offers or (5000 if args.flow == "render" else 6)
    with SimProcess() as sim:
        print(asyncio.run(profile(sim, args.flow, args.n, offers, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

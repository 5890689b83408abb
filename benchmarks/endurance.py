"""Figure 5: scan -> offers -> redeem cycles in one kiosk process, for leaks and reuse.

Runs in its own process (``python -m benchmarks.endurance --mode ui|core --cycles N``) so
earlier benchmarks leave nothing behind in the memory it reports; it starts its own
simulator process. Before every cycle the simulator is re-seeded through its pipe
(``reseed``): the demo data again (same contact ids, so the kiosk's card -> contactId cache
stays valid, as for a regular customer) plus one fresh offer with a new id, due soonest, so
it is listed first and redeemed. Every redemption is of a new offer instance, as in a store
(re-redeeming one id would make the journal's per-offer history grow without end).

- ``ui``: the headless app, a wedge scan, Enter, Enter, result painted, Esc back to scan;
  then a quiet moment on the scan screen until the kiosk's own between-customer collection
  has run (``kiosk.ui.heap.collect``: Python's collector and Textual's widget-keyed caches),
  as between a till's customers. Time is compressed: the quiet it waits for is
  ``QUIET_S`` instead of the till's ``IDLE_COLLECT_AFTER`` (3 s). ``--back-to-back`` leaves
  the quiet moments out (customers 0.2 s apart, never idle: the runs before 2026-11-29).
- ``core``: ``MemberLookup.lookup`` + ``Redeemer.redeem`` as the app wires them, no UI.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

from kiosk.ui.messages import RedeemFinished

from .harness import (
    Kiosk,
    instrumented_client,
    kiosk_settings,
    open_fds,
    rss_kb,
    running_kiosk,
)
from .simproc import SimProcess
from .stats import summary

#: Seconds of quiet on the scan screen before the kiosk collects (the till: 3 s), and the
#: longest wait for that collection after a customer (a customer too short for the kiosk's
#: check to see a screen over the scan screen leaves nothing to collect).
QUIET_S = 0.1
QUIET_AT_MOST = 1.0
DEMO_CARD = "2004173000100"  # Anna in the demo data: four active POS offers, one fresh added
OTHER_CARD = "2004173000278"  # Erik in the demo data (the storm alternates the two)
WARMUP = 50


class Recorder:
    """RSS, file descriptors and the simulator's accepted connections at checkpoints.

    Checkpoints: before the first cycle, after ``WARMUP`` cycles (connection pool filled,
    caches and lazy imports done: the baseline growth is measured from), every 250 (the
    curve), after 1,000, and at the end.
    """

    def __init__(self, sim: SimProcess, cycles: int) -> None:
        self.sim = sim
        self.cycles = cycles
        self.warm = min(WARMUP, cycles)
        self.mid = min(1000, cycles)
        self.points: dict[int, dict[str, int]] = {}
        self.cycle_ms: list[float] = []

    def mark(self, done: int) -> None:
        if done in (0, self.warm, self.mid, self.cycles) or done % 250 == 0:
            gc.collect()  # sample live memory, not garbage waiting for the next collection
            self.points[done] = {"rss_kb": rss_kb(), "fds": open_fds(),
                                 "connections_opened": self.sim.connections_opened()}

    def result(self, wall: float) -> dict[str, Any]:
        zero, warm, mid, last = (self.points[c] for c in (0, self.warm, self.mid, self.cycles))
        # steady state: after 1,000 cycles (or after the warm-up in a short run)
        base, base_n = (mid, self.mid) if self.cycles > self.mid else (warm, self.warm)
        steady = self.cycles - base_n
        conns = last["connections_opened"] - base["connections_opened"]
        mb = 1024
        return {
            "cycles": self.cycles, "wall_s": round(wall, 1),
            "cycles_per_s": round(self.cycles / wall, 1) if wall else None,
            "cycle_ms": summary(self.cycle_ms),
            "checkpoints": {str(k): v for k, v in sorted(self.points.items())},
            "rss_start_mb": round(warm["rss_kb"] / mb, 1),
            "rss_after_1000_mb": round(mid["rss_kb"] / mb, 1),
            "rss_end_mb": round(last["rss_kb"] / mb, 1),
            "rss_growth_mb": round((last["rss_kb"] - warm["rss_kb"]) / mb, 2),
            "rss_growth_from_cycle_0_mb": round((last["rss_kb"] - zero["rss_kb"]) / mb, 2),
            "rss_growth_after_1000_mb": round((last["rss_kb"] - mid["rss_kb"]) / mb, 2),
            "fds": [zero["fds"], warm["fds"], mid["fds"], last["fds"]],
            "connections_opened_total": last["connections_opened"] - zero["connections_opened"],
            "connections_per_100_scans_steady": round(100 * conns / steady, 3)
            if steady else None,
        }


async def _ui_cycle(k: Kiosk, sim: SimProcess) -> None:
    fresh = sim.call("reseed", card=DEMO_CARD)
    outcomes: list[Any] = []
    k.hooks.append(lambda m: outcomes.append(m.outcome) if isinstance(m, RedeemFinished) else None)
    await k.scan(DEMO_CARD)
    confirm = k.probe.expect_screen("ConfirmScreen")
    k.key("enter", "\r")
    await k.wait(confirm, "the confirm screen")
    result = k.probe.expect_screen("ResultScreen")
    k.key("enter", "\r")
    await k.wait(result, "the result screen")
    back = k.probe.expect_screen("ScanScreen")
    k.key("escape", "\x1b")  # Esc on the result screen ends the visit: the next customer
    await k.wait(back, "the scan screen")
    k.hooks.clear()
    k.timer.trim()  # the benchmark's own log must not count as the kiosk's memory
    kind = str(getattr(outcomes[0], "kind", "")) if outcomes else "none"
    if kind != "redeemed" or outcomes[0].offer.id != fresh:
        raise RuntimeError(f"cycle ended with outcome {kind!r}, not the fresh offer redeemed")


class IdleCollections:
    """Times of the kiosk's between-customer collections (wraps ``kiosk.ui.heap.collect``,
    which the app calls through the module; restored on exit)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __enter__(self) -> IdleCollections:
        from kiosk.ui import heap

        self._heap, self._collect = heap, heap.collect

        def collect() -> None:
            self._collect()
            self.times.append(perf_counter())

        heap.collect = collect  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._heap.collect = self._collect  # type: ignore[method-assign]

    async def after(self, t0: float) -> bool:
        """Wait until one has run after ``t0``, at most ``QUIET_AT_MOST`` s; whether it did."""
        deadline = t0 + QUIET_AT_MOST
        while not (self.times and self.times[-1] > t0):
            if perf_counter() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


async def run_ui(cycles: int, quiet: bool = True) -> dict[str, Any]:
    from kiosk.ui import app as app_module

    idle_after = app_module.IDLE_COLLECT_AFTER
    if quiet:  # before the app starts: its check runs every IDLE_COLLECT_AFTER / 2
        app_module.IDLE_COLLECT_AFTER = QUIET_S
    try:
        with SimProcess() as sim, IdleCollections() as idle:
            async with running_kiosk(sim) as k:
                rec = Recorder(sim, cycles)
                start = perf_counter()
                rec.mark(0)
                collected = 0
                for done in range(1, cycles + 1):
                    t0 = perf_counter()
                    await _ui_cycle(k, sim)
                    rec.cycle_ms.append((perf_counter() - t0) * 1000)
                    if quiet:
                        collected += await idle.after(perf_counter())
                    rec.mark(done)
                result = rec.result(perf_counter() - start)
                result["between_customers"] = {
                    "quiet_s": QUIET_S if quiet else None, "idle_collections": collected}
                return result
    finally:
        app_module.IDLE_COLLECT_AFTER = idle_after


def open_sockets() -> int:
    """Sockets among this process's open file descriptors."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue  # closed meanwhile
    return count


async def storm(lookup: Any, client: Any, seconds: float, rate: float = 200.0) -> dict[str, Any]:
    """A fast scanner: ``rate`` scans/s alternating two cards, each cancelling the lookup in
    flight (as the app's exclusive lookup worker does); then one ordinary lookup.

    Reports the pool (``EngageClient.pool_stats``) and open sockets before, right after, and
    once the exchanges the cancelled scans left behind have finished.
    """
    cards = [DEMO_CARD, OTHER_CARD]
    before = {**client.pool_stats(), "sockets": open_sockets()}
    loop = asyncio.get_running_loop()
    task: asyncio.Task[Any] | None = None
    scans = int(seconds * rate)
    start = loop.time()
    for i in range(scans):
        if task is not None:
            task.cancel()
        task = asyncio.create_task(lookup.lookup(cards[i % 2]))
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - loop.time()))
    assert task is not None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    wall = loop.time() - start
    right_after = {**client.pool_stats(), "sockets": open_sockets()}
    t0 = perf_counter()
    error = None
    try:
        await lookup.lookup(DEMO_CARD)
    except Exception as exc:  # the figure reports it; the run goes on
        error = type(exc).__name__
    next_lookup_ms = round((perf_counter() - t0) * 1000, 1)
    while client.pool_stats()["exchanges"] and loop.time() - start < wall + 30:
        await asyncio.sleep(0.05)
    settled = {**client.pool_stats(), "sockets": open_sockets()}
    return {"scans": scans, "wall_s": round(wall, 2), "achieved_rate": round(scans / wall, 1),
            "pool_before": before, "pool_right_after": right_after, "pool_settled": settled,
            "next_lookup_ms": next_lookup_ms, "next_lookup_error": error}


async def run_core(cycles: int, storm_s: float = 10.0) -> dict[str, Any]:
    from kiosk.journal import Journal
    from kiosk.logs import configure_logging, reset_logging
    from kiosk.ui.launch import build_services

    with SimProcess() as sim, tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmpdir:
        settings = kiosk_settings(sim, Path(tmpdir))
        configure_logging(settings)
        client, timer = instrumented_client(settings)
        journal = Journal(settings.journal_path)
        try:
            services = build_services(settings, client, journal)
            lookup, redeemer = services.lookup, services.redeemer
            rec = Recorder(sim, cycles)
            start = perf_counter()
            rec.mark(0)
            for done in range(1, cycles + 1):
                fresh = sim.call("reseed", card=DEMO_CARD)
                t0 = perf_counter()
                member, offers = await lookup.lookup(DEMO_CARD)
                offer = next(o for o in offers.usable if o.redeemable)
                outcome = await redeemer.redeem(member, offer)
                if str(outcome.kind) != "redeemed" or offer.id != fresh:
                    raise RuntimeError(f"redeem outcome {outcome.kind!r} for {offer.name!r}")
                timer.trim()
                rec.cycle_ms.append((perf_counter() - t0) * 1000)
                rec.mark(done)
            result = rec.result(perf_counter() - start)
            result["storm"] = await storm(lookup, client, storm_s)
            return result
        finally:
            await client.aclose()
            journal.close()
            reset_logging()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.endurance")
    parser.add_argument("--mode", choices=("ui", "core"), required=True)
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--storm-s", type=float, default=10.0,
                        help="core: seconds of the 200 scans/s storm after the cycles")
    parser.add_argument("--back-to-back", action="store_true",
                        help="ui: no quiet moment between customers (never idle)")
    args = parser.parse_args(argv)
    if args.mode == "ui":
        result = asyncio.run(run_ui(args.cycles, quiet=not args.back_to_back))
    else:
        result = asyncio.run(run_core(args.cycles, args.storm_s))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

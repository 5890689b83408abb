"""Figures 2-4: scan -> offers, confirm -> result, and rendering long offer lists.

Each run starts on a painted scan screen; a scan is a keyboard-wedge burst (13 digits and
Enter posted back to back, as a USB scanner types them). "On screen" is the first frame of
the target screen (see ``harness.FrameProbe``).

Every sample is followed by its floors, measured in the same process at the same injected
latency: ``floor_http`` (a bare ``httpx.AsyncClient`` replaying the sample's GETs, see
``harness.BareHttp``) and ``floor_paint`` (an empty screen pushed onto the same app to its
first frame); ``ratio`` is total / (floor_http + floor_paint), per sample, and
``over_floors`` is total - floor_http - floor_paint, the kiosk's own time above both.
``cpu`` is this process's CPU time during the sample (the simulator runs in another
process), which the machine's load moves far less than the wall time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter, process_time
from typing import Any

from textual.message import Message

from kiosk.ui.messages import CardScanned, LookupDone, RedeemFinished

from .harness import BareHttp, Exchange, Kiosk, bench_card, running_kiosk, sequential_round_trips
from .simproc import SimProcess
from .stats import ratio_summary, summary

LATENCIES_MS = (0, 50)


@dataclass
class Marks:
    """Times (perf_counter) at which the app dispatched the messages of one scan."""

    card_scanned: float | None = None
    lookup_done: float | None = None
    redeem_finished: float | None = None
    outcome: Any = None
    seen: list[str] = field(default_factory=list)

    def __call__(self, message: Message) -> None:
        now = perf_counter()
        if isinstance(message, CardScanned) and self.card_scanned is None:
            self.card_scanned = now
        elif isinstance(message, LookupDone) and self.lookup_done is None:
            self.lookup_done = now
        elif isinstance(message, RedeemFinished) and self.redeem_finished is None:
            self.redeem_finished = now
            self.outcome = message.outcome


def _ms(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else (b - a) * 1000


def _idle_between(exchanges: list[Exchange]) -> float | None:
    """Milliseconds between the first request sent and the last body read during which no
    exchange was running: the kiosk's own work between one answer and the next request."""
    if not exchanges:
        return None
    gaps, reach = 0.0, None
    for x in sorted(exchanges, key=lambda x: x.start):
        if reach is not None and x.start > reach:
            gaps += x.start - reach
        reach = x.end if reach is None else max(reach, x.end)
    return gaps * 1000


async def _timed_scan(k: Kiosk, card: str) -> dict[str, Any]:
    """One scan from a painted scan screen; its timings and round trips."""
    marks = Marks()
    k.hooks.append(marks)
    cpu0 = process_time()
    try:
        t0, shown = await k.scan(card)
    finally:
        k.hooks.remove(marks)
    cpu = (process_time() - cpu0) * 1000
    exchanges = k.timer.since(t0)
    data = max((x.end for x in exchanges), default=None)
    sent = min((x.start for x in exchanges), default=None)
    return {
        "total": (shown - t0) * 1000,
        "round_trips": sequential_round_trips(exchanges),
        "requests": len(exchanges),
        "to_card_scanned": _ms(t0, marks.card_scanned),
        # CardScanned -> the first request handed to the transport (lookup start, cache, hops)
        "scanned_to_request_sent": _ms(marks.card_scanned, sent),
        "data_to_visible": _ms(data, shown),
        "lookup_done_to_visible": _ms(marks.lookup_done, shown),
        "data_to_lookup_done": _ms(data, marks.lookup_done),
        "network": _ms(sent, data),
        "between_exchanges": _idle_between(exchanges),  # part of "network"
        "gc": k.gc_timer.within(t0, shown),
        "cpu": cpu,
        "exchanges": exchanges,
    }


async def _with_floors(k: Kiosk, bare: BareHttp, run: dict[str, Any]) -> dict[str, Any]:
    """The sample's floors, measured right after it (see the module docstring)."""
    await k.start_over()
    run["floor_http"] = await bare.replay(run.pop("exchanges"))
    run["floor_paint"] = await k.empty_screen()
    return run


def _collect(runs: list[dict[str, Any]], latency_ms: float) -> dict[str, Any]:
    """Summaries of a list of timed runs, with the kiosk's overhead beside the total."""
    trips = sorted({r["round_trips"] for r in runs})
    out: dict[str, Any] = {
        "total_ms": summary([r["total"] for r in runs]),
        "overhead_ms": summary([r["total"] - r["round_trips"] * latency_ms for r in runs]),
        # the same without the loopback exchanges themselves (simulator time included there)
        "overhead_excl_network_ms": summary([r["total"] - (r["network"] or 0) for r in runs]),
        "round_trips": trips[0] if len(trips) == 1 else trips,
        "requests": max(r.get("requests", 0) for r in runs),
    }
    for key in ("to_card_scanned", "scanned_to_request_sent", "to_request_sent", "network",
                "between_exchanges", "answer_to_finished",
                "finished_to_visible", "data_to_lookup_done", "lookup_done_to_visible",
                "data_to_visible", "gc", "cpu", "floor_http", "floor_paint"):
        vals = [r[key] for r in runs if r.get(key) is not None]
        if vals:
            out[f"{key}_ms"] = summary(vals)
    if all("floor_http" in r and "floor_paint" in r for r in runs):
        out["ratio_to_floor"] = ratio_summary(
            [r["total"] / (r["floor_http"] + r["floor_paint"]) for r in runs])
        # what the kiosk adds to a bare client doing the same requests
        out["over_bare_http_ms"] = summary([r["total"] - r["floor_http"] for r in runs])
        # ... and above both floors: the kiosk's own time (can go below 0 when a floor sample
        # is slower than the kiosk's own exchanges or frame)
        out["over_floors_ms"] = summary(
            [r["total"] - r["floor_http"] - r["floor_paint"] for r in runs])
    if all("floor_paint" in r and r.get("data_to_visible") is not None for r in runs):
        out["data_to_visible_ratio_to_paint"] = ratio_summary(
            [r["data_to_visible"] / r["floor_paint"] for r in runs])
    return out


async def scan_to_offers(sim: SimProcess, runs: int, warmup: int) -> dict[str, Any]:
    """Figure 2: scan -> offers on screen, first and repeat scans, at each injected latency."""
    card = bench_card(200)
    cid = sim.call("add_contact", first_name="Bench", card=card)
    sim.call("add_offers_bulk", contact_id=cid, n=6)
    result: dict[str, Any] = {}
    bare = BareHttp(sim)
    async with running_kiosk(sim) as k:
        lookup = k.app.services.lookup
        for latency in LATENCIES_MS:
            sim.call("latency", seconds=latency / 1000, method="GET")
            for case in ("first", "repeat"):
                samples = []
                for i in range(warmup + runs):
                    await k.start_over()
                    if case == "first":
                        lookup.forget(card)  # as if this card had never been scanned here
                    run = await _with_floors(k, bare, await _timed_scan(k, card))
                    if i >= warmup:
                        samples.append(run)
                result[f"{case}_scan_{latency}ms"] = _collect(samples, latency)
        sim.call("latency", seconds=0)
    await bare.aclose()
    return result


async def confirm_to_result(sim: SimProcess, runs: int, warmup: int) -> dict[str, Any]:
    """Figure 3: Enter on the confirm screen -> result on screen (a real redeem)."""
    card = bench_card(300)
    cid = sim.call("add_contact", first_name="Bench", card=card)
    sim.call("add_offers_bulk", contact_id=cid, n=len(LATENCIES_MS) * (warmup + runs) + 2)
    result: dict[str, Any] = {}
    bare = BareHttp(sim)
    ping = f"{sim.url}/api/v2/contacts/count"  # one cheap GET: the round trip's floor
    async with running_kiosk(sim) as k:
        for latency in LATENCIES_MS:
            sim.call("latency", seconds=latency / 1000, method=None)  # the POST too
            samples = []
            for i in range(warmup + runs):
                await k.start_over()
                await k.scan(card)
                confirm = k.probe.expect_screen("ConfirmScreen")
                k.key("enter", "\r")
                await k.wait(confirm, "the confirm screen")
                # Staff read the confirmation before pressing Enter: its follow-up work (the
                # footer's keys) is done by then, as a scan starts from a settled scan screen.
                await k.pilot.pause()
                marks = Marks()
                k.hooks.append(marks)
                shown_f = k.probe.expect_screen("ResultScreen")
                cpu0 = process_time()
                t0 = perf_counter()
                k.key("enter", "\r")
                try:
                    shown = await k.wait(shown_f, "the result screen")
                finally:
                    k.hooks.remove(marks)
                cpu = (process_time() - cpu0) * 1000
                kind = str(getattr(marks.outcome, "kind", ""))
                if kind != "redeemed":
                    raise RuntimeError(f"redeem outcome {kind!r}, expected 'redeemed'")
                exchanges = k.timer.since(t0)
                sent = min((x.start for x in exchanges), default=None)
                answered = max((x.end for x in exchanges), default=None)
                if i >= warmup:
                    samples.append({
                        "total": (shown - t0) * 1000,
                        "round_trips": sequential_round_trips(exchanges),
                        "requests": len(exchanges),
                        "to_request_sent": _ms(t0, sent),  # Enter, journal 'pending' (fsync)
                        "network": _ms(sent, answered),
                        "answer_to_finished": _ms(answered, marks.redeem_finished),
                        "finished_to_visible": _ms(marks.redeem_finished, shown),
                        "gc": k.gc_timer.within(t0, shown),
                        "cpu": cpu,
                    })
                await k.start_over()
                if i >= warmup:
                    samples[-1]["floor_http"] = await bare.get(ping)
                    samples[-1]["floor_paint"] = await k.empty_screen()
            result[f"redeem_{latency}ms"] = _collect(samples, latency)
        sim.call("latency", seconds=0)
    await bare.aclose()
    return result


async def render_lists(sim: SimProcess, sizes_runs: dict[int, int]) -> dict[str, Any]:
    """Figure 4: a member with N offers, scan -> list visible and data arrived -> visible."""
    result: dict[str, Any] = {}
    bare = BareHttp(sim)
    async with running_kiosk(sim) as k:
        for n, runs in sizes_runs.items():
            card = bench_card(400 + n)
            cid = sim.call("add_contact", first_name="Bench", card=card)
            sim.call("add_offers_bulk", contact_id=cid, n=n)
            samples = []
            for i in range(runs + 1):  # the first scan (cold cache, first layout) is warm-up
                await k.start_over()
                run = await _timed_scan(k, card)
                shown = len(k.app.screen.offers)  # type: ignore[attr-defined]
                if shown != n:
                    raise RuntimeError(f"{shown} offers on screen, expected {n}")
                run = await _with_floors(k, bare, run)
                if i:
                    samples.append(run)
            result[f"{n}_offers"] = _collect(samples, 0)
    await bare.aclose()
    return result

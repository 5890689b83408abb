"""``kiosk sim``: serve the Engage simulator in the foreground for integrators and tests."""

from __future__ import annotations

import argparse
import ipaddress
import math
import signal
import threading
from types import FrameType

from kiosk.errors import UsageError
from kiosk.sim.app import MAX_CLOCK_OFFSET
from kiosk.sim.demo import DEMO_API_KEY, load_demo_data
from kiosk.sim.rules import SimError
from kiosk.sim.server import Simulator


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C or SIGTERM; print the URL, the key and the demo cards. Exit 0."""
    try:
        state = load_demo_data(args.data)
    except (OSError, ValueError, KeyError, TypeError, SimError) as exc:  # one line, not a trace
        raise UsageError(f"--data {args.data}: {exc}") from None
    rate = args.rate_limit if args.rate_limit and args.rate_limit > 0 else None
    offset = getattr(args, "clock_offset", 0.0)
    if not math.isfinite(offset) or abs(offset) > MAX_CLOCK_OFFSET:
        raise UsageError(f"--clock-offset {offset:g}: at most {MAX_CLOCK_OFFSET:g} s either way")
    state.clock_offset = offset
    sim = Simulator(state, api_key=args.api_key or DEMO_API_KEY, host=args.host,
                    port=args.port, rate_limit=rate)
    try:
        url = sim.start()
    except (OSError, OverflowError) as exc:  # in use, unknown host; a port beyond 65535
        raise UsageError(f"--host {args.host} --port {args.port}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None

    stop = threading.Event()

    def _on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        _print_banner(sim, url, custom_key=bool(args.api_key), rate=rate)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.stop()
    print("Engage simulator stopped.", flush=True)
    return 0


def _print_banner(sim: Simulator, url: str, *, custom_key: bool, rate: float | None) -> None:
    out = [f"Engage simulator on {url}  (Ctrl+C stops; state is in memory only)"]
    if not _is_loopback(sim.host):
        out.append(f"WARNING: listening on {sim.host} without TLS: anyone who can reach this "
                   "port can read and change the simulated tenant.")
    # the demo key is public; a key the integrator chose is theirs, so it isn't echoed
    out.append("API key: " + ("(the one given with --api-key)" if custom_key
                              else sim.api_key) + "  (send it in the apikey header)")
    out.append("Rate limit: " + (f"{rate:g} requests/s per key" if rate else "off"))
    if sim.state.clock_offset:
        out.append(f"Clock: {abs(sim.state.clock_offset):g} s "
                   f"{'ahead of' if sim.state.clock_offset > 0 else 'behind'} the real time "
                   "(redeemedOn and the Date header)")
    cards = sim.state.demo_cards()
    if cards:
        out.append("Demo cards (look up with GET /api/v3/contacts/id?customKey=CARD):")
        width = max(len(c.first_name) for c in cards)
        out.extend(f"  {c.card}  {c.first_name:<{width}}  {c.note}" for c in cards)
    out.append("Admin: POST /sim/promotions/{id}/activate, GET|POST|DELETE /sim/faults, "
               "GET /sim/requests, POST /sim/reset, GET /sim/stats, GET|POST /sim/clock")
    print("\n".join(out), flush=True)

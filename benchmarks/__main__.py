"""``python -m benchmarks [--quick] [--only NAMES] [--out FILE]``: run, print, write JSON.

Exits 0 whenever the benchmarks ran (targets missed or not); 1 only when one could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import coldstart, flows, serial_path
from .report import rows_and_targets
from .simproc import SimProcess
from .stats import machine, table

RESULTS = Path(__file__).with_name("results")

#: Counts per benchmark: full (stable figures) and quick (CI: it runs, in seconds).
COUNTS: dict[str, dict[str, Any]] = {
    "full": {"cold_run": (20, 2), "cold_demo": (12, 1), "scan": (40, 5), "redeem": (30, 3),
             "render": {50: 20, 500: 12, 5000: 5}, "serial": (1000, 20),
             "endurance_core": 10_000, "endurance_ui_small": 1000, "endurance_ui": 10_000,
             "ui_budget_s": 600.0, "storm_s": 10.0, "soak": 5000},
    "quick": {"cold_run": (2, 0), "cold_demo": (1, 0), "scan": (2, 1), "redeem": (2, 0),
              "render": {50: 1, 500: 1, 5000: 1}, "serial": (5, 1),
              "endurance_core": 60, "endurance_ui_small": 8, "endurance_ui": 8,
              "ui_budget_s": 60.0, "storm_s": 1.0, "soak": 40},
}
NAMES = ("cold_start", "scan_to_offers", "confirm_to_result", "render", "endurance", "serial",
         "soak")


def _child(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> ARGS`` in a fresh process; its last line is JSON."""
    proc = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).parent.parent)
    if proc.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed: {proc.stderr.strip()[-1500:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _endurance(mode: str, cycles: int, storm_s: float = 10.0) -> dict[str, Any]:
    """One endurance run in a fresh process (its memory is the kiosk's alone)."""
    return _child("endurance", "--mode", mode, "--cycles", str(cycles),
                  "--storm-s", str(storm_s))


def soak(attempts: int) -> dict[str, Any]:
    """The fault soak (``benchmarks.soak``) in its own process."""
    return _child("soak", "--attempts", str(attempts))


def endurance(counts: dict[str, Any]) -> dict[str, Any]:
    """Core at the full count; the UI at the smaller count first, and at the full count too
    when that run's rate says the full count fits the time budget."""
    out: dict[str, Any] = {"core": _endurance("core", counts["endurance_core"],
                                              counts["storm_s"])}
    ui = _endurance("ui", counts["endurance_ui_small"])
    projected = counts["endurance_ui"] / (ui["cycles_per_s"] or 1.0)
    if counts["endurance_ui"] > ui["cycles"] and projected <= counts["ui_budget_s"]:
        ui = _endurance("ui", counts["endurance_ui"])
    ui["projected_s_for_full_count"] = round(projected)
    ui["full_count"] = counts["endurance_ui"]
    out["ui"] = ui
    return out


def run(names: list[str], quick: bool, cold_python: str = sys.executable
        ) -> tuple[dict[str, Any], list[str]]:
    """Every requested benchmark; a failure is recorded and the others still run."""
    counts = COUNTS["quick" if quick else "full"]
    results: dict[str, Any] = {}
    errors: list[str] = []

    def attempt(name: str, fn: Callable[[], Any]) -> None:
        started = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            results[name] = fn()
        except Exception as exc:  # report it, run the rest, exit non-zero at the end
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        else:
            print(f"  {name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr,
                  flush=True)

    with SimProcess() as sim:
        if "cold_start" in names:
            attempt("cold_start", lambda: {
                "python": cold_python,
                "kiosk_run_headless": coldstart.kiosk_run_headless(sim, *counts["cold_run"],
                                                                   python=cold_python),
                "tmux": coldstart.terminal_tmux(sim, *counts["cold_demo"], python=cold_python)})
        if "scan_to_offers" in names:
            attempt("scan_to_offers",
                    lambda: asyncio.run(flows.scan_to_offers(sim, *counts["scan"])))
        if "confirm_to_result" in names:
            attempt("confirm_to_result",
                    lambda: asyncio.run(flows.confirm_to_result(sim, *counts["redeem"])))
        if "render" in names:
            attempt("render", lambda: asyncio.run(flows.render_lists(sim, counts["render"])))
        if "serial" in names:
            attempt("serial", lambda: asyncio.run(
                serial_path.serial_to_card_scanned(sim, *counts["serial"])))
    if "endurance" in names:
        attempt("endurance", lambda: endurance(counts))
    if "soak" in names:
        attempt("soak", lambda: soak(counts["soak"]))
    return results, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny counts: proves every benchmark runs (seconds, for CI)")
    parser.add_argument("--only", default=",".join(NAMES),
                        help=f"comma-separated subset of: {', '.join(NAMES)}")
    parser.add_argument("--cold-python", default=sys.executable, metavar="PYTHON",
                        help="interpreter for the cold-start figures, e.g. a venv where kiosk "
                             "is installed from its wheel without the sim extra, as on a till "
                             "(default: this one, kiosk's bytecode compiled first)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json",
                        help="JSON results file (default: benchmarks/results/latest.json)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    # The developer's KIOSK_* settings must not leak into the measured kiosk.
    for key in [k for k in os.environ if k.startswith("KIOSK_")]:
        del os.environ[key]

    started = datetime.now(UTC)
    wall = time.perf_counter()
    results, errors = run(names, args.quick, args.cold_python)
    rows, targets = rows_and_targets(results)
    m = machine()
    mode = "quick" if args.quick else "full"
    doc: dict[str, Any] = {"mode": mode, "started": started.isoformat(timespec="seconds"),
                           "wall_s": round(time.perf_counter() - wall, 1), "machine": m,
                           "targets": targets, "results": results, "errors": errors}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    print(f"kiosk benchmarks ({mode}) on {m['cpu']}, {m['cores']} cores, "
          f"Python {m['python']}, textual {m['textual']}, httpx {m['httpx']}; "
          f"load {m['loadavg_at_start']}")
    print(table(rows))
    print()
    for t in targets:
        print(f"{'MET    ' if t['met'] else 'NOT MET' if t['met'] is False else 'n/a    '} "
              f"{t['target']}: {t['measured']}")
    for e in errors:
        print(f"ERROR {e}")
    print(f"\nJSON: {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

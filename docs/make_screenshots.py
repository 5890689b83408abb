"""Regenerate the README screenshots: ``.venv/bin/python docs/make_screenshots.py``.

Runs the demo kiosk frozen in time (``kiosk.ui.showcase``) headless, drives it with real keys
and saves what it shows as SVG: docs/scan.svg, docs/offers.svg, docs/result.svg and
docs/visit.svg (a second offer in one visit) and docs/voucher.svg (a reward voucher redeemed, with
its undo key) at 120x40. ``--all`` adds the confirmation, a failure, the offers that can't be
used and the shared-card chooser; ``--size 80x24 --out /tmp/x`` for other sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kiosk.ui import showcase

Flow = Callable[[Pilot[Any]], Awaitable[None]]
README_SHOTS: dict[str, Flow] = {
    "scan": showcase.scan_screen,
    "offers": showcase.offers_screen,
    "result": showcase.result_screen,
    "visit": showcase.visit_result_screen,
    "voucher": showcase.voucher_result_screen,
}
MORE_SHOTS: dict[str, Flow] = {
    "confirm": showcase.confirm_screen,
    "not-found": showcase.not_found_screen,
    "not-usable": showcase.not_usable_offers,
    "chooser": showcase.chooser_screen,
}


async def shoot(make_app: Callable[[], Any], flow: Flow, size: tuple[int, int]) -> str:
    """One fresh app driven by ``flow``; the screen it ends on, as SVG."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await flow(pilot)
        await pilot.pause()
        return str(app.export_screenshot(title="kiosk"))


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; print their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--size", default="120x40", help="WIDTHxHEIGHT (default 120x40)")
    parser.add_argument("--all", action="store_true",
                        help="also the confirmation, a failure and the visit screens")
    args = parser.parse_args(argv)
    # The README pictures are in colour with the normal theme whatever the shell says: a plain
    # TERM=xterm (16 colours) or TERM=linux would draw them with the Linux console's theme.
    os.environ.pop("NO_COLOR", None)
    os.environ["TERM"] = "xterm-256color"
    width, height = (int(n) for n in args.size.lower().split("x"))
    shots = {**README_SHOTS, **(MORE_SHOTS if args.all else {})}
    args.out.mkdir(parents=True, exist_ok=True)
    with showcase.frozen_demo() as make_app:
        for name, flow in shots.items():
            path = args.out / f"{name}.svg"
            path.write_text(asyncio.run(shoot(make_app, flow, (width, height))), encoding="utf-8")
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

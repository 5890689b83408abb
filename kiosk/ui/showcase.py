"""The demo kiosk frozen in time, for pictures: README screenshots and snapshot tests.

``kiosk demo`` dates its offers relative to now and names the till after the host; here the
simulator's clock and the lookup's "now" are one fixed instant, the store and till names are
fixed, the cursor doesn't blink and nothing pings on a timer, so the same keys always paint
the same screen. The flows drive the app with real keys, as staff would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, cast
from zoneinfo import ZoneInfo

from textual.pilot import Pilot

from kiosk.config import Settings
from kiosk.engage.client import EngageClient
from kiosk.journal import Journal
from kiosk.rewards import VOUCHER
from kiosk.sim import Simulator, load_demo_data
from kiosk.ui.app import KioskApp
from kiosk.ui.launch import build_services

#: The instant the pictures are taken (the demo's relative dates are computed from it).
FROZEN_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
STORE = "Demo Store"
TERMINAL = "Till 1"
ANNA = "2004173000100"       # the demo member with one offer of each value type
UNKNOWN_CARD = "2000000000039"  # a valid in-store EAN-13 that no demo member has
SHARED_CARD = "2004173000582"  # the demo's family card (Lars and Lena)


@contextmanager
def frozen_demo(language: str = "en") -> Iterator[Callable[[], KioskApp]]:
    """A started demo simulator at ``FROZEN_NOW``; yields a factory of fresh kiosk apps
    speaking ``language``.

    Each app has its own Engage client (closed by the app) and its own throwaway journal (an
    earlier picture's redemptions must not make a later one's look already used).
    """
    with TemporaryDirectory(prefix="kiosk-showcase-") as tmp, \
            Simulator(load_demo_data(clock=lambda: FROZEN_NOW), rate_limit=None) as sim:
        journals: list[Journal] = []

        def make_app() -> KioskApp:
            sim.state.reset()  # each picture starts from the seed (no offer used yet)
            path = Path(tmp) / f"journal-{len(journals)}.sqlite3"
            settings = Settings(engage_url=sim.url, engage_api_key=sim.api_key,
                                store_name=STORE, terminal_name=TERMINAL, journal_path=path,
                                log_dir=Path(tmp) / "log", language=language)
            journal = Journal(path)
            journals.append(journal)
            client = EngageClient(sim.url, sim.api_key)
            services = build_services(settings, client, journal,
                                      demo_cards=sim.state.demo_cards(), now=lambda: FROZEN_NOW)
            return KioskApp(services, cursor_blink=False, ping_interval=None)

        try:
            yield make_app
        finally:
            for journal in journals:
                journal.close()


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], object], what: str,
                   timeout: float = 10.0) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def _on(pilot: Pilot[Any], screen: str) -> Callable[[], bool]:
    return lambda: type(pilot.app.screen).__name__ == screen


async def scan_screen(pilot: Pilot[Any]) -> None:
    """The idle screen once Engage has answered its first check ("Engage: connected")."""
    app = cast(KioskApp, pilot.app)
    await wait_for(pilot, lambda: app.engage_state == "ok" and _on(pilot, "ScanScreen")(),
                   "the scan screen with Engage connected")


async def offers_screen(pilot: Pilot[Any], card: str = ANNA) -> None:
    """A card typed and Enter: the member's offers."""
    await scan_screen(pilot)
    await pilot.press(*card, "enter")
    await wait_for(pilot, _on(pilot, "OffersScreen"), "the offers screen")


async def confirm_screen(pilot: Pilot[Any], down: int = 0) -> None:
    """An offer chosen (``down`` presses from the first) and Enter: the confirmation."""
    await offers_screen(pilot)
    await pilot.press(*["down"] * down, "enter")
    await wait_for(pilot, _on(pilot, "ConfirmScreen"), "the confirmation")


async def result_screen(pilot: Pilot[Any], down: int = 2) -> None:
    """Confirmed with Enter: the redemption's result (default: Anna's 20 %)."""
    await confirm_screen(pilot, down)
    await pilot.press("enter")
    await wait_for(pilot, _on(pilot, "ResultScreen"), "the result")


async def voucher_result_screen(pilot: Pilot[Any]) -> None:
    """Anna's first reward voucher redeemed: what to take off, and F3 to give it back."""
    await offers_screen(pilot)
    # the vouchers follow the usable offers: Down to the first one
    for _ in range(40):
        item = getattr(pilot.app.screen, "highlighted_offer", None)
        if getattr(item, "kind", "") == VOUCHER:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, _on(pilot, "ConfirmScreen"), "the voucher's confirmation")
    await pilot.press("enter")
    await wait_for(pilot, _on(pilot, "ResultScreen"), "the voucher's result")


async def not_found_screen(pilot: Pilot[Any]) -> None:
    """A card no member has: the failure result."""
    await scan_screen(pilot)
    await pilot.press(*UNKNOWN_CARD, "enter")
    await wait_for(pilot, _on(pilot, "ResultScreen"), "the card-not-found result")


async def not_usable_offers(pilot: Pilot[Any]) -> None:
    """Anna's offers scrolled to the end: the ones she can't use here, each with its reason."""
    await offers_screen(pilot)
    await pilot.press("end")
    await pilot.pause()


async def visit_result_screen(pilot: Pilot[Any]) -> None:
    """Two offers in one visit: the second result lists both under "This visit"."""
    await result_screen(pilot)
    await pilot.press("enter")  # back to Anna's offers, read again
    app = cast(KioskApp, pilot.app)
    await wait_for(pilot, lambda: _on(pilot, "OffersScreen")() and app.visit is not None
                   and bool(app.visit.redeemed), "Anna's offers again")
    await pilot.press("home", "enter")
    await wait_for(pilot, _on(pilot, "ConfirmScreen"), "the confirmation")
    await pilot.press("enter")
    await wait_for(pilot, lambda: _on(pilot, "ResultScreen")() and app.visit is not None
                   and len(app.visit.redeemed) == 2, "the second result")


async def chooser_screen(pilot: Pilot[Any]) -> None:
    """The family card two members share: "which of you?" by first name."""
    await scan_screen(pilot)
    await pilot.press(*SHARED_CARD, "enter")
    await wait_for(pilot, _on(pilot, "ChooserScreen"), "the shared-card chooser")


def screen_text(app: KioskApp) -> str:
    """What the terminal shows right now, as plain text (one line per row, no styles)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)

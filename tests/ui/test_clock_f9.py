"""F9's "Clock vs Engage": the till's clock measured against the simulator's (run 5 s off),
in the staff's words with IT's state name in brackets; and the metrics file's clock series."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.engage.client import EngageClient
from kiosk.fleet.metrics import KioskMetrics, MetricsWriter
from kiosk.sim import Simulator
from kiosk.ui.screens.diagnostics import CLOCK_STATE_TEXT, state_text
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA


async def test_f9_says_the_tills_clock_is_off_engages(
        start_kiosk, sim: Simulator, engage: EngageClient, services: KioskServices,
        members: object) -> None:
    sim.state.clock_offset = -5.0  # the till runs 5 s ahead of Engage
    services.engage_clock = engage.clock
    async with start_kiosk() as k:
        await k.scan(ANNA)  # a lookup (the start's reachability check too): answers with a Date
        await k.screen_is("OffersScreen")
        await k.pilot.press("f9")
        await k.screen_is("DiagnosticsScreen")
        await k.wait_for(lambda: state_text(CLOCK_STATE_TEXT, "off") in k.text(),
                         "the clock's state")
        assert "Clock vs Engage  wrong: tell IT [off]" in k.text()
        assert "the till is" in k.text() and "s ahead of Engage" in k.text()


async def test_the_metrics_file_has_the_clock(sim: Simulator, tmp_path: Path) -> None:
    sim.state.clock_offset = 5.0
    metrics = KioskMetrics()
    async with EngageClient(sim.url, sim.api_key) as client:
        metrics.engage_clock = client.clock
        assert 'kiosk_engage_clock{kiosk_engage_clock="unknown"} 1.0' in metrics.text().decode()
        await client.ping()
        path = tmp_path / "kiosk.prom"
        assert MetricsWriter(metrics, path).write()
    text = path.read_text()
    assert 'kiosk_engage_clock{kiosk_engage_clock="off"} 1.0' in text
    low = next(line for line in text.splitlines()
               if line.startswith('kiosk_engage_clock_offset_seconds{bound="low"}'))
    assert 3.0 < float(low.split()[-1]) <= 5.0


def test_staff_read_why_a_dated_use_needs_checking() -> None:
    from kiosk.offers import Offer
    from kiosk.redeem import OutcomeKind, RedeemOutcome
    from kiosk.ui.messages_text import for_outcome

    offer = Offer(id="i", promotion_id="p", name="20 % off", value_type="PERCENT",
                  value_text="20 %", till_instruction="Give 20 % off")
    plain = for_outcome(RedeemOutcome(OutcomeKind.USED_CHECK, offer))
    clock = for_outcome(RedeemOutcome(OutcomeKind.USED_CHECK, offer, clock_off=True))
    assert plain.title == clock.title == "Used — check before applying"
    assert "but not when" in plain.body and "clock" not in plain.body
    assert "this till's clock doesn't agree with Engage's" in clock.body
    assert "Don't apply it" in clock.body


async def test_the_deferred_clients_clock_reaches_the_redeemer_f9_and_metrics_unbuilt(
        sim: Simulator, tmp_path: Path) -> None:
    """``kiosk run``'s wiring: the client (and the watch with it) is built on first use; until
    then the clock reads "unknown" without building it; then the redeemer sees the real one."""
    from kiosk.config import Settings
    from kiosk.engage.deferred import DeferredClient
    from kiosk.journal import Journal
    from kiosk.ui.launch import build_services

    sim.state.clock_offset = 5.0
    settings = Settings(engage_url=sim.url, engage_api_key=sim.api_key,
                        journal_path=tmp_path / "j.sqlite3", log_dir=tmp_path / "log")
    client = DeferredClient(lambda: EngageClient(sim.url, sim.api_key))
    metrics = KioskMetrics()
    with Journal(settings.journal_path) as journal:
        services = build_services(settings, client, journal, metrics=metrics)
        watch: Any = services.engage_clock
        assert watch is not None and watch.state == "unknown" and watch.offset() is None
        assert 'kiosk_engage_clock="unknown"} 1.0' in metrics.text().decode()
        assert not client.built
        await client.ping()
        assert watch.state == "off" and watch.offset().low > 3
        redeemer: Any = services.redeemer
        seen, measured = redeemer._engage_clock.offset(), client.clock.offset()
        assert abs(seen.low - measured.low) < 1e-3 and abs(seen.high - measured.high) < 1e-3
        assert 'kiosk_engage_clock="off"} 1.0' in metrics.text().decode()
        await client.aclose()

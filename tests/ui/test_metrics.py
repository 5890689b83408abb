"""KIOSK_METRICS_FILE: the textfile node_exporter reads, parsed while the kiosk runs."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from kiosk.fleet.metrics import KioskMetrics, MeteredLookup, MeteredRedeemer, MetricsWriter
from kiosk.journal import Journal
from kiosk.sim import Simulator
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, NOBODY, Members
from tests.ui.test_flow import choose


def read(path: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample in the file: {(name, labels): value}."""
    if not path.exists():
        return {}
    out = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(path: Path, name: str, **labels: str) -> float | None:
    return read(path).get((name, frozenset(labels.items())))


async def test_the_metrics_file_follows_the_kiosk(start_kiosk, services: KioskServices,
                                                  members: Members, journal: Journal,
                                                  sim: Simulator, tmp_path: Path) -> None:
    breaker = services.lookup.breaker
    metrics = KioskMetrics(journal_path=journal.path, breaker_state=lambda: breaker.state)
    services.lookup = MeteredLookup(services.lookup, metrics)  # as build_services wraps them
    services.redeemer = MeteredRedeemer(services.redeemer, metrics)
    services.metrics = metrics
    path = tmp_path / "kiosk.prom"
    writer = MetricsWriter(metrics, path, interval=0.05)
    writer.start()
    try:
        async with start_kiosk() as k:
            await k.wait_for(lambda: value(path, "kiosk_scanner_state", kiosk_scanner_state=
                                           "keyboard") == 1.0, "the first metrics file")
            await k.scan(ANNA)
            await choose(k, "Autumn 20")
            await k.pilot.press("enter")
            await k.screen_is("ConfirmScreen")
            await k.pilot.press("enter")
            await k.screen_is("ResultScreen")
            await k.scan(NOBODY)
            k.burst("2000000000016")  # a wrong check digit: read, not accepted
            await k.wait_for(lambda: value(path, "kiosk_redeems_total", outcome="redeemed")
                             == 1.0, "the redemption in the file")
            await k.wait_for(lambda: value(path, "kiosk_scans_total", source="wedge") == 3.0,
                             "three scans in the file")
            assert value(path, "kiosk_scans_accepted_total", source="wedge") == 2.0
            assert value(path, "kiosk_lookups_total", outcome="found") == 1.0
            assert value(path, "kiosk_lookups_total", outcome="not_found") == 1.0
            assert value(path, "kiosk_lookup_seconds_count") == 2.0
            assert value(path, "kiosk_redeem_seconds_count") == 1.0
            assert value(path, "kiosk_journal_unsettled_rows", state="pending") == 0.0
            assert value(path, "kiosk_journal_unpushed_rows") == 1.0
            assert value(path, "kiosk_engage_breaker", kiosk_engage_breaker="closed") == 1.0
            info = [labels for (name, labels) in read(path) if name == "kiosk_build_info"]
            assert info and dict(info[0])["version"]

            # The journal and the breaker are read when the file is written.
            journal.begin(store="S", terminal="T", masked_card="•••• 0015", contact_id="c",
                          offer_id="o", promotion_id=None, offer_name="x", value_applied="x")
            for _ in range(breaker.failure_threshold):
                breaker.record_failure()
            await k.wait_for(lambda: value(path, "kiosk_journal_unsettled_rows",
                                           state="pending") == 1.0, "a pending row")
            await k.wait_for(lambda: value(path, "kiosk_engage_breaker",
                                           kiosk_engage_breaker="open") == 1.0, "breaker open")
            text = path.read_text(encoding="utf-8")
    finally:
        writer.stop()
    # Nothing about members or the tenant: no card, name, contact, offer or key.
    for secret in (ANNA, NOBODY, "Anna", members.anna, members.offers["percent"],
                   sim.api_key, "Autumn"):
        assert secret not in text
    # the card's last four digits as a value of their own (inside a sample's float, e.g.
    # 0.0558660840015, they are a number's digits, not a card)
    assert re.search(rf"(?<![\d.]){ANNA[-4:]}(?!\d)", text) is None, text
    assert path.stat().st_mode & 0o777 == 0o644  # node_exporter runs as another user
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kiosk.prom")] == []


def test_an_unwritable_metrics_file_never_stops_the_kiosk(tmp_path: Path) -> None:
    writer = MetricsWriter(KioskMetrics(), tmp_path / "missing-dir" / "kiosk.prom")
    assert writer.write() is False and writer.write() is False
    (tmp_path / "missing-dir").mkdir()
    assert writer.write() is True


async def test_build_services_meters_lookups_and_redeems_when_asked(settings, engage,
                                                                   journal: Journal) -> None:
    from kiosk.ui.launch import build_services

    plain = build_services(settings, engage, journal)
    assert plain.metrics is None and not isinstance(plain.lookup, MeteredLookup)
    metrics = KioskMetrics()
    services = build_services(settings, engage, journal, metrics=metrics)
    assert isinstance(services.lookup, MeteredLookup)
    assert isinstance(services.redeemer, MeteredRedeemer)
    assert services.metrics is metrics
    services.lookup.breaker.record_failure()  # the one breaker the kiosk uses
    assert metrics.breaker_state is not None and metrics.breaker_state() == "closed"
    for _ in range(settings.breaker_failures):
        services.lookup.breaker.record_failure()
    assert metrics.breaker_state() == "open"


def test_a_failing_metric_never_reaches_the_kiosk(caplog) -> None:
    metrics = KioskMetrics()

    class ScannerStatus:  # a message the recorder knows, with a state it can't take
        state = object()

    metrics.scanner = None  # type: ignore[assignment]  # a broken recorder
    metrics.observe(ScannerStatus())
    metrics.lookup_done(None, float("nan"))
    assert "metrics: observe failed" in caplog.text


def test_every_redeem_outcome_the_kiosk_knows_is_its_own_label() -> None:
    from kiosk.redeem import OutcomeKind

    metrics = KioskMetrics()
    for kind in OutcomeKind:
        metrics.redeem_done(kind.value, 0.1)
    metrics.redeem_done("something-new", 0.1)
    text = metrics.text().decode()
    for kind in OutcomeKind:
        assert f'kiosk_redeems_total{{outcome="{kind.value}"}} 1.0' in text
    assert 'kiosk_redeems_total{outcome="error"} 1.0' in text

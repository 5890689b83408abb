"""The scan screen comes up before the Engage client is built (httpx isn't imported on the
way to the first frame), and the settings the client needs are still checked at start."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.breaker import CircuitBreaker
from kiosk.config import Settings
from kiosk.engage.client import EngageClient
from kiosk.engage.deferred import DeferredClient
from kiosk.errors import ConfigError
from kiosk.journal import Journal
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.ui.app import KioskApp
from kiosk.ui.launch import deferred_client
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import Members


async def test_first_frame_before_the_engage_client_is_built(
        sim, members: Members, journal: Journal, settings: Settings) -> None:
    built: list[float] = []

    def factory() -> EngageClient:
        built.append(time.monotonic())
        return EngageClient(sim.url, sim.api_key)

    client = DeferredClient(factory)
    breaker = CircuitBreaker(3, 15.0)
    services = KioskServices(
        lookup=MemberLookup(client, breaker=breaker),
        redeemer=Redeemer(client, journal, store="Test Store", terminal="Till 1",
                          breaker=breaker),
        journal=journal, settings=settings, engage=client)
    app = KioskApp(services, cursor_blink=False, ping_interval=None)
    frames: list[float] = []
    display = app._display

    def probe(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and not app._batch_count:
            frames.append(time.monotonic())

    app._display = probe  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 10
        while app.engage_state != "ok":  # the start-up check ran, through the built client
            assert time.monotonic() < deadline, "Engage never checked"
            await pilot.pause()
        assert client.built and frames
        assert frames[0] < built[0]  # the scan screen was on screen first
    assert not client.built or client._client._http.is_closed  # closed with the app


def test_a_bad_ca_bundle_or_missing_key_still_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="KIOSK_ENGAGE_CA_BUNDLE"):
        deferred_client(Settings(engage_url="https://engage.example", engage_api_key="k" * 16,
                                 engage_ca_bundle=bad))


async def test_an_unbuilt_client_closes_without_building() -> None:
    client = DeferredClient(lambda: pytest.fail("built only to be closed"))
    await client.aclose()
    assert not client.built

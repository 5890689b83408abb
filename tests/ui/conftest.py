"""The kiosk UI against the real simulator over HTTP, driven by Pilot.

Every test gets a fresh simulator with a few members of its own (so tests don't depend on the
demo data), a real EngageClient, a real SQLite journal and the real Redeemer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message

from kiosk.breaker import CircuitBreaker
from kiosk.config import Settings
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.journal import Journal
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.sim import Simulator
from kiosk.ui.app import KioskApp
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import Kiosk, Members, seed, till_clock


@pytest.fixture
def linux_console_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """The till's own console: the Linux VT (TERM=linux, no COLORTERM) with NO_COLOR set,
    for this test (the app reads them when it starts)."""
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def members(sim: Simulator) -> Members:
    return seed(sim)


@pytest.fixture
def settings(sim: Simulator, tmp_path: Path) -> Settings:
    return Settings(engage_url=sim.url, engage_api_key=sim.api_key, store_name="Test Store",
                    terminal_name="Till 1", log_dir=tmp_path / "log",
                    journal_path=tmp_path / "data" / "kiosk" / "journal.sqlite3")


def _client(sim: Simulator, redeem_read: float) -> EngageClient:
    return EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(
        connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=redeem_read))


@pytest.fixture
async def engage(sim: Simulator) -> AsyncIterator[EngageClient]:
    client = _client(sim, redeem_read=2.0)
    yield client
    await client.aclose()


@pytest.fixture
async def quick(sim: Simulator) -> AsyncIterator[EngageClient]:
    """A client that gives up on a redeem's answer after 0.3 s ("not confirmed yet")."""
    client = _client(sim, redeem_read=0.3)
    yield client
    await client.aclose()


@pytest.fixture
def services(engage: EngageClient, journal: Journal, settings: Settings) -> KioskServices:
    breaker = CircuitBreaker(3, 15.0)
    return KioskServices(
        lookup=MemberLookup(engage, breaker=breaker),
        redeemer=Redeemer(engage, journal, store="Test Store", terminal="Till 1",
                          recheck_delays=(0.05, 0.1), settle_window=0.6, verify_deadline=2.0,
                          breaker=breaker),
        journal=journal, settings=settings, clock=till_clock())


@pytest.fixture
def start_kiosk(services: KioskServices, sim: Simulator, journal: Journal
                ) -> Callable[..., Any]:
    """``async with start_kiosk(size=(80, 24), **app_kwargs) as kiosk:``.

    ``record_messages=False``: no ``kiosk.messages`` log. Every message holds its sender, so
    the log keeps every widget the app ever removed alive (tests of what gets freed need it
    off)."""
    import contextlib

    @contextlib.asynccontextmanager
    async def start(size: tuple[int, int] = (80, 24), notifications: bool = False,
                    services_: KioskServices | None = None, record_messages: bool = True,
                    **kwargs: Any) -> AsyncIterator[Kiosk]:
        kwargs.setdefault("cursor_blink", False)
        kwargs.setdefault("ping_interval", None)
        app = KioskApp(services_ or services, **kwargs)
        messages: list[Message] = []
        async with app.run_test(size=size, notifications=notifications,
                                message_hook=messages.append if record_messages else None
                                ) as pilot:
            kiosk = Kiosk(app, pilot, sim, journal, messages)
            await kiosk.screen_is("ScanScreen")
            yield kiosk
            await asyncio.wait_for(app.workers.wait_for_complete(), 10)

    return start

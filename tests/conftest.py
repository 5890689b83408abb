"""Shared fixtures: keep the developer's machine out of every test; the simulator and the
journal most tests run against (each defined once, here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.journal import Journal
from kiosk.sim import SimState, Simulator


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME and XDG dirs, and no KIOSK_* variables from the outside."""
    import os

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in list(os.environ):
        if var.startswith("KIOSK_"):
            monkeypatch.delenv(var)
    # One terminal for every test: the console theme is chosen from TERM and the colours.
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """An empty simulator on a free loopback port, without a rate limit: each test adds the
    members it needs. (tests/sim's own tests run against the demo tenant instead.)"""
    with Simulator(SimState(), rate_limit=None) as simulator:
        yield simulator


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A fresh journal file, in a directory the journal creates itself."""
    with Journal(tmp_path / "data" / "kiosk" / "journal.sqlite3") as j:
        yield j


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Every test starts (and leaves the process) in English, the msgids."""
    from kiosk import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
def till_zone() -> Iterator[Callable[[str], None]]:
    """``till_zone("Europe/Stockholm")``: the process's local zone (the till's: what
    ``datetime.astimezone()`` and ``time.localtime`` use) for this test; back after it."""
    import os
    import time

    before = os.environ.get("TZ")

    def use(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()

"""kiosk run / kiosk demo wiring: settings before Textual, services, the demo's own journal."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from kiosk.breaker import CircuitBreaker
from kiosk.commands.demo import demo_settings
from kiosk.config import Settings
from kiosk.engage.client import EngageClient
from kiosk.journal import Journal
from kiosk.lookup import MemberLookup
from kiosk.sim import Fault
from kiosk.ui.launch import build_services
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, Members


def test_launch_module_loads_no_textual_before_settings() -> None:
    code = "import sys, kiosk.ui.launch; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_kiosk_run_with_a_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "KIOSK_IDLE_TIMEOUT": "-1",
           "KIOSK_ENGAGE_URL": "https://engage.example", "KIOSK_ENGAGE_API_KEY": "k"}
    out = subprocess.run([sys.executable, "-m", "kiosk", "run"], capture_output=True, text=True,
                         env=env, timeout=30)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "KIOSK_IDLE_TIMEOUT" in out.stderr


async def test_build_services_shares_one_breaker_and_no_scanner_without_port(
        sim, tmp_path: Path) -> None:
    settings = Settings(engage_url=sim.url, engage_api_key=sim.api_key,
                        journal_path=tmp_path / "j.sqlite3", log_dir=tmp_path / "log")
    journal = Journal(settings.journal_path)
    client = EngageClient(sim.url, sim.api_key)
    try:
        services = build_services(settings, client, journal, notices=["hello"])
        assert services.scanner_factory is None
        assert services.lookup.breaker is services.redeemer._breaker
        assert services.engage is client
        assert services.notices[-1] == "hello"
        assert services.pin_guard is not None and not services.pin_guard.required
    finally:
        await client.aclose()
        journal.close()


def test_demo_settings_point_at_the_simulator_and_a_separate_journal(tmp_path: Path) -> None:
    base = Settings(store_name="Demo Store", journal_path=tmp_path / "real.sqlite3")
    demo = demo_settings(base, "http://127.0.0.1:9", "demo-key", tmp_path / "demo.sqlite3")
    assert demo.engage_url == "http://127.0.0.1:9" and demo.api_key() == "demo-key"
    assert demo.journal_path == tmp_path / "demo.sqlite3"
    assert demo.store_name == "Demo Store"
    assert base.journal_path == tmp_path / "real.sqlite3"


async def test_scan_screen_shows_engage_going_away_and_coming_back(
        start_kiosk, members: Members, services: KioskServices, sim) -> None:
    services.lookup = MemberLookup(services.lookup.client,
                                   breaker=CircuitBreaker(failure_threshold=1, cooldown=0.2))
    sim.faults.add(Fault("status", method="GET", path=r"/contacts/count$", status=503,
                         times=None))
    async with start_kiosk(ping_interval=0.1) as k:
        await k.wait_for(lambda: "Engage: unavailable" in k.text(), "outage shown")
        sim.faults.clear()
        await k.wait_for(lambda: "Engage: connected" in k.text(), "recovery shown")
        await k.scan(ANNA)
        await k.screen_is("OffersScreen")


def test_kiosk_run_with_an_unusable_journal_exits_2_with_one_line(tmp_path: Path) -> None:
    """A journal file that isn't a database, or a directory that can't be made: one line
    naming KIOSK_JOURNAL_PATH, exit 2, no traceback (the kiosk never got to its screen)."""
    not_a_db = tmp_path / "journal.sqlite3"
    not_a_db.write_text("not a database\n")
    blocked = tmp_path / "a-file" / "journal.sqlite3"  # its parent is a file
    (tmp_path / "a-file").write_text("")
    for journal in (not_a_db, blocked):
        env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "KIOSK_JOURNAL_PATH": str(journal),
               "KIOSK_ENGAGE_URL": "http://127.0.0.1:9", "KIOSK_ENGAGE_API_KEY": "k"}
        out = subprocess.run([sys.executable, "-m", "kiosk", "run"], capture_output=True,
                             text=True, env=env, timeout=30)
        assert out.returncode == 2, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert out.stderr.startswith(("kiosk: KIOSK_JOURNAL_PATH: cannot open the journal",
                                      f"kiosk: KIOSK_JOURNAL_PATH: the journal {journal} is "
                                      "damaged (file is not a database)"))


def _run_kiosk(env_extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "KIOSK_LOG_DIR": str(tmp_path / "log"),
           "KIOSK_ENGAGE_URL": "http://127.0.0.1:9", "KIOSK_ENGAGE_API_KEY": "k", **env_extra}
    return subprocess.run([sys.executable, "-m", "kiosk", "run"], capture_output=True,
                          text=True, env=env, timeout=60)


def test_kiosk_run_refuses_a_damaged_journal(tmp_path: Path) -> None:
    # Reproduction 5 of issue 10: 3 KB of random bytes mid-file were accepted at start, and a
    # redemption was then written into the damaged file.
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        for i in range(2000):
            j.begin(store="s", terminal="t", masked_card="•••• 0015", contact_id="c",
                    offer_id=f"inst-{i}", promotion_id=None, offer_name="Offer " + "x" * 100,
                    value_applied="20 %")
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(random.Random(3).randbytes(3072))
    damaged = path.read_bytes()
    out = _run_kiosk({"KIOSK_JOURNAL_PATH": str(path)}, tmp_path)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stderr.startswith(f"kiosk: KIOSK_JOURNAL_PATH: the journal {path} is damaged (")
    assert "move it aside" in out.stderr
    assert out.stdout == ""  # the UI never started
    assert path.read_bytes() == damaged  # nothing written into it


def test_kiosk_run_refuses_a_journal_it_cannot_write(tmp_path: Path) -> None:
    # Reproduction 5, second half: a read-only journal file was accepted at start.
    from kiosk.cli import main
    from tests.support import run_unprivileged, shared_folder

    with shared_folder() as folder:
        folder.chmod(0o777)  # the folder is writable: only the file is read-only
        path = folder / "journal.sqlite3"
        with Journal(path) as j:
            j.begin(store="s", terminal="t", masked_card="•••• 0015", contact_id="c",
                    offer_id="inst-1", promotion_id=None, offer_name="Offer", value_applied="v")
        path.chmod(0o444)

        def kiosk_run() -> int:
            os.environ.update({var: str(folder / var.lower()) for var in (
                "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")})
            os.environ.update({"HOME": str(folder), "KIOSK_LOG_DIR": str(folder / "log"),
                               "KIOSK_JOURNAL_PATH": str(path),
                               "KIOSK_ENGAGE_URL": "http://127.0.0.1:9",
                               "KIOSK_ENGAGE_API_KEY": "k"})
            return main(["run"])

        code, out, err = run_unprivileged(kiosk_run, timeout=60)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"kiosk: KIOSK_JOURNAL_PATH: the journal {path} is not writable ("), err


async def test_build_services_builds_the_lookup_and_redeemer_on_first_use(
        sim, tmp_path: Path) -> None:
    """Neither is built (nor kiosk.lookup / kiosk.redeem needed) by the scan screen's first
    frame; its status line still reads the shared breaker's state meanwhile."""
    settings = Settings(engage_url=sim.url, engage_api_key=sim.api_key,
                        journal_path=tmp_path / "j.sqlite3", log_dir=tmp_path / "log")
    journal = Journal(settings.journal_path)
    client = EngageClient(sim.url, sim.api_key)
    try:
        services = build_services(settings, client, journal)
        lookup: Any = services.lookup
        redeemer: Any = services.redeemer
        assert not lookup.built and not redeemer.built
        breaker = redeemer._breaker  # the real redeemer's: built now
        assert redeemer.built
        for _ in range(settings.breaker_failures):
            breaker.record_failure()
        assert lookup.breaker_state == "open" and not lookup.built
        assert lookup.breaker is breaker and lookup.built  # the real one, with the same breaker
        assert lookup.breaker_state == lookup.get().breaker_state == "open"
    finally:
        await client.aclose()
        journal.close()

"""``kiosk demo``: the Engage simulator in-process with demo members, and the kiosk against it.

Needs the ``sim`` extra (Starlette, uvicorn); ``kiosk.cli`` names it when it is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kiosk.config import Secret, Settings, load_settings
from kiosk.logs import configure_logging
from kiosk.sim import Simulator, load_demo_data
from kiosk.ui.launch import start


@contextlib.contextmanager
def _demo_dir() -> Iterator[Path]:
    # A throwaway journal: demo redemptions must never mix into a store's real journal.
    path = Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def demo_settings(settings: Settings, url: str, api_key: str, journal_path: Path) -> Settings:
    """The user's settings (store name, scanner, PIN...) pointed at the embedded simulator."""
    return settings.with_changes(
        engage_url=url, engage_api_key=Secret(api_key), engage_api_key_file=None,
        engage_ca_bundle=None, journal_path=journal_path,
    )


def main(args: argparse.Namespace) -> int:
    """``kiosk demo``: the simulator in-process with demo members, and the kiosk against it."""
    base = load_settings(getattr(args, "config", None), require_engage=False)
    if getattr(args, "language", None):  # --language wins over KIOSK_LANGUAGE and the file
        base = base.with_changes(language=args.language)
    with _demo_dir() as tmp, Simulator(load_demo_data()) as sim:
        settings = demo_settings(base, sim.url, sim.api_key, tmp / "demo-journal.sqlite3")
        log_path = configure_logging(settings, secrets=[sim.api_key])
        return start(settings, demo_cards=sim.state.demo_cards(), log_path=log_path)

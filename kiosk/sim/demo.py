"""The demo tenant: members and offers from ``assets/demo-data.json``, dates relative to today."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from kiosk.sim.state import SimState

# Not a secret: the key the simulator accepts unless told otherwise (printed by `kiosk sim`).
DEMO_API_KEY = "kiosk-demo-key"


def demo_data_path() -> Path:
    """Where the shipped demo data lives."""
    return Path(str(files("kiosk.assets") / "demo-data.json"))


def read_demo_data(path: Path | None = None) -> dict[str, Any]:
    """The seed data as JSON (``path`` or the shipped demo data)."""
    text = (path or demo_data_path()).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        raise ValueError(f"{path or 'demo data'}: expected an object with a 'members' list")
    return data


def load_demo_data(path: Path | None = None, **kwargs: Any) -> SimState:
    """A SimState seeded from ``path`` (default: the shipped demo data); ``reset()`` reloads it.

    Offer dates are stored relative (``expiresInDays``, ``redeemedDaysAgo``) and computed now,
    so the demo never rots. ``kwargs`` go to :class:`SimState` (e.g. ``clock``).
    """
    return SimState(seed=read_demo_data(path), **kwargs)

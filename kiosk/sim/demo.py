"""The demo tenant: members and offers from ``assets/demo-data.json``, dates relative to today."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from kiosk.i18n import N_
from kiosk.sim.state import SimState

# Not a secret: the key the simulator accepts unless told otherwise (printed by `kiosk sim`).
DEMO_API_KEY = "kiosk-demo-key"

#: The shipped demo data's card notes (``note`` in assets/demo-data.json), marked for the
#: catalogs: the scan screen's demo card list shows them in the staff's language. A note that
#: is not here (another data file's) is shown as written. tests/test_i18n.py keeps them in step.
DEMO_NOTES = (
    N_("every kind: 20 %, 100 kr, free coffee, till code; plus online-only, not-yet-valid, "
       "expired and used offers"),
    N_("offer names that look like markup, and a long instruction"),
    N_("a member with no offers"),
    N_("online-only offers: nothing to redeem in store"),
    N_("a family card shared by two members (Engage answers MultipleMatches)"),
)


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

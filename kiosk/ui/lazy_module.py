"""A module imported at its first use, for one the first frame doesn't need.

``messages = LazyModule("kiosk.ui.messages_text")`` reads like the module (``messages.for_error``)
and imports it when an attribute is first read; the type checker is given the real module
(``if TYPE_CHECKING: from kiosk.ui import messages_text``).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``, imported at the first attribute read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<LazyModule {self._name!r} {'imported' if self._module else 'not imported'}>"

"""``LazyModule`` imports its module at the first attribute read, not before."""

from __future__ import annotations

import sys

from kiosk.ui.lazy_module import LazyModule


def test_a_lazy_module_imports_at_the_first_read() -> None:
    sys.modules.pop("tabnanny", None)  # a small standard module nothing here imports
    lazy = LazyModule("tabnanny")
    assert "tabnanny" not in sys.modules and "not imported" in repr(lazy)
    check = lazy.check
    assert check is sys.modules["tabnanny"].check
    assert repr(lazy) == "<LazyModule 'tabnanny' imported>"

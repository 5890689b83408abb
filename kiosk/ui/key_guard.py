"""The key guard of the screens that answer keys (offers, confirm, result, undo).

Apart from ``kiosk.ui.screens.base``, which the scan screen's first frame imports: making a
Textual ``Screen`` subclass is ~3 M instructions, and the scan screen has no guard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from textual.screen import Screen

T = TypeVar("T")


class KeyGuard(Screen[T]):
    """For a screen that answers keys: ignore them for ``guard`` seconds after it appears, so
    an Enter pressed twice doesn't confirm unread, nor wipe a result before staff have read it.

    The screen calls :meth:`arm_key_guard` on mount and asks :attr:`guarding` in its actions;
    bindings are re-checked when the guard ends, so a greyed key lights up by itself.
    """

    def __init__(self, *, guard: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.key_guard = guard
        self._clock = clock
        self._guard_until = float("-inf")

    def arm_key_guard(self) -> None:
        """Start ignoring keys for ``key_guard`` seconds (from now)."""
        self._guard_until = self._clock() + self.key_guard
        if self.key_guard > 0:
            self.refresh_bindings()
            self.set_timer(self.key_guard, self.refresh_bindings)

    @property
    def guarding(self) -> bool:
        """True while the guard lasts."""
        return self._clock() < self._guard_until

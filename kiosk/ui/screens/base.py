"""What the kiosk's screens share: the staff keys, the status they show, the key guard."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeVar

from textual.screen import Screen

from kiosk.engage.outage import EngageState

#: The staff keys: function keys, which no barcode scanner can type.
STAFF_EXIT_KEY = "f10"
DIAGNOSTICS_KEY = "f9"
STAFF_KEYS: tuple[str, ...] = (STAFF_EXIT_KEY, DIAGNOSTICS_KEY)

#: What a scanner status shows when there is no serial scanner: typed and wedge input only.
KEYBOARD: Literal["keyboard"] = "keyboard"


class KioskStatus(NamedTuple):  # as a frozen dataclass, ~4 M instructions less to make at start
    """Engage's and the scanner's state as the app knows it; set on the screens that show it."""

    engage: EngageState = EngageState.UNKNOWN
    engage_rtt: float | None = None  # seconds of the last successful reachability check
    breaker: str = "closed"
    scanner: str = KEYBOARD  # KEYBOARD or a ``ScannerState`` value
    scanner_detail: str = ""
    engage_problem: str = ""  # the last Engage failure for IT (F9), e.g. the TLS reason


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

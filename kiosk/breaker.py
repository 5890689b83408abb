"""Circuit breaker for Engage calls: fail fast while Engage is down, probe after a cool-down.

Pure and clock-injectable so tests drive it without sleeping. States:
closed --(``failure_threshold`` consecutive failures)--> open --(``cooldown`` s)--> half-open
(exactly one probe allowed) --success--> closed / --failure--> open again.

Callers ask :meth:`CircuitBreaker.check` before an Engage operation and hand every call's
result to :meth:`CircuitBreaker.record`, which applies the one outage rule
(``kiosk.engage.outage.is_outage``); one breaker serves lookups, pings and redeems alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from kiosk.engage.outage import is_answer, is_outage

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Counts consecutive failures and refuses calls for ``cooldown`` seconds after too many."""

    def __init__(self, failure_threshold: int = 3, cooldown: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown < 0:
            raise ValueError("cooldown must not be negative")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_started: float | None = None

    @property
    def state(self) -> BreakerState:
        """``closed`` (calls pass), ``open`` (refused) or ``half-open`` (one probe allowed)."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    @property
    def failures(self) -> int:
        """Consecutive failures counted since the last success."""
        return self._failures

    def allow(self) -> bool:
        """May a call go out now? In half-open, True once per cool-down (the probe)."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        now = self._clock()
        # A probe whose result never came back (cancelled) must not block probing forever.
        if self._probe_started is not None and now - self._probe_started < self.cooldown:
            return False
        self._probe_started = now
        return True

    def check(self) -> None:
        """Raise ``CircuitOpen`` when no call may go out now (see :meth:`allow`)."""
        if not self.allow():
            from kiosk.engage.errors import CircuitOpen  # not imported by the first frame

            raise CircuitOpen(f"Engage unavailable; next try in {self.retry_in():.0f} s")

    def record(self, error: BaseException | None) -> None:
        """Count one call's result: an outage is a failure; any answer from Engage, even a
        refusal, is a success; our own ``CircuitOpen`` (nothing was sent) and a TLS failure (no
        answer) are neither."""
        if error is None:
            self.record_success()
        elif is_outage(error):
            self.record_failure()
        elif is_answer(error):
            self.record_success()

    def record_success(self) -> None:
        """A call got an answer from Engage: close the breaker."""
        self._failures = 0
        self._opened_at = None
        self._probe_started = None

    def record_failure(self) -> None:
        """A call failed for lack of Engage (timeout, connection, 5xx): count it; maybe open."""
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.failure_threshold:
            # A failed probe (or a late failure while open) restarts the cool-down.
            self._opened_at = self._clock()
            self._probe_started = None

    def retry_in(self) -> float:
        """Seconds until a call will be allowed again (0 when one is allowed now)."""
        if self._opened_at is None:
            return 0.0
        now = self._clock()
        if self._probe_started is not None:
            return max(0.0, self._probe_started + self.cooldown - now)
        return max(0.0, self._opened_at + self.cooldown - now)

    def __repr__(self) -> str:
        return f"CircuitBreaker(state={self.state!r}, failures={self._failures})"

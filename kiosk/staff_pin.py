"""The staff PIN: a salted PBKDF2 hash and a guard that locks after too many wrong entries.

Pure (no settings, no files): ``kiosk.config`` stores the hash, ``kiosk pin`` writes it and
``kiosk.ui.launch`` builds the guard from the settings.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Literal

PIN_ALGORITHM = "pbkdf2_sha256"
PIN_ITERATIONS = 600_000  # OWASP 2023 figure for PBKDF2-HMAC-SHA256; ~0.25 s per check
PIN_RE = re.compile(r"\d{4,12}")


# --- staff PIN --------------------------------------------------------------------------------

def hash_pin(pin: str, *, iterations: int = PIN_ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`` for a PIN."""
    import base64  # with a PIN only: not on a start without one
    import hashlib
    import secrets

    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"{PIN_ALGORITHM}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def parse_pin_hash(text: str) -> tuple[int, bytes, bytes] | None:
    """(iterations, salt, digest) from a stored hash, or None if it isn't one of ours."""
    parts = text.split("$")
    if len(parts) != 4 or parts[0] != PIN_ALGORITHM or not parts[1].isdigit():
        return None
    import base64

    try:
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except ValueError:
        return None
    iterations = int(parts[1])
    if not (1 <= iterations <= 10_000_000) or not salt or len(digest) != 32:
        return None
    return iterations, salt, digest


def check_pin_hash(stored: str, pin: str) -> bool:
    """Whether ``pin`` matches a stored hash (constant-time compare)."""
    parsed = parse_pin_hash(stored)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    import hashlib
    import hmac

    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)


PinResult = Literal["ok", "wrong", "locked"]


class PinGuard:
    """Counts wrong PINs: after ``max_attempts`` in a row the prompt locks for ``lockout`` s.

    Pure apart from the hash check (run ``attempt`` in a thread worker: it takes ~0.25 s).
    """

    def __init__(self, pin_hash: str | None, *, max_attempts: int = 5, lockout: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._hash = pin_hash
        self._max = max_attempts
        self._lockout = lockout
        self._clock = clock
        self._wrong = 0
        self._locked_until: float | None = None

    @property
    def required(self) -> bool:
        """False when no PIN is configured: the exit key then exits directly."""
        return self._hash is not None

    @property
    def wrong_attempts(self) -> int:
        """Wrong PINs since the last success or lockout."""
        return self._wrong

    def locked_for(self) -> float:
        """Seconds the prompt stays locked (0 when open)."""
        if self._locked_until is None:
            return 0.0
        left = self._locked_until - self._clock()
        if left <= 0:
            self._locked_until = None
            self._wrong = 0  # a fresh set of attempts after the lockout
            return 0.0
        return left

    def attempt(self, pin: str) -> PinResult:
        """Check one PIN entry; while locked nothing is checked."""
        if self._hash is None:
            return "ok"
        if self.locked_for() > 0:
            return "locked"
        if check_pin_hash(self._hash, pin):
            self._wrong = 0
            return "ok"
        self._wrong += 1
        if self._wrong >= self._max:
            self._locked_until = self._clock() + self._lockout
            return "locked"
        return "wrong"

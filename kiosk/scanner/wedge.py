"""Keyboard-wedge input: collect key characters until Enter, and tell a scanner from a person.

Pure (no Textual): the UI's scan widget calls :meth:`WedgeBuffer.feed` with ``event.character``
and ``event.time`` for each printable key, and :meth:`WedgeBuffer.submit` on ``enter`` or
``ctrl+j`` (a scanner's CR or LF suffix), all in one key handler so back-to-back scans stay apart.
"""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

from typing import NamedTuple

SCANNER_MAX_GAP = 0.05   # median seconds between a scanner's keys (people type > 0.1 s apart)
SCANNER_MIN_CHARS = 4    # fewer keys than this is too little to judge
STALE_GAP = 1.0          # a pause this long before a scanner burst: the text before it is stale


class WedgeScan(NamedTuple):
    """One submitted line: ``looks_scanned`` False means a person typed it (source "typed")."""

    text: str
    looks_scanned: bool
    #: the line hit the buffer cap and was cut: treat it as unreadable, never as a card
    truncated: bool = False


class WedgeBuffer:
    """Characters since the last Enter, with the time each arrived.

    A partial line typed (or a stray key pressed) earlier and left there is dropped when a
    scanner burst follows it after more than ``stale_gap`` seconds, so the scan still works;
    slow typing by a person is never dropped.
    """

    def __init__(self, max_length: int = 256, *, scanner_max_gap: float = SCANNER_MAX_GAP,
                 min_scan_chars: int = SCANNER_MIN_CHARS, stale_gap: float = STALE_GAP) -> None:
        self.max_length = max_length
        self.scanner_max_gap = scanner_max_gap
        self.min_scan_chars = min_scan_chars
        self.stale_gap = stale_gap
        self._chars: list[str] = []
        self._times: list[float] = []
        self._truncated = False

    @property
    def text(self) -> str:
        """What has been typed so far (for echoing a person's typing on screen)."""
        return "".join(self._chars)

    def feed(self, char: str | None, t: float) -> bool:
        """Add one printable character that arrived at time ``t``; False if it was not taken."""
        if char is None or len(char) != 1 or not char.isprintable():
            return False
        if len(self._chars) >= self.max_length:
            self._truncated = True  # keep memory bounded; the line is reported as cut
            return False
        self._chars.append(char)
        self._times.append(t)
        return True

    def backspace(self) -> None:
        """Remove the last character (a person correcting a typo)."""
        if self._chars:
            self._chars.pop()
            self._times.pop()

    def clear(self) -> None:
        """Forget the partial line."""
        self._chars.clear()
        self._times.clear()
        self._truncated = False

    def submit(self, t: float) -> WedgeScan | None:
        """End the line (Enter/LF at time ``t``); None when there was nothing to submit."""
        chars, times, truncated = self._chars, self._times, self._truncated
        self._chars, self._times, self._truncated = [], [], False
        if not chars:
            return None
        start = self._burst_start(times, t)
        chars, times = chars[start:], times[start:]
        return WedgeScan("".join(chars), self._is_burst(times, t), truncated)

    def _is_burst(self, times: list[float], end: float) -> bool:
        if len(times) < self.min_scan_chars:
            return False
        gaps = [b - a for a, b in zip(times, [*times[1:], end], strict=True)]
        return _median(gaps) <= self.scanner_max_gap

    def _burst_start(self, times: list[float], end: float) -> int:
        """Index after the last long pause, if what follows it is a scanner burst; else 0."""
        for i in range(len(times) - 1, 0, -1):
            if times[i] - times[i - 1] > self.stale_gap:
                return i if self._is_burst(times[i:], end) else 0
        return 0


def _median(values: list[float]) -> float:
    """``statistics.median``, without importing ``statistics`` (and ``fractions``, ``random``...)
    before ``kiosk run``'s first frame for it."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

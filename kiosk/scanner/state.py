"""The serial scanner's states, apart from the reader: the UI shows them without loading
pyserial (a till whose scanner is a keyboard wedge never needs it)."""

from __future__ import annotations

from enum import StrEnum


class ScannerState(StrEnum):
    """What the status bar shows about the serial scanner."""

    OFF = "off"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"

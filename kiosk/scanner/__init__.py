"""Scanner input, no Textual: barcode rules, keyboard-wedge buffer, serial reader, port lookup.

Every source ends in one call, ``ScanGate.check(raw)``, so serial, wedge and typed scans obey
the same rules and the same debounce.
"""

from kiosk.scanner.barcode import (
    Accepted,
    CardRules,
    Debouncer,
    Rejected,
    ScanGate,
    ean13_check_digit,
    is_valid_ean13,
    mask_card,
    parse_scan,
    strip_controls,
)
from kiosk.scanner.state import ScannerState
from kiosk.scanner.wedge import WedgeBuffer, WedgeScan

#: Names from ``serial_reader``, imported on first use: it loads pyserial, which a till whose
#: scanner is a keyboard wedge (no ``KIOSK_SCANNER_PORT``) never needs at start.
_SERIAL = frozenset({"SerialScanner", "scanner_from_settings"})


def __getattr__(name: str) -> object:
    if name in _SERIAL:
        from kiosk.scanner import serial_reader

        return getattr(serial_reader, name)
    raise AttributeError(f"module 'kiosk.scanner' has no attribute {name!r}")


__all__ = [
    "Accepted", "CardRules", "Debouncer", "Rejected", "ScanGate", "ScannerState", "SerialScanner",
    "WedgeBuffer", "WedgeScan", "ean13_check_digit", "is_valid_ean13", "mask_card", "parse_scan",
    "scanner_from_settings", "strip_controls",
]

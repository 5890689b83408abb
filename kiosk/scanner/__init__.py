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
from kiosk.scanner.serial_reader import ScannerState, SerialScanner, scanner_from_settings
from kiosk.scanner.wedge import WedgeBuffer, WedgeScan

__all__ = [
    "Accepted", "CardRules", "Debouncer", "Rejected", "ScanGate", "ScannerState", "SerialScanner",
    "WedgeBuffer", "WedgeScan", "ean13_check_digit", "is_valid_ean13", "mask_card", "parse_scan",
    "scanner_from_settings", "strip_controls",
]

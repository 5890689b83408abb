"""What the kiosk's screens share: the staff keys and the status they show (the key guard of
the screens that answer keys is ``kiosk.ui.key_guard``)."""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

from typing import Literal, NamedTuple

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
    #: the last Engage failure (F9): staff's words, a line break, IT's reason in brackets
    engage_problem: str = ""

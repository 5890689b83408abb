"""What the kiosk UI is given to work with (built by ``kiosk.ui.launch``, or by tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.lookup import MemberLookup

ScannerFactory = Callable[..., Any]


@dataclass
class KioskServices:
    """Everything the UI needs from the outside world, built by ``kiosk.ui.launch``.

    ``scanner_factory(on_line=, on_state=, on_junk=)`` returns an object with ``start()`` and
    ``stop()`` (a ``SerialScanner``) or None; ``pin_guard`` checks the staff PIN (None: no PIN
    configured, the exit key leaves directly); ``notices`` are one-line warnings for the scan
    screen (unresolved journal rows, a readable key file).
    """

    lookup: MemberLookup
    redeemer: Any
    journal: Any = None
    scanner_factory: ScannerFactory | None = None
    settings: Any = None
    demo_cards: Sequence[Any] = ()
    pin_guard: Any = None
    notices: list[str] = field(default_factory=list)
    #: the Engage client, closed when the app ends (None when the caller owns it, as tests do)
    engage: Any = None
    #: the log file, for the diagnostics screen
    log_path: Any = None
    #: ``kiosk.fleet.metrics.KioskMetrics`` when KIOSK_METRICS_FILE is set (the app reports
    #: the messages posted to it; the lookup and redeemer above are already metered)
    metrics: Any = None

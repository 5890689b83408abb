"""What the kiosk UI is given to work with (built by ``kiosk.ui.launch``, or by tests).

Each field is typed by what the UI calls on it, so a test can hand in a simulator-backed
lookup and redeemer, or any object with the same calls, without monkeypatching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.config import Settings
from kiosk.scanner.state import ScannerState
from kiosk.staff_pin import PinResult

if TYPE_CHECKING:  # the lookup and the redeemer are built (imported) after the first frame
    from kiosk.lookup import MemberLookup
    from kiosk.offers import Member
    from kiosk.redeem import ReconcileReport, RedeemOutcome, UndoOutcome
    from kiosk.rewards import Benefit


class RedeemService(Protocol):
    """The redemption flow (``kiosk.redeem.Redeemer``)."""

    async def redeem(self, member: Member, offer: Benefit) -> RedeemOutcome[Benefit]: ...
    async def undo(self, journal_id: int) -> UndoOutcome: ...
    async def reconcile(self) -> ReconcileReport: ...
    async def recheck_open(self, keep_going: Callable[[], bool] = ...) -> ReconcileReport: ...
    def add_listener(self, listener: Callable[[RedeemOutcome[Any]], None]) -> None: ...
    async def aclose(self) -> None: ...


class JournalCounts(Protocol):
    """The journal, as diagnostics, F2 recall and the scan screen's line about unresolved
    attempts read it (``kiosk.journal.Journal``)."""

    def counts(self) -> dict[str, int]: ...
    def rows(self, since: datetime | None = None,
             states: Iterable[Any] | None = None) -> Sequence[Any]: ...
    def unresolved(self) -> Sequence[Any]: ...
    def unresolved_reactivations(self) -> Sequence[Any]: ...


class EngageConnection(Protocol):
    """The Engage client the app closes when it ends (``kiosk.engage.client.EngageClient``)."""

    @property
    def base_url(self) -> str: ...
    async def aclose(self) -> None: ...


class PinCheck(Protocol):
    """The staff PIN guard (``kiosk.staff_pin.PinGuard``)."""

    @property
    def required(self) -> bool: ...
    def locked_for(self) -> float: ...
    def attempt(self, pin: str) -> PinResult: ...


class Scanner(Protocol):
    """A serial scanner the app starts on mount and stops on unmount (``SerialScanner``)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


class ScannerFactory(Protocol):
    """Builds the serial scanner with the app's callbacks (None: no serial scanner)."""

    def __call__(self, *, on_line: Callable[[str], None],
                 on_state: Callable[[ScannerState, str], None],
                 on_junk: Callable[[str], None] | None = None) -> Scanner | None: ...


class MessageObserver(Protocol):
    """Sees each message posted to the app (scans, scanner state); must never raise."""

    def observe(self, message: object) -> None: ...


class DemoCardLike(Protocol):
    """A demo card the scan screen lists (``kiosk.sim.DemoCard``)."""

    @property
    def card(self) -> str: ...
    @property
    def first_name(self) -> str: ...
    @property
    def note(self) -> str: ...


@dataclass
class KioskServices:
    """Everything the UI needs from the outside world, built by ``kiosk.ui.launch``.

    ``pin_guard`` checks the staff PIN (None: the exit key leaves directly); ``notices`` are
    one-line warnings for the scan screen (unresolved journal rows, a readable key file).
    """

    lookup: MemberLookup
    redeemer: RedeemService
    journal: JournalCounts | None = None
    scanner_factory: ScannerFactory | None = None
    settings: Settings | None = None
    demo_cards: Sequence[DemoCardLike] = ()
    pin_guard: PinCheck | None = None
    notices: list[str] = field(default_factory=list)
    #: the Engage client, closed when the app ends (None when the caller owns it, as tests do)
    engage: EngageConnection | None = None
    #: the log file, for the diagnostics screen
    log_path: Path | None = None
    #: the metrics recorder (``kiosk.fleet.metrics.KioskMetrics``) when KIOSK_METRICS_FILE is
    #: set: the app shows it every message posted to it (the lookup and redeemer above are
    #: then already metered by ``build_services``)
    metrics: MessageObserver | None = None

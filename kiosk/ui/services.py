"""What the kiosk UI is given to work with (built by ``kiosk.ui.launch``, or by tests).

Each field is typed by what the UI calls on it, so a test can hand in a simulator-backed
lookup and redeemer, or any object with the same calls, without monkeypatching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import Field, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the lookup and the redeemer are built (imported) after the first frame
    from collections.abc import Callable, Iterable
    from datetime import datetime
    from typing import Any, Protocol

    from kiosk.config import Settings
    from kiosk.lookup import MemberLookup
    from kiosk.offers import Member
    from kiosk.redeem import ReconcileReport, RedeemOutcome, UndoOutcome
    from kiosk.rewards import Benefit
    from kiosk.scanner.state import ScannerState
    from kiosk.staff_pin import PinResult


if TYPE_CHECKING:  # what the UI calls on each service: for the type checker only (making
    # eight Protocol classes was ~2.5 M instructions of every start)
    class RedeemService(Protocol):
        """The redemption flow (``kiosk.redeem.Redeemer``)."""

        async def redeem(self, member: Member, offer: Benefit) -> RedeemOutcome[Benefit]: ...
        async def undo(self, journal_id: int) -> UndoOutcome: ...
        async def reconcile(self) -> ReconcileReport: ...
        async def recheck_open(self, keep_going: Callable[[], bool] = ...
                               ) -> ReconcileReport: ...
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
        def data_version(self) -> int: ...  # changes when another process commits
        def changes(self) -> tuple[int, int]: ...  # changes after any commit (F2, a result)
        def get(self, row_id: int) -> Any: ...
        def resolutions(self) -> Sequence[Any]: ...  # attempts settled by hand
        def resolve(self, row_id: int, *, applied: bool, by: str, reason: str,
                    kiosk_running: bool = False) -> Any: ...  # F5 on F2, behind the PIN

    class EngageConnection(Protocol):
        """The Engage client the app closes when it ends (``kiosk.engage.client.EngageClient``)."""

        @property
        def base_url(self) -> str: ...
        async def aclose(self) -> None: ...

    class EngageClock(Protocol):
        """The clock watch F9 reads (``kiosk.engage.clock.ClockWatch``)."""

        @property
        def state(self) -> str: ...
        def offset(self) -> Any: ...

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

    from dataclasses import dataclass as record
else:
    def record(cls: type) -> type:
        """``dataclass``'s ``__init__`` and ``__repr__`` for ``cls``, made without compiling
        code: ``dataclass`` ``exec``s each method it writes, ~4 M instructions of every start
        for ``KioskServices`` alone. Fields in annotation order; a default is the class
        attribute, or a ``field(default_factory=...)``'s product for each instance."""
        names = tuple(cls.__annotations__)
        defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}
        for name, default in defaults.items():
            if isinstance(default, Field):
                delattr(cls, name)  # as dataclass: the class keeps no shared list

        def __init__(self: object, *args: object, **kwargs: object) -> None:
            if len(args) > len(names):
                raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments")
            values = dict(zip(names, args, strict=False))
            for name, value in kwargs.items():
                if name not in names or name in values:
                    raise TypeError(f"{cls.__name__}() got an unexpected or repeated argument "
                                    f"{name!r}")
                values[name] = value
            for name in names:
                if name not in values:
                    if name not in defaults:
                        raise TypeError(f"{cls.__name__}() missing argument {name!r}")
                    default = defaults[name]
                    values[name] = (default.default_factory()  # type: ignore[misc]
                                    if isinstance(default, Field) else default)
            self.__dict__.update(values)

        def __repr__(self: object) -> str:
            fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
            return f"{cls.__name__}({fields})"

        cls.__init__ = __init__  # type: ignore[misc]
        cls.__repr__ = __repr__  # type: ignore[method-assign]
        return cls


@record
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
    #: the till's wall clock for its day (F2's list, the "not confirmed" lines' today vs
    #: earlier): None is the system clock; tests pin it to an instant such as a summer-time night
    clock: Callable[[], datetime] | None = None
    #: the till's clock against Engage's (``kiosk.engage.clock.ClockWatch``), for F9's row
    #: (None: not measured, as for a client without one)
    engage_clock: EngageClock | None = None

"""The kiosk's metrics for the fleet's monitoring: a Prometheus textfile (``KIOSK_METRICS_FILE``).

node_exporter's textfile collector publishes any ``*.prom`` file in its directory, so the kiosk
needs no port of its own: :class:`MetricsWriter` rewrites the file every few seconds from a
background thread (write a hidden temporary file, then rename it over the old one, so the
collector never reads half a file), never from the UI's event loop.

What is recorded, and where:

* scans by source (``serial``, ``wedge``, ``typed``), read and accepted, and scanner junk -
  :meth:`KioskMetrics.observe`, which the app calls for each message posted to it;
* the scanner's state - the same messages;
* lookups and redemptions by outcome, with latency histograms - :class:`MeteredLookup` and
  :class:`MeteredRedeemer` around the services (the outcome and the time the UI waited);
* the Engage circuit breaker's state, the till's clock against Engage's and the journal's
  unsettled and unpushed rows - read when the file is written (``kiosk_*`` gauges);
* the build (version, Python).

Labels come only from fixed lists (sources, outcomes, states): no card number, name, contact
id, offer or key can become a label.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import platform
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Enum,
    Histogram,
    Info,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from kiosk import __version__
from kiosk.engage import errors as engage_errors
from kiosk.redeem import OutcomeKind

log = logging.getLogger(__name__)

# The *_created series only change at each restart: noise in a textfile (as node_exporter says).
disable_created_metrics()

#: Seconds between rewrites of the metrics file.
DEFAULT_INTERVAL = 5.0
SOURCES = ("serial", "wedge", "typed")
SCANNER_STATES = ("keyboard", "off", "connecting", "connected", "disconnected", "other")
BREAKER_STATES = ("closed", "open", "half-open")
CLOCK_STATES = ("ok", "off", "unknown")
#: Lookup outcomes by error type (the first match in the error's class hierarchy wins).
_LOOKUP_ERRORS: tuple[tuple[type[BaseException], str], ...] = (
    (engage_errors.CircuitOpen, "circuit_open"),
    (engage_errors.EngageUnreachable, "unreachable"),
    (engage_errors.ContactNotFound, "not_found"),
    (engage_errors.MultipleMatches, "multiple_matches"),
    (engage_errors.Unauthorized, "unauthorized"),
    (engage_errors.RateLimited, "rate_limited"),
    (engage_errors.ServerError, "server_error"),
    (engage_errors.BadRequest, "bad_request"),
    (engage_errors.BadResponse, "bad_response"),
    (engage_errors.EngageError, "engage_error"),
    (TimeoutError, "unreachable"),
)
#: Redemption outcomes: ``kiosk.redeem.OutcomeKind`` values, plus two for exceptions.
REDEEM_OUTCOMES = (*(kind.value for kind in OutcomeKind), "in-progress", "error")


def lookup_outcome(error: BaseException | None) -> str:
    """The ``outcome`` label of a lookup that ended with ``error`` (None: the member found)."""
    if error is None:
        return "found"
    for kind, label in _LOOKUP_ERRORS:
        if isinstance(error, kind):
            return label
    return "error"


class _Gauges(Collector):
    """Values read when the file is written: the breaker's state and the journal's backlog."""

    def __init__(self, metrics: KioskMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._clock()
        breaker = self.metrics.breaker_state
        if breaker is not None:
            state = _safe(breaker) or "closed"
            family = StateSetMetricFamily(
                "kiosk_engage_breaker", "Engage circuit breaker (open: lookups fail fast)",
                value={s: s == state for s in BREAKER_STATES})
            yield family
        counts = self.metrics.journal_counts()
        if counts is not None:
            unsettled = GaugeMetricFamily(
                "kiosk_journal_unsettled_rows", "Redemption attempts not yet settled with "
                "Engage (pending: no answer yet; unknown: to verify)", labels=["state"])
            for state in ("pending", "unknown"):
                unsettled.add_metric([state], counts.get(state, 0))
            yield unsettled
            if "unpushed" in counts:
                yield GaugeMetricFamily(
                    "kiosk_journal_unpushed_rows", "Journal rows whose latest change the "
                    "fleet database hasn't confirmed (kiosk journal push)",
                    value=counts["unpushed"])

    def _clock(self) -> Iterator[Metric]:
        """The till's clock against Engage's (``ClockWatch``): its state, and the measured
        offset's bounds while one is known."""
        watch = self.metrics.engage_clock
        if watch is None:
            return
        try:
            state, found = str(watch.state), watch.offset()
        except Exception:  # a metric must never take the kiosk down
            log.exception("metrics: the clock watch failed")
            return
        yield StateSetMetricFamily(
            "kiosk_engage_clock", "The till's clock against Engage's (the Date of its answers): "
            "off = more than the attribution margin (fix the till's time sync)",
            value={s: s == state for s in CLOCK_STATES})
        if found is not None:
            offset = GaugeMetricFamily(
                "kiosk_engage_clock_offset_seconds", "Engage's clock minus the till's: the "
                "measured interval's bounds (positive: the till is behind)", labels=["bound"])
            offset.add_metric(["low"], found.low)
            offset.add_metric(["high"], found.high)
            yield offset


F = TypeVar("F", bound=Callable[..., None])


def _never_raises(method: F) -> F:
    """A metric that fails is logged and dropped: it must never break a scan or a redeem."""
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            method(*args, **kwargs)
        except Exception:
            log.exception("metrics: %s failed", method.__name__)
    return wrapper  # type: ignore[return-value]


def _safe(read: Callable[[], str]) -> str | None:
    try:
        return str(read())
    except Exception:  # a metric must never take the kiosk down
        return None


class KioskMetrics:
    """The kiosk's metrics in their own registry (nothing global, so tests can make many)."""

    def __init__(self, *, journal_path: Path | None = None,
                 breaker_state: Callable[[], str] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.journal_path = journal_path
        self.breaker_state = breaker_state
        #: the Engage client's ``ClockWatch`` (set by ``build_services``; None: no clock series)
        self.engage_clock: Any = None
        r = self.registry
        self.scans = Counter("kiosk_scans", "Card numbers read (scanned or typed), by source",
                             ["source"], registry=r)
        self.accepted = Counter("kiosk_scans_accepted", "Card numbers that passed the barcode "
                                "rules and started a lookup, by source", ["source"], registry=r)
        self.junk = Counter("kiosk_scanner_junk", "Lines from the serial scanner dropped as "
                            "unreadable", registry=r)
        self.lookups = Counter("kiosk_lookups", "Member lookups by outcome", ["outcome"],
                               registry=r)
        self.redeems = Counter("kiosk_redeems", "Redemptions by outcome", ["outcome"],
                               registry=r)
        self.lookup_seconds = Histogram(
            "kiosk_lookup_seconds", "Card to member and offers (Engage round trips included)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0), registry=r)
        self.redeem_seconds = Histogram(
            "kiosk_redeem_seconds", "Confirmed to outcome (journal, POST, any verification)",
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0, 300.0), registry=r)
        self.scanner = Enum("kiosk_scanner_state", "The serial scanner's state (keyboard: none "
                            "configured)", states=list(SCANNER_STATES), registry=r)
        self.scanner.state("keyboard")
        Info("kiosk_build", "The kiosk's version", registry=r).info(
            {"version": __version__, "python": platform.python_version()})
        for source in SOURCES:  # every series exists from the start (rate() needs a zero)
            self.scans.labels(source)
            self.accepted.labels(source)
        r.register(_Gauges(self))

    # --- what the app reports --------------------------------------------------------------

    @_never_raises
    def observe(self, message: object) -> None:
        """Count a message posted to the app (by class name: no Textual import here)."""
        kind = type(message).__name__
        if kind == "RawScan":
            self.scans.labels(_source(message)).inc()
        elif kind == "CardScanned":
            self.accepted.labels(_source(message)).inc()
        elif kind == "ScannerStatus":
            state = str(getattr(message, "state", ""))
            if state == "junk":
                self.junk.inc()
            else:
                self.scanner.state(state if state in SCANNER_STATES else "other")

    @_never_raises
    def lookup_done(self, error: BaseException | None, seconds: float) -> None:
        """A lookup ended (``error`` None: found)."""
        self.lookups.labels(lookup_outcome(error)).inc()
        self.lookup_seconds.observe(seconds)

    @_never_raises
    def redeem_done(self, outcome: str, seconds: float) -> None:
        """A redemption ended with ``outcome`` (an ``OutcomeKind`` value)."""
        self.redeems.labels(outcome if outcome in REDEEM_OUTCOMES else "error").inc()
        self.redeem_seconds.observe(seconds)

    # --- read when written -----------------------------------------------------------------

    def journal_counts(self) -> dict[str, int] | None:
        """Unsettled rows by state and unpushed rows, on a read-only connection of its own
        (a WAL reader: the kiosk's writes never wait for it). None when there's no journal."""
        path = self.journal_path
        if path is None or not Path(path).exists():
            return None
        try:
            db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                                 timeout=1.0)
        except sqlite3.Error:
            return None
        try:
            out = {state: n for state, n in db.execute(
                "SELECT state, COUNT(*) FROM redemptions WHERE state IN ('pending', 'unknown')"
                " GROUP BY state")}
            with contextlib.suppress(sqlite3.Error):  # before schema 4 there is no outbox
                out["unpushed"] = db.execute(
                    "SELECT COUNT(*) FROM fleet_outbox WHERE seq >"
                    " (SELECT pushed_seq FROM fleet_till)").fetchone()[0]
            return out
        except sqlite3.Error:
            return None
        finally:
            db.close()

    def text(self) -> bytes:
        """The metrics in the text exposition format."""
        return generate_latest(self.registry)


def _source(message: object) -> str:
    source = str(getattr(message, "source", ""))
    return source if source in SOURCES else "other"


class MeteredLookup:
    """A ``MemberLookup`` that reports each lookup's outcome and time; otherwise the same."""

    def __init__(self, inner: Any, metrics: KioskMetrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def lookup(self, card: str, *args: Any, **kwargs: Any) -> Any:
        """``MemberLookup.lookup``, timed; a cancelled lookup (a new scan) isn't counted."""
        started = time.perf_counter()
        try:
            result = await self.inner.lookup(card, *args, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.metrics.lookup_done(exc, time.perf_counter() - started)
            raise
        self.metrics.lookup_done(None, time.perf_counter() - started)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class MeteredRedeemer:
    """A ``Redeemer`` that reports each redemption's outcome and time; otherwise the same."""

    def __init__(self, inner: Any, metrics: KioskMetrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def redeem(self, *args: Any, **kwargs: Any) -> Any:
        """``Redeemer.redeem``, timed."""
        started = time.perf_counter()
        try:
            outcome = await self.inner.redeem(*args, **kwargs)
        except Exception as exc:
            label = "in-progress" if type(exc).__name__ == "RedeemInProgress" else "error"
            self.metrics.redeem_done(label, time.perf_counter() - started)
            raise
        self.metrics.redeem_done(str(getattr(outcome.kind, "value", outcome.kind)),
                                 time.perf_counter() - started)
        return outcome

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class MetricsWriter:
    """Rewrites the metrics file every ``interval`` seconds from its own thread."""

    def __init__(self, metrics: KioskMetrics, path: Path,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.metrics = metrics
        self.path = Path(path)
        self.interval = interval
        self.writes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def write(self) -> bool:
        """Write the file once (temporary file, then rename); False if it couldn't be."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")  # not *.prom
        try:
            data = self.metrics.text()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # node_exporter runs as another user; the unit's umask is 077
            os.replace(tmp, self.path)
        except Exception as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if not self._failing:  # once per failure spell, not every few seconds
                log.warning("metrics file %s not written: %s", self.path,
                            getattr(exc, "strerror", None) or type(exc).__name__)
            self._failing = True
            return False
        if self._failing:
            log.info("metrics file %s written again", self.path)
        self._failing = False
        self.writes += 1
        return True

    def _run(self) -> None:
        while True:
            self.write()
            if self._stop.wait(self.interval):
                return

    def start(self) -> None:
        """Start writing (at once, then every ``interval`` seconds)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kiosk-metrics",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread, after one last write."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
            self.write()

"""``kiosk run``: settings first, then logging, services, and the app (``kiosk demo`` is the
same start against the simulator: ``kiosk.commands.demo``).

Settings are loaded before Textual is imported, so a bad setting stops the start in
milliseconds with one line and exit status 2 (``kiosk.cli`` prints ``ConfigError``). Nothing
here imports the simulator: a till's install has no web server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import i18n
from kiosk.config import Settings, load_settings
from kiosk.errors import ConfigError
from kiosk.staff_pin import PinGuard

#: Seconds ``kiosk run`` waits for the journal's owner lock (`kiosk journal resolve` holds it
#: for a moment; a kiosk already running on the journal, for good).
OWNER_WAIT = 3.0

if TYPE_CHECKING:
    import argparse

    from kiosk.ui.app import KioskApp
    from kiosk.ui.services import KioskServices


def build_services(settings: Settings, client: Any, journal: Any, *,
                   demo_cards: Sequence[Any] = (), notices: Sequence[str] = (),
                   log_path: Path | None = None,
                   now: Callable[[], datetime] | None = None,
                   metrics: Any = None, engage_clock: Any = None) -> KioskServices:
    """The app's services around one Engage client and one journal (one breaker for both
    lookups and redeems, so the scan screen shows one Engage state). ``now`` decides which
    offers have expired (a fixed instant for pictures; default the real time). With
    ``metrics`` (a ``KioskMetrics``) the lookup and redeemer report to it. Both are built on
    first use, after the scan screen's first frame (``kiosk.redeem`` when the app reconciles
    the journal, ``kiosk.lookup`` when the warm-up imports it or a scan or ping needs it);
    their settings were checked with the others. ``engage_clock`` is the client's
    ``ClockWatch`` (default: the client's own, through :class:`ClientClock` for a deferred
    one), for the redeemer, F9 and the metrics."""
    from functools import partial

    from kiosk.breaker import CircuitBreaker
    from kiosk.engage.deferred import DeferredClient
    from kiosk.ui.services import KioskServices

    i18n.set_language(settings.language)  # the notices below are for staff: in their language
    if engage_clock is None:
        engage_clock = ClientClock(client) if isinstance(client, DeferredClient) \
            else getattr(client, "clock", None)
    breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown)

    def lookup_now() -> Any:
        from kiosk.lookup import MemberLookup

        return MemberLookup(client, key=settings.lookup_key, breaker=breaker,
                            now=now or (lambda: datetime.now(UTC)), rewards=settings.rewards,
                            currency=settings.currency)

    lookup = DeferredLookup(lookup_now, breaker)

    def redeemer_now() -> Any:
        from kiosk.redeem import Redeemer

        return Redeemer(client, journal, store=settings.store_name,
                        terminal=settings.terminal_name, breaker=breaker,
                        settle_window=settings.redeem_settle_window,
                        recheck_delays=settings.redeem_recheck_delays,
                        engage_clock=engage_clock)

    redeemer = DeferredClient(redeemer_now)  # the client's stand-in serves the redeemer too
    factory = None
    if settings.scanner_port:  # pyserial is imported only for a serial scanner
        from kiosk.scanner.serial_reader import scanner_from_settings

        factory = partial(scanner_from_settings, settings)
    app_lookup: Any = lookup
    app_redeemer: Any = redeemer
    if metrics is not None:
        from kiosk.fleet.metrics import MeteredLookup, MeteredRedeemer

        metrics.breaker_state = lambda: breaker.state
        metrics.engage_clock = engage_clock
        app_lookup, app_redeemer = MeteredLookup(lookup, metrics), MeteredRedeemer(redeemer,
                                                                                   metrics)
    return KioskServices(lookup=app_lookup, redeemer=app_redeemer, journal=journal,
                         scanner_factory=factory, settings=settings, demo_cards=list(demo_cards),
                         pin_guard=pin_guard(settings),
                         notices=[*settings.warnings(), *notices], engage=client,
                         log_path=log_path, metrics=metrics, engage_clock=engage_clock)


class ClientClock:
    """A deferred client's clock watch (``ClockWatch``) for the redeemer, F9 and the metrics
    thread, without building the client (or importing the watch) before it is first used:
    "unknown" until then, as a watch with no answer yet is."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _watch(self) -> Any:
        return self._client.get().clock if self._client.built else None

    @property
    def state(self) -> str:
        watch = self._watch()
        return str(watch.state) if watch is not None else "unknown"

    def offset(self) -> Any:
        watch = self._watch()
        return watch.offset() if watch is not None else None


class DeferredLookup:
    """The member lookup, built on first use; the scan screen's status line reads its
    breaker's state from the start (the breaker is the lookup's own, built now)."""

    def __init__(self, factory: Callable[[], Any], breaker: Any) -> None:
        from kiosk.engage.deferred import DeferredClient

        self._deferred = DeferredClient(factory)
        self._breaker = breaker

    @property
    def breaker_state(self) -> str:
        """As ``MemberLookup.breaker_state``: the state of the breaker it is built with."""
        return self._breaker.state  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._deferred, name)  # anything else: the lookup itself (built now)


def pin_guard(settings: Settings, clock: Callable[[], float] = time.monotonic) -> PinGuard:
    """A guard for the configured staff PIN (its hash) with the configured limits."""
    pin = settings.staff_pin.get_secret_value() if settings.staff_pin else None
    return PinGuard(pin, max_attempts=settings.pin_max_attempts, lockout=settings.pin_lockout,
                    clock=clock)


def make_client(settings: Settings, *, verify: Any = None, clock: Any = None) -> Any:
    """One Engage client per process, with the configured timeouts and TLS (``verify``: a
    context already made from the settings, else made here) and clock watch (``clock``: one
    made before the client, else the client's own)."""
    from kiosk.engage.client import ClientTimeouts, EngageClient

    timeouts = ClientTimeouts(lookup_deadline=settings.engage_timeout,
                              redeem_read=settings.engage_redeem_timeout)
    if verify is None:
        verify = _verify(settings)
    return EngageClient(settings.engage_url, settings.api_key(), timeouts=timeouts,
                        verify=verify, proxy=settings.engage_proxy,
                        promotion_redeem_api=settings.promotion_redeem_api, clock=clock)


def _verify(settings: Settings) -> Any:
    return settings.ssl_context() if settings.engage_url.startswith("https") else True


def deferred_client(settings: Settings) -> Any:
    """The Engage client, built on first use (httpx isn't imported before the scan screen is
    up); the settings it needs are checked now, so a bad key or CA bundle still stops the
    start with one line (``ConfigError``)."""
    from kiosk.engage.deferred import DeferredClient

    settings.api_key()
    verify = _verify(settings)
    return DeferredClient(lambda: make_client(settings, verify=verify))


def open_journal(path: Path) -> Any:
    """The journal, checked (``PRAGMA quick_check`` and one real write), or one line naming
    the file and what to do (exit 2): the kiosk must not start on a journal that can't
    record redemptions, nor end in a traceback."""
    import sqlite3

    from kiosk.journal import Journal, JournalError, JournalInUse

    where = f"KIOSK_JOURNAL_PATH: the journal {path}"
    damaged = f"{where} is damaged ({{}}); move it aside for IT and start again (a new " \
        "journal is created)"
    try:
        journal = Journal(path)  # it creates a missing directory 0700 (the journal names members)
    except (OSError, sqlite3.Error, JournalError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        if type(exc) is sqlite3.DatabaseError:  # "not a database", "disk image is malformed"
            raise ConfigError(damaged.format(reason)) from None
        raise ConfigError(f"KIOSK_JOURNAL_PATH: cannot open the journal {path} ({reason})"
                          ) from None
    try:
        # While it runs, `kiosk journal resolve` (which holds the lock for a moment) can't
        # settle a row behind its back; a second kiosk on the same file can't start.
        journal.claim(wait=OWNER_WAIT)
    except JournalInUse:
        journal.close()
        raise ConfigError(f"{where} is in use by another running kiosk; one kiosk per journal "
                          "(stop the other, or give this one its own KIOSK_JOURNAL_PATH)"
                          ) from None
    except JournalError as exc:
        journal.close()
        raise ConfigError(f"{where} can't be locked ({str(exc).partition(': ')[2]}); let the "
                          "kiosk's user write the journal's folder") from None
    try:
        journal.check()
    except JournalError as exc:
        journal.close()
        kind, _, reason = str(exc).partition(": ")
        reason = " ".join(reason.split())  # SQLite's check lists one problem per line
        if kind == "damaged":
            raise ConfigError(damaged.format(reason)) from None
        raise ConfigError(f"{where} is not writable ({reason}); free disk space, or let the "
                          "kiosk's user write the file and its folder") from None
    return journal


def start(settings: Settings, *, demo_cards: Sequence[Any] = (),
           log_path: Path | None = None) -> int:
    """Open the journal, build the services and run the app until staff leave; its status."""
    from concurrent.futures import ThreadPoolExecutor

    # The journal check reads every page (SQLite releases the GIL): overlap it with imports.
    with ThreadPoolExecutor(1, thread_name_prefix="journal-check") as pool:
        opening = pool.submit(open_journal, settings.journal_path)
        from kiosk.ui.app import KEY_GUARD, KioskApp

        journal = opening.result()
    writer = None
    try:
        metrics = None
        if settings.metrics_file is not None:
            from kiosk.fleet.metrics import KioskMetrics, MetricsWriter

            metrics = KioskMetrics(journal_path=settings.journal_path)
            writer = MetricsWriter(metrics, settings.metrics_file)
        services = build_services(settings, deferred_client(settings), journal,
                                  demo_cards=demo_cards, log_path=log_path, metrics=metrics)
        app: KioskApp = KioskApp(services, key_guard=KEY_GUARD, tune_gc=True)
        if writer is not None:
            writer.start()  # its own thread, off the app's event loop
        app.run(mouse=False)
        return int(app.return_code or 0)
    finally:
        if writer is not None:
            writer.stop()
        journal.close()


def run(args: argparse.Namespace) -> int:
    """``kiosk run``: the production kiosk against the configured Engage tenant."""
    from kiosk.ui import heap

    heap.hold()  # no garbage collection before the first frame (kiosk.ui.heap)
    settings = load_settings(getattr(args, "config", None))
    from kiosk.logs import configure_logging

    return start(settings, log_path=configure_logging(settings))

"""KioskApp: scan -> member's offers -> confirm -> redeem -> result, keyboard only.

Services arrive through the constructor (``KioskServices``), so tests hand it a
simulator-backed lookup and redeemer. All I/O runs in workers that report back only through
messages; every scan starts a new *generation*, and answers for an older one are dropped.
Screens get their data through their constructors and the app sets what changes on them
(``status``, ``redeeming``); they tell the app what happened by posting messages.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import events, on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount

from kiosk import i18n
from kiosk.engage.outage import EngageState, state_after
from kiosk.i18n import N_, _
from kiosk.journal import JournalError, Kind, local_midnight
from kiosk.redeem_errors import RedeemInProgress
from kiosk.scanner.barcode import CardRules, Rejected, ScanGate, mask_value
from kiosk.scanner.state import ScannerState
from kiosk.scanner.typed import TYPED_KINDS, TypedRefused, route_typed
from kiosk.ui import heap, styles, warm
from kiosk.ui.console_theme import apply_console_theme, no_color_filters
from kiosk.ui.direct_keys import typed_into_field
from kiosk.ui.glyphs import CONSOLE, UNICODE, Glyphs, console_wanted
from kiosk.ui.lazy_module import LazyModule
from kiosk.ui.messages import (
    CardScanned,
    LookupDone,
    LookupFailed,
    RawScan,
    RecheckEngage,
    RedeemFinished,
    RedeemSettled,
    ScannerJunk,
    ScannerStatus,
    StartOver,
    UndoFinished,
)
from kiosk.ui.prepared import Built, PreparedResult
from kiosk.ui.screens.base import DIAGNOSTICS_KEY, KEYBOARD, STAFF_EXIT_KEY, KioskStatus
from kiosk.ui.screens.scan import ScanScreen
from kiosk.ui.services import KioskServices
from kiosk.ui.widgets.footer import key_name
from kiosk.ui.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from textual.timer import Timer

    # Engage's models (pydantic) come with the first Engage payload; the other screens and
    # the visit when first shown, or warmed up just after the first frame (``warm_up``).
    from kiosk.engage.models import LookupKey
    from kiosk.lookup import SharedCard
    from kiosk.offers import Member, Offer
    from kiosk.redeem import RedeemOutcome, UndoOutcome
    from kiosk.rewards import Benefit
    from kiosk.ui import messages_text
    from kiosk.ui.screens.confirm import ConfirmScreen
    from kiosk.ui.screens.offers import OffersScreen
    from kiosk.ui.screens.recall import Today
    from kiosk.ui.screens.result import ResultScreen, Undoable
    from kiosk.ui.services import Scanner
    from kiosk.visit import Visit
else:  # what staff read for an error or outcome, with Engage's errors: at the first one (~7 M
    # instructions of the start; the warm-up imports it after the first frame)
    messages_text = LazyModule("kiosk.ui.messages_text")

log = logging.getLogger(__name__)

__all__ = ["DIAGNOSTICS_KEY", "KEY_GUARD", "STAFF_EXIT_KEY", "KioskApp"]

#: Keys that quit, suspend or open a palette in a plain terminal app: here they do nothing.
LOCKED_KEYS = "ctrl+q,ctrl+c,ctrl+p,ctrl+z,ctrl+backslash"
#: Seconds a new confirmation or result ignores Enter/any key (``kiosk run`` uses this): an
#: Enter pressed twice must not confirm unread, nor wipe a result before staff have seen it.
KEY_GUARD = 0.5
#: Seconds after start-up when the heap is frozen (``tune_gc``), and of quiet on the scan
#: screen before the last customer's garbage is collected.
SETTLE_HEAP_AFTER = 2.0
IDLE_COLLECT_AFTER = 3.0
#: Seconds a settled answer stays on the scan screen as a notice (with its time): long enough
#: for staff to call the member back, short enough that the next customers' staff don't read
#: an old "apply" as theirs. F2 (today's redemptions) keeps it for the day.
SETTLE_NOTICE_TTL = 15 * 60.0
#: Seconds without a key before the warm-up after start goes on (a scan's keys come ~ms apart).
QUIET_AFTER_KEY = 0.3
#: While the journal holds unresolved attempts (the steady line is up), seconds between the
#: idle till's re-checks of them with Engage (``Redeemer.recheck_open``; one GET per member),
#: and seconds without any input before one starts.
RECHECK_OPEN_EVERY = 5 * 60.0
RECHECK_OPEN_QUIET = 20.0
#: While the steady line is up and the till idle, seconds between looks at whether another
#: process changed the journal (IT's ``kiosk journal resolve``; SQLite's ``data_version``, read
#: in a thread): if so, the line is counted again. The same interval, while F2's list or a "not
#: confirmed yet" result is on top, for whether the journal changed under it (``_watch_views``).
JOURNAL_WATCH_EVERY = 2.0


class KioskApp(App[int], inherit_bindings=False):
    """The till kiosk. Leave it only through the staff key (``STAFF_EXIT_KEY``) and the PIN."""

    CSS_PATH = "kiosk.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "kiosk"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(DIAGNOSTICS_KEY, "diagnostics", N_("Diagnostics"), id="diagnostics"),
        Binding(STAFF_EXIT_KEY, "staff_exit", N_("Staff exit"), id="staff_exit"),
        Binding(LOCKED_KEYS, "ignore", show=False, priority=True, system=True),
    ]

    #: True while a redemption is in flight (its key is disabled; idle reset waits).
    redeeming: reactive[bool] = reactive(False)
    #: KEYBOARD (no serial scanner) or the serial scanner's state.
    scanner_state: reactive[ScannerState | Literal["keyboard"]] = reactive(KEYBOARD)
    scanner_detail: reactive[str] = reactive("")
    #: Whether Engage can be used (``kiosk.engage.outage.state_after`` decides).
    engage_state: reactive[EngageState] = reactive(EngageState.UNKNOWN)
    #: the last Engage failure for IT (F9), e.g. the TLS reason; "" while Engage answers
    engage_problem: reactive[str] = reactive("")
    #: seconds of the last successful reachability check
    engage_rtt: reactive[float | None] = reactive(None)
    #: "" or "Looking up •••• 4931…" (a typed e-mail: "Looking up the e-mail address…") while
    #: a lookup runs. Its watcher shows it; no repaint of the whole screen (that was a full
    #: frame of the scan screen on every scan).
    busy_text: reactive[str] = reactive("", repaint=False)

    def __init__(self, services: KioskServices, *, idle_timeout: float | None = None,
                 ping_interval: float | None = 30.0, cursor_blink: bool = True,
                 key_guard: float = 0.0, console: bool | None = None, tune_gc: bool = False,
                 clock: Callable[[], float] = time.monotonic,
                 recheck_open_every: float = RECHECK_OPEN_EVERY,
                 journal_watch_every: float = JOURNAL_WATCH_EVERY) -> None:
        settings = services.settings
        # Before anything builds text: the staff's language for every screen and offer.
        i18n.set_language(str(getattr(settings, "language", None) or i18n.LANGUAGES[0]))
        super().__init__()
        self.services = services
        #: the Linux console (or 16 colours): base ANSI colours, reverse-video selection, and
        #: only characters its font has (``None``: detect from TERM and the colour system)
        self.console_mode = console_wanted(os.environ, self.console.color_system) \
            if console is None else console
        self.glyphs: Glyphs = CONSOLE if self.console_mode else UNICODE
        apply_console_theme(self, console=self.console_mode, no_color=self.no_color)
        self.idle_timeout = idle_timeout if idle_timeout is not None else (
            settings.idle_timeout if settings is not None else 60.0)
        self.ping_interval = ping_interval
        self.cursor_blink = cursor_blink
        #: seconds a confirmation/result ignores keys after it appears (0: off, as in tests)
        self.key_guard = key_guard
        self.store_name = settings.store_name if settings is not None else ""
        self.terminal_name = settings.terminal_name if settings is not None else ""
        rules = CardRules.from_settings(settings) if settings is not None else CardRules()
        self.gate = ScanGate(rules)
        self.generation = 0
        self.member: Member | None = None
        #: the member being served and what was redeemed for them (None between customers)
        self.visit: Visit | None = None
        #: what staff may type instead of scanning (KIOSK_TYPED_LOOKUP)
        self.typed_kinds = settings.typed_kinds if settings is not None else frozenset(
            TYPED_KINDS)
        self._clock = clock
        self._last_input = clock()
        self._last_key = -math.inf
        self._idle_warning_shown = False
        self._scanner: Scanner | None = None
        self._last_ping = clock()
        self._reconcile_due = False  # unverified redemptions left: retry when Engage is back
        #: seconds between the idle till's re-checks of unresolved attempts, and the last one
        self.recheck_open_every = recheck_open_every
        self._last_recheck = clock()  # the start-up reconciliation is the first
        #: the journal's ``data_version`` when the steady line was last counted, and the last
        #: look at it (``_watch_journal``)
        self._journal_version: int | None = None
        self._last_journal_look = -math.inf
        #: seconds between looks at the journal while something on screen shows it
        self.journal_watch_every = journal_watch_every
        #: F2's reads of the day, numbered: an older read never replaces a newer one on screen
        self._recall_reads = self._recall_shown = 0
        #: the scan screen's steady lines while the journal has unresolved attempts
        #: (kiosk.ui.open_attempts); F4 never hides them
        self._open_lines: list[str] = []
        #: counts them again at the till's next midnight while some are today's (kiosk.ui.app)
        self._midnight_recount: Timer | None = None
        self._settle_notices: list[str] = []
        #: of those, the ones about attempts still unresolved: F4 doesn't hide them
        self._open_notices: set[str] = set()
        self.settle_notice_ttl = SETTLE_NOTICE_TTL
        #: ``kiosk run``: freeze the start-up heap, collect between customers (kiosk.ui.heap)
        self.tune_gc = tune_gc
        self._garbage_since_collect = False
        #: no automatic collection from a scan or Enter until its answer is painted
        self._gc_hold = heap.FlowHold(self)
        #: the success result built while staff read the confirmation (kiosk.ui.prepared)
        self._prepared = PreparedResult(self)
        #: an empty offers screen made while the scan screen is idle, for the next answer
        self._prepared_offers: tuple[OffersScreen, AwaitMount] | None = None

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters; on the console with NO_COLOR, the terminal's own colours (its
        greyscale filter would draw black on the VT's black)."""
        filters = super().get_line_filters()
        return no_color_filters(filters) if self.console_mode and self.no_color else filters

    # --- lifecycle --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        settings = self.services.settings
        screen = ScanScreen(store_name=self.store_name, terminal_name=self.terminal_name,
                            lookup_key=settings.lookup_key if settings is not None
                            else "customKey", demo_cards=self.services.demo_cards,
                            cursor_blink=self.cursor_blink, typed_kinds=self.typed_kinds)
        screen.set_reactive(ScanScreen.notices, tuple(self.services.notices))
        return screen

    def on_mount(self) -> None:
        self.set_interval(min(1.0, self.idle_timeout / 4), self._check_idle)
        self.set_interval(self.journal_watch_every, self._watch_views)
        factory = self.services.scanner_factory
        if factory is not None:
            try:
                self._scanner = factory(on_line=self._serial_line, on_state=self._serial_state,
                                        on_junk=self._serial_junk)
            except Exception:  # a broken scanner must not keep the till from starting
                log.exception("serial scanner could not be created")
                self.scanner_state = ScannerState.DISCONNECTED
            if self._scanner is not None:
                self._scanner.start()
        # After the first frame: the scan screen is up before the Engage client or the
        # redeemer (kiosk.redeem) is even built. Answers a background check settles ("not
        # confirmed yet" -> the answer) come back to ``_settled``.
        self.call_after_refresh(self._listen_for_settled)
        self.call_after_refresh(self._reconcile)
        # The other screens' rules (kiosk.ui.styles), before the first of them is made.
        self.call_after_refresh(styles.add_screen_rules, self)
        self.call_after_refresh(self._prepare_offers)
        # And what the first customer needs, imported while the till waits for them.
        self.call_after_refresh(warm.warm_up, self, self._may_warm_up)
        if self.ping_interval:
            # Check often while Engage is away (the breaker keeps it cheap), rarely when fine.
            self.set_interval(min(5.0, self.ping_interval), self._maybe_ping)
        if self.tune_gc:
            heap.tune()
            self.call_after_refresh(heap.release)  # `kiosk run` held it for the start-up
            # After the first frame and the start-up checks: what lives now lives all shift.
            self.set_timer(SETTLE_HEAP_AFTER, heap.settle)
            self.set_interval(IDLE_COLLECT_AFTER / 2, self._collect_when_idle)

    def _listen_for_settled(self) -> None:
        self.services.redeemer.add_listener(self._settled)  # builds a deferred redeemer

    def _may_warm_up(self) -> bool:
        """Whether the warm-up after start may take a step now: the start-up check has built
        the Engage client (httpx and Engage's models: it goes first, a scan needs it), and no
        customer is being served (no key for ``QUIET_AFTER_KEY`` s, no lookup or redemption
        running)."""
        return getattr(self.services.engage, "built", True) and not self.busy_text \
            and not self.redeeming and self._clock() - self._last_key >= QUIET_AFTER_KEY

    def _collect_when_idle(self) -> None:
        """Collect the last customer's garbage while nobody is waiting (kiosk.ui.heap)."""
        if len(self.screen_stack) > 1:
            self._garbage_since_collect = True
        elif (self._garbage_since_collect and not self.busy_text and not self.redeeming
                and self._clock() - self._last_input >= IDLE_COLLECT_AFTER):
            self._garbage_since_collect = False
            heap.collect()

    def _hold_gc(self) -> None:
        """A flow starts (a scan, a confirmed redemption): no collection until it's painted."""
        # And its garbage is collected once the till is idle again: a customer served between
        # two of the idle check's looks at the screen stack (1.5 s) left it uncollected.
        self._garbage_since_collect = True
        if self.tune_gc:
            self._gc_hold.hold()

    def _release_gc_after_paint(self) -> None:
        """Collection back on once the screen now on top has been painted."""
        if self._gc_hold.held:
            self.screen.call_after_refresh(self._gc_hold.release)

    async def on_unmount(self) -> None:
        self._gc_hold.release()
        self._prepared.discard()
        if self._scanner is not None:
            self._scanner.stop()
        # Background checks stop; their rows stay 'unknown' and the next start reconciles them.
        await self.services.redeemer.aclose()
        if self.services.engage is not None:
            await self.services.engage.aclose()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_input = self._last_key = self._clock()  # activity for the idle reset
            self._hide_idle_warning()
            if _starts_flow(self.screen, event):
                self._hold_gc()  # from the key on, not from the message it leads to
            if typed_into_field(self, event):
                return  # the scan field's character (kiosk.ui.direct_keys)
        await super().on_event(event)

    def post_message(self, message: Message) -> bool:
        """Every message to the app (scans, scanner state...) is shown to the metrics first."""
        metrics = self.services.metrics
        if metrics is not None:
            metrics.observe(message)
        return super().post_message(message)

    def watch_redeeming(self, redeeming: bool) -> None:
        shows_it = (_loaded("offers", "OffersScreen"), _loaded("confirm", "ConfirmScreen"))
        for screen in self.screen_stack:
            if isinstance(screen, shows_it):
                screen.redeeming = redeeming
        if redeeming:  # greyed when the POST has left (kiosk.ui.screens.confirm); refused now
            from kiosk.ui.screens.confirm import BUSY_DRAWN_AFTER  # loaded: confirmed there

            self.set_timer(BUSY_DRAWN_AFTER, self._draw_busy_keys)
        else:
            self.screen.refresh_bindings()

    def _draw_busy_keys(self) -> None:
        if self.redeeming:  # still waiting (an answer since then redrew the keys itself)
            self.screen.refresh_bindings()

    def action_ignore(self) -> None:
        """The locked keys land here: nothing happens."""

    # --- what the screens show (attributes down) -----------------------------------------------
    @property
    def status(self) -> KioskStatus:
        """Engage's and the scanner's state, as the scan and diagnostics screens show it."""
        return KioskStatus(engage=EngageState(self.engage_state), engage_rtt=self.engage_rtt,
                           breaker=self.services.lookup.breaker_state,
                           scanner=str(self.scanner_state), scanner_detail=self.scanner_detail,
                           engage_problem=self.engage_problem)

    def _show_status(self) -> None:
        status = self.status
        shows_it = (ScanScreen, _loaded("diagnostics", "DiagnosticsScreen"))
        for screen in self.screen_stack:
            if isinstance(screen, shows_it):
                screen.status = status

    watch_engage_rtt = watch_scanner_state = watch_scanner_detail = _show_status
    watch_engage_problem = _show_status

    def watch_busy_text(self, text: str) -> None:
        shows_it = (ScanScreen, _loaded("result", "ResultScreen"))
        for screen in self.screen_stack:
            if isinstance(screen, shows_it):
                screen.busy_text = text

    # --- serial scanner thread -> messages (called from its thread: post only) ---------------
    def _serial_line(self, line: str) -> None:
        self.post_message(RawScan(line, "serial"))

    def _serial_state(self, state: ScannerState, detail: str) -> None:
        self.post_message(ScannerStatus(state, detail))

    def _serial_junk(self, reason: str) -> None:
        self.post_message(ScannerJunk(reason))

    def on_scanner_junk(self, message: ScannerJunk) -> None:
        msg = messages_text.for_rejected_scan(message.reason)
        self.notify(msg.body, title=msg.title, severity="warning")

    def on_scanner_status(self, message: ScannerStatus) -> None:
        self.scanner_state = message.state
        self.scanner_detail = message.detail

    # --- scans ------------------------------------------------------------------------------
    @on(ScanInput.Submitted)
    def _typed(self, message: ScanInput.Submitted) -> None:
        self.post_message(RawScan(message.text, message.source))

    def on_raw_scan(self, message: RawScan) -> None:
        """Every scan source passes the same gate: barcode rules, then the debouncer."""
        self._last_input = self._clock()
        text, key = message.text, None
        if message.source == "typed":
            routed = route_typed(text, self.typed_kinds)
            if isinstance(routed, TypedRefused):
                msg = messages_text.for_rejected_scan(routed.reason)
                self.notify(msg.body, title=msg.title, severity="warning")
                return
            if routed.key is not None:  # an e-mail or phone number: its own key, never `any`
                self.post_message(CardScanned(routed.value, message.source, routed.key))
                return
            text = routed.value  # a card number without the spaces/dashes printed on cards
        result = self.gate.check(text)
        if result is None:
            return  # the same card again within the debounce window
        if isinstance(result, Rejected):
            msg = messages_text.for_rejected_scan(result.reason)
            self.notify(msg.body, title=msg.title, severity="warning")
            return
        self.post_message(CardScanned(result.card, message.source, key))

    async def on_card_scanned(self, message: CardScanned) -> None:
        """The one place a scan starts over: drop what was shown, look the card up."""
        self._hold_gc()
        self.generation += 1
        generation = self.generation
        self.member = None
        self.visit = None  # a new scan is a new visit
        await self._unwind()
        # The lookup first: its requests leave before the busy line's frame is drawn (drawn
        # first, it delayed a known card's GETs, which start a loop step later, by a frame).
        typed = message.source == "typed"
        # What staff gave, by its Engage key: a typed e-mail/phone's own (None for a typed
        # card), the till's KIOSK_LOOKUP_KEY for a scan. The busy line and a "not found" say it.
        named = message.key if typed else self._scan_key()
        self._lookup(message.card, generation, message.key, named, typed)
        # Named by the key the lookup goes by (a typed card number: the till's, like a scan's),
        # so a personal number's digits are never on the busy line.
        self.busy_text = messages_text.looking_up(message.card, named or self._scan_key())

    def _scan_key(self) -> LookupKey | None:
        """The Engage key scans go by (KIOSK_LOOKUP_KEY), read without building a deferred
        lookup here (that is the worker's, where a failure becomes a staff message)."""
        settings = self.services.settings
        if settings is not None:
            return settings.lookup_key
        return getattr(self.services.lookup, "key", None)

    @work(group="lookup", exclusive=True, exit_on_error=False, description="member lookup")
    async def _lookup(self, card: str, generation: int, key: LookupKey | None = None,
                      named: LookupKey | None = None, typed: bool = False) -> None:
        try:
            member, offers = await self.services.lookup.lookup(card, key)
        except Exception as exc:  # every failure becomes a staff message, never a crash
            # a typed e-mail's "not found" says e-mail, not card (kiosk.ui.messages_text)
            self.post_message(LookupFailed(generation, exc, named, typed))
        else:
            self.post_message(LookupDone(generation, member, offers))

    @work(group="lookup", exclusive=True, exit_on_error=False, description="member re-read")
    async def _read_member(self, contact_id: str, card: str, generation: int,
                           key: str | None = None) -> None:
        """A known member's offers (a shared card's choice, the next offer of a visit);
        ``key``: what ``card`` was looked up by (an e-mail's, a phone's is never shown)."""
        try:
            member, offers = await self.services.lookup.member(contact_id, card, key)
        except Exception as exc:
            self.post_message(LookupFailed(generation, exc))
        else:
            self.post_message(LookupDone(generation, member, offers))

    def _prepare_offers(self) -> None:
        """The next member's offers screen, made empty (composed, mounted and styled, not shown)
        while the scan screen is idle, so an answer costs only filling it in. Used once: a
        screen shows one member (``OffersScreen.show``) and goes when it is popped."""
        if self._prepared_offers is not None or not self.is_running:
            return
        from kiosk.ui.screens.offers import OffersScreen  # after the first frame

        screen = OffersScreen(cursor_blink=self.cursor_blink, clock=self._clock)
        # What push_screen does first: registered and started (compose, mount), on no stack.
        _, mounted = self._get_screen(screen)
        self._prepared_offers = (screen, mounted)

    async def _take_prepared_offers(self) -> OffersScreen | None:
        """The screen prepared empty, mounted, now for one member; None when there is none."""
        prepared, self._prepared_offers = self._prepared_offers, None
        if prepared is None:
            return None
        await prepared[1]
        return prepared[0]

    async def on_lookup_done(self, message: LookupDone) -> None:
        if message.generation != self.generation:
            return  # an answer for an earlier scan
        from kiosk.ui.screens.offers import OffersScreen
        from kiosk.visit import Visit

        self.member = message.member
        again = self.visit is not None and self.visit.is_for(message.member)
        if not again:
            self.visit = Visit(message.member)
        try:
            await self._unwind()
            # Reached by Enter on a result: a mashed Enter must not open a confirmation unread.
            guard = self.key_guard if again else 0.0
            offers = await self._take_prepared_offers()
            if offers is None:
                offers = OffersScreen(message.member, message.offers, self.visit,
                                      cursor_blink=self.cursor_blink, guard=guard,
                                      clock=self._clock)
            else:
                offers.show(message.member, message.offers, self.visit, guard=guard)
            offers.redeeming = self.redeeming
            await self.push_screen(offers)
        finally:
            self._release_gc_after_paint()
            # The scan screen's busy line, covered by the list now, is cleared once the list is
            # painted: cleared before, its update came between the answer and the list's first
            # frame (before the push: a layout of the scan screen just before it was covered).
            if not self.screen.call_after_refresh(self._lookup_shown, message.generation):
                self.busy_text = ""
            self.engage_state = EngageState.OK

    def _lookup_shown(self, generation: int) -> None:
        """The lookup's answer is on screen: its busy line goes (a newer scan keeps its own)."""
        if generation == self.generation:
            self.busy_text = ""

    async def on_lookup_failed(self, message: LookupFailed) -> None:
        if message.generation != self.generation:
            return
        self.busy_text = ""
        self._note_engage_error(message.error)
        await self._unwind()
        error = message.error
        from kiosk.lookup import SharedCard  # loaded: the error came from the lookup

        if isinstance(error, SharedCard) and error.candidates:
            await self._choose_member(error, message.key)
            self._release_gc_after_paint()
            return
        # During a visit a failed re-read keeps the member: Enter tries again, Esc ends it.
        visit = self.visit
        text = messages_text.for_error(error, message.key, typed=message.typed)
        await self.push_screen(self._result(text, visit.member if visit else None, visit=visit))
        self._release_gc_after_paint()

    async def _choose_member(self, shared: SharedCard, key: str | None = None) -> None:
        """A shared card (or typed e-mail address / mobile number, by ``key``): "which of
        you?"; the chosen member's offers, or start over."""
        generation = self.generation

        def chosen(contact_id: str | None) -> None:
            if generation != self.generation:
                return  # a new scan or the idle reset came first
            if contact_id is None:
                self.post_message(StartOver())  # Escape: continue the sale without offers
                return
            self.busy_text = _("Reading the member's offers…")
            self._read_member(contact_id, shared.card, generation, shared.key)

        from kiosk.ui.screens.chooser import ChooserScreen

        await self.push_screen(ChooserScreen(mask_value(shared.card, shared.key),
                                             shared.candidates,
                                             shared.more, cursor_blink=self.cursor_blink,
                                             key=shared.key or key), chosen)

    def _result(self, text: messages_text.StaffMessage, member: Member | None = None,
                offer: Offer | None = None, visit: Visit | None = None, *,
                offer_id: str | None = None, provisional: bool = False,
                undoable: Undoable | None = None, journal_id: int | None = None
                ) -> ResultScreen:
        from kiosk.ui.screens.result import ResultScreen

        return ResultScreen(text, member, offer, visit, undoable=undoable,
                            cursor_blink=self.cursor_blink,
                            guard=self.key_guard, clock=self._clock, offer_id=offer_id,
                            provisional=provisional, journal_id=journal_id)

    def _note_engage_error(self, error: BaseException) -> None:
        from kiosk.engage.errors import CircuitOpen, EngageError, TlsError

        self.engage_state = state_after(error)  # "no such member" still means Engage answered
        # for IT, as logged: an EngageError's text carries no query, key or card number
        reason = f"{type(error).__name__}: {error}"
        if self.engage_state != EngageState.OK and isinstance(error, EngageError) \
                and not isinstance(error, CircuitOpen):  # (an open breaker keeps its reason)
            # on F9: the staff's words, then IT's reason in brackets on a line of its own
            self.engage_problem = f"{messages_text.for_error(error).title}\n[{reason}]"
        if isinstance(error, TlsError):
            log.warning("Engage TLS failure: %s", reason)
        if not isinstance(error, CircuitOpen):
            log.info("Engage call failed: %s", type(error).__name__)

    @work(group="reconcile", exit_on_error=False, description="verify unfinished redemptions")
    async def _reconcile(self) -> None:
        """Settle redemptions a crash left open; a notice if some stay unverified."""
        try:
            report = await self.services.redeemer.reconcile()
        except Exception as exc:
            self._note_engage_error(exc)
            log.warning("reconcile failed: %s", type(exc).__name__)
            self._reconcile_due = True
        else:
            if self.engage_state is EngageState.UNKNOWN:
                self.engage_state = EngageState.OK
            self._reconcile_due = report.unresolved > 0
        self._count_open_attempts()  # what it left open (or a crash left), as F2 lists them
        self.check_engage()

    def watch_engage_state(self, old: EngageState, new: EngageState) -> None:
        self._show_status()
        # Engage is back (a till often starts before its network): settle what's still open.
        if new == EngageState.OK:
            self.engage_problem = ""
        if new == EngageState.OK and old in (EngageState.UNAVAILABLE, EngageState.UNAUTHORIZED,
                                             EngageState.TLS) and self._reconcile_due:
            self._reconcile_due = False
            self._reconcile()

    def _wall_clock(self) -> datetime | None:
        """Now on the till's wall clock (``services.clock``; None: the system clock)."""
        clock = self.services.clock
        return clock() if clock is not None else None

    @work(group="open-attempts", exclusive=True, exit_on_error=False,
          description="unresolved attempts")
    async def _count_open_attempts(self) -> None:
        """The journal's unresolved attempts, read in a thread (its one connection may be busy
        with a redemption's fsync), shown as the scan screen's steady line."""
        from kiosk.ui import open_attempts

        journal = self.services.journal
        if journal is None:
            return

        now = self._wall_clock()

        def count() -> open_attempts.OpenAttempts:
            # The version first: a commit by another process after it is seen by the next look.
            version = getattr(journal, "data_version", None)
            self._journal_version = version() if version is not None else None
            return open_attempts.count(journal, self.terminal_name, now)

        try:
            found = await asyncio.to_thread(count)
        except Exception as exc:  # the line stays as it was; the journal's own errors show
            log.error("unresolved attempts: journal unreadable: %s", type(exc).__name__)
            return
        if found.total:
            self._reconcile_due = True  # settle them once Engage is back from an outage
        self._show_open_attempts(open_attempts.lines(found))
        self._recount_at_midnight(bool(found.today))

    def _recount_at_midnight(self, wanted: bool) -> None:
        """While some open attempts are today's ("F2 to see it"), count again just after the
        till's next midnight: they are an earlier day's then ("tell IT"), and F2 no longer
        lists them. (The idle re-check counts too, but only when Engage answers.)"""
        if self._midnight_recount is not None:
            self._midnight_recount.stop()
            self._midnight_recount = None
        if not wanted:
            return
        now = self._wall_clock() or datetime.now().astimezone()
        # today's midnight + 26 h is in tomorrow whether the day has 23, 24 or 25 hours
        tomorrow = local_midnight(local_midnight(now) + timedelta(hours=26))
        delay = max(0.0, (tomorrow - now).total_seconds()) + 1.0
        self._midnight_recount = self.set_timer(delay, self._count_open_attempts,
                                                name="midnight recount")

    def _show_open_attempts(self, lines: list[str]) -> None:
        """The steady lines, in the place the first had (a new one goes last); none: gone."""
        if lines == self._open_lines:
            return
        notices = self.services.notices
        old = [i for i, n in enumerate(notices) if n in self._open_lines]
        at = old[0] if old else len(notices)
        for i in reversed(old):
            del notices[i]
        notices[at:at] = lines
        self._open_lines = list(lines)
        self._refresh_notices()

    def add_notice(self, text: str, *, keep: int = 5, hideable: bool = True) -> None:
        """A one-line warning for the scan screen, with the time it came (settled answers: the
        latest ``keep``, each for ``settle_notice_ttl`` seconds). ``hideable``: F4 may hide it
        (not for an attempt still unresolved: hiding it would read as settled)."""
        text = f"{i18n.format_time(datetime.now().astimezone())} {text}"
        self.services.notices.append(text)
        self._settle_notices.append(text)
        if not hideable:
            self._open_notices.add(text)
        while len(self._settle_notices) > keep:
            self._drop_notice(self._settle_notices[0])
        self.set_timer(self.settle_notice_ttl, partial(self._drop_notice, text))
        self._refresh_notices()

    def _drop_notice(self, text: str) -> None:
        if text in self._settle_notices:
            self._settle_notices.remove(text)
            if text not in self._settle_notices:  # (the same line twice in one minute)
                self._open_notices.discard(text)
        if text in self.services.notices:
            self.services.notices.remove(text)
        self._refresh_notices()

    def _hideable_notices(self) -> list[str]:
        return [n for n in self._settle_notices if n not in self._open_notices]

    def _refresh_notices(self) -> None:
        base = self.screen_stack[0]
        if isinstance(base, ScanScreen):
            # the ones about attempts still unresolved first, then the rest; newest first
            newest = self._settle_notices[::-1]
            base.settled = (*(n for n in newest if n in self._open_notices),
                            *(n for n in newest if n not in self._open_notices))
            base.notices = tuple(self.services.notices)
            base.hideable = len(self._hideable_notices())

    @on(ScanScreen.HideNotices)
    def _hide_notices(self) -> None:
        """F4: the notices of settled answers leave the scan screen (the journal and F2 keep
        every attempt). A notice about an attempt still unresolved stays, as do the start-up
        warnings and "earlier redemptions not verified"."""
        hidden = self._hideable_notices()
        for text in hidden:
            self._drop_notice(text)
        log.info("staff hid %d settled-answer notice(s)", len(hidden))

    # --- Engage reachability ------------------------------------------------------------------
    def _maybe_ping(self) -> None:
        due = self._clock() - self._last_ping >= (self.ping_interval or 0)
        if due or self.engage_state != EngageState.OK:
            self.check_engage()

    @on(RecheckEngage)
    def check_engage(self) -> None:
        """Ping Engage in the background and show the answer on the scan screen."""
        self._ping()

    @work(group="ping", exclusive=True, exit_on_error=False, description="Engage reachability")
    async def _ping(self) -> None:
        self._last_ping = self._clock()
        try:
            rtt = await self.services.lookup.ping()
        except Exception as exc:
            self._note_engage_error(exc)
        else:
            self.engage_state = EngageState.OK
            self.engage_rtt = rtt

    # --- offers -> confirm -> redeem -> result ---------------------------------------------------
    def on_offers_screen_chosen(self, message: OffersScreen.Chosen) -> None:
        """Staff picked an offer: ask before anything is sent."""
        from kiosk.ui.screens.confirm import ConfirmScreen

        offer = message.offer
        if self.member is None or self.redeeming:
            return
        if not offer.redeemable:
            self.notify(offer.till_instruction, title=_("Can't redeem here"), severity="warning")
            return
        confirm = ConfirmScreen(self.member, offer, cursor_blink=self.cursor_blink,
                                guard=self.key_guard, clock=self._clock)
        # Escape drops the result prepared for it; other ways off the stack go through _unwind
        self.push_screen(confirm, lambda _: self._prepared.discard())
        confirm.call_after_refresh(self._prepare_result, confirm)

    def _prepare_result(self, confirm: ConfirmScreen) -> None:
        """While staff read the confirmation: the result a success would show, built off the
        stack (kiosk.ui.prepared). Not for a voucher (its result offers the undo)."""
        member, offer, visit = confirm.member, confirm.offer, self.visit
        from kiosk.offers import Offer  # loaded: the offers came first
        from kiosk.redeem import kind_of  # loaded: the redeemer is built after the first frame

        if self.screen is not confirm or self.redeeming or visit is None \
                or not visit.is_for(member) or not isinstance(offer, Offer) \
                or kind_of(offer) is Kind.VOUCHER:
            return
        from kiosk.visit import Visit  # loaded: the offers screen came with a visit

        ahead = Visit(visit.member, list(visit.redeemed))
        ahead.add(offer)  # as the answer will: the strip lists it
        text = messages_text.success(offer)
        self._prepared.prepare(confirm, self._result(text, member, offer, ahead,
                                                     offer_id=offer.id),
                               Built(text, member, offer, tuple(ahead.redeemed), False, False))

    def on_confirm_screen_confirmed(self, message: ConfirmScreen.Confirmed) -> None:
        """Confirmed: redeem in a worker no scan or idle reset cancels (money is at stake)."""
        if self.redeeming or self.member is None:
            return
        self.redeeming = True  # set before the worker starts: a second Enter finds it busy
        self._hold_gc()
        self._redeem(self.member, message.offer, self.generation)

    # Not exclusive, and in a group nothing cancels: a new scan or the idle reset must not
    # abandon a redemption half way.
    @work(group="redeem", exit_on_error=False, description="redeem offer")
    async def _redeem(self, member: Member, offer: Benefit, generation: int) -> None:
        from kiosk.redeem import OutcomeKind, RedeemOutcome

        outcome: RedeemOutcome[Benefit]
        try:
            outcome = await self.services.redeemer.redeem(member, offer)
        except RedeemInProgress as exc:  # a start-up reconciliation holds the terminal's lock
            outcome = RedeemOutcome(OutcomeKind.REJECTED, offer, error=exc)
        except Exception as exc:
            # The redeemer journals and verifies; if it still failed, we can't prove anything.
            log.error("redeem raised %s", type(exc).__name__)
            outcome = RedeemOutcome(OutcomeKind.UNKNOWN, offer, error=exc)
        self.post_message(RedeemFinished(generation, member, offer, outcome))

    async def on_redeem_finished(self, message: RedeemFinished) -> None:
        try:
            await self._show_redeem_outcome(message)
        finally:
            self._release_gc_after_paint()
            # After the result is up: set first, it redrew the confirmation (its busy line and
            # keys) under the result about to cover it.
            self.redeeming = False
            if not message.outcome.final or message.outcome.unresolved or self._open_lines:
                # left open (or settled one left open before): the scan screen's steady line
                self._count_open_attempts()

    async def _show_redeem_outcome(self, message: RedeemFinished) -> None:
        from kiosk.offers import Offer
        from kiosk.redeem import OutcomeKind

        if message.outcome.kind is OutcomeKind.UNKNOWN:
            self._reconcile_due = True  # settle it in the journal once Engage answers again
        text = messages_text.for_outcome(message.outcome)
        provisional = not message.outcome.final
        if text.severity == "success" and self.visit is not None \
                and self.visit.is_for(message.member):
            self.visit.add(message.offer)  # proven redeemed: listed with what to apply
        if message.generation == self.generation and isinstance(
                self.screen, _loaded("confirm", "ConfirmScreen")):
            # On top, not after unwinding: unwinding first painted the offers list and the scan
            # screen before the result (~170 ms); ``start_over`` drops them all when staff continue.
            offer = message.offer
            undoable = _undoable(offer, message.outcome)
            result = self._prepared.take(self.screen, Built(
                text, message.member, offer if isinstance(offer, Offer) else None,
                tuple(self.visit.redeemed) if self.visit is not None else (), provisional,
                undoable is not None))
            if result is not None:  # built while staff read the confirmation, from the same
                result.visit = self.visit
                result.arm_key_guard()  # from now, not from when it was built
                result.styled_ahead = True
            else:
                result = self._result(text, message.member,
                                      offer if isinstance(offer, Offer) else None, self.visit,
                                      offer_id=offer.id, provisional=provisional,
                                      undoable=undoable, journal_id=message.outcome.journal_id)
            await self.push_screen(result)
        else:
            # Staff moved on (new scan, idle reset): the answer still must not go unseen.
            self.notify(f"{message.member.masked_card}, {message.offer.name}: {text.body}",
                        title=text.title, severity=_toast_severity(text.severity), timeout=30)

    def _settled(self, outcome: RedeemOutcome[Any]) -> None:
        self.post_message(RedeemSettled(outcome))

    async def on_redeem_settled(self, message: RedeemSettled) -> None:
        """A "not confirmed yet" got its answer: on the result screen if it is still showing,
        otherwise as a notice on the scan screen (the member may have gone)."""
        outcome = message.outcome
        text = messages_text.for_outcome(outcome)
        if text.severity == "success" and self.visit is not None \
                and outcome.contact_id == self.visit.member.contact_id:
            self.visit.add(outcome.offer)  # proven ours while the member is still here
        screen = self.screen
        if isinstance(screen, _loaded("result", "ResultScreen")) and screen.provisional \
                and screen.offer_id == outcome.offer.id:
            await screen.show(text)
        else:
            line = _("{card}, {offer}: {answer}").format(
                card=outcome.masked_card or "—", offer=outcome.offer.name, answer=text.title)
            self.add_notice(line, hideable=not outcome.unresolved)
            self.notify(f"{line}. {text.body}", title=_("Earlier redemption settled"),
                        severity=_toast_severity(text.severity), timeout=30)
        self._count_open_attempts()  # settled, or left open for good: the steady line says so
        if isinstance(self.screen, _loaded("recall", "RecallScreen")):
            self._refresh_recall()  # F2's row of it shows its new state

    # --- the visit ------------------------------------------------------------------------------
    def on_result_screen_next_offer(self, message: ResultScreen.NextOffer) -> None:
        """Enter after a result: the same member's offers, read again (no card lookup)."""
        visit = self.visit
        if visit is None or self.redeeming:
            self.post_message(StartOver())
            return
        self._hold_gc()
        self.generation += 1
        self.busy_text = (_("Reading {name}'s offers again…").format(
            name=visit.member.first_name) if visit.member.first_name else
            _("Reading the member's offers again…"))
        self._read_member(visit.member.contact_id, visit.member.card, self.generation,
                          visit.member.key)

    @on(ScanScreen.Recall)
    def _recall(self, message: ScanScreen.Recall) -> None:
        """F2: today's redemptions at this till, from the journal."""
        if not isinstance(self.screen, _loaded("recall", "RecallScreen")):
            self._read_recall(self.generation)

    @work(group="recall", exclusive=True, exit_on_error=False, description="today's redemptions")
    async def _read_recall(self, generation: int) -> None:
        """The day's journal rows, read in a thread (its one connection may be busy with a
        redemption's fsync: keys and scans go on), shown if the idle scan screen is still up."""
        from kiosk.ui.screens.recall import RecallScreen

        today = await self._today()
        if generation != self.generation or not isinstance(self.screen, ScanScreen):
            return  # a scan, the idle reset or another key came first: F2 was for the idle till
        await self.push_screen(RecallScreen(today.rows, today.error, today.attempts, today.ids,
                                            today.version))

    async def _today(self) -> Today:
        """F2's list of the day at this till (``recall.Today``): its rows, the attempts among
        them staff may settle by hand, their ids, an error for staff ("" if none) and the
        journal's ``changes()`` just before the read; the journal read in a thread."""
        from kiosk.ui.screens.recall import Today

        journal = self.services.journal
        if journal is None:
            return Today([], [], [], _("No journal at this till."))
        since = local_midnight(self._wall_clock())

        def read() -> tuple[tuple[int, int] | None, Sequence[Any]]:
            # The version first: a commit after it is seen by the watch's next look.
            changes = getattr(journal, "changes", None)
            return (changes() if changes is not None else None), journal.rows(since=since)

        try:
            version, found = await asyncio.to_thread(read)
        except Exception as exc:  # a broken journal must not take the till down
            log.error("recall: journal unreadable: %s", type(exc).__name__)
            return Today([], [], [], _("The journal can't be read now: tell IT."))
        return Today.read(found, self.terminal_name, version)

    @work(group="recall-refresh", exit_on_error=False, description="today's redemptions again")
    async def _refresh_recall(self) -> None:
        await self._reread_recall()

    async def _reread_recall(self) -> None:
        """F2's list read again and redrawn where it changed, if it is still on top (an
        attempt was settled: by the kiosk's checks, at this till, or elsewhere). Reads are
        numbered, so an older one finishing last never replaces a newer one."""
        if not isinstance(self.screen, _loaded("recall", "RecallScreen")):
            return
        self._recall_reads += 1
        n = self._recall_reads
        today = await self._today()
        screen = self.screen
        if n < self._recall_shown or not isinstance(screen, _loaded("recall", "RecallScreen")):
            return
        if today.error and screen.rows:  # a read that failed keeps the list shown (logged)
            return
        self._recall_shown = n
        await screen.show(today)

    # --- settling an attempt by hand (F5 on F2, behind the PIN) ---------------------------------
    def on_recall_screen_settle_requested(self, message: Any) -> None:
        """F5 on an open attempt of F2's list: the staff PIN, then what happened."""
        from kiosk.ui.screens.settle import SettleScreen

        if self.redeeming or isinstance(self.screen, SettleScreen):
            return
        self._settle_if_open(message.attempt)

    @work(group="settle-check", exclusive=True, exit_on_error=False,
          description="still open, to settle by hand?")
    async def _settle_if_open(self, attempt: Any) -> None:
        """The attempt read again first: settled meanwhile (IT, a re-check) and F2 not yet
        redrawn, staff are told so and the list shows how, instead of a PIN and choices that
        would end in "Not settled"."""
        from kiosk.journal import JournalState
        from kiosk.ui.screens.settle import SettleScreen

        journal = self.services.journal
        if journal is None:
            return
        try:
            state = (await asyncio.to_thread(journal.get, attempt.journal_id)).state
        except Exception as exc:
            log.error("settle at the till: journal unreadable: %s", type(exc).__name__)
            state = JournalState.UNKNOWN  # the settlement itself says so if it still fails
        if not isinstance(self.screen, _loaded("recall", "RecallScreen")):
            return  # F2 closed meanwhile
        if state is not JournalState.UNKNOWN:
            await self._reread_recall()
            self.notify(f"{attempt.masked_card}, {attempt.offer_name}: "
                        + _("it was settled meanwhile; the list shows how. Nothing to do."),
                        title=_("Settled already"), timeout=15)
            return

        def chosen(settlement: Any) -> None:
            if settlement is not None:
                self._settle_by_hand(attempt, settlement)

        self._with_pin("settle a redemption", lambda: self.push_screen(
            SettleScreen(attempt, guard=self.key_guard, clock=self._clock), chosen))

    @work(group="settle", exclusive=True, exit_on_error=False,
          description="settle an attempt by hand")
    async def _settle_by_hand(self, attempt: Any, settlement: Any) -> None:
        """Record it as ``kiosk journal resolve`` does (who: this till; why: the reason, in
        English for IT), in a thread; refused if it was settled meanwhile (by a re-check, or by
        IT) or its answer may still be on its way: nothing changes, and staff are told."""
        from kiosk.journal import ResolveRefused

        journal = self.services.journal
        if journal is None:
            return
        by = f"{self.terminal_name or self.store_name or 'till'} (staff PIN)"
        try:
            await asyncio.to_thread(journal.resolve, attempt.journal_id,
                                    applied=settlement.applied, by=by,
                                    reason=settlement.reason, kiosk_running=True)
        except ResolveRefused as exc:
            log.warning("settle at the till refused: %s", exc)
            self.notify(_("It was settled meanwhile, or its answer is still on its way. "
                          "Nothing changed."), title=_("Not settled"), severity="warning",
                        timeout=30)
        except Exception as exc:
            log.error("settle at the till failed: %s", type(exc).__name__)
            self.notify(_("The journal can't be written now: tell IT."), title=_("Not settled"),
                        severity="error", timeout=30)
        else:
            log.info("journal row %d settled at the till by hand: %s", attempt.journal_id,
                     "applied" if settlement.applied else "not applied")
            self.notify(f"{attempt.masked_card}, {attempt.offer_name}: "
                        + (_("recorded as applied") if settlement.applied else
                           _("recorded as not applied — don't apply")),
                        title=_("Settled"), timeout=15)
        self._count_open_attempts()
        await self._reread_recall()

    # --- undo a voucher (sale cancelled) ---------------------------------------------------------
    def on_result_screen_undo_requested(self, message: ResultScreen.UndoRequested) -> None:
        """F3 on a voucher's result: the staff PIN, then a confirmation, then reactivate."""
        from kiosk.ui.screens.undo import UndoScreen

        if self.redeeming or isinstance(self.screen, UndoScreen):
            return
        undoable = message.undoable
        self._with_pin("give back a reward voucher", lambda: self.push_screen(
            UndoScreen(undoable, guard=self.key_guard, clock=self._clock),
            self._undo_confirmed))

    def _undo_confirmed(self, undoable: Undoable | None) -> None:
        if undoable is None or self.redeeming:
            return
        self.redeeming = True
        self._undo(undoable, self.member, self.generation)

    @work(group="redeem", exit_on_error=False, description="undo voucher")
    async def _undo(self, undoable: Undoable, member: Member | None, generation: int) -> None:
        from kiosk.redeem import UndoKind, UndoOutcome

        outcome: UndoOutcome
        try:
            outcome = await self.services.redeemer.undo(undoable.journal_id)
        except RedeemInProgress as exc:
            outcome = UndoOutcome(UndoKind.REJECTED, error=exc)
        except JournalError as exc:  # already given back, or not a voucher this till used
            log.warning("undo refused by the journal: %s", exc)
            outcome = UndoOutcome(UndoKind.ALREADY_UNDONE)
        except Exception as exc:
            log.error("undo raised %s", type(exc).__name__)
            outcome = UndoOutcome(UndoKind.UNKNOWN, error=exc)
        self.post_message(UndoFinished(generation, member, undoable.name, outcome,
                                       undoable.item_id))

    async def on_undo_finished(self, message: UndoFinished) -> None:
        from kiosk.redeem import UndoKind

        self.redeeming = False
        if message.outcome.kind is UndoKind.UNKNOWN:
            self._reconcile_due = True
        if message.outcome.kind is UndoKind.UNKNOWN or self._open_lines:
            self._count_open_attempts()
        text = messages_text.for_undo(message.outcome, message.name)
        if message.outcome.done and self.visit is not None and message.item_id:
            self.visit.remove(message.item_id)  # given back: no longer to apply
        if message.generation == self.generation:
            await self.push_screen(self._result(text, message.member, visit=self.visit))
        else:
            self.notify(f"{message.name}: {text.body}", title=text.title,
                        severity=_toast_severity(text.severity), timeout=30)

    # --- starting over --------------------------------------------------------------------------
    async def _unwind(self) -> None:
        """Back to the scan screen, dropping every screen above it."""
        self._prepared.discard()
        # One batch: screens uncovered on the way down (offers, confirm) are never painted.
        with self.batch_update():
            while len(self.screen_stack) > 1:
                await self.pop_screen()

    @on(StartOver)
    async def start_over(self) -> None:
        """Forget the member and show the scan screen (after a result, Escape, idle reset)."""
        self.generation += 1  # answers still on their way are for a customer who has left
        self.workers.cancel_group(self, "lookup")
        self.member = None
        self.visit = None
        self._hide_idle_warning()
        self.busy_text = ""
        self.gate.debouncer.reset()
        await self._unwind()
        for scan_input in self.screen.query(ScanInput):
            scan_input.clear()
        self.call_after_refresh(self._prepare_offers)  # once the scan screen is painted

    async def _check_idle(self) -> None:
        if not self.screen_stack:  # the app is closing: its screens are already gone
            return
        # The countdown's module: imported by the first check, after the first frame (~1.8 M
        # instructions of the start).
        from kiosk.ui.widgets.idle_warning import IDLE_WARNING

        left = self.idle_timeout - (self._clock() - self._last_input)
        clearable = self.member is not None or self.busy_text or len(self.screen_stack) > 1 \
            or any(s.value for s in self.screen.query(ScanInput))
        if self.redeeming or not clearable or left > min(IDLE_WARNING, self.idle_timeout / 2):
            self._hide_idle_warning()
            if not clearable and not self.redeeming:
                self._watch_journal()
                self._recheck_when_idle()
            return
        if left > 0:
            self._show_idle_warning(math.ceil(left))
            return
        log.info("idle reset")
        await self.start_over()

    def _till_idle(self) -> bool:
        """Nobody is being served: the scan screen alone and empty, no lookup, redemption or
        undo running, and no input for ``RECHECK_OPEN_QUIET`` seconds."""
        return len(self.screen_stack) == 1 and self.member is None and not self.busy_text \
            and not self.redeeming and self._clock() - self._last_input >= RECHECK_OPEN_QUIET \
            and not any(s.value for s in self.screen.query(ScanInput))

    def _recheck_when_idle(self) -> None:
        """From the idle check: while the steady line says attempts are unresolved, re-check
        them with Engage every ``recheck_open_every`` seconds when the till is idle and Engage
        answers (an outage's end reconciles anyway). Before, only a restart or an outage's end
        did, so an attempt whose re-reads alone had failed kept its line all day."""
        now = self._clock()
        if not self._open_lines or now - self._last_recheck < self.recheck_open_every \
                or self.engage_state is not EngageState.OK or not self._till_idle() \
                or any(w.group == "reconcile" and not w.is_finished for w in self.workers):
            return
        self._last_recheck = now
        self._recheck_open()

    def _watch_journal(self) -> None:
        """From the idle check: while the steady line is up, every ``JOURNAL_WATCH_EVERY``
        seconds, whether another process changed the journal (IT settled an attempt by hand
        with ``kiosk journal resolve`` while the kiosk runs); if so the line is counted again,
        without a restart."""
        now = self._clock()
        if not self._open_lines or self._journal_version is None \
                or now - self._last_journal_look < self.journal_watch_every \
                or any(w.group in ("journal-watch", "open-attempts") and not w.is_finished
                       for w in self.workers):
            return
        self._last_journal_look = now
        self._look_at_journal()

    @work(group="journal-watch", exclusive=True, exit_on_error=False,
          description="journal changed elsewhere?")
    async def _look_at_journal(self) -> None:
        journal = self.services.journal
        if journal is None:
            return
        try:  # one PRAGMA, no table read; in a thread: a redemption's fsync may hold it
            version = await asyncio.to_thread(journal.data_version)
        except Exception as exc:
            log.error("journal watch: journal unreadable: %s", type(exc).__name__)
            return
        if version != self._journal_version:
            log.info("journal changed by another process: counting unresolved attempts again")
            self._count_open_attempts()

    def _watch_views(self) -> None:
        """Every ``journal_watch_every`` seconds while F2's list or a "not confirmed yet" result
        is on top: whether the journal changed since the screen read it (another process's
        commit or the kiosk's own write: ``Journal.changes``); if so it is read again."""
        if not self.screen_stack:  # the app is closing: its screens are already gone
            return
        screen = self.screen
        if not (isinstance(screen, _loaded("recall", "RecallScreen")) or (
                isinstance(screen, _loaded("result", "ResultScreen")) and screen.provisional
                and screen.journal_id is not None)) \
                or any(w.group == "journal-views" and not w.is_finished for w in self.workers):
            return
        self._look_for_views(screen)

    @work(group="journal-views", exclusive=True, exit_on_error=False,
          description="journal changed under the screen?")
    async def _look_for_views(self, screen: Screen[Any]) -> None:
        journal = self.services.journal
        changes = getattr(journal, "changes", None)
        if changes is None:
            return
        try:  # one PRAGMA, no table read; in a thread: a redemption's fsync may hold it
            version = await asyncio.to_thread(changes)
        except Exception as exc:
            log.error("journal watch: journal unreadable: %s", type(exc).__name__)
            return
        if screen is not self.screen or version == getattr(screen, "journal_version", None):
            return
        if isinstance(screen, _loaded("result", "ResultScreen")):
            await self._check_by_hand(screen)
        else:
            await self._reread_recall()

    async def _check_by_hand(self, screen: ResultScreen) -> None:
        """Whether the attempt a "not confirmed yet" result is about was settled by hand (IT's
        ``kiosk journal resolve``) while the kiosk checks it: the kiosk's own check then
        writes and announces nothing (``SettledMeanwhile``), so the screen says what IT
        recorded (``messages_text.settled_by_hand``: never "apply"). Settled by the kiosk's
        own check, it is ``on_redeem_settled`` that shows the answer."""
        from kiosk.journal import UNRESOLVED

        journal, row_id = self.services.journal, screen.journal_id
        if journal is None or row_id is None:
            return

        def read() -> tuple[tuple[int, int], Any]:
            version = journal.changes()
            if journal.get(row_id).state in UNRESOLVED:
                return version, None
            return version, next((r for r in reversed(journal.resolutions())
                                  if r.redemption_id == row_id), None)

        try:
            version, by_hand = await asyncio.to_thread(read)
        except Exception as exc:
            log.error("journal watch: journal unreadable: %s", type(exc).__name__)
            return
        screen.journal_version = version
        if by_hand is None or screen is not self.screen or not screen.provisional:
            return
        log.info("journal row %d was settled by hand meanwhile (%s): the result says so",
                 row_id, "applied" if by_hand.applied else "not applied")
        await screen.show(messages_text.settled_by_hand(by_hand.applied))
        self._count_open_attempts()

    @work(group="reconcile", exit_on_error=False, description="re-check unresolved attempts")
    async def _recheck_open(self) -> None:
        """``Redeemer.recheck_open``: no terminal lock, so a staff redemption starting meanwhile
        is neither refused nor kept waiting; it stops before the next member's re-read once a
        customer is being served. Settled answers come as ``RedeemSettled`` notices."""
        try:
            await self.services.redeemer.recheck_open(self._till_idle)
        except Exception as exc:
            self._note_engage_error(exc)
            log.warning("re-check of unresolved attempts failed: %s", type(exc).__name__)
        self._count_open_attempts()

    def _show_idle_warning(self, seconds: int) -> None:
        """The countdown on top of the current screen (any key removes it and keeps the visit)."""
        from kiosk.ui.widgets.idle_warning import IdleWarning, warning_text

        self._idle_warning_shown = True
        warnings = self.screen.query(IdleWarning)
        if warnings:
            warnings.first().update(warning_text(seconds, self.glyphs.warn))
        else:
            self.screen.mount(IdleWarning(warning_text(seconds, self.glyphs.warn)))

    def _hide_idle_warning(self) -> None:
        if not self._idle_warning_shown:
            return
        from kiosk.ui.widgets.idle_warning import IdleWarning

        self._idle_warning_shown = False
        for screen in self.screen_stack:
            for warning in screen.query(IdleWarning):
                warning.remove()

    # --- staff keys (behind the PIN) ----------------------------------------------------------
    def _with_pin(self, purpose: str, then: Callable[[], object]) -> None:
        """Run ``then`` after the right PIN (at once when no PIN is configured)."""
        guard = self.services.pin_guard
        if guard is None or not guard.required:
            then()
            return
        from kiosk.ui.screens.pin import PinScreen

        if isinstance(self.screen, PinScreen):
            return

        def done(ok: bool | None) -> None:
            if ok:
                then()

        self.push_screen(PinScreen(guard, purpose), done)

    def action_staff_exit(self) -> None:
        """Leave the kiosk: asks for the PIN (or leaves at once when none is configured)."""
        self._with_pin("leave the kiosk", lambda: self.exit(0))

    def action_diagnostics(self) -> None:
        """Diagnostics for IT, behind the PIN."""
        from kiosk.ui.screens.diagnostics import DiagnosticsScreen

        if not isinstance(self.screen, DiagnosticsScreen):
            self._with_pin("open diagnostics", lambda: self.push_screen(
                DiagnosticsScreen(self.services, self.status)))

    def get_key_display(self, binding: Binding) -> str:
        """Key names for the footer in the staff's language (words, console-safe)."""
        return key_name(binding) or super().get_key_display(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("staff_exit", "diagnostics") and self.redeeming:
            return None  # don't leave with a redemption in flight
        # Already on diagnostics: f9 isn't offered in the footer there.
        return not (action == "diagnostics"
                    and isinstance(self.screen, _loaded("diagnostics", "DiagnosticsScreen")))


def _starts_flow(screen: Screen[Any], key: events.Key) -> bool:
    """Enter on a confirmation, or a card's first characters typed on a screen with the scan
    field: what may end in a redemption or a lookup (kiosk.ui.heap's hold)."""
    if isinstance(screen, _loaded("confirm", "ConfirmScreen")):
        return key.key == "enter"
    return key.is_printable and isinstance(screen, (ScanScreen, _loaded("result",
                                                                         "ResultScreen")))


def _undoable(offer: Benefit, outcome: RedeemOutcome[Benefit]) -> Undoable | None:
    """A voucher this till just redeemed (and was told to apply) can be given back."""
    from kiosk.redeem import kind_of

    if kind_of(offer) is not Kind.VOUCHER or not outcome.apply or outcome.journal_id is None:
        return None
    from kiosk.ui.screens.result import Undoable

    return Undoable(outcome.journal_id, offer.name, offer.id)


def _loaded(module: str, name: str) -> Any:
    """The class ``name`` of ``kiosk.ui.screens.<module>`` if that module has been imported,
    else ``()``, which no ``isinstance`` matches: no such screen can be on the stack yet. (The
    screens the first frame doesn't show are imported when first pushed or warmed up after it,
    and watchers run at mount must not import them.)"""
    loaded = sys.modules.get(f"kiosk.ui.screens.{module}")
    return () if loaded is None else getattr(loaded, name)


def _toast_severity(severity: str) -> SeverityLevel:
    return "error" if severity == "error" else "warning" if severity == "warning" else \
        "information"

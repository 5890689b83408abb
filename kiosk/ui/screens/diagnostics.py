"""Diagnostics for store IT (behind the staff PIN): versions, Engage, scanner, journal, settings.

Secrets never appear: settings come from ``Settings.public_items()`` (key and PIN shown only as
set/not set), and Engage's URL from the client's ``base_url`` (no user info or query).

Labels and states are in the staff's language; each state is followed by IT's own name for it
in square brackets ("redeemed (verified) [verified-redeemed]"), the word the log, ``kiosk
journal`` and the fleet database use, so IT can search for it. Settings keep their ``KIOSK_*``
names and values as configured (IT's), only "set"/"not set" of a secret is translated.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from kiosk import __version__
from kiosk.i18n import N_, _, format_number
from kiosk.text import sanitize
from kiosk.ui.messages import RecheckEngage
from kiosk.ui.screens.base import KioskStatus
from kiosk.ui.services import KioskServices
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter

if TYPE_CHECKING:
    from kiosk.ui.services import EngageClock

log = logging.getLogger("kiosk.ui")


#: Engage's state (``EngageState``) as staff read it; IT's name follows in brackets.
ENGAGE_STATE_TEXT = {
    "unknown": N_("not checked yet"),
    "ok": N_("connected"),
    "unavailable": N_("unavailable"),
    "unauthorized": N_("API key rejected"),
    "tls": N_("certificate problem"),
}
#: The circuit breaker's state (``kiosk.breaker``).
BREAKER_TEXT = {
    "closed": N_("normal"),
    "open": N_("paused after repeated failures"),
    "half-open": N_("trying Engage again"),
}
#: The serial scanner's state (``ScannerState``, or keyboard input only).
SCANNER_STATE_TEXT = {
    "keyboard": N_("keyboard only"),
    "off": N_("off"),
    "connecting": N_("connecting…"),
    "connected": N_("connected"),
    "disconnected": N_("disconnected"),
}
#: A redemption attempt's journal state (``JournalState``).
JOURNAL_STATE_TEXT = {
    "pending": N_("started, no answer yet"),
    "redeemed": N_("redeemed"),
    "rejected": N_("refused by Engage"),
    "unknown": N_("not confirmed, to check"),
    "verified-redeemed": N_("redeemed (verified)"),
    "verified-not-redeemed": N_("not redeemed (verified)"),
}
#: The till's clock against Engage's (``kiosk.engage.clock.ClockState``).
CLOCK_STATE_TEXT = {
    "unknown": N_("not measured yet"),
    "ok": N_("agrees"),
    "off": N_("wrong: tell IT"),
}
#: A secret setting's value (``Settings.public_items``: never the secret itself).
SECRET_TEXT = {"set": N_("set"), "not set": N_("not set")}


def state_text(table: dict[str, str], state: str) -> str:
    """A state in the staff's words, then IT's name for it: "connected [ok]" (an unknown state:
    IT's name alone)."""
    state = str(state)
    return f"{_(table[state])} [{state}]" if state in table else f"[{state}]"


def _counts_table(title: str, counts: dict[str, int]) -> Group:
    """A heading, then one row per count: the number first (right-aligned), then what it
    counts, which may wrap (a long state name never pushes its number off a narrow screen)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", no_wrap=True, min_width=6)
    table.add_column()
    for what, n in counts.items():
        table.add_row(Text(format_number(n)), Text(what))
    return Group(Text(title, style="bold"), table)


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in rows:
        table.add_row(Text(name), Text(sanitize(value, limit=120)))
    return table


def clock_rows(watch: EngageClock | None) -> list[tuple[str, str]]:
    """F9's "Clock vs Engage": the state (IT's name in brackets), then the measured offset in
    whole seconds (the log and the metrics have the tenths)."""
    state = str(watch.state) if watch is not None else "unknown"
    rows = [(_("Clock vs Engage"), state_text(CLOCK_STATE_TEXT, state))]
    found = watch.offset() if watch is not None else None
    if found is not None:
        low, high = round(found.low), round(found.high)
        if found.low > 0:
            text = _("the till is {low}–{high} s behind Engage")
        elif found.high < 0:
            low, high = -high, -low
            text = _("the till is {low}–{high} s ahead of Engage")
        else:
            text = _("the till is within {high} s of Engage")
            high = math.ceil(max(-found.low, found.high))
        rows.append(("", text.format(low=format_number(low), high=format_number(high))))
    return rows


class DiagnosticsScreen(Screen[None]):
    """Read-only facts for IT; Escape goes back, r re-checks Engage (posts ``RecheckEngage``).

    The app keeps ``status`` up to date; the rest is read from the services it was given.
    """

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    status: reactive[KioskStatus] = reactive(KioskStatus, init=False)

    def __init__(self, services: KioskServices, status: KioskStatus) -> None:
        super().__init__()
        self.services = services
        self.set_reactive(DiagnosticsScreen.status, status)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back"), id="back"),
        Binding("r", "recheck", N_("Re-check Engage"), id="recheck"),
        Binding("up", "scroll_up", N_("Scroll"), show=False),
        Binding("down", "scroll_down", N_("Scroll"), show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diagnostics"):
            yield Static(_("Diagnostics"), id="diag-title")
            yield Static(id="diag-status")
            yield Static(id="diag-journal")
            yield Static(_table(self._settings_rows()), id="diag-settings")
        yield KioskFooter()

    def on_mount(self) -> None:
        self._refresh()

    def watch_status(self) -> None:
        if self.query("#diag-status"):  # composed (on_mount shows the first status)
            self._refresh()

    def _settings_rows(self) -> list[tuple[str, str]]:
        settings = self.services.settings
        items = settings.public_items() if settings is not None else []
        return [(_("Settings"), "")] + [(name, _(SECRET_TEXT[value]) if value in SECRET_TEXT
                                         else value) for name, value in items]

    def _refresh(self) -> None:
        services = self.services
        status = self.status
        engage = services.engage
        rtt = (_("{ms} ms").format(ms=format_number(round(status.engage_rtt * 1000)))
               if status.engage_rtt is not None else _("not measured"))
        port = services.settings.scanner_port if services.settings is not None else None
        stats = services.lookup.stats
        problem = (status.engage_problem or _("none")).split("\n")  # staff's words, IT's reason
        # Labels and states in the staff's language, IT's names for the states in brackets;
        # paths and URLs as they are.
        rows = [
            (_("Version"), __version__),
            (_("Engage"), engage.base_url if engage is not None else ""),
            (_("Engage state"), state_text(ENGAGE_STATE_TEXT, status.engage)),
            (_("Circuit breaker"), state_text(BREAKER_TEXT, status.breaker)),
            (_("Last round trip"), rtt),
            *clock_rows(services.engage_clock),
            (_("Engage problem"), problem[0]),
            *(("", line) for line in problem[1:]),  # IT's reason as logged: its own row
            (_("Scanner port"), port or _("none (keyboard only)")),
            (_("Scanner state"), f"{state_text(SCANNER_STATE_TEXT, status.scanner)} "
                                 f"{status.scanner_detail}".strip()),
            (_("Log file"), str(services.log_path or _("not configured"))),
            (_("Lookups"), _("{lookups} ({hits} from the card cache)").format(
                lookups=format_number(stats.lookups), hits=format_number(stats.cache_hits))),
        ]
        self.query_one("#diag-status", Static).update(_table(rows))
        # Off the event loop: a year's journal takes a while to count, and the journal may be
        # busy with a redemption's fsync; scans and keys go on meanwhile.
        self.run_worker(self._show_journal(), group="journal", exclusive=True)

    async def _show_journal(self) -> None:
        journal = self.services.journal
        table: Table | Group = _table([(_("Journal"), "")])
        if journal is not None:
            try:
                counts = await asyncio.to_thread(journal.counts)
            except Exception as exc:  # a damaged or vanished file: say so, don't crash
                log.warning("diagnostics: journal counts failed: %s", type(exc).__name__)
                table = _table([(_("Journal"), ""), ("  " + _("could not be read"),
                                                     f"[{type(exc).__name__}]")])  # for IT
            else:
                table = _counts_table(_("Journal"), {state_text(JOURNAL_STATE_TEXT, k): v
                                                     for k, v in counts.items()})
        for static in self.query("#diag-journal").results(Static):
            static.update(table)

    def action_back(self) -> None:
        self.dismiss()

    def action_recheck(self) -> None:
        self.post_message(RecheckEngage())

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

"""Diagnostics for store IT (behind the staff PIN): versions, Engage, scanner, journal, settings.

Secrets never appear: settings come from ``Settings.public_items()`` (key and PIN shown only as
set/not set), and Engage's URL from the client's ``base_url`` (no user info or query).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from kiosk import __version__
from kiosk.offers import sanitize
from kiosk.ui.widgets.footer import KioskFooter

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in rows:
        table.add_row(Text(name), Text(sanitize(value, limit=120)))
    return table


class DiagnosticsScreen(Screen):
    """Read-only facts for IT; Escape goes back, r re-checks Engage."""

    app: KioskApp  # type: ignore[assignment]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("r", "recheck", "Re-check Engage", id="recheck"),
        Binding("up", "scroll_up", "Scroll", show=False),
        Binding("down", "scroll_down", "Scroll", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diagnostics"):
            yield Static("Diagnostics", id="diag-title")
            yield Static(id="diag-status")
            yield Static(id="diag-journal")
            yield Static(_table(self._settings_rows()), id="diag-settings")
        yield KioskFooter()

    def on_mount(self) -> None:
        for attr in ("engage_state", "engage_rtt", "engage_problem", "scanner_state",
                     "scanner_detail"):
            self.watch(self.app, attr, self._refresh)
        self._refresh()

    def _settings_rows(self) -> list[tuple[str, str]]:
        settings = self.app.services.settings
        items = getattr(settings, "public_items", None)
        return [("Settings", "")] + (list(items()) if callable(items) else [])

    def _refresh(self, _: object = None) -> None:
        app = self.app
        services = app.services
        engage = services.engage
        rtt = f"{app.engage_rtt * 1000:.0f} ms" if app.engage_rtt is not None else "not measured"
        rows = [
            ("Version", __version__),
            ("Engage", str(getattr(engage, "base_url", "") or "")),
            ("Engage state", f"{app.engage_state} (breaker {services.lookup.breaker_state})"),
            ("Last round trip", rtt),
            ("Engage problem", app.engage_problem or "none"),
            ("Scanner port", str(getattr(services.settings, "scanner_port", None)
                                 or "none (keyboard only)")),
            ("Scanner state", f"{app.scanner_state} {app.scanner_detail}".strip()),
            ("Log file", str(services.log_path or "not configured")),
            ("Lookups", f"{services.lookup.stats.lookups} "
                        f"({services.lookup.stats.cache_hits} from the card cache)"),
        ]
        self.query_one("#diag-status", Static).update(_table(rows))
        journal = services.journal
        counts = journal.counts() if journal is not None else {}
        self.query_one("#diag-journal", Static).update(
            _table([("Journal", "")] + [(f"  {k}", str(v)) for k, v in counts.items()]))

    def action_back(self) -> None:
        self.dismiss()

    def action_recheck(self) -> None:
        self.app.check_engage()

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

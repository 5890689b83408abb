"""The idle screen: a calm prompt to scan, plus the scanner's and Engage's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Static

from kiosk.offers import sanitize
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

SCANNER_TEXT = {
    "keyboard": ("Scanner: keyboard", "ok"),
    "off": ("Scanner: off", "dim"),
    "connecting": ("Scanner: connecting…", "warn"),
    "connected": ("Scanner: connected", "ok"),
    "disconnected": ("Scanner: disconnected (type the card number)", "bad"),
}
TYPED_HINT = {  # what staff may type instead, by KIOSK_LOOKUP_KEY
    "customKey": "the card number",
    "email": "the member's e-mail",
    "mobilePhone": "the member's mobile number",
    "socialSecurityNumber": "the member's personal number",
    "any": "the card number, e-mail or phone",
}
ENGAGE_TEXT = {
    "unknown": ("Engage: checking…", "dim"),
    "ok": ("Engage: connected", "ok"),
    "unavailable": ("Engage: unavailable, continue sales without offers", "bad"),
    "unauthorized": ("Engage: API key rejected, tell IT", "bad"),
    "tls": ("Engage: certificate problem, tell IT", "bad"),
}


def status_line(label: str, kind: str) -> Text:
    """A status with a coloured dot (the dot, not the colour alone, carries the state)."""
    dot = {"ok": ("●", "green"), "warn": ("◐", "yellow"), "bad": ("○", "red")}.get(
        kind, ("·", "dim"))
    return Text.assemble((dot[0] + " ", dot[1]), label)


class ScanScreen(Screen):
    """Waiting for a card. Also says when a lookup is under way."""

    app: KioskApp  # type: ignore[assignment]

    def compose(self) -> ComposeResult:
        app = self.app
        # Capped so the till's name still fits on one line at 80 columns.
        where = " · ".join(x for x in (sanitize(app.store_name, limit=48),
                                       sanitize(app.terminal_name, limit=24)) if x)
        yield Static(Text(where or "kiosk"), id="store")
        with Vertical(id="scan-main"):
            with Center():
                yield Static("Scan the member's card", id="prompt")
            key = getattr(app.services.settings, "lookup_key", "customKey")
            yield Static(f"or type {TYPED_HINT.get(key, TYPED_HINT['customKey'])} and press "
                         "Enter", id="prompt-sub")
            with Center():
                yield ScanInput("card number", cursor_blink=app.cursor_blink, id="scan-input")
            yield Static("", id="busy")
        yield Static(self._demo_text(app.services.demo_cards), id="demo",
                     classes="" if app.services.demo_cards else "hidden")
        yield Static("", id="notices", classes="hidden")
        yield Static("", id="status")
        yield KioskFooter()

    @staticmethod
    def _demo_text(cards: Any) -> Text:
        text = Text("Demo cards: type one and press Enter\n", style="bold", no_wrap=True,
                    overflow="ellipsis")
        for card in cards:
            who = sanitize(getattr(card, "first_name", "") or "")
            note = sanitize(getattr(card, "note", "") or "")
            text.append(f"  {sanitize(card.card)}  ")
            text.append(f"{who} {('(' + note + ')') if note else ''}".strip() + "\n", style="dim")
        return text

    def on_mount(self) -> None:
        for attr in ("scanner_state", "scanner_detail", "engage_state"):
            self.watch(self.app, attr, self._refresh_status)
        self.watch(self.app, "busy_text", self._show_busy)
        self.show_notices()
        self.query_one(ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.query_one(ScanInput).focus()

    def show_notices(self) -> None:
        """Show the app's one-line notices (unverified redemptions, a readable key file...)."""
        notices = self.app.services.notices
        widget = self.query_one("#notices", Static)
        widget.update(Text("\n".join(f"⚠ {sanitize(n)}" for n in notices)))
        widget.set_class(not notices, "hidden")

    def _show_busy(self, text: str) -> None:
        self.query_one("#busy", Static).update(Text(text))

    def _refresh_status(self, _: object = None) -> None:
        app = self.app
        scanner, kind = SCANNER_TEXT.get(app.scanner_state, (f"Scanner: {app.scanner_state}",
                                                             "warn"))
        detail = sanitize(app.scanner_detail, limit=50)
        if detail:  # the reader's own words, e.g. "scanner ready (/dev/ttyACM0)"
            scanner = detail[0].upper() + detail[1:]
            if app.scanner_state == "disconnected":
                scanner += " · type the card number"
        engage, ekind = ENGAGE_TEXT.get(app.engage_state, ENGAGE_TEXT["unknown"])
        line = status_line(scanner, kind)
        engage_line = status_line(engage, ekind)
        widget = self.query_one("#status", Static)
        room = widget.content_size.width or self.size.width - 2
        # Side by side when they fit; else one per line, so neither is cut off at 80 columns.
        line.append("    " if line.cell_len + 4 + engage_line.cell_len <= room else "\n")
        line.append_text(engage_line)
        widget.update(line)

    def on_resize(self) -> None:
        self._refresh_status()

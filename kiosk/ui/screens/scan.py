"""The idle screen: a calm prompt to scan, plus the scanner's and Engage's state."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from kiosk.offers import sanitize
from kiosk.ui.screens.base import KioskStatus
from kiosk.ui.services import DemoCardLike
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput

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
}


def status_line(label: str, kind: str) -> Text:
    """A status with a coloured dot (the dot, not the colour alone, carries the state)."""
    dot = {"ok": ("●", "green"), "warn": ("◐", "yellow"), "bad": ("○", "red")}.get(
        kind, ("·", "dim"))
    return Text.assemble((dot[0] + " ", dot[1]), label)


class ScanScreen(Screen[None]):
    """Waiting for a card. Also says when a lookup is under way.

    The app keeps ``status``, ``busy_text`` and ``notices`` up to date (attributes down).
    """

    #: Engage's and the scanner's state.
    status: reactive[KioskStatus] = reactive(KioskStatus, init=False)
    #: "" or "Looking up •••• 4931…" while a lookup runs.
    busy_text: reactive[str] = reactive("", init=False)
    #: One-line warnings (unverified redemptions, a readable key file...).
    notices: reactive[tuple[str, ...]] = reactive((), init=False)

    def __init__(self, *, store_name: str = "", terminal_name: str = "",
                 lookup_key: str = "customKey", demo_cards: Sequence[DemoCardLike] = (),
                 cursor_blink: bool = True) -> None:
        super().__init__()
        self.store_name = store_name
        self.terminal_name = terminal_name
        self.lookup_key = lookup_key
        self.demo_cards = demo_cards
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        # Capped so the till's name still fits on one line at 80 columns.
        where = " · ".join(x for x in (sanitize(self.store_name, limit=48),
                                       sanitize(self.terminal_name, limit=24)) if x)
        yield Static(Text(where or "kiosk"), id="store")
        with Vertical(id="scan-main"):
            with Center():
                yield Static("Scan the member's card", id="prompt")
            hint = TYPED_HINT.get(self.lookup_key, TYPED_HINT["customKey"])
            yield Static(f"or type {hint} and press Enter", id="prompt-sub")
            with Center():
                yield ScanInput("card number", cursor_blink=self.cursor_blink, id="scan-input")
            yield Static("", id="busy")
        yield Static(self._demo_text(self.demo_cards), id="demo",
                     classes="" if self.demo_cards else "hidden")
        yield Static("", id="notices", classes="hidden")
        yield Static("", id="status")
        yield KioskFooter()

    @staticmethod
    def _demo_text(cards: Sequence[DemoCardLike]) -> Text:
        text = Text("Demo cards: type one and press Enter\n", style="bold", no_wrap=True,
                    overflow="ellipsis")
        for card in cards:
            who = sanitize(card.first_name)
            note = sanitize(card.note)
            text.append(f"  {sanitize(card.card)}  ")
            text.append(f"{who} {('(' + note + ')') if note else ''}".strip() + "\n", style="dim")
        return text

    def on_mount(self) -> None:
        self._refresh_status()
        self.watch_busy_text(self.busy_text)
        self.watch_notices(self.notices)
        self.query_one(ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.query_one(ScanInput).focus()

    def _part(self, selector: str) -> Static | None:
        """A part of this screen, or None before it is composed (on_mount shows it then)."""
        found = self.query(selector)
        return found.first(Static) if found else None

    def watch_notices(self, notices: tuple[str, ...]) -> None:
        widget = self._part("#notices")
        if widget is None:
            return
        widget.update(Text("\n".join(f"⚠ {sanitize(n)}" for n in notices)))
        widget.set_class(not notices, "hidden")

    def watch_busy_text(self, text: str) -> None:
        widget = self._part("#busy")
        if widget is not None:
            widget.update(Text(text))

    def watch_status(self) -> None:
        if self._part("#status") is not None:
            self._refresh_status()

    def _refresh_status(self) -> None:
        status = self.status
        scanner, kind = SCANNER_TEXT.get(status.scanner, (f"Scanner: {status.scanner}", "warn"))
        detail = sanitize(status.scanner_detail, limit=50)
        if detail:  # the reader's own words, e.g. "scanner ready (/dev/ttyACM0)"
            scanner = detail[0].upper() + detail[1:]
            if status.scanner == "disconnected":
                scanner += " · type the card number"
        engage, ekind = ENGAGE_TEXT.get(status.engage, ENGAGE_TEXT["unknown"])
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

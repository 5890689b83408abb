"""The idle screen: a calm prompt to scan, plus the scanner's and Engage's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.offers import sanitize
from kiosk.ui.glyphs import UNICODE, Glyphs
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

# msgids (translated when shown) and how each state looks
SCANNER_TEXT = {
    "keyboard": (N_("Scanner: keyboard"), "ok"),
    "off": (N_("Scanner: off"), "dim"),
    "connecting": (N_("Scanner: connecting…"), "warn"),
    "connected": (N_("Scanner: connected"), "ok"),
    "disconnected": (N_("Scanner: disconnected (type the card number)"), "bad"),
}
TYPED_HINT = {  # what staff may type instead, by KIOSK_LOOKUP_KEY (whole sentences)
    "customKey": N_("or type the card number and press Enter"),
    "email": N_("or type the member's e-mail and press Enter"),
    "mobilePhone": N_("or type the member's mobile number and press Enter"),
    "socialSecurityNumber": N_("or type the member's personal number and press Enter"),
    "any": N_("or type the card number, e-mail or phone and press Enter"),
}
ENGAGE_TEXT = {
    "unknown": (N_("Engage: checking…"), "dim"),
    "ok": (N_("Engage: connected"), "ok"),
    "unavailable": (N_("Engage: unavailable, continue sales without offers"), "bad"),
    "unauthorized": (N_("Engage: API key rejected, tell IT"), "bad"),
}


def status_line(label: str, kind: str, glyphs: Glyphs = UNICODE) -> Text:
    """A status with a coloured dot (the dot, not the colour alone, carries the state)."""
    dot = {"ok": (glyphs.on, "green"), "warn": (glyphs.half, "yellow"),
           "bad": (glyphs.off, "red")}.get(kind, ("·", "dim"))
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
                yield Static(_("Scan the member's card"), id="prompt")
            key = getattr(app.services.settings, "lookup_key", "customKey")
            yield Static(_(TYPED_HINT.get(key, TYPED_HINT["customKey"])), id="prompt-sub")
            with Center():
                yield ScanInput(_("card number"), cursor_blink=app.cursor_blink, id="scan-input")
            yield Static("", id="busy")
        yield Static(self._demo_text(app.services.demo_cards), id="demo",
                     classes="" if app.services.demo_cards else "hidden")
        yield Static("", id="notices", classes="hidden")
        yield Static("", id="status")
        yield KioskFooter()

    @staticmethod
    def _demo_text(cards: Any) -> Text:
        text = Text(_("Demo cards: type one and press Enter") + "\n", style="bold",
                    no_wrap=True, overflow="ellipsis")
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
        warn = self.app.glyphs.warn
        widget.update(Text("\n".join(f"{warn} {sanitize(n)}" for n in notices)))
        widget.set_class(not notices, "hidden")

    def _show_busy(self, text: str) -> None:
        self.query_one("#busy", Static).update(Text(text))

    def _refresh_status(self, _changed: object = None) -> None:
        app = self.app
        if app.scanner_state in SCANNER_TEXT:
            msgid, kind = SCANNER_TEXT[app.scanner_state]
            scanner = _(msgid)
        else:
            scanner, kind = _("Scanner: {state}").format(state=app.scanner_state), "warn"
        detail = sanitize(app.scanner_detail, limit=50)
        if detail:  # the reader's own words, e.g. "scanner ready (/dev/ttyACM0)"
            scanner = detail[0].upper() + detail[1:]
            if app.scanner_state == "disconnected":
                scanner += " · " + _("type the card number")
        engage, ekind = ENGAGE_TEXT.get(app.engage_state, ENGAGE_TEXT["unknown"])
        line = status_line(scanner, kind, app.glyphs)
        engage_line = status_line(_(engage), ekind, app.glyphs)
        widget = self.query_one("#status", Static)
        room = widget.content_size.width or self.size.width - 2
        # Side by side when they fit; else one per line, so neither is cut off at 80 columns.
        line.append("    " if line.cell_len + 4 + engage_line.cell_len <= room else "\n")
        line.append_text(engage_line)
        widget.update(line)

    def on_resize(self) -> None:
        # Under 24 rows the prompt loses its padding, so the card box keeps its bottom border.
        self.set_class(self.app.size.height < 24, "-short")
        self._refresh_status()

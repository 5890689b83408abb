"""The idle screen: a calm prompt to scan, plus the scanner's and Engage's state."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.text import sanitize
from kiosk.ui.glyphs import UNICODE, Glyphs
from kiosk.ui.screens.base import KioskStatus
from kiosk.ui.widgets.footer import KioskFooter
from kiosk.ui.widgets.scan_input import ScanInput, focus_scan_field

if TYPE_CHECKING:
    from kiosk.ui.services import DemoCardLike

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
#: With the card key and typed e-mail/phone allowed (KIOSK_TYPED_LOOKUP, the default).
TYPED_ALL_HINT = N_("or type the card number, e-mail or mobile number and press Enter")
#: Opens today's redemptions at this till (a function key: no scanner can type it).
RECALL_KEY = "f2"
#: Hides the notices of settled answers: a function key (no scanner or typed lookup can send
#: it; Esc already clears the typing and ends a visit, so a second Esc must not hide them).
HIDE_NOTICES_KEY = "f4"
ENGAGE_TEXT = {
    "unknown": (N_("Engage: checking…"), "dim"),
    "ok": (N_("Engage: connected"), "ok"),
    "unavailable": (N_("Engage: unavailable, continue sales without offers"), "bad"),
    "unauthorized": (N_("Engage: API key rejected, tell IT"), "bad"),
    "tls": (N_("Engage: certificate problem, tell IT"), "bad"),
}


def status_line(label: str, kind: str, glyphs: Glyphs = UNICODE) -> Text:
    """A status with a coloured dot (the dot, not the colour alone, carries the state)."""
    dot = {"ok": (glyphs.on, "green"), "warn": (glyphs.half, "yellow"),
           "bad": (glyphs.off, "red")}.get(kind, ("·", "dim"))
    return Text.assemble((dot[0] + " ", dot[1]), label)


class ScanScreen(Screen[None]):
    """Waiting for a card. Also says when a lookup is under way.

    The app keeps ``status``, ``busy_text``, ``notices`` and ``hideable`` up to date
    (attributes down). F2 posts ``Recall`` (today's redemptions at this till); F4, offered only
    while some notices may be hidden, posts ``HideNotices``.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(RECALL_KEY, "recall", N_("Today's redemptions"), id="recall"),
        Binding(HIDE_NOTICES_KEY, "hide_notices", N_("Hide notices"), id="hide_notices"),
    ]

    class Recall(Message):
        """Staff asked for today's redemptions at this till (F2)."""

    class HideNotices(Message):
        """Staff asked to hide the notices of settled answers (F4)."""

    #: Engage's and the scanner's state.
    status: reactive[KioskStatus] = reactive(KioskStatus, init=False)
    #: "" or "Looking up •••• 4931…" while a lookup runs (its line redraws itself: no repaint
    #: of the whole screen).
    busy_text: reactive[str] = reactive("", init=False, repaint=False)
    #: One-line warnings (unverified redemptions, a readable key file...).
    notices: reactive[tuple[str, ...]] = reactive((), init=False)
    #: Of ``notices``, the settled answers of earlier redemptions, most important first: they
    #: give way (a "+N more" line) when the screen is too short for every notice. Set it
    #: before ``notices``.
    settled: tuple[str, ...] = ()
    #: How many of ``notices`` staff may hide (settled answers); 0: F4 is not offered.
    hideable: reactive[int] = reactive(0, init=False)

    def __init__(self, *, store_name: str = "", terminal_name: str = "",
                 lookup_key: str = "customKey", demo_cards: Sequence[DemoCardLike] = (),
                 cursor_blink: bool = True,
                 typed_kinds: frozenset[str] = frozenset({"card"})) -> None:
        super().__init__()
        self.typed_kinds = typed_kinds
        self.store_name = store_name
        self.terminal_name = terminal_name
        self.lookup_key = lookup_key
        self.demo_cards = demo_cards
        self.cursor_blink = cursor_blink
        self._parts: dict[str, Static] = {}  # found by ``_part``
        self._notice_text = ""  # what the notices show now
        self._status_rows = 1  # the status lines' rows (on one row when they fit)
        self._demo_rows = 0  # the demo cards' box, as tall as the stylesheet lets it

    def compose(self) -> ComposeResult:
        # Capped so the till's name still fits on one line at 80 columns.
        where = " · ".join(x for x in (sanitize(self.store_name, limit=48),
                                       sanitize(self.terminal_name, limit=24)) if x)
        yield Static(Text(where or "kiosk"), id="store")
        with Vertical(id="scan-main"):
            with Center():
                yield Static(_("Scan the member's card"), id="prompt")
            hint = TYPED_HINT.get(self.lookup_key, TYPED_HINT["customKey"])
            if self.lookup_key == "customKey" and self.typed_kinds >= {"card", "email", "phone"}:
                hint = TYPED_ALL_HINT
            yield Static(_(hint), id="prompt-sub")
            with Center():
                yield ScanInput(_("card number"), cursor_blink=self.cursor_blink,
                                id="scan-input")
            yield Static("", id="busy")
        yield Static(self._demo_text(self.demo_cards), id="demo",
                     classes="" if self.demo_cards else "hidden")
        yield Static("", id="notices", classes="hidden")
        yield Static("", id="status")
        yield KioskFooter()

    @staticmethod
    def _demo_text(cards: Sequence[DemoCardLike]) -> Text:
        text = Text(_("Demo cards: type one and press Enter") + "\n", style="bold",
                    no_wrap=True, overflow="ellipsis")
        for card in cards:
            who = sanitize(card.first_name)
            # the shipped demo's notes are in the catalogs (kiosk.sim.demo.DEMO_NOTES)
            note = sanitize(_(card.note)) if card.note else ""
            text.append(f"  {sanitize(card.card)}  ")
            text.append(f"{who} {('(' + note + ')') if note else ''}".strip() + "\n", style="dim")
        return text

    def on_mount(self) -> None:
        self._refresh_status()
        self.watch_busy_text(self.busy_text)
        self.watch_notices(self.notices)
        focus_scan_field(self)

    def on_screen_resume(self) -> None:
        focus_scan_field(self)

    def action_recall(self) -> None:
        self.post_message(self.Recall())

    def action_hide_notices(self) -> None:
        if self.hideable:
            self.post_message(self.HideNotices())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F4 shows in the footer only while there is a notice it would hide.
        return self.hideable > 0 if action == "hide_notices" else True

    def watch_hideable(self) -> None:
        self.refresh_bindings()

    def _part(self, selector: str) -> Static | None:
        """A part of this screen, or None before it is composed (on_mount shows it then).

        Found once: the screen keeps its parts, and a query matches the selector against
        every widget of the screen (~0.3 ms, paid by every scan's busy line before its
        lookup's first request left)."""
        widget = self._parts.get(selector)
        if widget is None:
            found = self.query(selector)
            if not found:
                return None
            widget = self._parts[selector] = found.first(Static)
        return widget

    def watch_notices(self, notices: tuple[str, ...]) -> None:
        widget = self._part("#notices")
        if widget is None:
            return
        if not notices:  # (the usual first frame: nothing to fit)
            if self._notice_text:
                self._notice_text = ""
                widget.update("")
                self._refit_demo()
            widget.set_class(True, "hidden")
            return
        from kiosk.ui import notice_fit

        warn = self._glyphs.warn
        settled = set(self.settled)
        steady = [f"{warn} {sanitize(n)}" for n in notices if n not in settled]
        answers = [f"{warn} {sanitize(n)}" for n in self.settled if n in notices]
        width = max(1, self.size.width - widget.styles.gutter.width)

        def rows(line: str) -> int:
            return Content(line).get_height({}, width)  # (#notices wraps, as the default)

        room = self._notice_room()
        if room is not None and self.demo_cards:  # `kiosk demo`: its cards' box may yield
            room -= self._fit_demo(room, len(steady) + (1 if answers else 0))
        text = notice_fit.as_text(notice_fit.fit(steady, answers, rows, room), width)
        if text.plain != self._notice_text:  # (a layout only when they change)
            self._notice_text = text.plain
            widget.update(text)
        widget.set_class(not notices, "hidden")

    def _notice_room(self) -> int | None:
        """Rows left for the notices (and the demo cards) with the card box, the field and the
        status lines whole (None before the first layout)."""
        store, status = self._part("#store"), self._part("#status")
        if store is None or status is None or not status.region:
            return None
        need = 0
        for part in self.query_one("#scan-main").children:
            if part.display:
                need += part.outer_size.height + part.styles.margin.height
        # (the status's rows as just decided: its layout may be a frame behind)
        return status.region.bottom - self._status_rows - store.region.bottom - need

    def _fit_demo(self, room: int, least: int) -> int:
        """``kiosk demo``'s cards in ``room`` rows shared with the notices, whose ``least`` (a
        row for each steady line and one for the answers) comes first: the box lists fewer
        cards, or goes when not one fits. Its rows."""
        demo = self._part("#demo")
        assert demo is not None
        if demo.styles.inline.max_height is None and demo.display and demo.outer_size.height:
            self._demo_rows = demo.outer_size.height  # as tall as the stylesheet lets it
        full = self._demo_rows
        if not full:  # not laid out yet
            return 0
        rows = full if room - full >= least else room - least
        rows = rows if rows >= 3 else 0  # its rule, its heading and one card, or nothing
        cap = None if rows == full else rows
        now = demo.styles.inline.max_height
        if (None if now is None else int(now.value), demo.display) != (cap, rows > 0):
            demo.styles.max_height = cap
            demo.display = rows > 0
        return rows

    def _refit_demo(self) -> None:
        """The demo cards' box whole again when the notices have gone."""
        room = self._notice_room()
        if room is not None and self.demo_cards:
            self._fit_demo(room, 0)

    def _refit_notices(self) -> None:
        """When the room may have changed: a resize, the status on one row or two, the card
        box's padding. (Not with ``call_after_refresh`` from ``on_resize``: in the headless
        first-scan benchmark that made Textual resize the screen 24 -> 25 -> 24 rows without
        end.)"""
        if self.is_attached:
            self.watch_notices(self.notices)

    def _refit_when_laid_out(self, tries: int = 20) -> None:
        """After the card box's padding changed with ``-short`` (a layout after the screen's
        Resize): once the box is laid out with it, measure the room again. (A Message from
        the box on its own Resize would do it too, but the classes cost ~3.4 M instructions
        of every start.)"""
        prompt = self._part("#prompt")
        if prompt is None:
            return
        if tries and prompt.outer_size.height - prompt.content_size.height \
                != prompt.styles.gutter.height:
            self.set_timer(0.05, partial(self._refit_when_laid_out, tries - 1))
            return
        self._refit_notices()

    def watch_busy_text(self, text: str) -> None:
        widget = self._part("#busy")
        if widget is not None:
            # One row (kiosk.tcss) as wide as the screen: the text never changes its size, so
            # a repaint does (no layout of the whole screen on every scan).
            widget.update(Text(text), layout=False)

    def watch_status(self) -> None:
        if self._part("#status") is not None:
            self._refresh_status()

    def _refresh_status(self) -> None:
        status = self.status
        if status.scanner in SCANNER_TEXT:
            msgid, kind = SCANNER_TEXT[status.scanner]
            scanner = _(msgid)
        else:
            scanner, kind = _("Scanner: {state}").format(state=status.scanner), "warn"
        detail = sanitize(status.scanner_detail, limit=50)
        if detail:  # the reader's own words, e.g. "scanner ready (/dev/ttyACM0)"
            scanner = detail[0].upper() + detail[1:]
            if status.scanner == "disconnected":
                scanner += " · " + _("type the card number")
        engage, ekind = ENGAGE_TEXT.get(status.engage, ENGAGE_TEXT["unknown"])
        line = status_line(scanner, kind, self._glyphs)
        engage_line = status_line(_(engage), ekind, self._glyphs)
        widget = self.query_one("#status", Static)
        room = widget.content_size.width or self.size.width - 2
        # Side by side when they fit; else one per line, so neither is cut off at 80 columns.
        one_row = line.cell_len + 4 + engage_line.cell_len <= room
        line.append("    " if one_row else "\n")
        line.append_text(engage_line)
        widget.update(line)
        if (1 if one_row else 2) != self._status_rows:  # the notices' room changes with it
            self._status_rows = 1 if one_row else 2
            self._refit_notices()

    @property
    def _glyphs(self) -> Glyphs:
        return getattr(self.app, "glyphs", UNICODE)  # "!" and "o" on the Linux console

    def on_resize(self) -> None:
        # Under 24 rows the prompt loses its padding, so the card box keeps its bottom border.
        short = self.app.size.height < 24
        padding_changes = short != self.has_class("-short")
        self.set_class(short, "-short")
        self._refresh_status()
        self._refit_notices()  # (laid out at the new size already: Textual's own handler first)
        if padding_changes and (self.notices or self.demo_cards):
            self.set_timer(0.05, self._refit_when_laid_out)  # (restyled by then)

"""ScanInput: where keyboard-wedge scans and typed card numbers arrive.

Not the stock ``Input``: that one handles Enter through a binding after the key has bubbled,
by which time it has already eaten the next scan's characters. Here printable characters and
Enter/LF are handled in one ``on_key``, in arrival order, so back-to-back scans stay apart.
An Enter with nothing typed is left to bubble, so screens can bind Enter to their own action.

A wedge burst is 14 keys: the app hands the keys this field takes straight to
:meth:`ScanInput.take_key` while nothing else waits in the field's queue
(``kiosk.ui.direct_keys``), and a finished line is posted to the app, which is the only
place that handles it, rather than bubbling through every container on the way.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.reactive import reactive
from textual.widget import Widget

from kiosk.scanner.wedge import WedgeBuffer
from kiosk.text import sanitize
from kiosk.ui.glyphs import UNICODE

SUBMIT_KEYS = ("enter", "ctrl+j")  # a scanner's CR suffix arrives as enter, LF as ctrl+j


class ScanInput(Widget, can_focus=True):
    """A one-line scan/typing sink that shows what has been typed so far."""

    DEFAULT_CSS = """
    ScanInput {
        height: 1;
        width: 1fr;
        padding: 0 1;
    }
    """

    class Submitted(Message):
        """A line ended with Enter/LF; ``source`` is "wedge" for a scanner burst, else "typed"."""

        def __init__(self, scan_input: ScanInput, text: str,
                     source: Literal["wedge", "typed"]) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.text = text
            self.source = source

        @property
        def control(self) -> ScanInput:
            """The ScanInput that sent this (for ``@on`` selectors)."""
            return self.scan_input

    _shown: reactive[str] = reactive("")
    _cursor_on: reactive[bool] = reactive(True)

    def __init__(self, placeholder: str = "", *, cursor_blink: bool = True, max_length: int = 256,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.placeholder = placeholder
        self.cursor_blink = cursor_blink
        self._buffer = WedgeBuffer(max_length=max_length)
        self._echo_due = False  # an echo of typed keys is queued (``_echo_later``)

    def on_mount(self) -> None:
        if self.cursor_blink:
            self.set_interval(0.5, self._blink)
        # A screen pushed on top (or popped) moves the cursor: only the top screen's shows.
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    _drawn_cursor: bool | None = None  # whether the field's last drawing showed the cursor

    def _shows_cursor(self) -> bool:
        return self.has_focus and self._cursor_on and self.screen.is_active

    def _screen_changed(self, _screen: object) -> None:
        # Drawn again only when its cursor comes or goes: the field of a screen just pushed
        # was drawn with it in that screen's first frame (redrawn after it, ~0.5 ms).
        if self._shows_cursor() != self._drawn_cursor:
            self.refresh()

    def _blink(self) -> None:
        self._cursor_on = not self._cursor_on if self.has_focus else True

    @property
    def value(self) -> str:
        """What has been typed since the last Enter."""
        return self._buffer.text

    def clear(self) -> None:
        """Drop the partial line (e.g. when the kiosk starts over)."""
        self._buffer.clear()
        self._shown = ""

    def render(self) -> Text:
        text = Text("› ", style="bold", no_wrap=True, overflow="crop")
        if self._shown:
            # Data, never markup; the end of a long line, as staff are typing there (a line
            # wider than the field would otherwise wrap out of sight and look empty).
            room = max(self.content_size.width - 3, 2)  # the "› " prompt and the cursor
            shown = sanitize(self._shown, limit=self._buffer.max_length)
            text.append(shown if len(shown) <= room else "…" + shown[-(room - 1):])
        elif self.placeholder:
            text.append(self.placeholder, style="dim")
        self._drawn_cursor = self._shows_cursor()
        if self._drawn_cursor:
            glyphs = getattr(self.app, "glyphs", UNICODE)  # console-safe on the Linux console
            text.append(glyphs.cursor)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_paste(self, event: events.Paste) -> None:
        """A pasted card number is typed in; a line break in it submits, like Enter."""
        event.stop()
        lines = event.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for i, line in enumerate(lines):
            for ch in line:
                self._buffer.feed(ch, event.time)
            if i < len(lines) - 1:
                self._submit(event.time)
        self._shown = self._buffer.text

    def _submit(self, t: float) -> bool:
        """End the line; False when nothing was typed."""
        scan = self._buffer.submit(t)
        self._shown = ""
        if scan is None:
            return False
        text = "" if scan.truncated else scan.text  # an over-long line is never a card
        # To the app, its one handler (KioskApp): bubbling went through each container's queue
        # on the way, a task switch per level (~1 ms of a scan's keys -> CardScanned).
        self.app.post_message(self.Submitted(self, text,
                                             "wedge" if scan.looks_scanned else "typed"))
        return True

    def on_key(self, event: events.Key) -> None:
        """Characters, backspace and Enter/LF in one handler (see the module docstring)."""
        if self.take_key(event, self):
            event.stop()
            event.prevent_default()
        # else not the field's: an Enter with nothing typed reaches the screen's binding

    def takes(self, event: events.Key) -> bool:
        """Whether :meth:`take_key` would take ``event`` (nothing changes)."""
        if event.key in SUBMIT_KEYS or event.key in ("backspace", "escape"):
            return bool(self._buffer.text)
        # a lone space is not a card character: left to the screen ("any key")
        return event.is_printable and (event.key != "space" or bool(self._buffer.text))

    def take_key(self, event: events.Key, echo_from: MessagePump) -> bool:
        """Handle ``event`` if it is this field's; False (nothing done) if it isn't.

        ``echo_from`` queues the echo of a typed character: the pump whose queue holds the
        keys still to come (this field's when the key came through it, else the app's).
        """
        if event.key in SUBMIT_KEYS:
            return self._submit(event.time)
        if not self.takes(event):
            return False
        if event.key == "backspace":
            self._buffer.backspace()
            self._shown = self._buffer.text
        elif event.key == "escape":
            self.clear()  # first Escape clears what was typed; the next one reaches the screen
        else:
            self._buffer.feed(event.character, event.time)
            self._echo_later(echo_from)
        return True

    def _echo_later(self, pump: MessagePump) -> None:
        """Show what was typed once the keys already queued are handled: a wedge burst (13
        digits and Enter back to back) ends before its echo is due, and the field, empty
        before and after, is not redrawn for it; a person's key is echoed at once."""
        if not self._echo_due:
            self._echo_due = True
            pump.call_later(self._echo)

    def _echo(self) -> None:
        self._echo_due = False
        self._shown = self._buffer.text


def focus_scan_field(screen: Widget) -> None:
    """Focus ``screen``'s scan field, if it still has one.

    A screen can be taken off before its mount handler runs (the idle reset or a new scan
    unwinding the stack under load); a missing field must not crash the kiosk.
    """
    for field in screen.query(ScanInput):
        field.focus()
        return

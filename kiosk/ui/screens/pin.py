"""The staff PIN prompt guarding the exit (5 wrong PINs lock it for a minute: see PinGuard)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kiosk.i18n import N_, _, ngettext
from kiosk.staff_pin import PinResult
from kiosk.ui.glyphs import UNICODE
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter

if TYPE_CHECKING:
    from kiosk.ui.services import PinCheck

MAX_PIN = 12
#: The prompt's headline for each purpose the app asks the PIN for (whole sentences).
TITLES = {
    "leave the kiosk": N_("Staff: enter the PIN to leave the kiosk"),
    "open diagnostics": N_("Staff: enter the PIN to open diagnostics"),
    "give back a reward voucher": N_("Staff: enter the PIN to give a reward voucher back"),
    "settle a redemption": N_("Staff: enter the PIN to settle a redemption by hand"),
}


class PinScreen(ModalScreen[bool]):
    """Digits are shown as dots; Enter checks, Escape goes back. Dismisses True on the right PIN."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "check", N_("Check PIN"), id="check"),
        Binding("escape", "cancel", N_("Back"), id="cancel"),
    ]

    def __init__(self, guard: PinCheck, purpose: str = "leave the kiosk") -> None:
        super().__init__()
        self.guard = guard
        self.purpose = purpose
        self._digits: list[str] = []
        self._checking = False
        self._locked_shown = False
        self._not_a_pin = False  # more than MAX_PIN digits, or other characters, were typed

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            title = TITLES.get(self.purpose)
            yield Static(_(title) if title else _("Staff: enter the PIN to {purpose}").format(
                purpose=_(self.purpose)), id="pin-title")
            yield Static("", id="pin-dots")
            yield Static("", id="pin-status")
        yield KioskFooter()

    def on_mount(self) -> None:
        self._show()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        # The lockout counts down by itself, and its message goes when it ends.
        if self._locked_shown:
            self._show()

    def _show(self, status: str = "") -> None:
        dot = getattr(self.app, "glyphs", UNICODE).dot
        self.query_one("#pin-dots", Static).update(Text(f"{dot} " * len(self._digits) or "_"))
        locked = self.guard.locked_for()
        self._locked_shown = locked > 0
        if locked > 0:
            seconds = math.ceil(locked)
            status = ngettext("Too many wrong PINs: locked for {n} second.",
                              "Too many wrong PINs: locked for {n} seconds.", seconds
                              ).format(n=seconds)
        self.query_one("#pin-status", Static).update(Text(status))

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit() and len(self._digits) < MAX_PIN:
            event.stop()
            self._digits.append(event.character)
            self._show()
        elif event.is_printable and event.key != "space":
            # A 13th digit or a letter: a card scanned into the prompt, not a PIN being typed.
            event.stop()
            self._not_a_pin = True
        elif event.key == "backspace" and self._digits:
            event.stop()
            self._digits.pop()
            self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "check" and self._checking else True

    def action_check(self) -> None:
        if self._checking:
            return
        pin, self._digits = "".join(self._digits), []
        if self._not_a_pin:  # not counted as a wrong PIN: a stray scan mustn't lock staff out
            self._not_a_pin = False
            self._show(_("That was not a PIN (a card scan?). Type the staff PIN."))
            return
        self._checking = True
        self._attempt(pin)

    @work(thread=True, exit_on_error=False, group="pin", description="check staff PIN")
    def _attempt(self, pin: str) -> None:
        result = self.guard.attempt(pin)  # ~0.25 s of hashing: off the event loop
        self.app.call_from_thread(self._checked, result)

    def _checked(self, result: PinResult) -> None:
        self._checking = False
        if result == "ok":
            self.dismiss(True)
        else:
            self._show(_("Wrong PIN.") if result == "wrong" else "")

    def action_cancel(self) -> None:
        self.dismiss(False)

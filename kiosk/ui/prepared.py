"""The success result built while staff read the confirmation, shown only if it is the answer.

Confirm -> result painted was mostly the result screen's own cost: composing its dozen
widgets, styling and mounting them, then laying out and rendering. Staff read a confirmation
for a second or more before Enter, so ``KioskApp`` builds the screen a success would show in
that idle time: composed, mounted and styled off the screen stack (Textual registers it
without showing it). When the answer comes, the prepared screen is pushed only if what it
was built from is exactly what the answer's screen would be built from (the same message,
member, offer and visit list); anything else (not redeemed, not confirmed yet, an error, a
voucher that can be given back, a visit changed meanwhile) is built fresh as before, and the
prepared one is dropped. So it can never show another offer's or member's text.

At most one screen is prepared, for one confirmation; leaving the confirmation any other way
(Escape, a new scan, the idle reset) drops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from textual.app import App
from textual.screen import Screen

if TYPE_CHECKING:  # imported when first shown, or warmed up after the first frame
    from kiosk.offers import Member, Offer  # with the lookup, after the first frame
    from kiosk.rewards import Benefit  # with the lookup, after the first frame
    from kiosk.ui.messages_text import StaffMessage  # with Engage's errors: at the first
    from kiosk.ui.screens.result import ResultScreen


class Built(NamedTuple):  # as a frozen dataclass, ~4 M instructions less to make at start
    """What a result screen is built from (a prepared one is used only for an equal one)."""

    message: StaffMessage
    member: Member | None
    offer: Offer | None
    redeemed: tuple[Benefit, ...]  # the visit's list, as the screen's strip shows it
    provisional: bool
    undoable: bool


class PreparedResult:
    """At most one result screen built ahead, for one confirmation screen."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._entry: tuple[Screen[Any], ResultScreen, Built] | None = None

    @property
    def screen(self) -> ResultScreen | None:
        """The screen prepared now, if any (for tests and the endurance checks)."""
        return self._entry[1] if self._entry is not None else None

    def prepare(self, confirm: Screen[Any], screen: ResultScreen, built: Built) -> None:
        """Compose, style and mount ``screen`` off the stack, for ``confirm``'s answer."""
        self.discard()
        # Textual's own step for a pushed screen (App._get_screen) without the push: the
        # screen runs (compose, mount, styles) but isn't on any stack, so nothing paints it.
        self._app._register(self._app, screen)
        self._entry = (confirm, screen, built)

    def take(self, confirm: Screen[Any], built: Built) -> ResultScreen | None:
        """The prepared screen if it was built for ``confirm`` from exactly ``built`` and is
        fully mounted; otherwise None (and it is dropped)."""
        entry, self._entry = self._entry, None
        if entry is None:
            return None
        for_confirm, screen, prepared = entry
        if for_confirm is confirm and prepared == built and screen.is_mounted \
                and not screen._closing:
            return screen
        screen.remove()
        return None

    def discard(self) -> None:
        """Drop the prepared screen (its confirmation was left without an answer)."""
        entry, self._entry = self._entry, None
        if entry is not None:
            entry[1].remove()

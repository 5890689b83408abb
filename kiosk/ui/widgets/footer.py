"""The key footer, in the staff's language, without Textual's leak.

Key descriptions are msgids (``N_("Redeem")`` in ``BINDINGS``), translated here as the keys
are drawn; key names come from ``KioskApp.get_key_display``. Below ``COMPACT_BELOW`` columns
the footer drops the padding between keys, so every key (F10 too) still fits at 60 columns.

Textual's ``Footer`` binds each new key widget's ``compact`` to itself on every recompose and
never drops the old widgets' watchers (Textualize/textual#6666). A footer that lives all shift
(the scan screen's) recomposes on every screen change and kept ~126 KB per customer: +121 MB
over 1,000 customers in the endurance benchmark.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kiosk.i18n import _

#: Narrower than this, the footer is compact (no padding around key names).
COMPACT_BELOW = 100


class KioskFooter(Footer):
    """``Footer`` with translated descriptions that forgets the watchers of removed keys."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW

    async def recompose(self) -> None:
        await super().recompose()
        self.prune_watchers()

    def prune_watchers(self) -> int:
        """Drop watchers registered by widgets no longer in the DOM; returns how many remain."""
        watchers: dict[str, list[tuple[object, object]]] = getattr(self, "__watchers", {})
        remaining = 0
        for entries in watchers.values():
            entries[:] = [
                (node, callback) for node, callback in entries
                if getattr(node, "is_attached", True) and not getattr(node, "_closing", False)
            ]
            remaining += len(entries)
        return remaining

"""The key footer: in the staff's language, every key visible at 60 columns, without Textual's
leak.

Key descriptions are msgids (``N_("Redeem")`` in ``BINDINGS``), translated here as the keys are
drawn; key names come from ``KioskApp.get_key_display``. When the keys don't fit the width,
the footer first drops the padding around them (compact), then uses the short descriptions in
``SHORT`` and leaves out keys that explain themselves (the arrows), then the ones in
``SHORTER``, then shows the IT keys (F9) by name alone, so F9 and F10 always show.

Textual's ``Footer`` binds each new key widget's ``compact`` to itself on every recompose and
never drops the old widgets' watchers (Textualize/textual#6666). A footer that lives all shift
(the scan screen's) recomposes on every screen change and kept ~126 KB per customer: +121 MB
over 1,000 customers in the endurance benchmark. Here the keys are created in the footer's
style instead (``footer_key``, no binding: no watcher, and no restyle as each key mounts), and
the watchers of removed widgets are still pruned after each recompose.

It also rebuilds every key widget (a CSS restyle each) whenever the screen's bindings *may*
have changed: focus moves, a screen is resumed, ``redeeming`` flips: ~19 times per customer
in the benchmark, most drawing the same keys again. Here a recompose that would draw the keys
already shown is skipped.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kiosk.i18n import N_, _

#: Shorter descriptions for a narrow terminal (msgids both).
SHORT = {
    "Done (new customer)": N_("Done"),
    "Re-check Engage": N_("Re-check"),
    "Hide notices": N_("Hide"),
}
#: Shorter still, when the short ones don't fit (the result screen with F3 at 60 columns).
SHORTER = {
    "Undo voucher": N_("Undo"),
}
#: Keys for IT that keep only their name when even those don't fit: the key still shows, the
#: staff's keys keep their words.
TERSE_ACTIONS = frozenset({"diagnostics"})
#: Keys left out when even the short descriptions don't fit (the list shows what they do).
OPTIONAL_ACTIONS = frozenset({"cursor_down", "cursor_up"})
#: Key names in the staff's language: words, not ⏎ (no console font has it). F-keys as is.
KEY_NAMES = {
    "enter": N_("Enter"), "escape": N_("Esc"), "pageup": N_("PgUp"), "pagedown": N_("PgDn"),
    "home": N_("Home"), "end": N_("End"), "space": N_("Space"), "backspace": N_("Backspace"),
}
#: Columns a key takes beyond its name and description: FooterKey's padding in the roomy style;
#: the space between name and description plus Footer's ``margin-right: 1`` in the compact one
#: (the last key's margin may fall off the edge).
_GAP = {False: 3, True: 2}


def key_name(binding: Binding) -> str | None:
    """How the footer names ``binding``'s key ("Enter", "Esc", "F9"...); None: Textual's way."""
    if binding.key_display:
        return binding.key_display
    if binding.key in KEY_NAMES:
        return _(KEY_NAMES[binding.key])
    if binding.key[:1] == "f" and binding.key[1:].isdigit():
        return binding.key.upper()
    return None


def footer_key(binding: Binding, key: str, description: str, *, enabled: bool,
               compact: bool) -> FooterKey:
    """A key widget born in the footer's style. Not bound to the footer's ``compact`` with
    ``data_bind`` as Footer does: the keys are rebuilt whenever the style changes anyway, and the
    binding restyled each new key once or twice as it mounted (FooterKey starts compact) and
    left a watcher on the footer."""
    widget = FooterKey(binding.key, key, description, binding.action, disabled=not enabled,
                       classes="-compact" if compact else "")
    widget.set_reactive(FooterKey.compact, compact)
    return widget


class KioskFooter(Footer):
    """``Footer`` that fits its width and forgets the watchers of removed key widgets."""

    # 0 roomy, 1 compact, 2 short descriptions and no optional keys, 3 shorter, 4 IT keys bare
    _level = 0
    _shown: tuple[object, ...] | None = None  # the keys on screen (``_keys_signature``)

    def _keys(self) -> list[tuple[Binding, bool]]:
        seen: set[str] = set()
        keys = []
        for _key, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:  # one key per action, as Footer
                seen.add(binding.action)
                keys.append((binding, enabled))
        return keys

    def _labels(self, level: int) -> list[tuple[Binding, bool, str, str]]:
        out = []
        for binding, enabled in self._keys():
            if level >= 2 and binding.action in OPTIONAL_ACTIONS:
                continue
            description = binding.description
            if level >= 2:
                description = SHORT.get(description, description)
            if level >= 3:
                description = SHORTER.get(description, description)
            words = "" if level >= 4 and binding.action in TERSE_ACTIONS else _(description)
            out.append((binding, enabled, self.app.get_key_display(binding), words))
        return out

    def _fits(self, level: int, width: int) -> bool:
        labels = self._labels(level)
        compact = level >= 1
        # (a key without words is drawn alone: no space after its name)
        need = sum(len(k) + len(d) + _GAP[compact] - (not d) for _b, _e, k, d in labels)
        if compact and labels:
            need -= 1  # the last key's margin may fall off the edge
        return need <= width

    def _choose_level(self, width: int) -> int:
        return next((level for level in (0, 1, 2, 3) if self._fits(level, width)), 4)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._level = self._choose_level(self.app.size.width)
        self.compact = self._level >= 1
        labels = self._labels(self._level)
        self.styles.grid_size_columns = len(labels)
        for binding, enabled, key, description in labels:
            yield footer_key(binding, key, description, enabled=enabled, compact=self.compact)

    def bindings_changed(self, screen: Screen) -> None:
        # A screen under another (the offers list under the confirmation, whose own footer
        # covers this one) redraws its keys when it is resumed, as Textual refreshes the
        # bindings then, not each time they change while it is covered.
        if self.is_attached and screen is self.screen and not screen.is_active:
            self._bindings_ready = True
            return
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and self._choose_level(event.size.width) != self._level:
            self.call_later(self.recompose)

    def _keys_signature(self) -> tuple[object, ...]:
        """Everything the keys' look depends on: the level for this width and each key's
        binding, enabled state, name and (translated) description."""
        if not self._bindings_ready:
            return (False,)
        level = self._choose_level(self.app.size.width)
        return (True, level, tuple((binding.key, binding.action, enabled, key, description)
                                   for binding, enabled, key, description in self._labels(level)))

    async def recompose(self) -> None:
        # Focus moves, resumed screens and ``redeeming`` ask for a recompose ~19 times per
        # customer; rebuilding the same keys (a CSS restyle each) is skipped.
        if self.is_attached:
            signature = self._keys_signature()
            if signature == self._shown:
                return
            self._shown = signature
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

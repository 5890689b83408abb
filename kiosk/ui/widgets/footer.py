"""The key footer, without Textual's leak and without redrawing keys that didn't change.

Textual's ``Footer`` binds each new key widget's ``compact`` to itself on every recompose and
never drops the old widgets' watchers (Textualize/textual#6666). A footer that lives all shift
(the scan screen's) recomposes on every screen change and kept ~126 KB per customer: +121 MB
over 1,000 customers in the endurance benchmark.

It also rebuilds every key widget (a CSS restyle each) whenever the screen's bindings *may*
have changed: focus moves, a screen is resumed, ``redeeming`` flips. In the benchmark that was
~50 recomposes per customer, most of them drawing the same keys again; here a recompose that
would show what is already shown is skipped.
"""

from __future__ import annotations

from textual.widgets import Footer


class KioskFooter(Footer):
    """``Footer`` that forgets the watchers of key widgets it has removed, and recomposes only
    when the keys it would show differ from the ones on screen."""

    _shown: tuple[object, ...] | None = None

    def _keys_signature(self) -> tuple[object, ...]:
        """Everything the keys' look depends on: each shown binding (key, action, description,
        enabled, tooltip) and the width (a narrow footer may draw them differently)."""
        keys = tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                     for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
                     if binding.show)
        return (self._bindings_ready, self.app.size.width, keys)

    async def recompose(self) -> None:
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

"""A key the focused scan field takes goes straight to it, not through Textual's key routing.

Textual hands every key to the app, which builds the screen's whole binding chain (a copy of
every node's bindings, ~40 % of a key's time) to look for a priority binding, then posts the
key to the focused widget's queue, a task switch later. A wedge scan is 13 digits and Enter
back to back: that was ~2.5 ms from the first key to the scan (~1 ms this way).

:func:`typed_into_field` gives the app's key to the focused :class:`ScanInput` itself when
all of these hold, and otherwise leaves it to Textual, unchanged:

- the field would take it (a character, or Enter, Backspace, Escape with something typed):
  any other key (an Enter with nothing typed, arrows, function keys) goes to the bindings;
- no node from the field up to the app binds that key with ``priority`` (those run before
  any widget sees a key, e.g. the app's locked keys) and no keymap is set;
- nothing waits in the field's queue: an earlier key on its way there is handled first, so
  keys are taken in the order they came (back-to-back scans stay apart).

What Textual's routing does on the way for such a key is done here too (the app has focus,
a tooltip is cleared, Escape first minimizes a maximized widget); the key guard of the
screens is about their bindings, which these keys never reached.

Textual internals read (pinned 8.2.8; ``tests/ui/test_direct_keys.py`` fails if they change
meaning): ``App._keymap``, ``DOMNode._bindings``, ``MessagePump._message_queue``,
``Screen._clear_tooltip``.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.binding import BindingsMap

from kiosk.ui.widgets.scan_input import ScanInput


def typed_into_field(app: App[Any], event: events.Key) -> bool:
    """Give ``event`` to the focused scan field if it may go there directly; True if taken."""
    field = app.focused
    if type(field) is not ScanInput or event.is_forwarded or app._keymap:
        return False
    if not field._message_queue.empty() or not field.takes(event):
        return False
    if _priority_bound(field, event.key):
        return False
    if event.key == "escape" and app.screen.maximized is not None:
        return False  # Textual's: Escape minimizes a maximized widget first
    if not app.app_focus:
        app.app_focus = True
    app.screen._clear_tooltip()
    return field.take_key(event, app)


def _priority_bound(field: ScanInput, key: str) -> bool:
    """Whether the field or a node above it binds ``key`` with priority (Textual's
    ``_check_bindings(key, priority=True)``, without copying every node's bindings)."""
    for node in field.ancestors_with_self:
        bindings: BindingsMap = node._bindings
        if any(binding.priority for binding in bindings.key_to_bindings.get(key, ())):
            return True
    return False

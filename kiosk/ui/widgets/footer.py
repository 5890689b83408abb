"""The key footer: in the staff's language, every key visible at 60 columns, one line drawn by
one widget.

Key descriptions are msgids (``N_("Redeem")`` in ``BINDINGS``), translated here as the keys are
drawn; key names come from ``KioskApp.get_key_display``. When the keys don't fit the width,
the footer first drops the padding around them (compact), then uses the short descriptions in
``SHORT`` and leaves out keys that explain themselves (the arrows), then the ones in
``SHORTER``, then shows the IT keys (F9) by name alone, so F9 and F10 always show.

It draws the keys as Textual's ``Footer`` does (the same theme variables: ``$footer-key-*``
for a key's name, ``$footer-description-*`` for what it does, disabled keys dim; a key's name
and description padded by a cell in the roomy style, a cell between keys in the compact one),
but as one line of text, not a container of one widget per key. Textual's ``Footer`` rebuilt
every key widget (a CSS restyle each) whenever the screen's bindings *may* have changed (~19
times per customer), bound each new key's ``compact`` to itself and never dropped the old
keys' watchers (Textualize/textual#6666: +121 MB over 1,000 customers in the endurance
benchmark); its module, its key widgets and their styles were ~26 M instructions of ``kiosk
run``'s start before the scan screen's first frame, this footer ~12 M (callgrind). Here a
change of keys redraws one line, and only when the keys shown would differ. The kiosk runs
without a mouse: the keys are not clickable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from rich.control import strip_control_codes
from rich.style import Style
from textual import events
from textual.content import Content, Span
from textual.style import Style as VisualStyle
from textual.widget import Widget

from kiosk.i18n import N_, _

if TYPE_CHECKING:
    from rich.terminal_theme import TerminalTheme
    from textual.binding import Binding
    from textual.screen import Screen

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
#: Columns a key takes beyond its name and description: the padding around both in the roomy
#: style; the space between name and description plus the cell before the next key in the
#: compact one (the last key's cell may fall off the edge).
_GAP = {False: 3, True: 2}
_DIM = Style(dim=True)

#: One key as drawn: its binding, whether it is enabled, its name and (translated) description.
Label = tuple["Binding", bool, str, str]


def key_name(binding: Binding) -> str | None:
    """How the footer names ``binding``'s key ("Enter", "Esc", "F9"...); None: Textual's way."""
    if binding.key_display:
        return binding.key_display
    if binding.key in KEY_NAMES:
        return _(KEY_NAMES[binding.key])
    if binding.key[:1] == "f" and binding.key[1:].isdigit():
        return binding.key.upper()
    return None


class KioskFooter(Widget):
    """The screen's keys on its bottom line, fitted to the width."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    KioskFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    # 0 roomy, 1 compact, 2 short descriptions and no optional keys, 3 shorter, 4 IT keys bare
    _level = 0
    #: The keys drawn (None: not read from the screen yet) and the level they were fitted to.
    _shown: list[Label] | None = None

    @property
    def compact(self) -> bool:
        """Whether the keys are drawn without the padding around them."""
        return self._level >= 1

    @property
    def keys(self) -> list[Label]:
        """The keys drawn now (binding, enabled, name, description), left to right."""
        return list(self._shown or ())

    def _keys(self) -> list[tuple[Binding, bool]]:
        seen: set[str] = set()
        keys = []
        for _key, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:  # one key per action, as Footer
                seen.add(binding.action)
                keys.append((binding, enabled))
        return keys

    def _labels(self, level: int, keys: list[tuple[Binding, bool]] | None = None
                ) -> list[Label]:
        """The keys as drawn at ``level``; ``keys``: the screen's keys if already read."""
        out = []
        for binding, enabled in self._keys() if keys is None else keys:
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

    def _fits(self, level: int, width: int, keys: list[tuple[Binding, bool]]) -> bool:
        labels = self._labels(level, keys)
        compact = level >= 1
        # (a key without words is drawn alone: no space after its name)
        need = sum(len(k) + len(d) + _GAP[compact] - (not d) for _b, _e, k, d in labels)
        if compact and labels:
            need -= 1  # the last key's margin may fall off the edge
        return need <= width

    def _choose_level(self, width: int, keys: list[tuple[Binding, bool]]) -> int:
        return next((level for level in (0, 1, 2, 3) if self._fits(level, width, keys)), 4)

    def _fitted(self) -> tuple[int, list[Label]]:
        """The level the screen's keys fit the width at, and the keys as drawn there. The
        screen's keys are read once (``Screen.active_bindings`` walks the focused nodes'
        bindings; read per level tried, a scan's offers screen read them 7 times, now 4)."""
        keys = self._keys()
        level = self._choose_level(self.app.size.width, keys)
        return level, self._labels(level, keys)

    def _update(self) -> None:
        """Read the screen's keys again; redraw only if what is drawn would change."""
        level, labels = self._fitted()
        if self._shown is not None and (level, _signature(labels)) == (
                self._level, _signature(self._shown)):
            return
        self._level, self._shown = level, labels
        self.refresh()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's bindings may have changed (focus moved, a screen resumed...)."""
        if not self.is_attached or screen is not self.screen:
            return
        # A screen under another (the offers list under the confirmation, whose own footer
        # covers this one) redraws its keys when it is resumed, as Textual refreshes the
        # bindings then, not each time they change while it is covered.
        if screen.is_active:
            self._update()

    def on_resize(self, event: events.Resize) -> None:
        if self._shown is not None:
            self._update()  # redraws only if the keys fitted to the new width differ

    def render(self) -> Content:
        if self._shown is None and self.screen.is_active:  # the first frame: the keys now
            self._level, self._shown = self._fitted()
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        compact = self.compact
        parts: list[tuple[str, Style | None]] = []
        for index, (_binding, enabled, key, description) in enumerate(self._shown or ()):
            if compact and index:
                parts.append((" ", None))  # the cell between keys, in the footer's colours
            dim = Style() if enabled else _DIM
            if not description:
                parts.append((key, key_style + dim))
            elif compact:
                parts.append((key, key_style + dim))
                parts.append((f" {description}", description_style + dim))
            else:
                parts.append((f" {key} ", key_style + dim))
                parts.append((f"{description} ", description_style + dim))
        return _content(parts, self.app.ansi_theme)


def _content(parts: list[tuple[str, Style | None]], theme: TerminalTheme | None) -> Content:
    """The line as Textual's ``Content``: exactly what Textual makes of the Rich ``Text`` of
    these parts (``Content.from_rich_text``: the plain text, a span per styled part, each Rich
    style converted with the app's ANSI theme), without building the ``Text`` and converting
    every style again on each draw (~0.5 ms a footer, on every new screen's first frame)."""
    pieces: list[str] = []
    spans = []
    at = 0
    for part, style in parts:
        if not part:
            continue
        text = strip_control_codes(part)  # as Text.append: its spans are on the stripped text
        if style:  # as Text.append: no span for no style (or a null one)
            spans.append(Span(at, at + len(text), _visual_style(style, theme)))
        pieces.append(text)
        at += len(text)
    return Content("".join(pieces), spans)


@lru_cache(maxsize=64)
def _visual_style(style: Style, theme: TerminalTheme | None) -> VisualStyle:
    """A Rich style as Textual draws it (a footer's few styles, over and over)."""
    return VisualStyle.from_rich_style(style, theme)


def _signature(labels: list[Label]) -> tuple[object, ...]:
    """What the drawn keys depend on: each key's binding, enabled state, name, description."""
    return tuple((binding.key, binding.action, enabled, key, description)
                 for binding, enabled, key, description in labels)

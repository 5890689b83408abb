""""This visit, apply: 20 % · 100 kr · Code TILL-3FOR2": what a visit redeemed, wrapped only
between its items.

Rich breaks a line at any space, a no-break space too, so a strip longer than the screen could
end one line with "· 50" and start the next with "kr": read by staff keying amounts into the
till, that is a different amount. Here a line ends only after a " ·", and an item moves to the
next line whole (only an item wider than the whole line is folded).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.measure import Measurement
from rich.text import Text

SEPARATOR = " · "


class VisitStrip:
    """A bold label, then the items separated by " · ", laid out to the width given.

    ``justify`` aligns each line ("center" on the result): Textual's ``text-align`` reaches
    text, not a renderable of our own.
    """

    def __init__(self, label: str, items: Sequence[str], *,
                 justify: JustifyMethod | None = None) -> None:
        self.label = label
        self.items = list(items)
        self.justify = justify

    def lines(self, width: int) -> list[Text]:
        """The strip as lines of at most ``width`` cells (bar an item wider than that)."""
        line = Text(self.label, style="bold")
        out: list[Text] = []
        for i, item in enumerate(self.items):
            piece = Text(item)
            gap = SEPARATOR if i else " "
            # room for the item, and for the " ·" that ends its line if the next one can't follow
            tail = len(SEPARATOR.rstrip()) if i < len(self.items) - 1 else 0
            if line.cell_len + len(gap) + piece.cell_len + tail <= width:
                line.append(gap)
            else:  # the item starts the next line; this one ends with the separator
                if i:
                    line.append(SEPARATOR.rstrip())
                out.append(line)
                line = Text()
            line.append_text(piece)
        out.append(line)
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            line.justify = self.justify or options.justify
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        one_line = self.lines(10**6)[0].cell_len
        widest = max([len(self.label), *(Text(i).cell_len + 2 for i in self.items)])
        return Measurement(widest, one_line).clamp(max_width=options.max_width)

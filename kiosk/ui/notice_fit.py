"""Which of the scan screen's notices fit the rows left when the card box and the field are whole.

The scan screen has two kinds of notice: *steady* ones (start-up warnings for IT, "N
redemptions not confirmed") that must always show, and *settled answers* of earlier
redemptions ("12:03 •••• 0015, Autumn 20: Give 20 % off"), which the journal and F2 keep
anyway. At a small terminal (60x20) they can outgrow the room under the field, so the settled
answers give way first, the least important first, with a "+N more" line in their place; a
steady line that doesn't fit wrapped is cut to one row (never left out), the tallest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from rich.text import Text

from kiosk.i18n import ngettext


class Fitted(NamedTuple):
    """What to show, top to bottom."""

    #: the steady lines, each with whether it is cut to one row
    steady: list[tuple[str, bool]]
    #: the settled answers shown, most important first
    settled: list[str]
    #: how many settled answers gave way (a "+N more" line when above 0)
    more: int


def fit(steady: Sequence[str], settled: Sequence[str], rows: Callable[[str], int],
        room: int | None) -> Fitted:
    """The notices for ``room`` rows (None: not laid out yet, show every one). ``settled`` is
    in order of importance (it gives way from the end); ``rows(line)`` is how many rows a
    line takes wrapped."""
    if room is None:
        return Fitted([(line, False) for line in steady], list(settled), 0)
    heights = [rows(line) for line in steady]
    cut = [False] * len(steady)
    # The tallest steady lines go to one row first, until they fit with room to spare for the
    # most important settled answer (and a "+N more" line for the others): the warnings are
    # there every day (and in the log), the answer is news.
    spare = rows(settled[0]) + (len(settled) > 1) if settled else 0
    room_for_steady = room - spare
    for i in sorted(range(len(steady)), key=lambda i: -heights[i]):
        if sum(heights) <= room_for_steady or heights[i] <= 1:
            break
        heights[i], cut[i] = 1, True
    used = sum(heights)
    shown: list[str] = []
    for n, line in enumerate(settled):
        left = len(settled) - n - 1  # after this one
        if used + rows(line) + (1 if left else 0) > room:
            break
        shown.append(line)
        used += rows(line)
    more = len(settled) - len(shown)
    if more and used + 1 > room:
        # The steady lines fill the room (many warnings at 60x20): no "+N more" line either
        # (the steady lines count the open attempts; the journal and F2 keep every answer).
        more = 0
    return Fitted(list(zip(steady, cut, strict=True)), shown, more)


def as_text(fitted: Fitted, width: int) -> Text:
    """The lines to show, one per notice (a cut one ends in "…" at ``width``), then the
    "+N more notices" line."""
    text = Text()
    for line, cut in fitted.steady:
        row = Text(line)
        if cut:
            row.truncate(width, overflow="ellipsis")
        text.append_text(row)
        text.append("\n")
    for line in fitted.settled:
        text.append(line + "\n")
    if fitted.more:
        text.append(ngettext("+{n} more notice", "+{n} more notices",
                             fitted.more).format(n=fitted.more) + "\n", style="bold")
    text.rstrip()
    return text

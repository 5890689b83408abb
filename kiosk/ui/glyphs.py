"""The symbols the kiosk draws, and their console-safe stand-ins.

The Linux console shows only the 256-512 characters of its font (Debian's Lat15-Terminus16:
Latin-1, box lines, ● • … ↑ ↓ › █ and a few more; ``tests/data`` holds its table). There
✔ ⚠ ⏎ ▏ ◐ ○ would be drawn as a blank or a question mark, so ``CONSOLE`` uses words and
Latin-1 instead ("OK", "!", "Enter"). ``console_wanted`` says when: ``TERM=linux``, or a
terminal that only has 16 colours (Textual's colour system detection says "standard").
"""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

from collections.abc import Mapping
from typing import NamedTuple


class Glyphs(NamedTuple):  # as a frozen dataclass, ~4 M instructions less to make at start
    """One set of symbols: result kickers, status dots, the typing cursor, the PIN dot."""

    ok: str
    warn: str
    fail: str
    cursor: str
    on: str
    half: str
    off: str
    dot: str
    name: str  # "unicode" or "console"


UNICODE = Glyphs(ok="✔", warn="⚠", fail="✘", cursor="▏", on="●", half="◐", off="○", dot="●",
                 name="unicode")
CONSOLE = Glyphs(ok="OK", warn="!", fail="X", cursor="_", on="●", half="~", off="o", dot="*",
                 name="console")


def console_wanted(environ: Mapping[str, str], color_system: str | None) -> bool:
    """True on the Linux console, or wherever only the 16 base colours are available."""
    term = environ.get("TERM", "").strip().lower()
    return term == "linux" or color_system == "standard"

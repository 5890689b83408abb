"""Large type for the one thing to apply: "20 %", "100 kr", a till code.

A terminal has one font size, so large letters are drawn with full blocks (█), five lines
high, from a 3x5 pixel font. █ is the only block character Debian's console fonts share
(Lat15-Terminus16 has no ▀ ▄ ▌ and none of the box pieces Textual's ``Digits`` uses), so the
same letters work on the Linux console and in any terminal emulator. Two columns per pixel
when that fits, one when only that fits, and plain text when not even that does (or when a
character has no glyph here, e.g. "Å").
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

HEIGHT = 5
BLOCK = "█"

# 3x5 (M, N, W wider) pixel glyphs, top row first; "#" is ink. Letters and digits are told
# apart on purpose (O/0, I/1, S/5, Z/2, B/8): till codes mix them.
_FONT_ROWS: dict[str, str] = {
    "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###", "2": "### ..# ### #.. ###",
    "3": "### ..# .## ..# ###", "4": "#.# #.# ### ..# ..#", "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###", "7": "### ..# ..# .#. .#.", "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###",
    "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.", "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###", "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#", "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#", "L": "#.. #.. #.. #.. ###",
    "M": "#...# ##.## #.#.# #...# #...#", "N": "#..# ##.# #.## #..# #..#",
    "O": ".#. #.# #.# #.# .#.", "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#", "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###", "V": "#.# #.# #.# #.# .#.",
    "W": "#...# #...# #.#.# ##.## #...#", "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###",
    "k": "#.. #.# ##. #.# #.#", "r": "... #.# ##. #.. #..",
    "%": "#.# ..# .#. #.. #.#", "€": ".## ### #.. ### .##", "$": ".## ##. .#. .## ##.",
    "-": "... ... ### ... ...", "+": "... .#. ### .#. ...", "/": "..# ..# .#. #.. #..",
    ".": ". . . . #", ",": ".. .. .. .# #.", ":": ". # . # .", " ": ".. .. .. .. ..",
}
FONT: dict[str, tuple[str, ...]] = {ch: tuple(rows.split()) for ch, rows in _FONT_ROWS.items()}
#: No-break and narrow no-break spaces (CLDR puts them in "20 %", "1 234 kr") draw as spaces.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def drawable(text: str) -> bool:
    """Whether every character of ``text`` has a glyph (else it is shown as plain text)."""
    return bool(text.strip()) and all(ch in FONT for ch in text.translate(_SPACES))


def width_of(text: str, scale: int = 1) -> int:
    """Columns ``text`` takes in large type at ``scale`` columns per pixel."""
    glyphs = [FONT[ch] for ch in text.translate(_SPACES)]
    return (sum(len(g[0]) for g in glyphs) + len(glyphs) - 1) * scale


def big_lines(text: str, width: int) -> list[str] | None:
    """``text`` as ``HEIGHT`` lines of blocks no wider than ``width``; None if it can't be."""
    if not drawable(text):
        return None
    text = text.translate(_SPACES)
    for scale in (2, 1):
        if width_of(text, scale) <= width:
            rows = (" ".join(FONT[ch][y] for ch in text) for y in range(HEIGHT))  # 1 px gap
            return ["".join((BLOCK if px == "#" else " ") * scale for px in row).rstrip()
                    for row in rows]
    return None


class BigText(Widget):
    """``text`` in large block letters when it fits the widget's width, else plain bold text."""

    DEFAULT_CSS = """
    BigText {
        height: auto;
        width: 100%;
        text-align: center;
        text-style: bold;
    }
    """

    def __init__(self, text: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text

    @property
    def is_large(self) -> bool:
        """Drawn in large type at the current width."""
        return big_lines(self.text, self.content_size.width) is not None

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        lines = big_lines(self.text, width)
        return len(lines) if lines is not None else max(1, -(-len(self.text) // max(width, 1)))

    def render(self) -> Text:
        lines = big_lines(self.text, self.content_size.width)
        if lines is None:
            return Text(self.text)
        width = max(len(line) for line in lines)
        return Text("\n".join(line.ljust(width) for line in lines), no_wrap=True)

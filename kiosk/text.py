"""The one text-safety rule for anything from outside: a scanner, Engage, a file, the environment.

Outside text is data. Before it reaches a screen, a log line or the journal, terminal escape
sequences are removed whole (so ``"A\\x9b2JB"`` is ``"AB"``, not ``"A2JB"``) and every unsafe
character goes: C0/C1 controls and DEL, lone surrogates, and the bidi embeddings, overrides
and isolates that can reorder what a reader sees (U+202A-U+202E, U+2066-U+2069). Tabs, line
and paragraph breaks become spaces where a caller wants one line. Callers keep their own
length caps. Dependency-free: every layer may import it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: The longest line of outside text :func:`sanitize` keeps unless told otherwise.
MAX_LINE = 200

_PATTERNS = {
    # ESC sequences go whole: CSI, OSC/DCS/SOS/PM/APC strings (ended by BEL or ST, or the end
    # of the text when unterminated), then any two-byte ESC sequence; 8-bit CSI/OSC likewise.
    "ESCAPES": r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
               r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)"
               r"|\x1b[ -~]?",
    # Characters that separate words or lines: a space where one line is wanted.
    "BREAKS": "[\t\n\v\f\r\u2028\u2029]",
    # The one character class: controls, DEL, C1, lone surrogates, bidi
    # embeddings/overrides/isolates.
    "UNSAFE": "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]",
}


@cache
def _pattern(name: str) -> re.Pattern[str]:
    # Compiled on first use: printable text (nearly all of it) needs none, and compiling the
    # three (UNSAFE's surrogate range above all) was ~7 M instructions of ``kiosk run``'s start.
    return re.compile(_PATTERNS[name])


def __getattr__(name: str) -> re.Pattern[str]:
    """``ESCAPES``, ``BREAKS`` and ``UNSAFE`` (compiled when first asked for)."""
    if name in _PATTERNS:
        return _pattern(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def strip_unsafe(text: str, *, breaks: str = "") -> str:
    """``text`` without escape sequences and unsafe characters; tabs and line breaks become
    ``breaks`` (default: removed, as a scanned card number wants)."""
    if text.isprintable():  # the usual case: nothing unsafe is printable, so nothing to do
        return text
    text = _pattern("ESCAPES").sub("", text)
    if breaks:
        text = _pattern("BREAKS").sub(breaks, text)
    return _pattern("UNSAFE").sub("", text)


def one_line(value: object, limit: int | None = None, *, mark: str = "") -> str:
    """``value`` as one line of safe text: unsafe characters gone, whitespace runs one space,
    trimmed, and at most ``limit`` characters (the last being ``mark`` when cut). ``None``
    gives ``""``."""
    if value is None:
        return ""
    text = " ".join(strip_unsafe(str(value), breaks=" ").split())
    if limit is not None and len(text) > limit:
        return text[: limit - len(mark)] + mark
    return text


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds an escape sequence or an unsafe character (for validation)."""
    return not text.isprintable() and bool(_pattern("UNSAFE").search(text))


def sanitize(text: Any, *, limit: int = MAX_LINE) -> str:
    """One line of safe text for staff to read (:func:`one_line`), at most ``limit``
    characters, the last an ellipsis when cut. ``None`` gives ""."""
    return one_line(text, limit, mark="…")

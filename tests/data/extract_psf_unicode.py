"""Regenerate Lat15-Terminus16.unicode.txt: ``python extract_psf_unicode.py FONT.psf.gz``.

A PSF1 font (magic 36 04) is a 4-byte header, 256 or 512 glyph bitmaps, then, when mode bit
0x02 is set, a Unicode table: per glyph, 16-bit little-endian code points, 0xFFFE before a
combining sequence (skipped here), 0xFFFF at the end. Prints one "U+XXXX  c" line per code
point the font can draw (the header in the data file says where the font came from).
"""

from __future__ import annotations

import gzip
import struct
import sys


def code_points(data: bytes) -> set[int]:
    """The single code points a PSF1 font's Unicode table maps to glyphs."""
    if data[:2] != b"\x36\x04":
        raise ValueError("not a PSF1 font")
    mode, charsize = data[2], data[3]
    table = data[4 + (512 if mode & 1 else 256) * charsize:]
    points: set[int] = set()
    in_sequence = False
    for (value,) in struct.iter_unpack("<H", table[: len(table) // 2 * 2]):
        if value == 0xFFFF:
            in_sequence = False
        elif value == 0xFFFE:
            in_sequence = True
        elif not in_sequence:
            points.add(value)
    return points


if __name__ == "__main__":
    with gzip.open(sys.argv[1], "rb") as font:
        font_data = font.read()
    for point in sorted(code_points(font_data)):
        char = chr(point)
        print(f"U+{point:04X}  {char if char.isprintable() else ''}")

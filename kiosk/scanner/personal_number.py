"""Is this value shaped like a Nordic personal identity number? (pure functions, no I/O)

A till that looks members up by ``KIOSK_LOOKUP_KEY=any`` sends Engage whatever was scanned or
typed, and Engage doesn't say which of the member's attributes matched. A personal number's
last digits are its sensitive part, so such a value must not be masked like a card
("•••• 7399"): :func:`looks_like_personal_number` tells :func:`kiosk.scanner.barcode.mask_value`
to show "••••" alone. The checks are the numbers' own (check digits and a real date), so a card
keeps its last four unless it happens to pass one of them (a 10-digit card whose first six
digits read as a date passes the Danish one: CPR numbers have no check digit since 2007).

- Sweden, personnummer and samordningsnummer (day + 60): ``YYMMDD-NNNC``, ``YYMMDD+NNNC``
  (100 or older), ``YYMMDDNNNC``, ``YYYYMMDDNNNC``, ``YYYYMMDD-NNNC``; Luhn check digit over
  the ten digits.
- Norway, fødselsnummer ``DDMMYYIIIKK``, D-number (day + 40), H-number (month + 40): two
  mod-11 check digits.
- Denmark, CPR ``DDMMYY-SSSS`` or ``DDMMYYSSSS``: a real date (the century from the seventh
  digit and the year).
- Finland, henkilötunnus ``DDMMYYCZZZQ``: the century sign (``+``, ``-``, ``A``-``F``,
  ``U``-``Y``; or none, as a typed card number loses its dashes), a real date and the check
  character (``DDMMYYZZZ`` mod 31).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

_SE = r"(?P<c>\d{2})?(?P<ymd>\d{6})[-+]?(?P<n>\d{3})(?P<check>\d)"
_NO = r"\d{11}"
_DK = r"(?P<dmy>\d{6})-?(?P<s>\d{4})"
_FI = r"(?P<dmy>\d{6})(?P<sign>[-+A-FU-Y]?)(?P<z>\d{3})(?P<check>[0-9A-Y])"
_FI_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FI_CENTURY = {"+": 1800, "-": 1900, "U": 1900, "V": 1900, "W": 1900, "X": 1900, "Y": 1900,
               "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


@cache
def _pattern(name: str) -> re.Pattern[str]:
    # compiled at first use (the scan screen's first frame needs none of them)
    return re.compile({"se": _SE, "no": _NO, "dk": _DK, "fi": _FI}[name])


def looks_like_personal_number(value: str) -> bool:
    """Whether ``value`` (as scanned or typed, surrounding spaces aside) is a valid Swedish,
    Norwegian, Danish or Finnish personal identity number."""
    value = value.strip().upper()
    return (is_swedish(value) or is_norwegian(value) or is_danish(value)
            or is_finnish(value))


def is_swedish(value: str) -> bool:
    """A personnummer or samordningsnummer, 10 or 12 digits, with or without ``-``/``+``."""
    m = _pattern("se").fullmatch(value)
    if m is None:
        return False
    ymd, century = m["ymd"], m["c"]
    if century is not None and century not in ("18", "19", "20"):
        return False
    day = int(ymd[4:6])
    if day > 60:
        day -= 60  # samordningsnummer
    years = [int(century + ymd[:2])] if century else _any_century(int(ymd[:2]))
    if not any(_is_date(y, int(ymd[2:4]), day) for y in years):
        return False
    return _luhn(ymd + m["n"] + m["check"])


def is_norwegian(value: str) -> bool:
    """A fødselsnummer (or D- or H-number): 11 digits, both mod-11 check digits right."""
    if _pattern("no").fullmatch(value) is None:
        return False
    d = [int(c) for c in value]
    k1 = _mod11(d[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2))
    k2 = _mod11(d[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    if k1 != d[9] or k2 != d[10]:
        return False
    day, month, yy, person = int(value[0:2]), int(value[2:4]), int(value[4:6]), int(value[6:9])
    if day > 40:
        day -= 40  # D-number
    if month > 40:
        month -= 40  # H-number
    # the century from the individual number (Folkeregisteret's ranges)
    if person < 500:
        year = 1900 + yy
    elif person < 750 and yy >= 54:
        year = 1800 + yy
    elif yy < 40:
        year = 2000 + yy
    elif person >= 900:
        year = 1900 + yy
    else:
        return False
    return _is_date(year, month, day)


def is_danish(value: str) -> bool:
    """A CPR number ``DDMMYY-SSSS`` (or without the hyphen) whose date is real."""
    m = _pattern("dk").fullmatch(value)
    if m is None:
        return False
    dmy, seventh = m["dmy"], int(m["s"][0])
    yy = int(dmy[4:6])
    if seventh <= 3:
        year = 1900 + yy
    elif seventh in (4, 9):
        year = (2000 if yy <= 36 else 1900) + yy
    else:
        year = (2000 if yy <= 57 else 1800) + yy
    return _is_date(year, int(dmy[2:4]), int(dmy[0:2]))


def is_finnish(value: str) -> bool:
    """A henkilötunnus ``DDMMYYCZZZQ`` (or without the century sign ``C``): real date, check
    character."""
    m = _pattern("fi").fullmatch(value)
    if m is None:
        return False
    dmy = m["dmy"]
    yy = int(dmy[4:6])
    # without its sign (typed card numbers lose their dashes): any century
    years = [_FI_CENTURY[m["sign"]] + yy] if m["sign"] else _any_century(yy)
    if not any(_is_date(y, int(dmy[2:4]), int(dmy[0:2])) for y in years):
        return False
    return _FI_CHECK[int(dmy + m["z"]) % 31] == m["check"]


def _any_century(yy: int) -> list[int]:
    return [1800 + yy, 1900 + yy, 2000 + yy]


def _is_date(year: int, month: int, day: int) -> bool:
    """A real day, not after today (nobody is born in the future)."""
    try:
        return date(year, month, day) <= date.today()
    except ValueError:
        return False


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _mod11(digits: list[int], weights: tuple[int, ...]) -> int:
    """The check digit (10 when there is none: such a number is never issued)."""
    k = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if k == 11 else k

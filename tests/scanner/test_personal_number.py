"""Nordic personal identity numbers by their own rules (check digits, a real date): at a till
looking up by ``any`` such a value is masked "••••" alone, and a card keeps its last four.

The valid examples are the authorities' published ones where there is one (Skatteverket's
811228-9874 and 19121212-1212, Tolvan Tolvansson; DVV's 131052-308T and 010594Y9021) and
otherwise made with the check digits by hand; every table was also checked against
python-stdnum 2.2 (se.personnummer, no.fodselsnummer, dk.cpr, fi.hetu) where its rules are the
same (it knows no samordningsnummer, no new Finnish century signs nor temporary numbers).
"""

from __future__ import annotations

import pytest

from kiosk.scanner.barcode import mask_value, shown_key
from kiosk.scanner.personal_number import (
    is_danish,
    is_finnish,
    is_norwegian,
    is_swedish,
    looks_like_personal_number,
)


@pytest.mark.parametrize(("value", "valid"), [
    ("811228-9874", True),     # YYMMDD-NNNC
    ("8112289874", True),      # without the hyphen
    ("19811228-9874", True),   # 12 digits, with ...
    ("198112289874", True),    # ... and without the hyphen
    ("121212+1212", True),     # "+": 100 or older
    ("19121212-1212", True),
    ("701063-2391", True),     # samordningsnummer: day + 60
    ("811228-9875", False),    # Luhn check digit wrong
    ("811328-9874", False),    # month 13
    ("810230-9872", False),    # 30 February (check digit right)
    ("21811228-9874", False),  # born in 2181
    ("811228-987", False),     # too short
    ("811228/9874", False),    # not a separator
])
def test_swedish(value: str, valid: bool) -> None:
    assert is_swedish(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("15076500565", True),
    ("01018012371", True),
    ("29020052331", True),     # 29 February 2000 (individual number 523: the 2000s)
    ("64038312357", True),     # D-number: day + 40
    ("24438312346", True),     # H-number: month + 40
    ("15076500566", False),    # second check digit wrong
    ("15076500575", False),    # first check digit wrong
    ("29020012380", False),    # 29 February 1900 (individual number 123: the 1900s)
    ("31026500500", False),    # 31 February, check digits right
    ("1507650056", False),     # 10 digits
])
def test_norwegian(value: str, valid: bool) -> None:
    assert is_norwegian(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("070761-4285", True),
    ("0707614285", True),
    ("290200-4234", True),     # seventh digit 4, year 00: 29 February 2000
    ("290201-1234", False),    # seventh digit 1: 1901, no 29 February
    ("290201-4234", False),    # seventh digit 4: 2001, no 29 February
    ("320761-4285", False),    # day 32
    ("071361-4285", False),    # month 13
    ("010150-5000", False),    # seventh digit 5, year 50: 2050
    ("070761-428", False),
])
def test_danish(value: str, valid: bool) -> None:
    assert is_danish(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("131052-308T", True),
    ("131052-308t", False),    # (the module's own functions take it as written; see below)
    ("010594Y9021", True),     # a 2023 century sign for the 1900s
    ("020516C903K", True),     # a temporary number (900-999) of the 2000s
    ("010101+0102", False),    # check character wrong (1 February 1801: "1")
    ("131052308T", True),      # typed: a card number's dashes are dropped (kiosk.scanner.typed)
    ("131052-308U", False),    # check character wrong
    ("131052G308T", False),    # no such century sign
    ("311152-308T", False),    # 31 November
    ("131052A308T", False),    # 2052
])
def test_finnish(value: str, valid: bool) -> None:
    assert is_finnish(value) is valid


@pytest.mark.parametrize("value", [
    " 131052-308t ",           # as typed: spaces around, lower case
    "811228-9874", "15076500565", "070761-4285", "010594Y9021",
])
def test_looks_like_a_personal_number(value: str) -> None:
    assert looks_like_personal_number(value)


@pytest.mark.parametrize("card", [
    "2000000000015",           # an in-store EAN-13: 13 digits, no personal number has them
    "MB0015", "1234567890",    # month 34 for Sweden and Denmark alike
    "8112289873",              # Sweden's Luhn fails, 81-12-28 is no day-month-year
    "12345678901", "0000000000", "1507650056A", "anna@example.com", "+46703124586",
])
def test_cards_are_not_personal_numbers(card: str) -> None:
    assert not looks_like_personal_number(card)


@pytest.mark.parametrize(("value", "key", "shown", "masked"), [
    ("811228-9874", "any", "socialSecurityNumber", "••••"),
    ("15076500565", "any", "socialSecurityNumber", "••••"),
    ("070761-4285", "any", "socialSecurityNumber", "••••"),
    ("131052-308T", "any", "socialSecurityNumber", "••••"),
    ("2000000000015", "any", "any", "•••• 0015"),       # a card at an `any` till
    ("MB0015", "any", "any", "•••• 0015"),
    # only `any` guesses by shape: a till's own key says what the value is
    ("0707614285", "customKey", "customKey", "•••• 4285"),
    ("0707614285", None, None, "•••• 4285"),
    ("811228-9874", "socialSecurityNumber", "socialSecurityNumber", "••••"),
])
def test_an_any_till_masks_a_personal_number_like_the_personal_number_key(
        value: str, key: str | None, shown: str | None, masked: str) -> None:
    assert shown_key(value, key) == shown
    assert mask_value(value, key) == masked

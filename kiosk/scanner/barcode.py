"""Barcode rules: is this scan a member card number, and which one? (pure functions, no I/O)

One path for every source (serial scanner, keyboard wedge, typed by staff): the raw text goes
through :func:`parse_scan` (control characters and the AIM symbology identifier stripped,
symbology, charset, length and EAN-13 check digit checked) and then a :class:`Debouncer`;
:class:`ScanGate` does both. Rejections carry a short reason for staff and are never sent to
Engage.
"""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

import re
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Self

from kiosk.text import strip_unsafe

# Staff-facing reasons (short: they are shown on the till screen as they are).
NOT_A_MEMBER_CARD = "not a member card"
TOO_SHORT = "card number too short"
UNREADABLE = "unreadable scan — try again"
BAD_CHECK_DIGIT = "check digit wrong — scan again"

# AIM identifiers a member card is printed in: EAN-13 (]E0, also carries UPC-A), Code 128 (]C0),
# Code 39 (]A0) and QR model 2 (]Q1, a card in a member app). Left out on purpose because they
# are product or logistics codes: EAN-8 (]E4) and EAN with add-ons (]E1–]E3), GS1-128 (]C1),
# GS1 DataBar (]e0, fresh food), ITF (]I0, cartons), GS1 QR/Data Matrix (]Q3, ]d2).
MEMBER_CARD_SYMBOLOGIES: frozenset[str] = frozenset({"]E0", "]C0", "]A0", "]Q1"})

# GS1 keeps these EAN-13 prefixes out of open trade (in-store / restricted circulation, RCN-13):
# a loyalty card number must live here or it would collide with a product's GTIN.
IN_STORE_EAN_PREFIXES: tuple[str, ...] = ("02", "04", "2")

EAN13_SYMBOLOGIES: frozenset[str] = frozenset({"]E0", "]E3"})

# Patterns as text: ``re`` compiles each at the first scan (not at import, before ``kiosk run``'s
# first frame) and keeps it.
_AIM = r"\][A-Za-z][0-9A-Za-z]"
_DIGITS13 = r"[0-9]{13}"
_PRINTABLE_ASCII = r"[ -~]*"


#: The scanner's name for ``kiosk.text.strip_unsafe`` (escape sequences and unsafe characters
#: removed, nothing put in their place), kept for callers that know it from here.
strip_controls = strip_unsafe


class CardRules(NamedTuple):
    """What counts as a member card number. ``from_settings`` builds one from ``KIOSK_*``.

    This module's records are NamedTuples: as immutable and compared field by field as frozen
    dataclasses, and made in a fraction of the time (``kiosk run`` imports them before its
    first frame; Python 3.11 compiles each method a dataclass makes)."""

    min_length: int = 4
    max_length: int = 64
    #: one character of a card number, as a regular expression
    charset: str = r"[0-9A-Za-z]"
    #: verify the EAN-13 check digit of a 13-digit number (KIOSK_SCANNER_CHECK_EAN)
    check_ean: bool = True
    #: AIM identifiers accepted when the scanner sends one; ``None`` accepts any symbology.
    #: A scan without an AIM identifier (scanner not set up to send it, or typed) passes.
    allowed_symbologies: frozenset[str] | None = MEMBER_CARD_SYMBOLOGIES
    #: a valid EAN-13 must start with one of these; ``None`` accepts any (checked with check_ean)
    ean13_prefixes: tuple[str, ...] | None = IN_STORE_EAN_PREFIXES

    @classmethod
    def from_settings(cls, settings: Any) -> Self:
        """Rules for ``kiosk.config.Settings``: a lookup by e-mail or phone widens the charset."""
        lookup_key = getattr(settings, "lookup_key", "customKey")
        base = cls(min_length=settings.scanner_min_length, max_length=settings.scanner_max_length,
                   check_ean=settings.scanner_check_ean)
        if lookup_key == "email":
            # an address is typed or in a QR code; EAN rules would reject nothing useful
            return cls(min_length=3, max_length=max(base.max_length, 254), charset=r"[!-~]",
                       check_ean=False, allowed_symbologies=base.allowed_symbologies)
        if lookup_key == "mobilePhone":
            # 0046701234567 is 13 digits but not an EAN: no check digit on phone numbers
            return cls(min_length=base.min_length, max_length=base.max_length, charset=r"[0-9+]",
                       check_ean=False, allowed_symbologies=base.allowed_symbologies)
        if lookup_key == "any":
            return cls(min_length=base.min_length, max_length=max(base.max_length, 254),
                       charset=r"[!-~]", check_ean=base.check_ean,
                       allowed_symbologies=base.allowed_symbologies)
        return base


#: The rules without settings (a member card of 4-64 letters and digits, EAN-13 checked).
DEFAULT_RULES = CardRules()


class Accepted(NamedTuple):
    """A card number that passed the rules; ``symbology`` is the AIM id (``"]E0"``) if sent."""

    card: str
    symbology: str | None = None


class Rejected(NamedTuple):
    """A scan that is not a member card; ``reason`` is short and shown to staff as is."""

    reason: str


def split_aim(text: str) -> tuple[str | None, str]:
    """Split a leading AIM symbology identifier (``]`` + code letter + modifier) off ``text``."""
    if re.match(_AIM, text):
        return text[:3], text[3:]
    return None, text


def parse_scan(raw: str, rules: CardRules = DEFAULT_RULES) -> Accepted | Rejected:
    """Turn one raw scan (serial line, wedge burst or typed text) into a card number or a reason."""
    text = strip_unsafe(raw).strip()
    symbology, card = split_aim(text)
    if not card:
        return Rejected(UNREADABLE)
    if symbology is not None and rules.allowed_symbologies is not None \
            and symbology not in rules.allowed_symbologies:
        return Rejected(NOT_A_MEMBER_CARD)
    if not re.fullmatch(_PRINTABLE_ASCII, card):
        # non-ASCII left over: a misread, or a wedge scanner on the wrong keyboard country
        return Rejected(UNREADABLE)
    if len(card) > rules.max_length or not re.fullmatch(f"(?:{rules.charset})+", card):
        return Rejected(NOT_A_MEMBER_CARD)
    if len(card) < rules.min_length:
        return Rejected(TOO_SHORT)
    if rules.check_ean and re.fullmatch(_DIGITS13, card) \
            and (symbology is None or symbology in EAN13_SYMBOLOGIES):
        # Code 128/39/QR check their own symbol; only a bare or EAN-13 value gets the EAN check
        if not is_valid_ean13(card):
            return Rejected(BAD_CHECK_DIGIT)
        if rules.ean13_prefixes is not None and not card.startswith(rules.ean13_prefixes):
            return Rejected(NOT_A_MEMBER_CARD)  # a product's EAN-13, e.g. 73… or 40…
    return Accepted(card=card, symbology=symbology)


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit of 12 digits (weights 1,3,1,3… from the left)."""
    if not re.fullmatch(r"[0-9]{12}", first12):
        raise ValueError("an EAN-13 check digit needs exactly 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    """True when ``code`` is 13 ASCII digits whose last digit is the right check digit."""
    return bool(re.fullmatch(_DIGITS13, code)) and ean13_check_digit(code[:12]) == int(code[12])


def mask_card(card: str) -> str:
    """``"•••• 4931"``: only the last 4 characters, and none at all of a card that short."""
    card = strip_unsafe(card).strip()
    if len(card) <= 4:
        return "••••"
    return f"•••• {card[-4:]}"


#: Engage lookup keys whose value is personal data, not a card: an e-mail address, a mobile
#: number, a personal number (a personnummer's last four digits are its sensitive part). Such a
#: value is never shown, stored or sent in part: its mask is "••••" alone.
PERSONAL_KEYS = frozenset({"email", "mobilePhone", "socialSecurityNumber"})


def shown_key(value: str, key: str | None = None) -> str | None:
    """The key a value looked up by ``key`` is masked and named by: ``key``, except that at a
    till looking up by ``any`` (Engage doesn't say what matched) a value shaped like a Nordic
    personal number (``kiosk.scanner.personal_number``) is one: ``socialSecurityNumber``. A
    card that happens to pass those checks loses its last four (the safe side)."""
    if key == "any":
        from kiosk.scanner.personal_number import looks_like_personal_number

        if looks_like_personal_number(value):
            return "socialSecurityNumber"
    return key


def mask_value(value: str, key: str | None = None) -> str:
    """What may be shown of a value looked up by ``key``: a card's (``customKey``, ``any`` or
    no key) ``"•••• 4931"``; an e-mail address's, mobile or personal number's ``"••••"`` (and
    at an ``any`` till, a value shaped like a personal number's: :func:`shown_key`)."""
    if shown_key(value, key) in PERSONAL_KEYS:
        return "••••"
    return mask_card(value)


class Debouncer:
    """Ignore the same card read again within ``window`` seconds of the last read of it.

    The window slides: a presentation-mode scanner re-reading a card that is still lying under
    it keeps being ignored. A different card always passes. Thread-safe.
    """

    def __init__(self, window: float = 1.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._last: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def accept(self, card: str) -> bool:
        """True if ``card`` should be looked up; False for a repeat inside the window."""
        with self._lock:
            now = self._clock()
            last = self._last
            self._last = (card, now)
            return last is None or last[0] != card or now - last[1] >= self.window

    def reset(self) -> None:
        """Forget the last card (e.g. when staff go back to the scan screen on purpose)."""
        with self._lock:
            self._last = None


class ScanGate:
    """The one path for every scan source: :func:`parse_scan`, then the :class:`Debouncer`."""

    def __init__(self, rules: CardRules = DEFAULT_RULES, debouncer: Debouncer | None = None
                 ) -> None:
        self.rules = rules
        self.debouncer = debouncer if debouncer is not None else Debouncer()

    def check(self, raw: str, *, debounce: bool = True) -> Accepted | Rejected | None:
        """Accepted/Rejected for staff, or None for a repeat to ignore silently."""
        result = parse_scan(raw, self.rules)
        if isinstance(result, Accepted) and debounce and not self.debouncer.accept(result.card):
            return None
        return result

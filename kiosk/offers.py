"""The domain view the till works with: a member and their redeemable in-store offers.

Pure functions over Engage models (no I/O, no Textual). Everything a cashier reads is built
here, sanitized: Engage text is data, so control characters and escape sequences are removed
before any string leaves this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from kiosk.engage.models import Channel, Money, Promotion, RedemptionChannel, ValueType
from kiosk.text import one_line

if TYPE_CHECKING:
    from kiosk.rewards import Rewards

#: No-break space: Swedish thousands separator and the gap before "%" (never wraps apart).
NBSP = "\u00a0"
_MAX_TEXT = 200
_DIGITS = re.compile(r"(\d+)")


def sanitize(text: Any, *, limit: int = _MAX_TEXT) -> str:
    """One line of safe text for staff to read (``kiosk.text.one_line``), at most ``limit``
    characters, the last an ellipsis when cut. ``None`` gives ""."""
    return one_line(text, limit, mark="…")


def _group_thousands(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return NBSP.join(out)


def format_amount(amount: Decimal) -> str:
    """An amount Swedish style: two decimals after a comma, no-break spaces between thousands
    ("1 234,50")."""
    q = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    return f"{sign}{_group_thousands(whole)},{(frac or '00'):0<2}"


def format_money(money: Money) -> str:
    """"100,00 SEK"; without a currency just "100,00" (we never guess one)."""
    currency = sanitize(money.currency, limit=8).upper()
    text = format_amount(money.amount)
    return f"{text}{NBSP}{currency}" if currency else text


def format_percent(value: Decimal) -> str:
    """"20 %", "12,5 %" (trailing zeros dropped, comma decimals, no-break space before %)."""
    try:
        normal = value.normalize()
    except InvalidOperation:
        normal = value
    text = f"{normal:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}{NBSP}%"


def format_expiry(expires_on: datetime | None) -> str:
    """"until 2026-12-31" (ISO dates: unambiguous in any store's locale), or "" if none."""
    return f"until {expires_on.date().isoformat()}" if expires_on else ""


@dataclass(frozen=True)
class Offer:
    """One active POS offer as the till shows it.

    ``id`` is the promotion *instance* (what redeem takes); ``value_text`` is the value for the
    list ("20 %", "100,00 SEK", a code, an instruction); ``till_instruction`` is the sentence
    telling staff what to apply. ``redeemable`` is False for value types this kiosk cannot
    explain (e.g. SWIPE): they are listed so staff see them, but can't be redeemed here.
    """

    id: str
    promotion_id: str | None
    name: str
    value_type: str
    value_text: str
    till_instruction: str
    expires_on: datetime | None = None
    redeemable: bool = True

    @property
    def expiry_text(self) -> str:
        """"until YYYY-MM-DD" or ""."""
        return format_expiry(self.expires_on)


@dataclass(frozen=True)
class Member:
    """The scanned member. The full card stays in memory only (never in repr, logs or screen)."""

    contact_id: str = field(repr=False)
    first_name: str | None
    card: str = field(repr=False)
    masked_card: str
    #: vouchers and points read with the offers (None: not asked for)
    rewards: Rewards | None = field(default=None, repr=False, compare=False)


def _value_and_instruction(channel: RedemptionChannel) -> tuple[str, str, bool]:
    """(value_text, till_instruction, redeemable) for one POS channel."""
    vtype = channel.value_type.upper()
    value = channel.value
    note = sanitize(channel.instruction)
    if vtype == ValueType.PERCENT and isinstance(value, Decimal):
        text = format_percent(value)
        return text, f"Give {text} off", True
    if vtype == ValueType.MONEY and isinstance(value, Money):
        text = format_money(value)
        return text, f"Take {text} off", True
    if vtype == ValueType.EXTERNALOFFER:
        code = sanitize(value, limit=64)
        if code:
            return f"Code {code}", f"Key code {code} into the till", True
        return "Code missing", note or "No code given: check the offer in Engage", False
    if vtype == ValueType.MANUAL:
        # The instruction is what staff do; the value is a short label (or the instruction itself).
        label = sanitize(value) or note
        if label or note:
            return label or note, note or label, True
        return "See Engage", "No instruction given: check the offer in Engage", False
    # SWIPE or a value type Engage adds later: show it, but we can't tell staff what to apply.
    return "See Engage", "This offer type can't be redeemed at this till", False


def to_offer(promotion: Promotion, channel: RedemptionChannel) -> Offer:
    """The till's view of one promotion instance through its POS channel."""
    value_text, instruction, redeemable = _value_and_instruction(channel)
    return Offer(
        id=promotion.id,
        promotion_id=promotion.promotion_id,
        name=sanitize(promotion.name) or "(unnamed offer)",
        value_type=channel.value_type.upper(),
        value_text=value_text,
        till_instruction=instruction,
        expires_on=promotion.expires_on,
        redeemable=redeemable,
    )


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def active_pos_offers(promotions: list[Promotion], now: datetime) -> list[Offer]:
    """The member's offers a till can use now: not redeemed, not expired, with a POS channel.

    Sorted soonest expiry first (an offer about to lapse is the one the customer would hate to
    miss, and it sits where staff look first); offers without an expiry last; then by name
    (numbers in names by value).
    Offers this kiosk can't redeem go after all redeemable ones.
    """
    now = _aware(now)
    far = datetime.max.replace(tzinfo=UTC)
    keyed = []
    for promo in promotions:
        channel = promo.channel(Channel.POS)
        if channel is None or promo.redeemed:
            continue
        expires = _aware(promo.expires_on) if promo.expires_on is not None else far
        if expires <= now:
            continue
        offer = to_offer(promo, channel)
        keyed.append(((not offer.redeemable, expires, _name_key(offer.name), offer.id), offer))
    keyed.sort(key=itemgetter(0))  # by the key alone: Offers don't compare
    return [offer for _, offer in keyed]


def _name_key(name: str) -> list[str | int]:
    """Names in the order a person reads them: "Offer 2" before "Offer 10"."""
    parts = _DIGITS.split(name.casefold())
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]

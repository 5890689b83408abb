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
from enum import StrEnum
from operator import itemgetter
from typing import Any

from kiosk.engage.models import Channel, Money, Promotion, RedemptionChannel, ValueType
from kiosk.text import one_line

#: No-break space: Swedish thousands separator and the gap before "%" (never wraps apart).
NBSP = "\u00a0"
_MAX_TEXT = 200
#: A condition ("Vid köp över 500 kr.") is read in full at the till: a longer cap than names.
_MAX_CONDITION = 600
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


class NotUsable(StrEnum):
    """Why a member's offer can't be used at this till now (shown, dimmed, never sent)."""

    USED = "used"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    ONLINE_ONLY = "online-only"
    NOT_IN_STORE = "not-in-store"  # a channel other than POS and ECOM (Engage's OTHER)
    UNSUPPORTED = "unsupported"  # a POS offer whose type/value this till can't explain


def _day(dt: datetime | None) -> str:
    return dt.date().isoformat() if dt else ""


@dataclass(frozen=True)
class Offer:
    """One of the member's offers as the till shows it.

    ``id`` is the promotion *instance* (what redeem takes); ``value_text`` is the value for the
    list ("20 %", "100,00 SEK", a code, an instruction); ``till_instruction`` is the sentence
    telling staff what to apply. ``redeemable`` is False for value types this kiosk cannot
    explain (e.g. SWIPE). ``not_usable`` says why an offer can't be used here now (None: it
    can); ``heading``/``description`` are Engage's presentation texts (the conditions),
    sanitized to one line each.
    """

    id: str
    promotion_id: str | None
    name: str
    value_type: str
    value_text: str
    till_instruction: str
    expires_on: datetime | None = None
    redeemable: bool = True
    heading: str = ""
    description: str = ""
    not_usable: NotUsable | None = None
    redeemed_on: datetime | None = None
    valid_from: datetime | None = None

    @property
    def expiry_text(self) -> str:
        """"until YYYY-MM-DD" or ""."""
        return format_expiry(self.expires_on)

    @property
    def usable(self) -> bool:
        """True when staff may redeem it here, now."""
        return self.not_usable is None and self.redeemable

    @property
    def conditions(self) -> str:
        """Heading and description as one text ("" when Engage sent neither)."""
        return "\n".join(x for x in (self.heading, self.description) if x)

    @property
    def reason_text(self) -> str:
        """Why it can't be used here, for staff ("" when it can)."""
        kind = self.not_usable
        if kind is None:
            return "" if self.redeemable else self.till_instruction
        if kind == NotUsable.USED:
            when = _day(self.redeemed_on)
            return f"used {when}" if when else "already used"
        if kind == NotUsable.EXPIRED:
            return f"expired {_day(self.expires_on)}"
        if kind == NotUsable.NOT_YET_VALID:
            when = _day(self.valid_from)
            return f"not valid yet (from {when})" if when else "not valid yet"
        if kind == NotUsable.ONLINE_ONLY:
            return "online only"
        if kind == NotUsable.NOT_IN_STORE:
            return "not for use in store"
        if self.value_type in (ValueType.EXTERNALOFFER, ValueType.MANUAL):
            return self.till_instruction  # a known type with its code/instruction missing
        return "type not supported at this till"


@dataclass(frozen=True)
class MemberOffers:
    """All of a member's offers, in the sections the till shows them.

    ``usable`` can be redeemed here now; ``not_usable`` are listed dimmed with their reason.
    New sections (e.g. reward vouchers) are further fields, each with its own count.
    """

    usable: tuple[Offer, ...] = ()
    not_usable: tuple[Offer, ...] = ()

    @property
    def count_text(self) -> str:
        """"3 to use · 4 not usable here"."""
        parts = [f"{len(self.usable)} to use"]
        if self.not_usable:
            parts.append(f"{len(self.not_usable)} not usable here")
        return " · ".join(parts)

    def find(self, offer_id: str) -> Offer | None:
        """The offer with this instance id in any section."""
        return next((o for o in (*self.usable, *self.not_usable) if o.id == offer_id), None)


@dataclass(frozen=True)
class Member:
    """The scanned member. The full card stays in memory only (never in repr, logs or screen)."""

    contact_id: str = field(repr=False)
    first_name: str | None
    card: str = field(repr=False)
    masked_card: str


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


def to_offer(promotion: Promotion, channel: RedemptionChannel,
             not_usable: NotUsable | None = None) -> Offer:
    """The till's view of one promotion instance through one of its channels (POS if any)."""
    value_text, instruction, redeemable = _value_and_instruction(channel)
    if not_usable is None and not redeemable:
        not_usable = NotUsable.UNSUPPORTED
    return Offer(
        id=promotion.id,
        promotion_id=promotion.promotion_id,
        name=sanitize(promotion.name) or "(unnamed offer)",
        value_type=channel.value_type.upper(),
        value_text=value_text,
        till_instruction=instruction,
        expires_on=promotion.expires_on,
        redeemable=redeemable,
        heading=sanitize(promotion.heading, limit=_MAX_CONDITION),
        description=sanitize(promotion.description, limit=_MAX_CONDITION),
        not_usable=not_usable,
        redeemed_on=promotion.redeemed_on,
        valid_from=promotion.valid_from,
    )


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def active_pos_offers(promotions: list[Promotion], now: datetime) -> list[Offer]:
    """The member's offers a till can use now: not redeemed, not expired, started, with a POS
    channel.

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
        if expires <= now or (promo.valid_from is not None and _aware(promo.valid_from) > now):
            continue
        offer = to_offer(promo, channel)
        keyed.append(((not offer.redeemable, expires, _name_key(offer.name), offer.id), offer))
    keyed.sort(key=itemgetter(0))  # by the key alone: Offers don't compare
    return [offer for _, offer in keyed]


def _why_not(promo: Promotion, now: datetime) -> NotUsable | None:
    """The first reason a promotion can't be used at a till now (None: it can)."""
    if promo.redeemed:
        return NotUsable.USED
    if promo.expires_on is not None and _aware(promo.expires_on) <= now:
        return NotUsable.EXPIRED
    if promo.valid_from is not None and _aware(promo.valid_from) > now:
        return NotUsable.NOT_YET_VALID
    if promo.channel(Channel.POS) is None:
        return NotUsable.ONLINE_ONLY if promo.channel(Channel.ECOM) else NotUsable.NOT_IN_STORE
    return None


#: Order of the not-usable section: what a member most likely asks about first.
_REASON_ORDER = {r: i for i, r in enumerate((
    NotUsable.USED, NotUsable.ONLINE_ONLY, NotUsable.NOT_YET_VALID, NotUsable.EXPIRED,
    NotUsable.NOT_IN_STORE, NotUsable.UNSUPPORTED))}


def classify_offers(promotions: list[Promotion], now: datetime) -> MemberOffers:
    """Every promotion of the member: usable here now, or not usable with the reason.

    Usable ones in :func:`active_pos_offers` order; the others by reason (used, online only,
    not valid yet, expired, other channel, unsupported type), then by name.
    """
    now = _aware(now)
    usable = [o for o in active_pos_offers(promotions, now) if o.usable]
    others: list[tuple[tuple[Any, ...], Offer]] = []
    for promo in promotions:
        reason = _why_not(promo, now)
        channel = promo.channel(Channel.POS)
        if reason is None:
            if channel is None:
                continue  # pragma: no cover  (no POS channel always has a reason)
            offer = to_offer(promo, channel)
            if offer.usable:
                continue  # listed above
        else:
            channel = channel or (promo.redemption_channels[0] if promo.redemption_channels
                                  else RedemptionChannel(type="OTHER", value_type="MANUAL"))
            offer = to_offer(promo, channel, reason)
        assert offer.not_usable is not None
        others.append(((_REASON_ORDER[offer.not_usable], _name_key(offer.name), offer.id),
                       offer))
    others.sort(key=itemgetter(0))
    return MemberOffers(tuple(usable), tuple(o for _, o in others))


def _name_key(name: str) -> list[str | int]:
    """Names in the order a person reads them: "Offer 2" before "Offer 10"."""
    parts = _DIGITS.split(name.casefold())
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]

"""The domain view the till works with: a member and their redeemable in-store offers.

Pure functions over Engage models (no I/O, no Textual). Everything a cashier reads is built
here, sanitized: Engage text is data, so control characters and escape sequences are removed
before any string leaves this module.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from kiosk import i18n
from kiosk.engage.codes import Channel, ValueType
from kiosk.i18n import _
from kiosk.text import sanitize

if TYPE_CHECKING:  # pydantic models: imported by whoever made the payloads (after the first frame)
    from kiosk.engage.models import Money, Promotion, RedemptionChannel
    from kiosk.rewards import Rewards

#: No-break space: CLDR's thousands separator and gap before "%" and "kr" (never wraps apart).
NBSP = "\u00a0"
#: A condition ("Vid köp över 500 kr.") is read in full at the till: a longer cap than names.
_MAX_CONDITION = 600
_DIGITS = re.compile(r"(\d+)")


def format_money(money: Money) -> str:
    """Engage's money in the staff's locale: "100 kr", "1 234,50 kr", "1 234,50 €" (CLDR);
    without a currency just the number (we never guess one)."""
    return i18n.format_money(money.amount, sanitize(money.currency, limit=8) or None)


def format_percent(value: Decimal) -> str:
    """"20 %" (sv), "12,5 %", "20%" (en): CLDR's pattern, trailing zeros dropped."""
    with contextlib.suppress(InvalidOperation):
        value = value.normalize()
    return i18n.format_percent(value)


def format_expiry(expires_on: datetime | None) -> str:
    """"until 31 Dec 2026" in the staff's language, or "" if none."""
    return _("until {date}").format(date=i18n.format_date(expires_on)) if expires_on else ""


class NotUsable(StrEnum):
    """Why a member's offer can't be used at this till now (shown, dimmed, never sent)."""

    USED = "used"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    ONLINE_ONLY = "online-only"
    NOT_IN_STORE = "not-in-store"  # a channel other than POS and ECOM (Engage's OTHER)
    UNSUPPORTED = "unsupported"  # a POS offer whose type/value this till can't explain


def _day(dt: datetime | None) -> str:
    return i18n.format_date(dt) if dt else ""


@dataclass(frozen=True)
class Offer:
    """One of the member's offers as the till shows it.

    ``id`` is the promotion *instance* (what redeem takes); ``value_text`` is the value for the
    list ("20 %", "100 kr", a code, an instruction); ``till_instruction`` is the sentence
    telling staff what to apply (Engage's own words when it gives some for a till code or a
    manual offer); ``apply_text`` is the short thing to apply, for large type ("20 %",
    "100 kr", the till code; "" for a manual offer). ``redeemable`` is False for value types
    this kiosk cannot explain (e.g. SWIPE). ``not_usable`` says why an offer can't be used
    here now (None: it can); ``heading``/``description`` are Engage's presentation texts (the
    conditions), sanitized to one line each. Texts are in the staff's language at the time the
    offer was built.
    """

    id: str
    promotion_id: str | None
    name: str
    value_type: str
    value_text: str
    till_instruction: str
    expires_on: datetime | None = None
    redeemable: bool = True
    apply_text: str = ""
    heading: str = ""
    description: str = ""
    not_usable: NotUsable | None = None
    redeemed_on: datetime | None = None
    valid_from: datetime | None = None

    @property
    def expiry_text(self) -> str:
        """"until 31 Dec 2026" (in the staff's language) or ""."""
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
            return _("used {date}").format(date=when) if when else _("already used")
        if kind == NotUsable.EXPIRED:
            return _("expired {date}").format(date=_day(self.expires_on))
        if kind == NotUsable.NOT_YET_VALID:
            when = _day(self.valid_from)
            return _("not valid yet (from {date})").format(date=when) if when else \
                _("not valid yet")
        if kind == NotUsable.ONLINE_ONLY:
            return _("online only")
        if kind == NotUsable.NOT_IN_STORE:
            return _("not for use in store")
        if self.value_type in (ValueType.EXTERNALOFFER, ValueType.MANUAL):
            return self.till_instruction  # a known type with its code/instruction missing
        return _("type not supported at this till")


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
        parts = [_("{count} to use").format(count=len(self.usable))]
        if self.not_usable:
            parts.append(_("{count} not usable here").format(count=len(self.not_usable)))
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
    masked_card: str  # "••••" alone when found by an e-mail address, mobile or personal number
    #: vouchers and points read with the offers (None: not asked for)
    rewards: Rewards | None = field(default=None, repr=False, compare=False)
    #: the Engage key the member was found by ("customKey", "email"...; None: a card)
    key: str | None = field(default=None, compare=False)


def _models() -> Any:
    """``kiosk.engage.models`` (pydantic): already imported whenever there are promotions, so
    this is a dictionary look-up; not imported with this module, which the scan screen needs."""
    from kiosk.engage import models

    return models


def _value_and_instruction(channel: RedemptionChannel) -> tuple[str, str, bool, str]:
    """(value_text, till_instruction, redeemable, apply_text) for one POS channel."""
    vtype = channel.value_type.upper()
    value = channel.value
    note = sanitize(channel.instruction)
    if vtype == ValueType.PERCENT and isinstance(value, Decimal):
        text = format_percent(value)
        return text, _("Give {value} off").format(value=text), True, text
    if vtype == ValueType.MONEY and isinstance(value, _models().Money):
        text = format_money(value)
        return text, _("Take {amount} off").format(amount=text), True, text
    if vtype == ValueType.EXTERNALOFFER:
        code = sanitize(value, limit=64)
        if code:
            # Engage's own words first (they are the store's language); ours only without them.
            instruction = note or _("Key code {code} into the till").format(code=code)
            return _("Code {code}").format(code=code), instruction, True, code
        return (_("Code missing"), note or _("No code given: check the offer in Engage"),
                False, "")
    if vtype == ValueType.MANUAL:
        # The instruction is what staff do; the value is a short label (or the instruction itself).
        label = sanitize(value) or note
        if label or note:
            return label or note, note or label, True, ""
        return (_("See Engage"), _("No instruction given: check the offer in Engage"), False,
                "")
    # SWIPE or a value type Engage adds later: show it, but we can't tell staff what to apply.
    return _("See Engage"), _("This offer type can't be redeemed at this till"), False, ""


def to_offer(promotion: Promotion, channel: RedemptionChannel,
             not_usable: NotUsable | None = None) -> Offer:
    """The till's view of one promotion instance through one of its channels (POS if any)."""
    value_text, instruction, redeemable, apply_text = _value_and_instruction(channel)
    if not_usable is None and not redeemable:
        not_usable = NotUsable.UNSUPPORTED
    return Offer(
        id=promotion.id,
        promotion_id=promotion.promotion_id,
        name=sanitize(promotion.name) or _("(unnamed offer)"),
        value_type=channel.value_type.upper(),
        value_text=value_text,
        till_instruction=instruction,
        expires_on=promotion.expires_on,
        redeemable=redeemable,
        apply_text=apply_text,
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
    return [offer for _key, offer in keyed]


def _why_not(promo: Promotion, now: datetime, pos: RedemptionChannel | None
             ) -> NotUsable | None:
    """The first reason a promotion can't be used at a till now (None: it can); ``pos`` is
    its POS channel."""
    if promo.redeemed:
        return NotUsable.USED
    if promo.expires_on is not None and _aware(promo.expires_on) <= now:
        return NotUsable.EXPIRED
    if promo.valid_from is not None and _aware(promo.valid_from) > now:
        return NotUsable.NOT_YET_VALID
    if pos is None:
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
    far = datetime.max.replace(tzinfo=UTC)
    # One pass, each promotion turned into an offer once (5,000 promotions: half the parse).
    usable: list[tuple[tuple[Any, ...], Offer]] = []
    others: list[tuple[tuple[Any, ...], Offer]] = []
    for promo in promotions:
        channel = promo.channel(Channel.POS)
        reason = _why_not(promo, now, channel)
        if reason is None:
            if channel is None:
                continue  # pragma: no cover  (no POS channel always has a reason)
            offer = to_offer(promo, channel)
            if offer.usable:  # active_pos_offers' order
                expires = _aware(promo.expires_on) if promo.expires_on is not None else far
                usable.append(((not offer.redeemable, expires, _name_key(offer.name),
                                offer.id), offer))
                continue
        else:
            channel = channel or (promo.redemption_channels[0] if promo.redemption_channels
                                  else _models().RedemptionChannel(type="OTHER",
                                                                   value_type="MANUAL"))
            offer = to_offer(promo, channel, reason)
        assert offer.not_usable is not None
        others.append(((_REASON_ORDER[offer.not_usable], _name_key(offer.name), offer.id),
                       offer))
    usable.sort(key=itemgetter(0))  # by the keys alone: Offers don't compare
    others.sort(key=itemgetter(0))
    return MemberOffers(tuple(o for _, o in usable), tuple(o for _, o in others))


def _name_key(name: str) -> list[str | int]:
    """Names in the order a person reads them: "Offer 2" before "Offer 10"."""
    parts = _DIGITS.split(name.casefold())
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]

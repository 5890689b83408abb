"""The till's view of a member's reward vouchers and points. Pure functions, no I/O, no Textual.

A voucher is used at the till like an offer (confirm -> journal -> redeem -> verify), so
:class:`Voucher` has the fields the redemption flow and the confirm screen read from an
``Offer`` (``id``, ``name``, ``value_text``, ``till_instruction``, ``expiry_text``...), plus
``kind = "voucher"``, which tells the :class:`~kiosk.redeem.Redeemer` which Engage calls to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING

from kiosk import i18n
from kiosk.i18n import _, ngettext
from kiosk.offers import Offer, format_expiry, format_money
from kiosk.text import sanitize

if TYPE_CHECKING:  # pydantic: imported with the first Engage payload, after the first frame
    from kiosk.engage.models import PointAccount, RewardVoucher

VOUCHER = "voucher"


@dataclass(frozen=True)
class Voucher:
    """One usable reward voucher as the till shows it (``id`` is what Engage redeems)."""

    id: str
    name: str
    value_text: str  # "100 kr", in the configured currency when Engage gives it
    till_instruction: str
    voucher_number: str | None = None
    expires_on: datetime | None = None
    redeemable: bool = True
    promotion_id: str | None = None  # vouchers have no template; the journal stores None
    value_type: str = "VOUCHER"
    apply_text: str = ""  # what to take off, for large type on the result
    kind: str = VOUCHER

    @property
    def expiry_text(self) -> str:
        """"until YYYY-MM-DD" or ""."""
        return format_expiry(self.expires_on)


@dataclass(frozen=True)
class Points:
    """A member's points over all their point accounts."""

    balance: Decimal
    pending: Decimal = Decimal(0)  # validFrom in the future: not usable yet

    @property
    def text(self) -> str:
        """"1 250 points", plus "(+200 pending)" when there are pending points."""
        whole = int(self.balance) if self.balance == self.balance.to_integral_value() else 2
        text = ngettext("{n} point", "{n} points", whole).format(n=format_points(self.balance))
        if self.pending > 0:
            text += " " + _("(+{n} pending)").format(n=format_points(self.pending))
        return text


@dataclass(frozen=True)
class Rewards:
    """What a lookup learnt of a member's vouchers and points. ``None`` means the call failed
    (the till says so and carries on with the offers)."""

    vouchers: tuple[Voucher, ...] | None = None
    points: Points | None = None


#: What staff can redeem at the till: an offer or a reward voucher.
Benefit = Offer | Voucher


def format_points(value: Decimal) -> str:
    """Points in the staff's locale ("1 250", "1,250"); decimals only when there are."""
    from babel.numbers import format_decimal

    whole = value == value.to_integral_value()
    return format_decimal(value, format="#,##0" if whole else "#,##0.##", locale=i18n.locale())


def to_voucher(voucher: RewardVoucher, currency: str | None = None) -> Voucher:
    """The till's view of one reward voucher, its value in ``currency`` when Engage has it."""
    money = voucher.value_in(currency)
    value = format_money(money) if money is not None else _("See Engage")
    number = sanitize(voucher.voucher_number, limit=32) or None
    if money is None:
        instruction = _("No value given: check the voucher in Engage")
    elif number:
        instruction = _("Take {amount} off (reward voucher {number})").format(amount=value,
                                                                            number=number)
    else:
        instruction = _("Take {amount} off").format(amount=value)
    return Voucher(id=voucher.id, name=sanitize(voucher.name) or _("(unnamed voucher)"),
                   value_text=value, till_instruction=instruction, voucher_number=number,
                   expires_on=voucher.expires_on, redeemable=money is not None,
                   apply_text=value if money is not None else "")


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def usable_vouchers(vouchers: list[RewardVoucher], now: datetime,
                    currency: str | None = None) -> tuple[Voucher, ...]:
    """Vouchers a till can use now (not redeemed, not expired), soonest expiry first."""
    now = _aware(now)
    far = datetime.max.replace(tzinfo=UTC)
    keyed = []
    for v in vouchers:
        expires = _aware(v.expires_on) if v.expires_on is not None else far
        if v.redeemed or expires <= now:
            continue
        view = to_voucher(v, currency)
        keyed.append(((not view.redeemable, expires, view.name.casefold(), view.id), view))
    keyed.sort(key=itemgetter(0))
    return tuple(view for _, view in keyed)


def points_of(accounts: list[PointAccount]) -> Points:
    """The member's points over every account (pending counted where Engage gives it)."""
    balance = sum((a.balance for a in accounts), Decimal(0))
    pending = sum((a.pending_points or Decimal(0) for a in accounts), Decimal(0))
    return Points(balance=balance, pending=pending)


__all__ = ["Benefit", "Points", "Rewards", "VOUCHER", "Voucher", "format_points", "points_of",
           "to_voucher", "usable_vouchers"]

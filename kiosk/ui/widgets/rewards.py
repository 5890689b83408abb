"""How a member's points and reward vouchers read on the offers list (Text, never markup)."""

from __future__ import annotations

from rich.text import Text

from kiosk.offers import Member
from kiosk.rewards import Voucher

#: Said instead of a section whose Engage call failed: the offers are still good.
VOUCHERS_NOT_LOADED = "reward vouchers couldn't be loaded"
POINTS_NOT_LOADED = "points couldn't be loaded"


def points_text(member: Member) -> Text | None:
    """"1 250 points (+200 pending)", a dim "points couldn't be loaded", or None (not read)."""
    rewards = member.rewards
    if rewards is None:
        return None
    if rewards.points is None:
        return Text(POINTS_NOT_LOADED, style="dim italic")
    return Text(rewards.points.text)


def vouchers_count_text(member: Member) -> str:
    """The vouchers' part of the count line: "2 reward vouchers", "" or "… couldn't be loaded"."""
    rewards = member.rewards
    if rewards is None:
        return ""
    if rewards.vouchers is None:
        return VOUCHERS_NOT_LOADED
    n = len(rewards.vouchers)
    return f"{n} reward voucher{'s' if n != 1 else ''}" if n else ""


def voucher_prompt(voucher: Voucher) -> Text:
    """Two lines per voucher, like an offer: the name, then value and expiry."""
    text = Text(voucher.name, style="bold", no_wrap=True, overflow="ellipsis")
    text.append("\n  ")
    text.append(voucher.value_text, style="" if voucher.redeemable else "dim")
    if voucher.expiry_text:
        text.append(f"   {voucher.expiry_text}", style="dim")
    if not voucher.redeemable:
        text.append("   (not redeemable at this till)", style="dim italic")
    return text


def section_heading(title: str) -> Text:
    """A heading row inside the list (a disabled option)."""
    return Text(title, style="bold underline")

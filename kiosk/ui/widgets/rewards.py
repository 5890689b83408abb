"""How a member's points and reward vouchers read on the offers list (Text, never markup)."""

from __future__ import annotations

from rich.text import Text

from kiosk.i18n import _, ngettext
from kiosk.offers import Member


def points_text(member: Member) -> Text | None:
    """"1 250 points (+200 pending)", a dim "points couldn't be loaded", or None (not read)."""
    rewards = member.rewards
    if rewards is None:
        return None
    if rewards.points is None:
        return Text(_("points couldn't be loaded"), style="dim italic")
    return Text(rewards.points.text)


def vouchers_count_text(member: Member) -> str:
    """The vouchers' part of the count line: "2 reward vouchers", "" or "… couldn't be loaded"."""
    rewards = member.rewards
    if rewards is None:
        return ""
    if rewards.vouchers is None:
        return _("reward vouchers couldn't be loaded")
    n = len(rewards.vouchers)
    return ngettext("{n} reward voucher", "{n} reward vouchers", n).format(n=n) if n else ""

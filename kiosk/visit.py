"""A member's visit at the till: one member, several offers redeemed one after another.

A visit starts with a scan (or a shared card's choice) and ends when staff press Escape on a
result, a new card is scanned, or the idle reset clears the till. While it lasts, everything
redeemed is listed with what to apply, so staff can key it all into the till together.
Pure data, no I/O, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.offers import Member
from kiosk.rewards import Benefit


@dataclass
class Visit:
    """The member being served and the offers/vouchers redeemed for them so far (oldest first)."""

    member: Member
    redeemed: list[Benefit] = field(default_factory=list)

    def add(self, offer: Benefit) -> None:
        """An offer or voucher this visit proved redeemed (once, however often reported)."""
        if all(o.id != offer.id for o in self.redeemed):
            self.redeemed.append(offer)

    def remove(self, item_id: str) -> None:
        """A voucher given back (sale cancelled): no longer to apply."""
        self.redeemed = [o for o in self.redeemed if o.id != item_id]

    def is_for(self, member: Member) -> bool:
        """True when ``member`` is the one this visit serves."""
        return member.contact_id == self.member.contact_id and member.card == self.member.card

    @property
    def strip_text(self) -> str:
        """"20 % · 100,00 SEK · Code TILL-3FOR2" ("" before anything is redeemed)."""
        return " · ".join(o.value_text for o in self.redeemed)

"""The visit: what was redeemed for one member, listed with what to apply."""

from __future__ import annotations

from kiosk.offers import Member, Offer
from kiosk.visit import Visit

ANNA = Member(contact_id="c1", first_name="Anna", card="2004173000100", masked_card="•••• 0100")


def offer(oid: str, value_text: str) -> Offer:
    return Offer(id=oid, promotion_id=None, name=oid, value_type="PERCENT",
                 value_text=value_text, till_instruction=f"Give {value_text} off")


def test_strip_lists_each_redeemed_offer_once_in_order() -> None:
    visit = Visit(ANNA)
    assert visit.strip_text == ""
    visit.add(offer("a", "20\u00a0%"))
    visit.add(offer("b", "100,00\u00a0SEK"))
    visit.add(offer("a", "20\u00a0%"))  # reported twice (a re-read): listed once
    visit.add(offer("c", "Code TILL-3FOR2"))
    assert visit.strip_text == "20\u00a0% · 100,00\u00a0SEK · Code TILL-3FOR2"


def test_a_visit_is_for_one_member_and_card() -> None:
    visit = Visit(ANNA)
    assert visit.is_for(ANNA)
    assert not visit.is_for(Member("c2", "Bo", "2004173000100", "•••• 0100"))
    assert not visit.is_for(Member("c1", "Anna", "2004173000278", "•••• 0278"))

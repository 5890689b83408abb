"""The till's view of Engage promotions: filtering, order, value text, sanitizing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kiosk import i18n
from kiosk.engage.models import Money, Promotion
from kiosk.offers import (
    NBSP,
    Member,
    Offer,
    active_pos_offers,
    classify_offers,
    format_money,
    format_percent,
    sanitize,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def promo(pid: str, *, value_type: str = "PERCENT", value: Any = 20, channel: str = "POS",
          name: str | None = None, expires_on: datetime | None = None, redeemed: bool = False,
          instruction: str | None = None) -> Promotion:
    return Promotion.model_validate({
        "id": pid, "promotionId": f"t-{pid}", "name": name or f"Offer {pid}",
        "expiresOn": expires_on.isoformat() if expires_on else None, "redeemed": redeemed,
        "redemptionChannels": [{"type": channel, "valueType": value_type, "value": value,
                                "instruction": instruction}],
    })


def test_drops_redeemed_expired_and_non_pos_offers() -> None:
    offers = active_pos_offers([
        promo("keep"),
        promo("used", redeemed=True),
        promo("old", expires_on=NOW - timedelta(seconds=1)),
        promo("web", channel="ECOM"),
        promo("later", expires_on=NOW + timedelta(days=3)),
    ], NOW)
    assert [o.id for o in offers] == ["later", "keep"]


def test_sorted_soonest_expiry_first_then_no_expiry_then_unredeemable() -> None:
    offers = active_pos_offers([
        promo("none-b", name="B"),
        promo("swipe", value_type="SWIPE", value="x", expires_on=NOW + timedelta(days=1)),
        promo("week", expires_on=NOW + timedelta(days=7)),
        promo("none-a", name="a"),
        promo("day", expires_on=NOW + timedelta(days=1)),
    ], NOW)
    assert [o.id for o in offers] == ["day", "week", "none-a", "none-b", "swipe"]


def test_same_expiry_sorted_by_name_numbers_by_value() -> None:
    names = ["Offer 10", "offer 2", "Offer 1", "Bag"]
    offers = active_pos_offers([promo(n, name=n) for n in names], NOW)
    assert [o.name for o in offers] == ["Bag", "Offer 1", "offer 2", "Offer 10"]


def test_naive_expiry_counts_as_utc() -> None:
    naive = promo("x", expires_on=(NOW - timedelta(hours=1)).replace(tzinfo=None))
    assert active_pos_offers([naive], NOW) == []


@pytest.mark.parametrize(("value_type", "value", "instruction", "text", "apply"), [
    ("PERCENT", 20, None, f"20{NBSP}%", f"Give 20{NBSP}% off"),
    ("PERCENT", "12.50", None, f"12,5{NBSP}%", f"Give 12,5{NBSP}% off"),
    ("MONEY", {"amount": 100, "currency": "SEK"}, None, f"100{NBSP}kr",
     f"Take 100{NBSP}kr off"),
    ("MONEY", {"amount": "1234.5", "currency": "sek"}, None, f"1{NBSP}234,50{NBSP}kr",
     f"Take 1{NBSP}234,50{NBSP}kr off"),
    ("MONEY", 100, None, "100", "Take 100 off"),
    ("EXTERNALOFFER", "10056", None, "Code 10056", "Key code 10056 into the till"),
    # Engage's own instruction for a till code wins over our sentence
    ("EXTERNALOFFER", "TILL-3FOR2", "Slå in kampanjkod TILL-3FOR2 i kassan.", "Code TILL-3FOR2",
     "Slå in kampanjkod TILL-3FOR2 i kassan."),
    ("MANUAL", "Free coffee", "Hand over a coffee", "Free coffee", "Hand over a coffee"),
    ("MANUAL", None, "Give a tote bag", "Give a tote bag", "Give a tote bag"),
])
def test_value_text_and_till_instruction(value_type: str, value: Any, instruction: str | None,
                                         text: str, apply: str) -> None:
    (offer,) = active_pos_offers([promo("p", value_type=value_type, value=value,
                                        instruction=instruction)], NOW)
    assert (offer.value_text, offer.till_instruction, offer.redeemable) == (text, apply, True)


def test_unknown_value_type_is_listed_but_not_redeemable() -> None:
    (offer,) = active_pos_offers([promo("s", value_type="SWIPE", value="card-swipe")], NOW)
    assert offer.value_text == "See Engage"
    assert not offer.redeemable


def test_external_offer_without_code_is_not_redeemable() -> None:
    (offer,) = active_pos_offers([promo("e", value_type="EXTERNALOFFER", value="")], NOW)
    assert not offer.redeemable


def test_engage_text_is_sanitized() -> None:
    (offer,) = active_pos_offers([promo(
        "x", name="Half\x1b[31m price\x07\n[bold]x[/]\u202e", value_type="EXTERNALOFFER",
        value="AB\x1b]0;pwned\x07C")], NOW)
    assert offer.name == "Half price [bold]x[/]"  # markup stays as characters, controls go
    assert offer.value_text == "Code ABC"


def test_sanitize_caps_length_and_handles_none() -> None:
    assert sanitize(None) == ""
    assert len(sanitize("x" * 500)) == 200
    assert sanitize("a\tb\r\nc") == "a b c"


@pytest.mark.parametrize(("raw", "shown"), [
    ("  Kaffe   och ☕ åäö  ", "Kaffe och ☕ åäö"),  # printable: only the spaces change
    ("a\x85b\x9b31mc\x7fd\x00e", "abcde"),  # C1 controls, DEL and NUL go; an 8-bit CSI whole
    ("a\x1cb\x1fc", "abc"),  # controls that split() would count as spaces go, not become one
    ("a\ud800b", "ab"),  # a lone surrogate
    ("a\u00a0\u2003b\u2028c", "a b c"),  # other spaces and line separators collapse
    ("a\u200bb\u2067c\u2069", "a\u200bbc"),  # bidi isolates go; other format chars stay
])
def test_sanitize_edge_characters(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown


def test_number_formats() -> None:
    assert format_money(Money(amount=Decimal("-1234567.5"), currency="SEK")) == \
        f"-1{NBSP}234{NBSP}567,50{NBSP}kr"
    assert format_money(Money(amount=Decimal("0"), currency="SEK")) == f"0{NBSP}kr"
    assert format_percent(Decimal("5.0")) == f"5{NBSP}%"
    assert format_money(Money(amount=Decimal("9.9"), currency=None)) == "9,90"


def test_expiry_text() -> None:
    (offer,) = active_pos_offers([promo("p", expires_on=datetime(2026, 12, 31, 23, 0,
                                                                  tzinfo=UTC))], NOW)
    assert offer.expiry_text == "until 31 Dec 2026"


def test_member_repr_hides_card_and_contact() -> None:
    member = Member(contact_id="c-1", first_name="Anna", card="2000000000015",
                    masked_card="•••• 0015")
    assert "2000000000015" not in repr(member)
    assert "c-1" not in repr(member)


def test_every_offer_is_classified_with_its_reason() -> None:
    yesterday = NOW - timedelta(days=1)
    used = promo("used", redeemed=True).model_copy(update={"redeemed_on": yesterday})
    later = promo("later").model_copy(update={"valid_from": NOW + timedelta(days=10)})
    offers = classify_offers([
        promo("ok", name="A"),
        used,
        promo("old", expires_on=NOW - timedelta(days=3)),
        later,
        promo("web", channel="ECOM"),
        promo("other", channel="OTHER"),
        promo("swipe", value_type="SWIPE", value="x"),
        promo("ok2", name="B", expires_on=NOW + timedelta(days=2)),
    ], NOW)
    assert [o.id for o in offers.usable] == ["ok2", "ok"]
    assert [(o.id, o.reason_text) for o in offers.not_usable] == [
        ("used", f"used {i18n.format_date(yesterday)}"),
        ("web", "online only"),
        ("later", f"not valid yet (from {i18n.format_date(NOW + timedelta(days=10))})"),
        ("old", f"expired {i18n.format_date(NOW - timedelta(days=3))}"),
        ("other", "not for use in store"),
        ("swipe", "type not supported at this till"),
    ]
    assert offers.count_text == "2 to use · 6 not usable here"
    assert all(not o.usable for o in offers.not_usable) and all(o.usable for o in offers.usable)
    assert offers.find("web") is offers.not_usable[1] and offers.find("nope") is None


def test_count_line_without_unusable_offers() -> None:
    assert classify_offers([promo("a")], NOW).count_text == "1 to use"
    assert classify_offers([], NOW).count_text == "0 to use"


def test_conditions_are_sanitized_one_line_each() -> None:
    p = promo("c").model_copy(update={
        "heading": "[bold]Tack[/]\x1b[31m!", "description": "Vid köp\növer\t500 kr.\u202e"})
    (offer,) = classify_offers([p], NOW).usable
    assert offer.heading == "[bold]Tack[/]!"  # markup stays text; the UI never parses it
    assert offer.description == "Vid köp över 500 kr."
    assert offer.conditions == "[bold]Tack[/]!\nVid köp över 500 kr."
    assert promo("none").heading is None and to_offer_plain().conditions == ""


def to_offer_plain() -> Offer:
    (offer,) = classify_offers([promo("plain")], NOW).usable
    return offer


def test_valid_from_that_is_not_a_date_is_ignored() -> None:
    p = Promotion.model_validate({"id": "x", "validFrom": "soon", "redemptionChannels": []})
    assert p.valid_from is None


def test_each_promotion_becomes_an_offer_once_in_the_usable_order(monkeypatch) -> None:
    """classify_offers builds each offer once (it used to build the usable ones twice: half
    the parse of a 5,000-offer member), and keeps active_pos_offers' order for them."""
    import kiosk.offers as offers_module

    promotions = [promo(f"p{i}", name=f"Offer {i % 7}",
                        expires_on=NOW + timedelta(days=i % 5) if i % 3 else None,
                        channel="ECOM" if i % 11 == 0 else "POS",
                        value_type="SWIPE" if i % 13 == 0 else "PERCENT")
                  for i in range(60)]
    expected = [o for o in active_pos_offers(promotions, NOW) if o.usable]
    built: list[str] = []
    to_offer = offers_module.to_offer

    def counting(promotion: Promotion, *args: Any) -> Offer:
        built.append(promotion.id)
        return to_offer(promotion, *args)

    monkeypatch.setattr(offers_module, "to_offer", counting)
    offers = classify_offers(promotions, NOW)
    assert offers.usable == tuple(expected)
    assert sorted(built) == sorted(p.id for p in promotions)  # once each
    assert len(offers.usable) + len(offers.not_usable) == len(promotions)

"""Barcode rules: what staff see for a card, a product, junk; EAN-13; masking; debounce."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk.scanner.barcode import (
    BAD_CHECK_DIGIT,
    NOT_A_MEMBER_CARD,
    TOO_SHORT,
    UNREADABLE,
    Accepted,
    CardRules,
    Debouncer,
    Rejected,
    ScanGate,
    ean13_check_digit,
    is_valid_ean13,
    mask_card,
    parse_scan,
    strip_controls,
)
from tests.support import FakeClock

CARD = "2000000000015"        # in-store range (20–29), valid check digit
CARD2 = "2300123456783"


@pytest.mark.parametrize(("raw", "card", "symbology"), [
    (CARD, CARD, None),
    ("]E0" + CARD, CARD, "]E0"),
    ("]C0ABC12345", "ABC12345", "]C0"),
    ("]A0MEMBER42", "MEMBER42", "]A0"),
    ("]Q1" + CARD2, CARD2, "]Q1"),
    ("0412345678903", "0412345678903", None),          # RCN-13 company-internal prefix 04
    ("  " + CARD + " ", CARD, None),                    # padding some scanners add
    ("\x02" + CARD + "\x03", CARD, None),               # STX/ETX framing
    ("\x00\x00]E0" + CARD, CARD, "]E0"),                # NULs before the AIM id
    ("\x1b[2J" + CARD, CARD, None),                     # CSI sequence goes entirely
    ("\x1b]0;title\x07" + CARD, CARD, None),            # OSC sequence goes entirely
    ("\x1b]0;title\x1b\\" + CARD, CARD, None),          # OSC ended by ST
    (CARD + "\x7f\x9b", CARD, None),                    # DEL and 8-bit CSI
    ("1234", "1234", None),                             # minimum length
])
def test_accepted(raw: str, card: str, symbology: str | None) -> None:
    assert parse_scan(raw) == Accepted(card=card, symbology=symbology)


@pytest.mark.parametrize(("raw", "reason"), [
    ("]E4" + "96385074", NOT_A_MEMBER_CARD),            # EAN-8 is a product code
    ("]e0" + "0109501101530003", NOT_A_MEMBER_CARD),    # GS1 DataBar (fresh food)
    ("]C1" + "0109501101530003", NOT_A_MEMBER_CARD),    # GS1-128 logistics label
    ("]E0" + "7310865004703", NOT_A_MEMBER_CARD),       # a product EAN-13 (prefix 73)
    ("4006381333931", NOT_A_MEMBER_CARD),               # product EAN-13 without AIM id
    ("]E0" + "0036000291452", NOT_A_MEMBER_CARD),       # UPC-A as EAN-13 (product)
    ("2000000000016", BAD_CHECK_DIGIT),
    ("]E0" + "2000000000012", BAD_CHECK_DIGIT),
    ("123", TOO_SHORT),
    ("]C0" + "12", TOO_SHORT),
    ("1" * 65, NOT_A_MEMBER_CARD),
    ("https://example.com/x", NOT_A_MEMBER_CARD),
    ("", UNREADABLE),
    ("\x00\x00\r", UNREADABLE),
    ("]E0", UNREADABLE),
    ("\x1b]0;" + CARD, UNREADABLE),                     # unterminated OSC swallows the rest
    ("20000\ufffd0000015", UNREADABLE),                 # a misread byte
    ("2000000000015å", UNREADABLE),                     # wedge on the wrong keyboard country
])
def test_rejected_with_staff_reason(raw: str, reason: str) -> None:
    assert parse_scan(raw) == Rejected(reason)


def test_code128_value_of_13_digits_is_not_held_to_ean_rules() -> None:
    # Code 128 carries its own check character; its 13-digit values need not be EANs
    assert parse_scan("]C07310865004704") == Accepted("7310865004704", "]C0")


def test_check_ean_off_accepts_any_13_digits() -> None:
    rules = CardRules(check_ean=False)
    assert parse_scan("2000000000016", rules) == Accepted("2000000000016")
    assert parse_scan("4006381333931", rules) == Accepted("4006381333931")


def test_any_symbology_and_any_ean_prefix_when_configured() -> None:
    rules = CardRules(allowed_symbologies=None, ean13_prefixes=None)
    assert parse_scan("]E4" + "96385074", rules) == Accepted("96385074", "]E4")
    assert parse_scan("4006381333931", rules) == Accepted("4006381333931")


def test_custom_charset_and_lengths() -> None:
    rules = CardRules(min_length=6, max_length=8, charset=r"[0-9]")
    assert parse_scan("123456", rules) == Accepted("123456")
    assert parse_scan("12345", rules) == Rejected(TOO_SHORT)
    assert parse_scan("123456789", rules) == Rejected(NOT_A_MEMBER_CARD)
    assert parse_scan("12345A", rules) == Rejected(NOT_A_MEMBER_CARD)


def _settings(**kw: object) -> SimpleNamespace:
    base = {"lookup_key": "customKey", "scanner_min_length": 4, "scanner_max_length": 64,
            "scanner_check_ean": True}
    return SimpleNamespace(**(base | kw))


def test_rules_from_settings() -> None:
    assert CardRules.from_settings(_settings()) == CardRules()
    assert not CardRules.from_settings(_settings(scanner_check_ean=False)).check_ean
    email = CardRules.from_settings(_settings(lookup_key="email"))
    assert parse_scan("anna.svensson+k@example.se", email) == Accepted("anna.svensson+k@example.se")
    phone = CardRules.from_settings(_settings(lookup_key="mobilePhone"))
    assert parse_scan("0046701234567", phone) == Accepted("0046701234567")  # 13 digits, no EAN
    assert parse_scan("+46701234567", phone) == Accepted("+46701234567")


def test_strip_controls_keeps_text_only() -> None:
    assert strip_controls("Anna\x1b[31m red\x1b[0m\x00\n") == "Anna red"
    assert strip_controls("\x1bc\x1b7ok") == "ok"


def test_ean13_check_digit_known_codes() -> None:
    for code in ("4006381333931", "9780201379624", "5901234123457", CARD, CARD2):
        assert ean13_check_digit(code[:12]) == int(code[12])
        assert is_valid_ean13(code)
    assert not is_valid_ean13("4006381333932")
    assert not is_valid_ean13("400638133393")           # 12 digits
    assert not is_valid_ean13("٤006381333931")           # non-ASCII digit
    with pytest.raises(ValueError):
        ean13_check_digit("12345")


def test_mask_card_shows_last_four_only() -> None:
    assert mask_card(CARD) == "•••• 0015"
    assert mask_card("1234") == "••••"
    assert mask_card("") == "••••"
    assert "\x1b" not in mask_card("\x1b[2J" + CARD)




def test_debouncer_ignores_same_card_within_window() -> None:
    clock = FakeClock(100.0)
    d = Debouncer(window=1.5, clock=clock)
    assert d.accept(CARD)
    clock.now += 0.4
    assert not d.accept(CARD)            # scanner re-read the card
    clock.now += 0.1
    assert d.accept(CARD2)               # a different card always passes
    assert d.accept(CARD)
    clock.now += 1.5
    assert d.accept(CARD)                # the window has passed


def test_debouncer_window_slides_while_card_is_held_under_scanner() -> None:
    clock = FakeClock(100.0)
    d = Debouncer(window=1.5, clock=clock)
    assert d.accept(CARD)
    for _ in range(5):
        clock.now += 1.0
        assert not d.accept(CARD)
    d.reset()
    assert d.accept(CARD)


def test_scan_gate_is_the_one_path() -> None:
    clock = FakeClock(100.0)
    gate = ScanGate(debouncer=Debouncer(clock=clock))
    assert gate.check("]E0" + CARD + "\r") == Accepted(CARD, "]E0")
    assert gate.check(CARD) is None                             # repeat: ignored silently
    assert gate.check(CARD, debounce=False) == Accepted(CARD)   # typed by staff on purpose
    assert gate.check("2000000000016") == Rejected(BAD_CHECK_DIGIT)
    assert gate.check("2000000000016") == Rejected(BAD_CHECK_DIGIT)  # rejections never debounced

"""Typed input routing: card numbers with spaces, e-mail and phone to their own Engage keys."""

from __future__ import annotations

import pytest

from kiosk.config import Settings
from kiosk.scanner.typed import (
    CARD_OFF,
    EMAIL_OFF,
    NOT_AN_EMAIL,
    PHONE_OFF,
    Typed,
    TypedRefused,
    parse_typed_kinds,
    route_typed,
)


@pytest.mark.parametrize(("typed", "expected"), [
    ("2004 1730 0010 0", Typed("card", "2004173000100")),
    ("2004-1730-0010-0", Typed("card", "2004173000100")),
    (" 2004173000100 ", Typed("card", "2004173000100")),
    ("anna.lindqvist@example.com", Typed("email", "anna.lindqvist@example.com", "email")),
    ("+46 70-174 06 05", Typed("phone", "+46701740605", "mobilePhone")),
    ("070-174 06 05", Typed("phone", "+46701740605", "mobilePhone")),
    ("0701740605", Typed("phone", "+46701740605", "mobilePhone")),
    ("+4915112345678", Typed("phone", "+4915112345678", "mobilePhone")),
    # a 10-digit number not starting 07x is a member number, not a phone
    ("0801740605", Typed("card", "0801740605")),
    ("12345678", Typed("card", "12345678")),
    ("+12", Typed("card", "+12")),  # too short for a phone: the card rules refuse it later
    ("anna@", TypedRefused(NOT_AN_EMAIL)),
    ("a@b", TypedRefused(NOT_AN_EMAIL)),
])
def test_typed_text_goes_to_the_key_its_shape_says(typed: str, expected: object) -> None:
    assert route_typed(typed) == expected


def test_kinds_turned_off_are_refused_with_a_reason() -> None:
    assert route_typed("anna@example.com", {"card"}) == TypedRefused(EMAIL_OFF)
    assert route_typed("+46701740605", {"card", "email"}) == TypedRefused(PHONE_OFF)
    assert route_typed("2004173000100", {"email"}) == TypedRefused(CARD_OFF)


def test_never_any_only_explicit_keys() -> None:
    for text in ("2004 1730 0010 0", "a@example.com", "+46701740605", "0701740605"):
        result = route_typed(text)
        assert isinstance(result, Typed) and result.key in (None, "email", "mobilePhone")


def test_the_setting_parses_and_refuses_unknown_kinds() -> None:
    assert parse_typed_kinds(" Email , card") == ("card", "email")
    assert parse_typed_kinds("") == ()
    with pytest.raises(ValueError, match="unknown kind"):
        parse_typed_kinds("card,any")
    assert Settings().typed_kinds == {"card", "email", "phone"}
    assert Settings(typed_lookup="card").typed_kinds == {"card"}
    with pytest.raises(ValueError):
        Settings(typed_lookup="customKey")


def test_the_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_TYPED_LOOKUP", "card,phone")
    assert Settings().typed_kinds == {"card", "phone"}

"""The one table from typed errors and redemption outcomes to what staff read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.engage import errors as e
from kiosk.offers import Offer
from kiosk.redeem import OutcomeKind, RedeemOutcome
from kiosk.scanner import barcode
from kiosk.ui import messages_text
from kiosk.ui.messages_text import ERROR_TABLE, for_error, for_outcome

OFFER = Offer(id="i", promotion_id="t", name="Autumn 20", value_type="PERCENT",
              value_text="20 %", till_instruction="Give 20 % off")


def _all(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all(sub)]
    return out


@pytest.mark.parametrize("cls", [e.EngageError, *_all(e.EngageError)], ids=lambda c: c.__name__)
def test_every_engage_error_has_a_specific_message(cls: type[e.EngageError]) -> None:
    msg = for_error(cls())
    assert msg.title != "Something went wrong"
    assert msg.body.endswith(".")


def test_table_entries_are_most_specific_first() -> None:
    for i, (cls, _, _) in enumerate(ERROR_TABLE):
        for later, _, _ in ERROR_TABLE[i + 1:]:
            assert not issubclass(later, cls), f"{later.__name__} is shadowed by {cls.__name__}"


def test_unexpected_errors_get_a_safe_generic_message() -> None:
    msg = for_error(RuntimeError("boom /secret/path"))
    assert "boom" not in msg.body and "without offers" in msg.body


def test_rate_limit_names_the_wait() -> None:
    assert "Wait 7 seconds" in for_error(e.RateLimited(retry_after=6.6)).body
    assert "Wait a moment" in for_error(e.RateLimited()).body


@pytest.mark.parametrize(("kind", "title", "severity"), [
    (OutcomeKind.REDEEMED, "Give 20 % off", "success"),
    (OutcomeKind.VERIFIED_REDEEMED, "Give 20 % off", "success"),
    (OutcomeKind.NOT_REDEEMED, "Not redeemed", "warning"),
    (OutcomeKind.UNKNOWN, "Not confirmed — don't apply", "error"),
    (OutcomeKind.CHECKING, "Not confirmed yet — don't apply; checking…", "warning"),
    (OutcomeKind.ALREADY_USED, "Already used — don't apply", "error"),
    (OutcomeKind.USED_CHECK, "Used — check before applying", "warning"),
    (OutcomeKind.JOURNAL_FAILED, "Not sent — this till can't record redemptions (disk full or "
                                 "journal unwritable)", "error"),
])
def test_outcomes(kind: OutcomeKind, title: str, severity: str) -> None:
    msg = for_outcome(RedeemOutcome(kind, OFFER, retry_allowed=True))
    assert (msg.title, msg.severity) == (title, severity)


def test_already_used_says_when_and_whether_it_was_this_till() -> None:
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    other = for_outcome(RedeemOutcome(OutcomeKind.ALREADY_USED, OFFER, redeemed_on=when))
    assert "already used on 20 Nov 2026" in other.body and "Don't apply it" in other.body
    here = for_outcome(RedeemOutcome(OutcomeKind.ALREADY_USED, OFFER, redeemed_on=when,
                                     by_this_till=True))
    assert here.title == "Already redeemed at this till" and "again" in here.body


def test_already_used_says_when_if_known() -> None:
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    msg = for_outcome(RedeemOutcome(OutcomeKind.REJECTED, OFFER,
                                    error=e.PromotionAlreadyRedeemed(), redeemed_on=when))
    assert msg.title == "Offer already used"
    assert "20 Nov 2026" in msg.body and "Don't apply it" in msg.body


@pytest.mark.parametrize("reason", [barcode.NOT_A_MEMBER_CARD, barcode.TOO_SHORT,
                                    barcode.UNREADABLE, barcode.BAD_CHECK_DIGIT])
def test_refused_scans_say_what_happened_once_and_what_to_do(reason: str) -> None:
    """Headline and next step, without repeating each other ("Not a member card. Not a
    member card...") or giving two instructions ("scan again. Scan the member's card.")."""
    msg = messages_text.for_rejected_scan(reason)
    assert msg.title.casefold() not in msg.body.casefold()
    assert msg.body.count(".") == 1 and msg.body.endswith(".")
    assert msg.severity == "warning"

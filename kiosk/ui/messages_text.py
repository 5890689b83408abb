"""What staff read for every typed error and redemption outcome: the one table.

Screens never match on error text; they ask ``for_error`` / ``for_outcome`` and show the
``StaffMessage``. Order matters only where classes inherit (most specific first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.engage import errors as e
from kiosk.offers import Offer
from kiosk.redeem import RedeemInProgress
from kiosk.scanner import barcode


@dataclass(frozen=True)
class StaffMessage:
    """A result for staff: a short headline, what to do next, and how it should look."""

    title: str
    body: str
    severity: str = "error"  # "success" | "warning" | "error"


NO_OFFERS = "Continue the sale without offers."


def _when(dt: datetime | None) -> str:
    return f" on {dt.astimezone().strftime('%Y-%m-%d at %H:%M')}" if dt else ""


def _retry_after(exc: BaseException) -> str:
    seconds = getattr(exc, "retry_after", None)
    return f"Wait {max(1, round(seconds))} seconds, then scan again." if seconds else \
        "Wait a moment, then scan again."


# (error type, headline, what to do). The first entry whose type matches wins.
ERROR_TABLE: list[tuple[type[BaseException], str, str | Callable[[BaseException], str]]] = [
    (RedeemInProgress, "Still checking an earlier redemption",
     "Nothing was sent. Wait a moment, then try again."),
    (e.PromotionAlreadyRedeemed, "Offer already used",
     "Engage says this offer has already been used. Don't apply it."),
    (e.PromotionNotValidForRedemptionChannel, "Not valid in store",
     "This offer can't be used in a store (online only?). Don't apply it."),
    (e.PromotionExpired, "Offer expired", "This offer is no longer valid. Don't apply it."),
    (e.ContactNotFound, "Card not found",
     "No member has this card. Ask for another card, or " + NO_OFFERS[0].lower() + NO_OFFERS[1:]),
    (e.PromotionNotFound, "Offer no longer available",
     "It was removed or belongs to another member. Don't apply it; scan the card again."),
    (e.PromotionNotAssociatedWithContact, "Offer no longer available",
     "It was removed or belongs to another member. Don't apply it; scan the card again."),
    (e.NotFound, "Not found in Engage", "Scan the card again. " + NO_OFFERS),
    (e.MultipleMatches, "Several members share this card",
     "Engage can't tell which member it is. " + NO_OFFERS
     + " The card needs fixing in Engage (tell the store manager)."),
    (e.CircuitOpen, "Engage unavailable",
     NO_OFFERS + " Engage is not answering; the kiosk checks again by itself."),
    (e.EngageTimeout, "Engage is not answering", NO_OFFERS + " You can scan again later."),
    (e.EngageUnreachable, "Engage unreachable", NO_OFFERS + " You can scan again later."),
    (e.Unauthorized, "Kiosk not authorised by Engage",
     "Engage rejected this kiosk's API key: a configuration problem for IT, not something you "
     "did. " + NO_OFFERS),
    (e.RateLimited, "Engage is busy", _retry_after),
    (e.ServerError, "Engage had a problem", NO_OFFERS + " You can scan again later."),
    (e.BadResponse, "Unexpected answer from Engage",
     NO_OFFERS + " Tell IT if this keeps happening."),
    (e.BadRequest, "Engage could not use this",
     "Check the card number, e-mail or phone number and try again."),
    (e.EngageError, "Engage refused", NO_OFFERS),
    (BaseException, "Something went wrong", NO_OFFERS + " The kiosk keeps working."),
]


def for_error(exc: BaseException) -> StaffMessage:
    """The staff message for a typed error (anything unexpected gets a safe generic one)."""
    for cls, title, body in ERROR_TABLE:
        if isinstance(exc, cls):
            text = body(exc) if callable(body) else body
            calm = isinstance(exc, e.RateLimited | e.EngageUnreachable)
            severity = "warning" if calm else "error"
            return StaffMessage(title, text, severity)
    raise AssertionError("unreachable: BaseException matches everything")  # pragma: no cover


#: The barcode rules' reasons (``kiosk.scanner.barcode``): headline and what to do next.
REJECTED_SCAN: dict[str, tuple[str, str]] = {
    barcode.NOT_A_MEMBER_CARD: ("Not a member card",
                                "Scan the member's card, not a product or other barcode."),
    barcode.TOO_SHORT: ("Card number too short",
                        "Check the number and type it again, or scan the card."),
    barcode.UNREADABLE: ("Scan not read", "Scan the card again, or type its number."),
    barcode.BAD_CHECK_DIGIT: ("Card number not valid",
                              "A misread or a typo: scan again, or type the number again."),
}


def for_rejected_scan(reason: str) -> StaffMessage:
    """A scan the barcode rules refused (never sent to Engage)."""
    title, body = REJECTED_SCAN.get(reason, (reason.capitalize(), "Scan the member's card."))
    return StaffMessage(title, body, "warning")


def success(offer: Offer) -> StaffMessage:
    """Redeemed: the headline is what to apply at the till."""
    return StaffMessage(offer.till_instruction, f"{offer.name} is redeemed. Apply it now.",
                        "success")


#: The redeem couldn't be journaled, so nothing was sent (disk full, journal unwritable).
JOURNAL_FAILED = StaffMessage(
    "Not sent — this till can't record redemptions (disk full or journal unwritable)",
    "Continue the sale without offers; tell IT.")

#: Engage hasn't confirmed yet and may still commit: the screen changes when it settles.
CHECKING = StaffMessage("Not confirmed yet — don't apply; checking…",
                        "Engage hasn't confirmed this redemption yet. Don't apply the offer: "
                        "the kiosk keeps checking, and this screen changes by itself when "
                        "Engage has answered.", "warning")


def for_outcome(outcome: Any) -> StaffMessage:
    """The staff message for a ``RedeemOutcome`` (keyed on ``OutcomeKind`` names)."""
    kind = getattr(outcome.kind, "name", str(outcome.kind)).upper().replace("-", "_")
    offer: Offer = outcome.offer
    when = getattr(outcome, "redeemed_on", None)
    if kind in ("REDEEMED", "VERIFIED_REDEEMED"):
        return success(offer)
    if kind == "CHECKING":
        return CHECKING
    if kind == "JOURNAL_FAILED":
        return JOURNAL_FAILED
    if kind == "NOT_REDEEMED":
        return StaffMessage("Not redeemed",
                            "Engage did not redeem the offer. Don't apply it. You may try again.",
                            "warning")
    if kind == "UNKNOWN":
        return StaffMessage("Not confirmed — don't apply",
                            "Engage never confirmed this redemption. Don't apply the offer; "
                            "the attempt is kept for IT to check in Engage.")
    if kind == "ALREADY_USED":
        if getattr(outcome, "by_this_till", False):
            return StaffMessage("Already redeemed at this till",
                                f"This till already redeemed this offer{_when(when)}. Don't "
                                "apply it again.")
        return StaffMessage("Already used — don't apply",
                            f"Engage says this offer was already used{_when(when)}. Don't "
                            "apply it.")
    if kind == "USED_CHECK":
        return StaffMessage("Used — check before applying",
                            "Engage shows this offer as used but not when, so the kiosk can't "
                            "tell whether this attempt used it. Don't apply it unless the store "
                            "manager confirms in Engage.", "warning")
    error = getattr(outcome, "error", None)
    msg = for_error(error) if error is not None else for_error(Exception())
    if isinstance(error, e.PromotionAlreadyRedeemed) and when:
        msg = StaffMessage(msg.title, f"Engage says this offer was used"
                           f"{_when(when)}. Don't apply it.", msg.severity)
    return msg

"""What staff read for every typed error and redemption outcome: the one table.

Screens never match on error text; they ask ``for_error`` / ``for_outcome`` and show the
``StaffMessage``. Order matters only where classes inherit (most specific first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kiosk.engage import errors as e
from kiosk.offers import Offer
from kiosk.redeem import OutcomeKind, RedeemInProgress, RedeemOutcome, UndoKind, UndoOutcome
from kiosk.rewards import Benefit
from kiosk.scanner import barcode

#: How a message looks: green tick, amber warning, red cross.
Severity = Literal["success", "warning", "error"]


@dataclass(frozen=True)
class StaffMessage:
    """A result for staff: a short headline, what to do next, and how it should look."""

    title: str
    body: str
    severity: Severity = "error"
    kicker: str | None = None  # the line above the headline, when not the severity's own


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
    (e.RewardVoucherAlreadyRedeemed, "Voucher already used",
     "Engage says this reward voucher has already been used. Don't apply it."),
    (e.RewardVoucherExpired, "Voucher expired",
     "This reward voucher is no longer valid. Don't apply it."),
    (e.RewardVoucherNotFound, "Voucher no longer available",
     "Engage doesn't know this reward voucher any more. Don't apply it; scan the card again."),
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
            calm = isinstance(exc, e.RateLimited | e.EngageUnreachable | e.CircuitOpen)
            severity: Severity = "warning" if calm else "error"
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


def success(offer: Offer | Benefit) -> StaffMessage:
    """Redeemed: the headline is what to apply at the till."""
    return StaffMessage(offer.till_instruction, f"{offer.name} is redeemed. Apply it now.",
                        "success")


def for_outcome(outcome: RedeemOutcome[Benefit]) -> StaffMessage:
    """The staff message for a redemption's outcome (an offer's or a voucher's)."""
    kind = outcome.kind
    if outcome.apply:
        return success(outcome.offer)
    if kind is OutcomeKind.NOT_REDEEMED:
        if outcome.retry_allowed:
            return StaffMessage("Not redeemed: try again",
                                "Engage did not redeem the offer. Don't apply it. "
                                "You may try once more.", "warning")
        return StaffMessage("Not redeemed",
                            "Engage did not redeem the offer. Don't apply it, and don't try "
                            "again: ask the store manager to check the offer in Engage.")
    if kind is OutcomeKind.UNKNOWN:
        return StaffMessage("Outcome unknown: don't apply",
                            "We couldn't confirm with Engage whether the offer was used. "
                            "Don't apply it without checking. The attempt is in the journal.")
    if kind is OutcomeKind.ALREADY_USED_VERIFY:
        return StaffMessage("Already used: verify",
                            f"Engage says this offer was used{_when(outcome.redeemed_on)}, "
                            "possibly by an earlier attempt or another till. Check before "
                            "applying it.", "warning")
    error = outcome.error
    msg = for_error(error if error is not None else Exception())
    if isinstance(error, e.PromotionAlreadyRedeemed) and outcome.redeemed_on:
        msg = StaffMessage(msg.title, f"Engage says this offer was used"
                           f"{_when(outcome.redeemed_on)}. Don't apply it.", msg.severity)
    return msg


UNDONE_KICKER = "\u21ba Voucher given back"  # "↺"

#: Engage's refusals of an undo, in staff words: (headline, what to do).
UNDO_REFUSALS: list[tuple[type[BaseException], str, str]] = [
    (e.ReactivationLimitExceeded, "Can't give this voucher back",
     "It has already been given back as many times as Engage allows. It stays used: "
     "ask the store manager before you cancel it from the sale."),
    (e.RewardVoucherExpired, "Can't give this voucher back",
     "It has expired, so Engage won't make it usable again. Ask the store manager."),
    (e.RewardVoucherNotFound, "Can't give this voucher back",
     "Engage doesn't know this voucher any more. Ask the store manager."),
]


def for_undo(outcome: UndoOutcome, name: str) -> StaffMessage:
    """What staff read after giving voucher ``name`` back (or trying to)."""
    kind = outcome.kind
    error = outcome.error
    if isinstance(error, e.RewardVoucherAlreadyActivated):
        return StaffMessage("Voucher already usable",
                            f"Engage says {name} is not used, so there was nothing to undo. "
                            "Take it off the sale.", "success", UNDONE_KICKER)
    if outcome.done:
        return StaffMessage("Take the voucher off the sale",
                            f"{name} is usable again for the member.", "success", UNDONE_KICKER)
    if kind is UndoKind.ALREADY_UNDONE:
        return StaffMessage("Already given back",
                            f"{name} was already given back (or is being given back) for this "
                            "sale: see `kiosk journal`.", "warning")
    if kind is UndoKind.NOT_REACTIVATED:
        return StaffMessage("Voucher not given back",
                            "Engage still shows the voucher as used. You may try again.",
                            "warning")
    if kind is UndoKind.UNKNOWN:
        return StaffMessage("Not sure it was given back",
                            "We couldn't confirm with Engage whether the voucher is usable "
                            "again. Check in Engage before the customer leaves; the attempt is "
                            "in the journal.", "warning")
    for cls, title, body in UNDO_REFUSALS:
        if isinstance(error, cls):
            return StaffMessage(title, body)
    msg = for_error(error if error is not None else Exception())
    return StaffMessage("Voucher not given back", msg.body, msg.severity)

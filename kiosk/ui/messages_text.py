"""What staff read for every typed error and redemption outcome: the one table.

Screens never match on error text; they ask ``for_error`` / ``for_outcome`` and show the
``StaffMessage``. Order matters only where classes inherit (most specific first).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from kiosk import i18n
from kiosk.engage import errors as e
from kiosk.i18n import N_, _, ngettext
from kiosk.redeem_errors import RedeemInProgress
from kiosk.scanner import barcode, typed

if TYPE_CHECKING:  # the flow is imported when the redeemer is built, after the first frame
    from kiosk.redeem import RedeemOutcome, UndoOutcome
    from kiosk.rewards import Benefit

#: How a message looks: green tick, amber warning, red cross.
Severity = Literal["success", "warning", "error"]


class StaffMessage(NamedTuple):  # as a frozen dataclass, ~4 M instructions less to make at start
    """A result for staff: a short headline, what to do next, and how it should look."""

    title: str
    body: str
    severity: Severity = "error"
    #: what to apply, short enough for large type ("20 %", "100 kr", a till code) or ""
    big: str = ""
    kicker: str | None = None  # a msgid above the headline, when not the severity's own


NO_OFFERS = N_("Continue the sale without offers.")


def _when(dt: datetime | None) -> str:
    return i18n.format_datetime(dt) if dt else ""


def _retry_after(exc: BaseException) -> str:
    seconds = getattr(exc, "retry_after", None)
    if not seconds:
        return _("Wait a moment, then scan again.")
    n = max(1, round(seconds))
    return ngettext("Wait {n} second, then scan again.", "Wait {n} seconds, then scan again.",
                    n).format(n=n)


# (error type, headline, what to do): msgids, translated when shown. First match wins.
ERROR_TABLE: list[tuple[type[BaseException], str, str | Callable[[BaseException], str]]] = [
    (RedeemInProgress, N_("Still checking an earlier redemption"),
     N_("Nothing was sent. Wait a moment, then try again.")),
    (e.PromotionAlreadyRedeemed, N_("Offer already used"),
     N_("Engage says this offer has already been used. Don't apply it.")),
    (e.PromotionNotValidForRedemptionChannel, N_("Not valid in store"),
     N_("This offer can't be used in a store (online only?). Don't apply it.")),
    (e.PromotionExpired, N_("Offer expired"),
     N_("This offer is no longer valid. Don't apply it.")),
    (e.RewardVoucherAlreadyRedeemed, N_("Voucher already used"),
     N_("Engage says this reward voucher has already been used. Don't apply it.")),
    (e.RewardVoucherExpired, N_("Voucher expired"),
     N_("This reward voucher is no longer valid. Don't apply it.")),
    (e.RewardVoucherNotFound, N_("Voucher no longer available"),
     N_("Engage doesn't know this reward voucher any more. Don't apply it; scan the card "
        "again.")),
    (e.ContactNotFound, N_("Card not found"),
     N_("No member has this card. Ask for another card, or continue the sale without offers.")),
    (e.PromotionNotFound, N_("Offer no longer available"),
     N_("It was removed or belongs to another member. Don't apply it; scan the card again.")),
    (e.PromotionNotAssociatedWithContact, N_("Offer no longer available"),
     N_("It was removed or belongs to another member. Don't apply it; scan the card again.")),
    (e.NotFound, N_("Not found in Engage"),
     N_("Scan the card again. Continue the sale without offers.")),
    (e.MultipleMatches, N_("Several members share this card"),
     N_("Engage can't tell which member it is. Continue the sale without offers. The card "
        "needs fixing in Engage (tell the store manager).")),
    (e.CertificateUntrusted, N_("Engage's certificate is not trusted by this till"),
     N_("A configuration problem for IT (the till's CA certificates or a proxy), not something "
        "you did. Continue the sale without offers.")),
    (e.CertificateNameMismatch, N_("Engage's certificate is for another name"),
     N_("The till reached a server whose certificate names another address: a configuration "
        "problem for IT, not something you did. Continue the sale without offers.")),
    (e.CertificateExpired, N_("Engage's certificate has expired"),
     N_("Or this till's date and time are wrong: a problem for IT, not something you did. "
        "Continue the sale without offers.")),
    (e.NotTls, N_("Engage's address does not answer securely"),
     N_("It answers without TLS (https to a plain http port?): a configuration problem for IT, "
        "not something you did. Continue the sale without offers.")),
    (e.TlsError, N_("Secure connection to Engage failed"),
     N_("A configuration problem for IT (certificates, TLS or a proxy), not something you did. "
        "Continue the sale without offers.")),
    (e.CircuitOpen, N_("Engage unavailable"),
     N_("Continue the sale without offers. Engage is not answering; the kiosk checks again by "
        "itself.")),
    (e.EngageTimeout, N_("Engage is not answering"),
     N_("Continue the sale without offers. You can scan again later.")),
    (e.EngageUnreachable, N_("Engage unreachable"),
     N_("Continue the sale without offers. You can scan again later.")),
    (e.Unauthorized, N_("Kiosk not authorised by Engage"),
     N_("Engage rejected this kiosk's API key: a configuration problem for IT, not something "
        "you did. Continue the sale without offers.")),
    (e.RateLimited, N_("Engage is busy"), _retry_after),
    (e.ServerError, N_("Engage had a problem"),
     N_("Continue the sale without offers. You can scan again later.")),
    (e.BadResponse, N_("Unexpected answer from Engage"),
     N_("Continue the sale without offers. Tell IT if this keeps happening.")),
    (e.BadRequest, N_("Engage could not use this"),
     N_("Check the card number, e-mail or phone number and try again.")),
    (e.EngageError, N_("Engage refused"), NO_OFFERS),
    (BaseException, N_("Something went wrong"),
     N_("Continue the sale without offers. The kiosk keeps working.")),
]


#: Several members share a typed e-mail address or mobile number: only their card tells them apart.
_SCAN_THE_CARD = N_("Engage can't tell which member it is. Scan the member's card, or continue "
                    "the sale without offers.")
#: ... or the e-mail address / mobile number a scanned card holds (KIOSK_LOOKUP_KEY): scanning
#: again would find them all again.
_ANOTHER_CARD = N_("Engage can't tell which member it is. Ask for another card, or continue "
                   "the sale without offers.")

#: No member, or several, by an e-mail address or mobile number: staff read what was used, not
#: "card". By the Engage key that names what staff gave (a typed e-mail's ``email``, or the
#: till's own KIOSK_LOOKUP_KEY for a scan) and whether it was typed: a typed value's advice is
#: to check it and type it again or scan the card; a scanned one's (the till scans by e-mail or
#: mobile number) is to ask for another card, since scanning the same one finds the same.
#: (exception, key, typed, headline, what to do; msgids.) First match wins.
BY_KEY: list[tuple[type[BaseException], str, bool, str, str]] = [
    (e.ContactNotFound, "email", True, N_("E-mail address not found"),
     N_("No member has this e-mail address. Check the spelling with the customer and type it "
        "again, scan the card, or continue the sale without offers.")),
    (e.ContactNotFound, "mobilePhone", True, N_("Mobile number not found"),
     N_("No member has this mobile number. Check the number with the customer and type it "
        "again, scan the card, or continue the sale without offers.")),
    (e.ContactNotFound, "email", False, N_("E-mail address not found"),
     N_("No member has the e-mail address this card holds. Ask for another card, or continue "
        "the sale without offers.")),
    (e.ContactNotFound, "mobilePhone", False, N_("Mobile number not found"),
     N_("No member has the mobile number this card holds. Ask for another card, or continue "
        "the sale without offers.")),
    (e.MultipleMatches, "email", True, N_("Several members have this e-mail address"),
     _SCAN_THE_CARD),
    (e.MultipleMatches, "mobilePhone", True, N_("Several members have this mobile number"),
     _SCAN_THE_CARD),
    (e.MultipleMatches, "email", False, N_("Several members have this e-mail address"),
     _ANOTHER_CARD),
    (e.MultipleMatches, "mobilePhone", False, N_("Several members have this mobile number"),
     _ANOTHER_CARD),
]


def for_error(exc: BaseException, key: str | None = None, *, typed: bool = False
              ) -> StaffMessage:
    """The staff message for a typed error (anything unexpected gets a safe generic one).

    ``key``: the Engage key that names what staff gave (``LookupFailed.key``) and ``typed``
    whether they typed it; "no such member" (or several) by an e-mail address or mobile number
    says so instead of "card", with advice that fits a typed or a scanned value.
    """
    for cls, by, by_typing, headline, advice in BY_KEY:
        if by == key and by_typing == typed and isinstance(exc, cls):
            return StaffMessage(_(headline), _(advice))
    for cls, title, body in ERROR_TABLE:
        if isinstance(exc, cls):
            text = body(exc) if callable(body) else _(body)
            calm = isinstance(exc, e.RateLimited | e.EngageUnreachable | e.CircuitOpen) \
                and not isinstance(exc, e.TlsError)  # a TLS failure won't pass by itself
            severity: Severity = "warning" if calm else "error"
            return StaffMessage(_(title), text, severity)
    raise AssertionError("unreachable: BaseException matches everything")  # pragma: no cover


#: The busy line while a lookup runs, by the Engage key that names what staff gave: an e-mail
#: address or a mobile number is named, never shown (its last characters are personal data and
#: tell staff nothing); a card shows its masked last digits.
LOOKING_UP_BY_KEY = {
    "email": N_("Looking up the e-mail address…"),
    "mobilePhone": N_("Looking up the mobile number…"),
    "socialSecurityNumber": N_("Looking up the personal number…"),
}


def looking_up(value: str, key: str | None = None) -> str:
    """"Looking up •••• 4931…", or the kind of value without it (``LOOKING_UP_BY_KEY``; a
    personal number at an ``any`` till too, by its shape)."""
    key = barcode.shown_key(value, key)
    if key in LOOKING_UP_BY_KEY:
        return _(LOOKING_UP_BY_KEY[key])
    return _("Looking up {card}…").format(card=barcode.mask_value(value, key))


#: The barcode rules' reasons (``kiosk.scanner.barcode``): headline and what to do next.
REJECTED_SCAN: dict[str, tuple[str, str]] = {
    barcode.NOT_A_MEMBER_CARD: (N_("Not a member card"),
                                N_("Scan the member's card, not a product or other barcode.")),
    barcode.TOO_SHORT: (N_("Card number too short"),
                        N_("Check the number and type it again, or scan the card.")),
    barcode.UNREADABLE: (N_("Scan not read"), N_("Scan the card again, or type its number.")),
    barcode.BAD_CHECK_DIGIT: (N_("Card number not valid"),
                              N_("A misread or a typo: scan again, or type the number again.")),
    typed.NOT_AN_EMAIL: (N_("Not a complete e-mail address"),
                         N_("Check the address and type it again, or scan the card.")),
    typed.EMAIL_OFF: (N_("E-mail lookup is off"), N_("Scan the card, or type the card number.")),
    typed.PHONE_OFF: (N_("Phone lookup is off"), N_("Scan the card, or type the card number.")),
    typed.CARD_OFF: (N_("Typing a card number is off"), N_("Scan the card.")),
}


def for_rejected_scan(reason: str) -> StaffMessage:
    """A scan the barcode rules refused (never sent to Engage)."""
    if reason in REJECTED_SCAN:
        title, body = REJECTED_SCAN[reason]
        return StaffMessage(_(title), _(body), "warning")
    return StaffMessage(_("Scan not read"), _("Scan the member's card."), "warning")


def success(offer: Benefit) -> StaffMessage:
    """Redeemed: the headline is what to apply at the till (large: ``offer.apply_text``)."""
    return StaffMessage(offer.till_instruction,
                        _("{offer} is redeemed. Apply it now.").format(offer=offer.name),
                        "success", big=offer.apply_text)


#: The redeem couldn't be journaled, so nothing was sent (disk full, journal unwritable).
JOURNAL_FAILED_TITLE = N_("Not sent — this till can't record redemptions (disk full or journal "
                          "unwritable)")
JOURNAL_FAILED_BODY = N_("Continue the sale without offers; tell IT.")


def checking() -> StaffMessage:
    """Engage hasn't confirmed yet and may still commit: the screen changes when it settles."""
    return StaffMessage(_("Not confirmed yet — don't apply; checking…"),
                        _("Engage hasn't confirmed this redemption yet. Don't apply the offer: "
                          "the kiosk keeps checking, and this screen changes by itself when "
                          "Engage has answered."), "warning")


#: The kicker (a msgid, after the warning glyph) of an attempt settled by hand meanwhile.
BY_HAND_KICKER = N_("Settled by hand")


def settled_by_hand(applied: bool) -> StaffMessage:
    """A "not confirmed yet" that IT settled by hand (``kiosk journal resolve``) before the
    kiosk's own check did. Never "apply": ``--applied`` is IT's record that this attempt used
    the offer (from Engage, or from a receipt that already shows it), not the till's evidence,
    so staff are told what IT recorded and to apply it only on IT's or the manager's word."""
    if applied:
        return StaffMessage(_("IT: applied — ask before applying"),
                            _("IT has settled this attempt by hand as applied. The till has no "
                              "proof of its own: apply the offer only if IT or the store "
                              "manager says so."), "warning", kicker=BY_HAND_KICKER)
    return StaffMessage(_("IT: not applied — don't apply"),
                        _("IT has settled this attempt by hand as not applied. Don't apply the "
                          "offer."), "warning", kicker=BY_HAND_KICKER)


def for_outcome(outcome: RedeemOutcome[Benefit]) -> StaffMessage:
    """The staff message for a redemption's outcome (an offer's or a voucher's)."""
    from kiosk.redeem import OutcomeKind  # loaded: the outcome came from it

    kind = outcome.kind
    when = outcome.redeemed_on
    if outcome.apply:
        return success(outcome.offer)
    if kind is OutcomeKind.CHECKING:
        return checking()
    if kind is OutcomeKind.JOURNAL_FAILED:
        return StaffMessage(_(JOURNAL_FAILED_TITLE), _(JOURNAL_FAILED_BODY))
    if kind is OutcomeKind.NOT_REDEEMED:
        return StaffMessage(_("Not redeemed"),
                            _("Engage did not redeem the offer. Don't apply it. You may try "
                              "again."), "warning")
    if kind is OutcomeKind.UNKNOWN:
        return StaffMessage(_("Not confirmed — don't apply"),
                            _("Engage never confirmed this redemption. Don't apply the offer; "
                              "the attempt is kept for IT to check in Engage."))
    if kind is OutcomeKind.ALREADY_USED and outcome.by_this_till:
        return StaffMessage(_("Already redeemed at this till"),
                            _("This till already redeemed this offer on {when}. Don't apply it "
                              "again.").format(when=_when(when)))
    if kind is OutcomeKind.ALREADY_USED:
        body = (_("Engage says this offer was already used on {when}. Don't apply it.")
                .format(when=_when(when)) if when else
                _("Engage says this offer has already been used. Don't apply it."))
        return StaffMessage(_("Already used — don't apply"), body)
    if kind is OutcomeKind.USED_CHECK and outcome.clock_off:
        return StaffMessage(_("Used — check before applying"),
                            _("Engage shows this offer as used, but this till's clock doesn't "
                              "agree with Engage's, so the kiosk can't tell whether this attempt "
                              "used it. Don't apply it unless the store manager confirms in "
                              "Engage. Tell IT: the till's clock needs fixing."), "warning")
    if kind is OutcomeKind.USED_CHECK:
        return StaffMessage(_("Used — check before applying"),
                            _("Engage shows this offer as used but not when, so the kiosk can't "
                              "tell whether this attempt used it. Don't apply it unless the "
                              "store manager confirms in Engage."), "warning")
    error = outcome.error
    msg = for_error(error if error is not None else Exception())
    if isinstance(error, e.PromotionAlreadyRedeemed) and outcome.redeemed_on:
        msg = StaffMessage(msg.title, _("Engage says this offer was used on {when}. Don't "
                                        "apply it.").format(when=_when(outcome.redeemed_on)),
                           msg.severity)
    return msg


#: The kicker (a msgid, after the success glyph) of a voucher given back.
UNDONE_KICKER = N_("Voucher given back")

#: Engage's refusals of an undo, in staff words: (headline, what to do), msgids.
UNDO_REFUSALS: list[tuple[type[BaseException], str, str]] = [
    (e.ReactivationLimitExceeded, N_("Can't give this voucher back"),
     N_("It has already been given back as many times as Engage allows. It stays used: "
        "ask the store manager before you cancel it from the sale.")),
    (e.RewardVoucherExpired, N_("Can't give this voucher back"),
     N_("It has expired, so Engage won't make it usable again. Ask the store manager.")),
    (e.RewardVoucherNotFound, N_("Can't give this voucher back"),
     N_("Engage doesn't know this voucher any more. Ask the store manager.")),
]


def for_undo(outcome: UndoOutcome, name: str) -> StaffMessage:
    """What staff read after giving voucher ``name`` back (or trying to)."""
    from kiosk.redeem import UndoKind  # loaded: the outcome came from it

    kind = outcome.kind
    error = outcome.error
    if isinstance(error, e.RewardVoucherAlreadyActivated):
        return StaffMessage(_("Voucher already usable"),
                            _("Engage says {voucher} is not used, so there was nothing to undo. "
                              "Take it off the sale.").format(voucher=name),
                            "success", kicker=UNDONE_KICKER)
    if outcome.done:
        return StaffMessage(_("Take the voucher off the sale"),
                            _("{voucher} is usable again for the member.").format(voucher=name),
                            "success", kicker=UNDONE_KICKER)
    if kind is UndoKind.ALREADY_UNDONE:
        return StaffMessage(_("Already given back"),
                            _("{voucher} was already given back (or is being given back) for "
                              "this sale: see the journal.").format(voucher=name), "warning")
    if kind is UndoKind.NOT_REACTIVATED:
        return StaffMessage(_("Voucher not given back"),
                            _("Engage still shows the voucher as used. You may try again."),
                            "warning")
    if kind is UndoKind.UNKNOWN:
        return StaffMessage(_("Not sure it was given back"),
                            _("We couldn't confirm with Engage whether the voucher is usable "
                              "again. Check in Engage before the customer leaves; the attempt "
                              "is in the journal."), "warning")
    for cls, title, body in UNDO_REFUSALS:
        if isinstance(error, cls):
            return StaffMessage(_(title), _(body))
    msg = for_error(error if error is not None else Exception())
    return StaffMessage(_("Voucher not given back"), msg.body, msg.severity)

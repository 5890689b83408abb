"""Messages the kiosk's parts send each other; results of I/O come back only as these.

Screens post their own nested messages (``OffersScreen.Chosen``, ``ConfirmScreen.Confirmed``)
or ``StartOver`` below; the app handles them. Nothing below the app calls the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from textual.message import Message

from kiosk.scanner.state import ScannerState

if TYPE_CHECKING:  # pydantic: imported with the first Engage payload, after the first frame
    from kiosk.engage.models import LookupKey
    from kiosk.offers import Member, MemberOffers  # with the lookup, after the first frame
    from kiosk.redeem import RedeemOutcome, UndoOutcome  # with the redeemer, after it too
    from kiosk.rewards import Benefit  # with the lookup, after it too

#: Where a scan came from.
ScanSource = Literal["serial", "wedge", "typed"]


@dataclass
class CardScanned(Message):
    """A card number (or typed e-mail/phone) accepted for lookup, whatever its source."""

    card: str
    source: ScanSource
    #: Engage key to look it up by; None: the configured one (KIOSK_LOOKUP_KEY)
    key: LookupKey | None = None


@dataclass
class RawScan(Message):
    """A line from a scanner or the keyboard, not yet checked against the barcode rules."""

    text: str
    source: ScanSource


@dataclass
class ScannerStatus(Message):
    """The serial scanner's state changed (posted from the reader thread)."""

    state: ScannerState
    detail: str = ""


@dataclass
class ScannerJunk(Message):
    """The serial scanner dropped a line; ``reason`` is for staff (posted from its thread)."""

    reason: str


@dataclass
class LookupDone(Message):
    """A lookup for scan ``generation`` found the member and their offers."""

    generation: int
    member: Member
    offers: MemberOffers


@dataclass
class LookupFailed(Message):
    """A lookup for scan ``generation`` failed with ``error``."""

    generation: int
    error: BaseException
    #: the Engage key the value was looked up by ("email" for a typed e-mail address...);
    #: None: a member read again by id (no card, e-mail or number was looked up)
    key: LookupKey | None = None


@dataclass
class RedeemFinished(Message):
    """A redemption finished (or could not start); ``outcome`` says which and why."""

    generation: int
    member: Member
    offer: Benefit
    outcome: RedeemOutcome[Benefit]


@dataclass
class UndoFinished(Message):
    """An undo (voucher reactivation) finished, or could not start; ``outcome`` says which."""

    generation: int
    member: Member | None
    name: str
    outcome: UndoOutcome
    item_id: str = ""  # the voucher's id (a visit no longer lists it once given back)


class StartOver(Message):
    """Staff are done with this customer (Escape on the offers, any key on a result)."""


class RecheckEngage(Message):
    """Staff asked for Engage to be checked now (diagnostics)."""


@dataclass
class RedeemSettled(Message):
    """A background check settled a redemption that was "not confirmed yet" (or a reconcile
    settled one from an earlier run); ``outcome`` is the Redeemer's ``RedeemOutcome``."""

    outcome: RedeemOutcome[Any]

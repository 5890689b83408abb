"""Messages the kiosk's parts send each other; results of I/O come back only as these.

Screens post their own nested messages (``OffersScreen.Chosen``, ``ConfirmScreen.Confirmed``)
or ``StartOver`` below; the app handles them. Nothing below the app calls the app.

Each takes its fields in ``__init__``, as Textual's own messages do, rather than being a
dataclass: none is compared or copied, and making the nine dataclasses (``exec`` of each
generated method) was ~15 M instructions of ``kiosk run`` before its first frame.
"""

from __future__ import annotations

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


class CardScanned(Message):
    """A card number (or typed e-mail/phone) accepted for lookup, whatever its source."""

    def __init__(self, card: str, source: ScanSource, key: LookupKey | None = None) -> None:
        self.card = card
        self.source = source
        #: Engage key to look it up by; None: the configured one (KIOSK_LOOKUP_KEY)
        self.key = key
        super().__init__()


class RawScan(Message):
    """A line from a scanner or the keyboard, not yet checked against the barcode rules."""

    def __init__(self, text: str, source: ScanSource) -> None:
        self.text = text
        self.source = source
        super().__init__()


class ScannerStatus(Message):
    """The serial scanner's state changed (posted from the reader thread)."""

    def __init__(self, state: ScannerState, detail: str = "") -> None:
        self.state = state
        self.detail = detail
        super().__init__()


class ScannerJunk(Message):
    """The serial scanner dropped a line; ``reason`` is for staff (posted from its thread)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()


class LookupDone(Message):
    """A lookup for scan ``generation`` found the member and their offers."""

    def __init__(self, generation: int, member: Member, offers: MemberOffers) -> None:
        self.generation = generation
        self.member = member
        self.offers = offers
        super().__init__()


class LookupFailed(Message):
    """A lookup for scan ``generation`` failed with ``error``."""

    def __init__(self, generation: int, error: BaseException,
                 key: LookupKey | None = None, typed: bool = False) -> None:
        self.generation = generation
        self.error = error
        #: the Engage key that names what staff gave: a typed e-mail address's "email", a typed
        #: mobile number's "mobilePhone", None for a typed card, the till's KIOSK_LOOKUP_KEY for
        #: a scan; None too for a member read again by id (nothing was looked up)
        self.key = key
        #: staff typed the value (else it was scanned, or a member was read again)
        self.typed = typed
        super().__init__()


class RedeemFinished(Message):
    """A redemption finished (or could not start); ``outcome`` says which and why."""

    def __init__(self, generation: int, member: Member, offer: Benefit,
                 outcome: RedeemOutcome[Benefit]) -> None:
        self.generation = generation
        self.member = member
        self.offer = offer
        self.outcome = outcome
        super().__init__()


class UndoFinished(Message):
    """An undo (voucher reactivation) finished, or could not start; ``outcome`` says which."""

    def __init__(self, generation: int, member: Member | None, name: str, outcome: UndoOutcome,
                 item_id: str = "") -> None:
        self.generation = generation
        self.member = member
        self.name = name
        self.outcome = outcome
        self.item_id = item_id  # the voucher's id (a visit no longer lists it once given back)
        super().__init__()


class StartOver(Message):
    """Staff are done with this customer (Escape on the offers, any key on a result)."""


class RecheckEngage(Message):
    """Staff asked for Engage to be checked now (diagnostics)."""


class RedeemSettled(Message):
    """A background check settled a redemption that was "not confirmed yet" (or a reconcile
    settled one from an earlier run); ``outcome`` is the Redeemer's ``RedeemOutcome``."""

    def __init__(self, outcome: RedeemOutcome[Any]) -> None:
        self.outcome = outcome
        super().__init__()

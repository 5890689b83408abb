"""Messages the kiosk's parts send each other; results of I/O come back only as these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from kiosk.offers import Member, Offer
from kiosk.rewards import Benefit


@dataclass
class CardScanned(Message):
    """A card number (or typed e-mail/phone) accepted for lookup, whatever its source."""

    card: str
    source: str  # "serial" | "wedge" | "typed"


@dataclass
class RawScan(Message):
    """A line from a scanner or the keyboard, not yet checked against the barcode rules."""

    text: str
    source: str


@dataclass
class ScannerStatus(Message):
    """The serial scanner's state changed (posted from the reader thread)."""

    state: str
    detail: str = ""


@dataclass
class LookupDone(Message):
    """A lookup for scan ``generation`` found the member and their offers."""

    generation: int
    member: Member
    offers: list[Offer]


@dataclass
class LookupFailed(Message):
    """A lookup for scan ``generation`` failed with ``error``."""

    generation: int
    error: BaseException


@dataclass
class RedeemFinished(Message):
    """A redemption finished; ``outcome`` is the Redeemer's ``RedeemOutcome``."""

    generation: int
    member: Member
    offer: Benefit
    outcome: Any


@dataclass
class UndoFinished(Message):
    """An undo (voucher reactivation) finished; ``outcome`` is the Redeemer's ``UndoOutcome``
    (or a stand-in with ``kind``/``error`` when it could not run)."""

    generation: int
    member: Member | None
    name: str
    outcome: Any


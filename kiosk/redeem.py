"""The redemption flow: journal -> POST -> evidence. No UI.

Engage's redeem has no idempotency key, and a redeem whose answer is lost may still commit
long after (Engage runs a request past its point of no return to completion; Voyado advises
a 60 s client timeout). So the rules are:

* every attempt is journaled ``pending`` (fsynced, off the event loop) before the POST
  leaves; if the row can't be written nothing is sent (:attr:`OutcomeKind.JOURNAL_FAILED`);
* exactly one redeem runs per terminal at a time (:class:`RedeemInProgress` otherwise);
* an offer this till already redeemed (a ``redeemed``/``verified-redeemed`` row) is refused
  before any POST; and since Engage redeems an instance once, an open attempt is never
  settled as ours once another of this till's attempts holds the redemption (a redeem that
  read the journal just before a background check settled the offer);
* the POST is never repeated by us. An ambiguous answer (timeout, connection lost after
  sending, 504, other 5xx) leaves the row ``unknown``, and the answer is settled by evidence
  (:mod:`kiosk.attribution`): used with ``redeemedOn`` inside this attempt's window -> ours,
  apply; used before -> "already used on <date>"; used without a date -> "check before
  applying", never apply; still active or unreadable -> :attr:`OutcomeKind.CHECKING` ("not
  confirmed yet, don't apply"), and a background check re-reads on a backoff until the
  settle window is over. Only then is an offer still active written ``verified-not-redeemed``.
  Every answer a background check settles goes to the listeners (:meth:`add_listener`);
* the evidence's time is Engage's clock and the window the till's: while the Engage client's
  clock watch (:mod:`kiosk.engage.clock`) shows them surely further apart than the margin, or
  did when the attempt lost its answer (its note says so), a dated use is "check before
  applying", never "apply" (:meth:`Redeemer._decide_off_clock`);
* staff may retry inside the window: Engage answers 409 if the instance is used by then, and
  that 409 is attributed the same way against our own open attempts (ours -> apply, earlier ->
  already used); a 200 proves the open attempts never committed;
* :meth:`reconcile` (at start, and when Engage is back) settles rows left ``pending`` by a
  crash or ``unknown`` by the same rules, and checks in the background those still inside
  their window. :meth:`recheck_open` (while the till is idle) settles ``unknown`` rows past
  their window the same way without the terminal's lock, so a redeem is never refused for it.

Reward vouchers go the same way: what differs by *kind* (the POST and the re-read) is one
:class:`RedeemKind` per kind, chosen by the item's ``kind`` attribute (``"promotion"`` when it
has none). :meth:`Redeemer.undo` reactivates a voucher this terminal redeemed (a cancelled
sale): journal first, never resent, verified by a re-read when the answer is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar, cast

from kiosk.attribution import CLOCK_MARGIN, Attempt, Evidence, Seen, before, owner, seen_in
from kiosk.breaker import CircuitBreaker
from kiosk.engage.errors import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    EngageError,
    EngageUnreachable,
    NotFound,
    PromotionAlreadyRedeemed,
    RateLimited,
    RewardVoucherAlreadyActivated,
    RewardVoucherAlreadyRedeemed,
)
from kiosk.journal import (
    Journal,
    JournalError,
    JournalRow,
    JournalState,
    Kind,
    ReactivationRow,
    ReactivationState,
    SettledMeanwhile,
    utc_now,
)
from kiosk.redeem_errors import RedeemInProgress

if TYPE_CHECKING:  # pydantic: imported with the first Engage payload, after the first frame
    from kiosk.engage.clock import Offset
    from kiosk.engage.models import Promotion, RewardVoucher, VoucherList

log = logging.getLogger(__name__)

_S = JournalState
_U = ReactivationState
_GIVEN_BACK = frozenset({_U.REACTIVATED, _U.VERIFIED_REACTIVATED})
_OPEN = frozenset({_S.PENDING, _S.UNKNOWN})
_CLAIMED = frozenset({_S.REDEEMED, _S.VERIFIED_REDEEMED})
T = TypeVar("T")

#: Pauses (s) between background re-reads after an ambiguous answer; the last one repeats.
RECHECK_DELAYS: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0)
#: Seconds after an attempt during which Engage may still commit it.
SETTLE_WINDOW = 300.0
#: The note of an attempt whose offer Engage shows used without a date (a person must check).
_UNDATED = "Engage shows it used without a date: check by hand"
#: How a note starts when the till's clock was off Engage's for an attempt: its window (the
#: till's clock) and ``redeemedOn`` (Engage's) can't be compared, now or later.
CLOCK_OFF = "till's clock off Engage's"


class OfferLike(Protocol):
    """What the flow needs of an offer (``kiosk.offers.Offer`` has it)."""

    @property
    def id(self) -> str: ...  # the promotion instance id, the one Engage redeems
    @property
    def promotion_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def value_text(self) -> str: ...


class MemberLike(Protocol):
    """What the flow needs of a member (``kiosk.offers.Member`` has it)."""

    @property
    def contact_id(self) -> str: ...
    @property
    def masked_card(self) -> str: ...


class EngageLike(Protocol):
    """The ``EngageClient`` calls the flow makes."""

    async def redeem(self, promotion_instance_id: str, channel: str = "POS") -> None: ...
    async def get_promotions(self, contact_id: str, channel: str | None = "POS", *,
                             deadline: float | None = None) -> list[Promotion]: ...
    async def redeem_reward_voucher(self, voucher_id: str) -> None: ...
    async def reactivate_reward_voucher(self, voucher_id: str) -> None: ...
    async def get_reward_vouchers(self, contact_id: str, which: VoucherList = "available", *,
                                  deadline: float | None = None) -> list[RewardVoucher]: ...


class ClockLike(Protocol):
    """What the flow asks of the clock watch (``kiosk.engage.clock.ClockWatch``)."""

    def offset(self) -> Offset | None: ...


class Usable(Protocol):
    """What a re-read lists: a promotion instance or a reward voucher."""

    @property
    def id(self) -> str: ...
    @property
    def redeemed(self) -> bool: ...
    @property
    def redeemed_on(self) -> datetime | None: ...


@dataclass(frozen=True)
class RedeemKind:
    """How one kind of benefit is redeemed (``send(id)``) and re-read for verification
    (``read(contact_id, deadline)``: the member's items of this kind, used ones included)."""

    kind: Kind
    send: Callable[[str], Awaitable[None]]
    read: Callable[[str, float], Awaitable[Sequence[Usable]]]


def redeem_kinds(client: EngageLike) -> dict[Kind, RedeemKind]:
    """Promotions: v2/v3 redeem on POS, re-read the POS list. Vouchers: the voucher redeem,
    re-read every voucher of the member (``all``: used ones carry their ``redeemedOn``)."""
    async def read_promotions(contact_id: str, deadline: float) -> Sequence[Usable]:
        return await client.get_promotions(contact_id, "POS", deadline=deadline)

    async def read_vouchers(contact_id: str, deadline: float) -> Sequence[Usable]:
        return await client.get_reward_vouchers(contact_id, "all", deadline=deadline)

    async def send_promotion(item_id: str) -> None:
        await client.redeem(item_id, "POS")

    async def send_voucher(item_id: str) -> None:  # the method is looked up when it is used,
        await client.redeem_reward_voucher(item_id)  # so a deferred client stays unbuilt

    return {
        Kind.PROMOTION: RedeemKind(Kind.PROMOTION, send_promotion, read_promotions),
        Kind.VOUCHER: RedeemKind(Kind.VOUCHER, send_voucher, read_vouchers),
    }


def kind_of(item: object) -> Kind:
    """An offer's or voucher's kind (items without one are promotions)."""
    return Kind(getattr(item, "kind", Kind.PROMOTION))


class OutcomeKind(StrEnum):
    """What staff are told about a redeem."""

    REDEEMED = "redeemed"  # Engage said 200: apply the discount
    VERIFIED_REDEEMED = "verified-redeemed"  # answer lost; used inside our window: apply it
    CHECKING = "checking"  # answer lost, not settled yet: don't apply; the answer follows
    NOT_REDEEMED = "not-redeemed"  # still active after the settle window: don't apply; may retry
    ALREADY_USED = "already-used"  # used before this attempt (or by this till): don't apply
    USED_CHECK = "used-check"  # used, but Engage doesn't say when: check; never apply
    UNKNOWN = "unknown"  # Engage never answered within the window: don't apply
    REJECTED = "rejected"  # Engage refused (``error`` says why) or the request never left
    JOURNAL_FAILED = "journal-failed"  # the attempt couldn't be journaled: nothing was sent


OfferT = TypeVar("OfferT", bound=OfferLike)

#: Outcomes after which staff apply the offer at the till.
APPLY = frozenset({OutcomeKind.REDEEMED, OutcomeKind.VERIFIED_REDEEMED})
#: Outcomes that are not the last word: a settled one follows for the same offer.
PROVISIONAL = frozenset({OutcomeKind.CHECKING})
#: Outcomes that leave the attempt unresolved in the journal (``unknown``): a person has to
#: check it in Engage and settle it (``kiosk journal resolve``); reconciliation tries again.
UNRESOLVED_OUTCOMES = frozenset({OutcomeKind.USED_CHECK, OutcomeKind.UNKNOWN})


@dataclass(frozen=True)
class RedeemOutcome(Generic[OfferT]):
    """The result of a redeem, or of a background check that settled one, about its offer.

    ``error`` is Engage's refusal or failure; the UI also records here what kept a redeem
    from starting (``RedeemInProgress``) or what broke it.
    """

    kind: OutcomeKind
    offer: OfferT
    error: Exception | None = None
    journal_id: int | None = None  # the journal row this outcome is about
    redeemed_on: datetime | None = None  # when Engage says it was used, if it said
    retry_allowed: bool = False  # NOT_REDEEMED: a manual retry is fine
    by_this_till: bool = False  # ALREADY_USED: this till's own earlier redemption
    masked_card: str = ""  # whose offer (for a notice when the member has gone)
    contact_id: str = field(default="", repr=False)  # whose offer (the visit it belongs to)
    settled: bool = False  # True when a background check (not the redeem call) decided
    clock_off: bool = False  # USED_CHECK: dated, but the till's clock is off Engage's

    @property
    def apply(self) -> bool:
        """May staff apply the discount?"""
        return self.kind in APPLY

    @property
    def final(self) -> bool:
        """False while Engage may still commit (a settled outcome follows)."""
        return self.kind not in PROVISIONAL

    @property
    def unresolved(self) -> bool:
        """True when the journal keeps the attempt open (``unknown``): nobody knows yet whether
        it redeemed the offer."""
        return self.kind in UNRESOLVED_OUTCOMES


@dataclass(frozen=True)
class ReconcileReport:
    """What :meth:`Redeemer.reconcile` did: rows settled now, and rows still unverified."""

    resolved: int
    unresolved: int
    redeemed: int = 0  # of ``resolved``: verified-redeemed
    not_redeemed: int = 0  # of ``resolved``: verified-not-redeemed
    checking: int = 0  # of ``unresolved``: inside their window, checked in the background


class UndoKind(StrEnum):
    """What staff are told after undoing a voucher (reactivating it for a cancelled sale)."""

    REACTIVATED = "reactivated"  # Engage said 200: the voucher is the member's again
    VERIFIED_REACTIVATED = "verified-reactivated"  # answer lost, re-read shows it usable
    NOT_REACTIVATED = "not-reactivated"  # answer lost, re-read shows it still used
    UNKNOWN = "unknown"  # answer lost and the re-read failed
    REJECTED = "rejected"  # Engage refused (``error`` says why) or the request never left
    ALREADY_UNDONE = "already-undone"  # the journal refused: given back (or being) already


@dataclass(frozen=True)
class UndoOutcome:
    """The result of one :meth:`Redeemer.undo` call (the UI also records here what kept an
    undo from starting)."""

    kind: UndoKind
    error: Exception | None = None
    journal_id: int | None = None  # the redemption undone
    reactivation_id: int | None = None  # its reactivations row

    @property
    def done(self) -> bool:
        """Is the voucher usable again (staff may tell the member so)? Engage's "already
        activated" says just that (an earlier undo whose answer was lost went through)."""
        return self.kind in (UndoKind.REACTIVATED, UndoKind.VERIFIED_REACTIVATED) or \
            isinstance(self.error, RewardVoucherAlreadyActivated)


@dataclass(frozen=True)
class _RowOffer:
    """An offer as its journal row remembers it (for rows settled after the member left)."""

    id: str
    promotion_id: str | None
    name: str
    value_text: str
    kind: Kind = Kind.PROMOTION


class _Write(NamedTuple):
    """One journal write a settlement takes: the row, its new state and note."""

    row_id: int
    state: JournalState
    note: str


def _settled_elsewhere(exc: SettledMeanwhile) -> None:
    """Say in the log that a write lost to a settlement made elsewhere (which stands)."""
    log.warning("%s; settled meanwhile by someone else (IT, by hand?): theirs stands", exc)


def _code(err: BaseException) -> str:
    return (err.code if isinstance(err, EngageError) and err.code else None) \
        or type(err).__name__


def _started(row: JournalRow) -> datetime:
    return datetime.fromisoformat(row.created_at)


def _claim(rows: Sequence[JournalRow]) -> JournalRow | None:
    """This till's attempt that redeemed the instance, if one did (the latest such row; a
    voucher given back by an undo no longer counts: it may be redeemed again)."""
    claims = [r for r in rows if r.state in _CLAIMED and r.reactivation not in _GIVEN_BACK]
    return claims[-1] if claims else None


def _day(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


class KeyedLocks:
    """One ``asyncio.Lock`` per key (an offer id), kept only while a call holds or waits for
    it: a till redeems a new offer instance every few minutes for weeks, and a lock kept per
    offer ever seen grew the process by ~130 bytes a redemption (core endurance benchmark).

    ``async with locks(key):`` as with a lock of one's own; ``locked(key)`` as ``Lock.locked``.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # key -> (lock, holders + waiters)

    @asynccontextmanager
    async def __call__(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            users = self._locks[key][1] - 1
            if users:
                self._locks[key] = (lock, users)
            else:
                del self._locks[key]  # nobody holds or waits: the next call makes a new one

    def locked(self, key: str) -> bool:
        entry = self._locks.get(key)
        return entry is not None and entry[0].locked()

    def __len__(self) -> int:
        return len(self._locks)


class Redeemer:
    """Redeems offers for one terminal, journaling every attempt (see the module docstring).

    ``verify_deadline`` bounds each re-read. ``recheck_delays`` are the pauses between
    background re-reads (the last repeats) and ``settle_window`` how long after an attempt
    Engage may still commit it. ``clock_margin`` is the skew allowed between Engage's clock
    and ours (:mod:`kiosk.attribution`). ``breaker``, if given, is consulted before a POST and
    told what happened (share the lookup's to show one state). ``now`` is the wall clock the
    windows are measured on (the journal's). ``engage_clock`` (the Engage client's
    ``ClockWatch``) says whether that clock agrees with Engage's: when it is surely off by more
    than ``clock_margin``, a ``redeemedOn`` proves neither "ours" nor "used before" (see
    :meth:`_clock_skew`); None, or a watch that knows nothing (no ``Date`` headers): as before.
    """

    def __init__(self, client: EngageLike, journal: Journal, *, store: str, terminal: str,
                 verify_deadline: float = 5.0,
                 recheck_delays: Sequence[float] = RECHECK_DELAYS,
                 settle_window: float = SETTLE_WINDOW, clock_margin: float = CLOCK_MARGIN,
                 breaker: CircuitBreaker | None = None,
                 now: Callable[[], datetime] = utc_now,
                 engage_clock: ClockLike | None = None) -> None:
        if not recheck_delays or any(d <= 0 for d in recheck_delays):
            raise ValueError("recheck_delays needs at least one pause, each > 0")
        if settle_window < 0 or clock_margin < 0:
            raise ValueError("settle_window and clock_margin must be >= 0")
        self._client = client
        self._journal = journal
        self.store = store
        self.terminal = terminal
        self.verify_deadline = verify_deadline
        self.recheck_delays = tuple(recheck_delays)
        self.settle_window = settle_window
        self.clock_margin = clock_margin
        self._breaker = breaker
        self._now = now
        self._engage_clock = engage_clock
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[RedeemOutcome[Any]], None]] = []
        self._checks: dict[str, asyncio.Task[None]] = {}  # offer id -> its background check
        self._offer_locks = KeyedLocks()
        self._busy: set[str] = set()  # offers a redeem call is working on right now
        self.kinds = redeem_kinds(client)

    @property
    def in_flight(self) -> bool:
        """True while a redeem or reconciliation runs (the UI disables its redeem key)."""
        return self._lock.locked()

    @property
    def checking(self) -> int:
        """Offers whose outcome a background check is still settling."""
        return sum(1 for t in self._checks.values() if not t.done())

    def add_listener(self, listener: Callable[[RedeemOutcome[Any]], None]) -> None:
        """Call ``listener`` with every outcome a background check settles (on the loop)."""
        self._listeners.append(listener)

    async def drain(self) -> None:
        """Wait until every background check has settled (tests, benchmarks, shutdown)."""
        while pending := [t for t in self._checks.values() if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop the background checks (their rows stay ``unknown`` for the next reconcile)."""
        for task in list(self._checks.values()):
            task.cancel()
        await asyncio.gather(*self._checks.values(), return_exceptions=True)
        self._checks.clear()

    # --- redeem ------------------------------------------------------------------------------

    async def redeem(self, member: MemberLike, offer: OfferT) -> RedeemOutcome[OfferT]:
        """Redeem ``offer`` for ``member``, at most once, and say what staff should do.

        Raises :class:`RedeemInProgress` at once if another redeem runs on this terminal.
        Engage and journal failures never raise: they come back as the outcome.
        """
        if self._lock.locked():  # checked and taken with no await between: no race
            raise RedeemInProgress("a redemption is already running on this terminal")
        async with self._lock:
            return await self._redeem(member, offer)

    async def _redeem(self, member: MemberLike, offer: OfferT) -> RedeemOutcome[OfferT]:
        def outcome(kind: OutcomeKind, **kw: Any) -> RedeemOutcome[OfferT]:
            return RedeemOutcome(kind, offer, masked_card=member.masked_card,
                                 contact_id=member.contact_id, **kw)

        # Read this till's attempts and mark the offer busy under the offer lock: a check that
        # is settling the offer finishes first (its claim is then read here, and refused), and
        # a check that comes after finds the offer busy and leaves its rows to this call. An
        # unlocked read could be stale by the time it is acted on: a check's "apply" for an
        # earlier attempt, then this call's own POST and a second "apply".
        async with self._offer_lock(offer.id):
            try:
                earlier = await self._io(self._journal.attempts, offer.id)
            except JournalError as exc:
                log.error("redeem not sent: the journal can't be read (%s)", exc)
                return outcome(OutcomeKind.JOURNAL_FAILED, error=exc)
            # A voucher given back (undo) is the member's again: no longer this till's claim.
            mine = _claim(earlier)
            if mine is not None:  # already redeemed here: no second POST, no second discount
                return outcome(OutcomeKind.ALREADY_USED, journal_id=mine.id,
                               redeemed_on=datetime.fromisoformat(mine.updated_at),
                               by_this_till=True)
            try:
                if self._breaker is not None:
                    self._breaker.check()  # before the journal: a refused attempt isn't one
            except CircuitOpen as error:
                return outcome(OutcomeKind.REJECTED, error=error)
            # While this call works on the offer, background checks leave its rows to it.
            self._busy.add(offer.id)
        try:
            return await self._attempt(member, offer, outcome)
        finally:
            self._busy.discard(offer.id)

    async def _attempt(self, member: MemberLike, offer: OfferT,
                       outcome: Callable[..., RedeemOutcome[OfferT]]) -> RedeemOutcome[OfferT]:
        """Journal, POST, and read the answer (or the evidence)."""
        try:
            row_id = await self._io(
                self._journal.begin, store=self.store, terminal=self.terminal,
                masked_card=member.masked_card, contact_id=member.contact_id,
                offer_id=offer.id, promotion_id=offer.promotion_id, offer_name=offer.name,
                value_applied=offer.value_text, kind=kind_of(offer))
        except JournalError as exc:
            log.error("redeem not sent: the journal could not record the attempt (%s)", exc)
            return outcome(OutcomeKind.JOURNAL_FAILED, error=exc)

        try:
            await self.kinds[kind_of(offer)].send(offer.id)
        except asyncio.CancelledError:
            # Cancelled mid-POST: Engage may act on it. The row is checked like any other.
            await self._record(row_id, _S.UNKNOWN, code="Cancelled", note=self._clock_note())
            self._start_check(member.contact_id, offer, member.masked_card)
            raise
        except EngageError as err:
            self._tell_breaker(err)
            if err.outcome_unknown:
                return await self._after_ambiguous(row_id, member, offer, err)
            return await self._after_refusal(row_id, member, offer, err)
        except Exception as exc:  # a bug below us: the request may or may not have left
            log.exception("redeem: unexpected %s; checking", type(exc).__name__)
            unexpected = EngageError(f"unexpected {type(exc).__name__} during redeem",
                                     code="UnexpectedError")
            return await self._after_ambiguous(row_id, member, offer, unexpected)
        self._tell_breaker(None)
        async with self._offer_lock(offer.id):
            await self._record(row_id, _S.REDEEMED)
            # Engage just accepted this instance: none of our earlier attempts committed it.
            for row in await self._open_rows(offer.id):
                await self._record(row.id, _S.VERIFIED_NOT_REDEEMED,
                                   note=f"attempt {row_id} redeemed it afterwards")
        return outcome(OutcomeKind.REDEEMED, journal_id=row_id)

    async def _after_refusal(self, row_id: int, member: MemberLike, offer: OfferT,
                             err: EngageError) -> RedeemOutcome[OfferT]:
        """A definite answer: Engage refused, or the request never left this machine."""
        note = None
        if isinstance(err, EngageUnreachable):
            note = "not sent: no connection to Engage"
        elif isinstance(err, RateLimited) and err.retry_after is not None:
            note = f"rate limited; Engage asked to wait {err.retry_after:.0f} s"
        await self._record(row_id, _S.REJECTED, code=_code(err), note=note)
        result: RedeemOutcome[OfferT] = RedeemOutcome(
            OutcomeKind.REJECTED, offer, error=err, journal_id=row_id,
            masked_card=member.masked_card, contact_id=member.contact_id)
        if not isinstance(err, PromotionAlreadyRedeemed | RewardVoucherAlreadyRedeemed):
            return result
        if not await self._open_rows(offer.id):
            return result  # a fresh attempt: someone else used it (the message says so)
        # Used by now, and we have open attempts: ours or someone else's? Ask for the date.
        seen = await self._reread(member.contact_id, offer.id, kind_of(offer))
        if seen is None:
            self._start_check(member.contact_id, offer, member.masked_card)
            return replace(result, kind=OutcomeKind.CHECKING)
        settled = await self._settle(offer, seen, member.masked_card, final=False, mine=True)
        if settled is None:
            self._start_check(member.contact_id, offer, member.masked_card)
            return replace(result, kind=OutcomeKind.CHECKING)
        return replace(settled, error=err)

    async def _after_ambiguous(self, row_id: int, member: MemberLike, offer: OfferT,
                               err: EngageError) -> RedeemOutcome[OfferT]:
        """No trustworthy answer: ``unknown``, then one re-read; the rest in the background."""
        log.warning("redeem: outcome unknown (%s); checking", _code(err))
        note = self._clock_note()
        await self._record(row_id, _S.UNKNOWN, code=_code(err), note=note)
        seen = await self._reread(member.contact_id, offer.id, kind_of(offer))
        settled = None
        if seen is not None:
            settled = await self._settle(offer, seen, member.masked_card, final=False,
                                         mine=True)
        if settled is not None:
            return replace(settled, error=err)
        if note is None and (note := self._clock_note()) is not None:
            # the re-read's answer was the first to show the clock off: it was, at the loss
            await self._record(row_id, _S.UNKNOWN, code=_code(err), note=note)
        self._start_check(member.contact_id, offer, member.masked_card)
        return RedeemOutcome(OutcomeKind.CHECKING, offer, error=err, journal_id=row_id,
                             masked_card=member.masked_card, contact_id=member.contact_id)

    # --- evidence ------------------------------------------------------------------------

    async def _read(self, contact_id: str, kind: Kind = Kind.PROMOTION) -> list[Promotion]:
        """The member's items of this kind (POS offers, or every voucher) under a fresh
        deadline; raises EngageError. (Vouchers carry ``id``/``redeemed``/``redeemedOn`` like
        promotions: the evidence rules read only those.)"""
        try:
            items = await self.kinds[kind].read(contact_id, self.verify_deadline)
        except EngageError as err:
            self._tell_breaker(err)
            raise
        self._tell_breaker(None)
        return cast("list[Promotion]", list(items))

    async def _reread(self, contact_id: str, offer_id: str,
                      kind: Kind = Kind.PROMOTION) -> Seen | None:
        """The instance as a re-read shows it; None if the re-read failed."""
        try:
            return seen_in(await self._read(contact_id, kind), offer_id)
        except EngageError as err:
            log.warning("redeem: re-read failed (%s)", _code(err))
            return None

    async def _settle(self, offer: OfferT, seen: Seen, masked_card: str, *,
                      final: bool, mine: bool = False) -> RedeemOutcome[OfferT] | None:
        """Settle this till's open attempts at ``offer`` from one re-read; None if undecided.

        ``final``: the settle window is over, so an instance still active was not redeemed.
        ``mine``: called by the redeem working on this offer (others leave its rows to it).
        """
        if not mine and offer.id in self._busy:
            return None
        async with self._offer_lock(offer.id):
            # Again with the lock held: a retry that started while we waited may have
            # committed after our re-read; its own answer decides (else two "apply"s).
            if not mine and offer.id in self._busy:
                return None
            every = await self._rows(offer.id)
            rows = [r for r in every if r.state in _OPEN]
            if not rows:
                return None  # settled meanwhile (a retry's answer, another check, IT)
            decided = self._decide(offer, seen, masked_card, every, rows, final=final)
            if decided is None:
                return None  # still active: Engage may yet commit
            outcome, writes = decided
            if writes and not await self._record_all(writes):
                return None  # IT settled one of them by hand meanwhile: theirs stands
            return outcome

    def _decide(self, offer: OfferT, seen: Seen, masked_card: str, every: list[JournalRow],
                rows: list[JournalRow], *, final: bool
                ) -> tuple[RedeemOutcome[OfferT], list[_Write]] | None:
        """:meth:`_settle`'s decision for the open ``rows``: the outcome and the journal writes
        it takes (none when nothing changes), or None when undecided."""
        latest = rows[-1]

        def result(kind: OutcomeKind, row: JournalRow, **kw: Any) -> RedeemOutcome[OfferT]:
            return RedeemOutcome(kind, offer, journal_id=row.id, masked_card=masked_card,
                                 contact_id=row.contact_id, **kw)

        claim = _claim(every)
        if claim is not None and seen.evidence is not Evidence.ACTIVE:
            # Engage redeems an instance once, and one of this till's attempts already holds
            # that redemption (settled while these were open: a redeem call that read the
            # journal before a check claimed the offer sends one more attempt). None of the
            # open ones redeemed it: never a second "apply".
            return (result(OutcomeKind.ALREADY_USED, latest, by_this_till=True,
                           redeemed_on=seen.redeemed_on
                           or datetime.fromisoformat(claim.updated_at)),
                    [_Write(r.id, _S.VERIFIED_NOT_REDEEMED, f"attempt {claim.id} redeemed it")
                     for r in rows])
        if seen.evidence is Evidence.USED_DATED:
            assert seen.redeemed_on is not None
            when = seen.redeemed_on
            skew = self._clock_skew(rows)
            if skew is not None:
                return self._decide_off_clock(when, skew, rows, result)
            attempts = [Attempt(r.id, _started(r)) for r in rows]
            ours = owner(when, attempts, self.clock_margin, self.settle_window)
            if ours is None:
                return result(OutcomeKind.ALREADY_USED, latest, redeemed_on=when), [
                    _Write(r.id, _S.VERIFIED_NOT_REDEEMED,
                           f"used before this attempt, on {_day(when)}"
                           if before(when, a, self.clock_margin) else
                           f"used on {_day(when)}, after this attempt's settle window")
                    for r, a in zip(rows, attempts, strict=True)]
            row = next(r for r in rows if r.id == ours.row_id)
            return result(OutcomeKind.VERIFIED_REDEEMED, row, redeemed_on=when), [
                _Write(r.id, _S.VERIFIED_REDEEMED,
                       f"used on {_day(when)}, inside this attempt's window")
                if r.id == ours.row_id else
                _Write(r.id, _S.VERIFIED_NOT_REDEEMED, f"attempt {ours.row_id} redeemed it")
                for r in rows]
        if seen.evidence is Evidence.USED_UNDATED:
            # A row as it was gets no write (an fsync, a fleet push, a "newer" row).
            return result(OutcomeKind.USED_CHECK, latest), [
                _Write(r.id, _S.UNKNOWN, _UNDATED) for r in rows
                if not (r.state is _S.UNKNOWN and r.note == _UNDATED)]
        if not final:
            return None
        return result(OutcomeKind.NOT_REDEEMED, latest, retry_allowed=True), [
            _Write(r.id, _S.VERIFIED_NOT_REDEEMED, "still active after the settle window")
            for r in rows]

    def _clock_off(self) -> Offset | None:
        """The measured offset (Engage − till) when it lies wholly beyond the margin; None when
        the clocks may agree, or nobody knows (no watch, no ``Date`` lately)."""
        found = self._engage_clock.offset() if self._engage_clock is not None else None
        return found if found is not None and found.outside(self.clock_margin) else None

    def _clock_note(self) -> str | None:
        """The note for an attempt whose answer was lost while the till's clock is surely off
        Engage's (None: as far as anyone knows, it isn't)."""
        off = self._clock_off()
        return None if off is None else f"{CLOCK_OFF} ({off.describe()}) when the answer was lost"

    def _clock_skew(self, rows: Sequence[JournalRow]) -> tuple[str, Offset | None] | None:
        """Why time can't settle these attempts, and the offset measured now if that is why;
        None when it can. Either the clock watch shows the till's clock off Engage's by more
        than the margin now, or it was when one of these attempts lost its answer (its note
        says so: a clock set right since doesn't make that window comparable)."""
        off = self._clock_off()
        marked = next((r.note for r in rows if r.note and r.note.startswith(CLOCK_OFF)), None)
        if marked is not None:  # its words stay (no rewrite, no push, at each re-check)
            return marked.partition(";")[0], off
        return (f"{CLOCK_OFF} ({off.describe()})", off) if off is not None else None

    def _decide_off_clock(self, when: datetime, skew: tuple[str, Offset | None],
                          rows: list[JournalRow], result: Callable[..., RedeemOutcome[OfferT]]
                          ) -> tuple[RedeemOutcome[OfferT], list[_Write]]:
        """Used, dated, and the clocks disagree: never "apply". Only one thing stays certain,
        by the measured offset's *lower* bound (which no lag of Engage's ``Date`` can push
        above the truth): a use before every attempt's window even on the clock reading most
        in its favour is someone else's ("already used"). Anything else: check by hand."""
        why, found = skew
        first = min(_started(r) for r in rows)
        if found is not None and \
                when - timedelta(seconds=found.low) < first - timedelta(seconds=self.clock_margin):
            return result(OutcomeKind.ALREADY_USED, rows[-1], redeemed_on=when), [
                _Write(r.id, _S.VERIFIED_NOT_REDEEMED,
                       f"used before this attempt, on {_day(when)} ({why}; before even so)")
                for r in rows]
        note = f"{why}; Engage shows it used on {_day(when)}: whose can't be told by time, " \
               "check by hand"
        writes = [_Write(r.id, _S.UNKNOWN, note) for r in rows
                  if not (r.state is _S.UNKNOWN and r.note == note)]
        if writes:  # news only: the idle re-check finds the same rows every few minutes
            log.warning("redeem: %s; the attempt stays open for a person to check", why)
        return result(OutcomeKind.USED_CHECK, rows[-1], redeemed_on=when, clock_off=True), writes

    # --- background checks ---------------------------------------------------------------

    def _start_check(self, contact_id: str, offer: OfferLike, masked_card: str = "") -> None:
        task = self._checks.get(offer.id)
        if task is not None and not task.done():
            return  # one check per offer covers all its open attempts
        task = asyncio.get_running_loop().create_task(
            self._check(contact_id, offer, masked_card), name=f"recheck {offer.id}")
        self._checks[offer.id] = task

        def done(t: asyncio.Task[None]) -> None:
            if self._checks.get(offer.id) is t:
                del self._checks[offer.id]
            if not t.cancelled() and t.exception() is not None:
                log.error("redeem: background check failed: %r", t.exception())

        task.add_done_callback(done)

    async def _check(self, contact_id: str, offer: OfferLike, masked_card: str) -> None:
        """Re-read on the backoff until the evidence settles it or the window is over."""
        attempt = 0
        while rows := await self._open_rows(offer.id):
            ends = _started(rows[-1]) + timedelta(seconds=self.settle_window)
            left = (ends - self._now()).total_seconds()
            delay = self.recheck_delays[min(attempt, len(self.recheck_delays) - 1)]
            attempt += 1
            await asyncio.sleep(min(delay, left) if left > 0 else delay)
            over = self._now() >= ends
            seen = await self._reread(contact_id, offer.id, kind_of(offer))
            if seen is not None:
                settled = await self._settle(offer, seen, masked_card, final=over)
                if settled is not None:
                    self._announce(replace(settled, settled=True))
                    return
            elif over and offer.id not in self._busy:
                rows = await self._open_rows(offer.id)
                if rows:
                    log.warning("redeem: no answer from Engage within the settle window; "
                                "%d attempt(s) stay unknown", len(rows))
                    self._announce(RedeemOutcome(OutcomeKind.UNKNOWN, offer,
                                                 journal_id=rows[-1].id,
                                                 masked_card=masked_card,
                                                 contact_id=rows[-1].contact_id, settled=True))
                return

    def _announce(self, outcome: RedeemOutcome[Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(outcome)
            except Exception:  # a listener's bug must not stop the checks
                log.exception("redeem: a settle listener failed")

    # --- reconciliation ------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """Settle every ``pending``/``unknown`` journal row by the evidence rules.

        Rows a crash left ``pending`` become ``unknown`` first. One re-read per member; rows
        still inside their settle window and not settled are checked in the background.
        Stops early (leaving the rest) when Engage is unreachable, failing, refusing the key
        or rate limiting. Raises :class:`RedeemInProgress` if a redeem is running.
        """
        if self._lock.locked():
            raise RedeemInProgress("a redemption is already running on this terminal")
        async with self._lock:
            rows = await self._io(self._journal.unresolved)
            for row in rows:
                if row.state is _S.PENDING:  # left by a crash: its outcome is unknown
                    await self._record(row.id, _S.UNKNOWN, note="found pending at start-up")
            by_contact: dict[tuple[str, Kind], dict[str, JournalRow]] = {}
            for row in rows:  # latest wins
                by_contact.setdefault((row.contact_id, row.kind), {})[row.offer_id] = row
            redeemed = not_redeemed = 0
            stopped = False
            for (contact_id, kind), latest in by_contact.items():
                promotions: list[Promotion] | None = None
                if not stopped:
                    promotions, stopped = await self._read_to_settle(contact_id, kind,
                                                                     "reconcile")
                for offer_id, row in latest.items():
                    offer = _RowOffer(offer_id, row.promotion_id, row.offer_name,
                                      row.value_applied, kind)
                    ends = _started(row) + timedelta(seconds=self.settle_window)
                    inside = self._now() < ends
                    settled = None
                    if promotions is not None:
                        settled = await self._settle(offer, seen_in(promotions, offer_id),
                                                     row.masked_card, final=not inside,
                                                     mine=True)
                    if settled is not None:
                        redeemed += settled.kind is OutcomeKind.VERIFIED_REDEEMED
                        not_redeemed += settled.kind in (OutcomeKind.NOT_REDEEMED,
                                                         OutcomeKind.ALREADY_USED)
                        self._announce(replace(settled, settled=True))
                    elif inside:
                        self._start_check(contact_id, offer, row.masked_card)
            undos: list[ReactivationRow] = [] if stopped else \
                await self._io(self._journal.unresolved_reactivations)
            undos_open = await self._reconcile_undos() if undos else 0
            left = await self._io(self._journal.unresolved)
            report = ReconcileReport(resolved=len(rows) - len(left),
                                     unresolved=len(left) + undos_open,
                                     redeemed=redeemed, not_redeemed=not_redeemed,
                                     checking=self.checking)
            log.info("reconcile: %d resolved (%d redeemed), %d unresolved (%d checking)",
                     report.resolved, report.redeemed, report.unresolved, report.checking)
            return report

    async def recheck_open(self, keep_going: Callable[[], bool] = lambda: True
                           ) -> ReconcileReport:
        """Re-read the ``unknown`` attempts past their settle window and settle those the
        evidence settles, as :meth:`reconcile` does (for a till that is idle: the steady line
        about them goes without waiting for a restart or an outage's end).

        Unlike :meth:`reconcile` it takes no terminal lock, so a redeem or undo starting
        meanwhile is never refused or kept waiting: it works as a background check does (one
        offer's rows settled under that offer's lock, and left alone while a redeem works on
        the offer). ``pending`` rows (a POST may be in flight) and rows a background check
        still watches are left to their owner. Undos left ``unknown`` are re-read too, unless a
        redeem or undo is running (an undo's own re-read may be under way; a new one can't start
        on a voucher whose undo is ``unknown``). Only news is announced to the listeners: an
        attempt still "used, no date" isn't again.
        ``keep_going()`` is asked before each member's re-read (False: stop, e.g. a customer
        came). Stops early when Engage fails, like :meth:`reconcile`.
        """
        rows = await self._io(self._journal.unresolved)
        now = self._now()
        latest: dict[tuple[str, Kind], dict[str, JournalRow]] = {}
        for row in rows:
            watched = self._checks.get(row.offer_id)
            if row.state is _S.UNKNOWN and row.offer_id not in self._busy \
                    and (watched is None or watched.done()) \
                    and now >= _started(row) + timedelta(seconds=self.settle_window):
                latest.setdefault((row.contact_id, row.kind), {})[row.offer_id] = row
        redeemed = not_redeemed = 0
        for (contact_id, kind), offers in latest.items():
            if not keep_going():
                break
            items, stopped = await self._read_to_settle(contact_id, kind, "recheck")
            if stopped:
                break
            if items is None:
                continue
            for offer_id, row in offers.items():
                offer = _RowOffer(offer_id, row.promotion_id, row.offer_name,
                                  row.value_applied, kind)
                settled = await self._settle(offer, seen_in(items, offer_id), row.masked_card,
                                             final=True)
                if settled is not None and not settled.unresolved:
                    redeemed += settled.kind is OutcomeKind.VERIFIED_REDEEMED
                    not_redeemed += settled.kind in (OutcomeKind.NOT_REDEEMED,
                                                     OutcomeKind.ALREADY_USED)
                    self._announce(replace(settled, settled=True))
        else:  # every member's offers read (or skipped): the undos' turn
            await self._reconcile_undos(
                unknown_only=True, keep_going=lambda: keep_going() and not self._lock.locked())
        left = await self._io(self._journal.unresolved)
        report = ReconcileReport(resolved=len(rows) - len(left), unresolved=len(left),
                                 redeemed=redeemed, not_redeemed=not_redeemed,
                                 checking=self.checking)
        if report.resolved:
            log.info("recheck: %d resolved (%d redeemed), %d unresolved", report.resolved,
                     report.redeemed, report.unresolved)
        return report

    async def _read_to_settle(self, contact_id: str, kind: Kind, who: str
                              ) -> tuple[list[Promotion] | None, bool]:
        """One member's items for reconciliation: (items, False); (None, False) when this
        member's can't be read (skip them); (None, True) when Engage is failing (stop)."""
        try:
            return await self._read(contact_id, kind), False
        except (NotFound, BadRequest, BadResponse) as err:
            log.warning("%s: one member's offers unreadable (%s)", who, _code(err))
            return None, False
        except EngageError as err:
            log.warning("%s: stopped, Engage failing (%s)", who, _code(err))
            return None, True

    # --- undo (voucher reactivation) -----------------------------------------------------

    async def undo(self, journal_id: int) -> UndoOutcome:
        """Reactivate the voucher redeemed in journal row ``journal_id`` (the sale was cancelled).

        Journaled before the POST, sent at most once; an ambiguous answer is verified by
        re-reading the member's vouchers. Raises :class:`RedeemInProgress` while another
        redeem or undo runs, and :class:`~kiosk.journal.JournalError` for a row that is not a
        voucher this terminal redeemed (nothing sent). Engage's refusals come back as
        ``error`` (``ReactivationLimitExceeded``, ``RewardVoucherExpired``...).
        """
        if self._lock.locked():
            raise RedeemInProgress("a redemption is already running on this terminal")
        async with self._lock:
            row = await self._io(self._journal.get, journal_id)
            try:
                if self._breaker is not None:
                    self._breaker.check()
            except CircuitOpen as error:
                return UndoOutcome(UndoKind.REJECTED, error=error, journal_id=journal_id)
            undo_id = await self._io(self._journal.begin_reactivation, journal_id)
            try:
                await self._client.reactivate_reward_voucher(row.offer_id)
            except asyncio.CancelledError:
                await self._record_undo(undo_id, _U.UNKNOWN, code="Cancelled")
                raise
            except EngageError as err:
                self._tell_breaker(err)
                if not err.outcome_unknown:
                    await self._record_undo(undo_id, _U.REJECTED, code=_code(err),
                                            note="not sent: no connection to Engage"
                                            if isinstance(err, EngageUnreachable) else None)
                    return UndoOutcome(UndoKind.REJECTED, error=err, journal_id=journal_id,
                                       reactivation_id=undo_id)
                log.warning("undo: outcome unknown (%s); verifying", _code(err))
                await self._record_undo(undo_id, _U.UNKNOWN, code=_code(err))
                seen = await self._reread(row.contact_id, row.offer_id, Kind.VOUCHER)
                if seen is None:
                    return UndoOutcome(UndoKind.UNKNOWN, error=err, journal_id=journal_id,
                                       reactivation_id=undo_id)
                back = seen.evidence is Evidence.ACTIVE
                await self._record_undo(undo_id, _U.VERIFIED_REACTIVATED if back
                                        else _U.VERIFIED_NOT_REACTIVATED)
                return UndoOutcome(UndoKind.VERIFIED_REACTIVATED if back
                                   else UndoKind.NOT_REACTIVATED, error=err,
                                   journal_id=journal_id, reactivation_id=undo_id)
            self._tell_breaker(None)
            await self._record_undo(undo_id, _U.REACTIVATED)
            return UndoOutcome(UndoKind.REACTIVATED, journal_id=journal_id,
                               reactivation_id=undo_id)

    async def _record_undo(self, undo_id: int, state: ReactivationState, *,
                           code: str | None = None, note: str | None = None) -> None:
        """Write an undo's outcome (off the loop: an fsync); a failure is logged, as
        :meth:`_record`."""
        try:
            await self._io(self._journal.set_reactivation_state, undo_id, state, code=code,
                           note=note)
        except SettledMeanwhile as exc:
            _settled_elsewhere(exc)
        except Exception as exc:
            log.error("reactivation row %d: could not record %s (%s)", undo_id, state, exc)

    async def _reconcile_undos(self, *, unknown_only: bool = False,
                               keep_going: Callable[[], bool] = lambda: True) -> int:
        """Settle undo rows a crash or a lost answer left open; returns how many stay open.
        ``unknown_only``: leave ``pending`` ones (an undo may be sending right now);
        ``keep_going()`` is asked before each re-read."""
        open_rows: list[ReactivationRow] = await self._io(self._journal.unresolved_reactivations)
        left = 0
        for undo in open_rows:
            if (unknown_only and undo.state is not _U.UNKNOWN) or not keep_going():
                left += 1
                continue
            contact_id = (await self._io(self._journal.get, undo.redemption_id)).contact_id
            seen = await self._reread(contact_id, undo.voucher_id, Kind.VOUCHER)
            if seen is None:
                left += 1
                continue
            await self._record_undo(undo.id, _U.VERIFIED_REACTIVATED
                                    if seen.evidence is Evidence.ACTIVE
                                    else _U.VERIFIED_NOT_REACTIVATED,
                                    note="found pending; verified by re-reading"
                                    if undo.state is _U.PENDING else None)
        return left

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    async def _io(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A journal call off the event loop: each write is an fsync."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _offer_lock(self, offer_id: str) -> AbstractAsyncContextManager[None]:
        return self._offer_locks(offer_id)

    async def _rows(self, offer_id: str) -> list[JournalRow]:
        """This till's attempts at ``offer_id``, oldest first ([] if the journal can't be read)."""
        try:
            return await self._io(self._journal.attempts, offer_id)
        except JournalError as exc:
            log.error("journal: could not read attempts (%s)", exc)
            return []

    async def _open_rows(self, offer_id: str) -> list[JournalRow]:
        """This till's attempts at ``offer_id`` still ``pending``/``unknown``, oldest first."""
        return [r for r in await self._rows(offer_id) if r.state in _OPEN]

    async def _record(self, row_id: int, state: JournalState, *, code: str | None = None,
                      note: str | None = None) -> bool:
        """Write an outcome; a journal failure is logged, never hidden from staff by a crash.
        False when the row was settled meanwhile by someone else (IT, by hand): nothing is
        written and their settlement stands."""
        return await self._record_all([_Write(row_id, state, note or "")], code=code)

    async def _record_all(self, writes: Sequence[_Write], *, code: str | None = None) -> bool:
        """Write one settlement's rows in one transaction (:meth:`Journal.set_states`: each row
        still open, checked inside it). False when one was settled meanwhile by hand: nothing
        is written and that settlement stands."""
        try:
            await self._io(self._journal.set_states,
                           [(w.row_id, w.state, code, w.note or None) for w in writes])
        except SettledMeanwhile as exc:
            _settled_elsewhere(exc)
            return False
        except Exception as exc:  # the row stays pending/unknown: reconciliation retries it
            log.error("journal rows %s: could not record %s (%s)",
                      ", ".join(str(w.row_id) for w in writes),
                      ", ".join(sorted({str(w.state) for w in writes})), exc)
        return True

    def _tell_breaker(self, err: EngageError | None) -> None:
        if self._breaker is not None:
            self._breaker.record(err)

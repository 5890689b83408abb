"""The redemption flow: journal -> POST -> verify. No UI.

Engage's redeem has no idempotency key, so the rules are:

* every attempt is journaled ``pending`` (fsynced) before the POST leaves;
* exactly one redeem runs per terminal at a time; a second call while one runs raises
  :class:`RedeemInProgress` at once, without touching Engage or the journal;
* the POST is never repeated by us; an ambiguous answer (timeout or connection lost after
  sending, 504, other 5xx) is recorded ``unknown`` and settled by re-reading the member's POS
  offers: gone or ``redeemed`` -> verified-redeemed, still active -> verified-not-redeemed (one
  manual retry is fine), re-read failed -> stays unknown (staff must not apply the discount);
* an earlier unresolved attempt at the same offer is verified before any new POST;
* a 409 PromotionAlreadyRedeemed after one of our own ambiguous attempts is reported as
  "already used, verify" (another till may have used it), never as success.

:meth:`Redeemer.reconcile` runs the same verification over rows a crash or power cut left
``pending``/``unknown``.

Reward vouchers go the same way: what differs by *kind* (the POST and the re-read) is one
:class:`RedeemKind` per kind, chosen by the item's ``kind`` attribute (``"promotion"`` when it
has none). :meth:`Redeemer.undo` reactivates a voucher this terminal redeemed (a cancelled
sale) with the same journal-first, never-resend, verify-when-unsure rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

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
from kiosk.engage.models import Promotion, RewardVoucher, VoucherList
from kiosk.journal import (
    Journal,
    JournalError,
    JournalRow,
    JournalState,
    Kind,
    ReactivationRow,
    ReactivationState,
)

log = logging.getLogger(__name__)

_S = JournalState
_U = ReactivationState
#: Earlier attempts after which a 409 PromotionAlreadyRedeemed can't be taken at face value.
_AMBIGUOUS = frozenset({_S.PENDING, _S.UNKNOWN, _S.VERIFIED_NOT_REDEEMED})


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

    return {
        Kind.PROMOTION: RedeemKind(Kind.PROMOTION, send_promotion, read_promotions),
        Kind.VOUCHER: RedeemKind(Kind.VOUCHER, client.redeem_reward_voucher, read_vouchers),
    }


def kind_of(item: object) -> Kind:
    """An offer's or voucher's kind (items without one are promotions)."""
    return Kind(getattr(item, "kind", Kind.PROMOTION))


class OutcomeKind(StrEnum):
    """What staff are told after a redeem."""

    REDEEMED = "redeemed"  # Engage said 200: apply the discount
    VERIFIED_REDEEMED = "verified-redeemed"  # answer lost, re-read shows it used: apply it
    NOT_REDEEMED = "not-redeemed"  # answer lost, re-read shows it active: don't apply; may retry
    UNKNOWN = "unknown"  # answer lost and re-read failed: don't apply without checking
    REJECTED = "rejected"  # Engage refused (``error`` says why) or the request never left
    ALREADY_USED_VERIFY = "already-used-verify"  # used, but maybe by another till: check


OfferT = TypeVar("OfferT", bound=OfferLike)

#: Outcomes after which staff apply the offer at the till.
APPLY = frozenset({OutcomeKind.REDEEMED, OutcomeKind.VERIFIED_REDEEMED})


@dataclass(frozen=True)
class RedeemOutcome(Generic[OfferT]):
    """The result of one :meth:`Redeemer.redeem` call, about the offer it was given.

    ``error`` is Engage's refusal or failure; the UI also records here what kept a redeem
    from starting (``RedeemInProgress``) or what broke it.
    """

    kind: OutcomeKind
    offer: OfferT
    error: Exception | None = None
    journal_id: int | None = None  # the journal row this outcome is about
    redeemed_on: datetime | None = None  # when Engage says it was used, if it said
    retry_allowed: bool = False  # NOT_REDEEMED only: True for the first manual retry

    @property
    def apply(self) -> bool:
        """May staff apply the discount?"""
        return self.kind in APPLY


@dataclass(frozen=True)
class ReconcileReport:
    """What :meth:`Redeemer.reconcile` did: rows settled now, and rows still unverified."""

    resolved: int
    unresolved: int
    redeemed: int = 0  # of ``resolved``: verified-redeemed
    not_redeemed: int = 0  # of ``resolved``: verified-not-redeemed


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


class RedeemInProgress(RuntimeError):
    """A redeem (or reconciliation) is already running on this terminal; nothing was sent."""


@dataclass(frozen=True)
class _Seen:
    """What a re-read of the member's POS offers said about one offer."""

    redeemed: bool
    redeemed_on: datetime | None = None


def _code(err: BaseException) -> str:
    return (err.code if isinstance(err, EngageError) and err.code else None) \
        or type(err).__name__


def _seen_in(items: Sequence[Usable], offer_id: str) -> _Seen:
    """Gone from the list or flagged redeemed means used; listed and not redeemed means active."""
    found = next((p for p in items if p.id == offer_id), None)
    if found is None:
        return _Seen(redeemed=True)
    return _Seen(redeemed=found.redeemed, redeemed_on=found.redeemed_on)


class Redeemer:
    """Redeems offers for one terminal, journaling every attempt (see the module docstring).

    ``verify_deadline`` bounds each re-read (a fresh deadline, independent of the POST's).
    ``verify_delays`` are the pauses before successive re-reads after an ambiguous answer:
    Engage may still be finishing a request whose answer we lost, so a re-read that still
    shows the offer active is repeated after the next pause. ``breaker``, if given, is
    consulted before a POST and told what happened (share the lookup's to show one state).
    """

    def __init__(self, client: EngageLike, journal: Journal, *, store: str, terminal: str,
                 verify_deadline: float = 5.0, verify_delays: Sequence[float] = (0.5, 2.0),
                 breaker: CircuitBreaker | None = None) -> None:
        if not verify_delays:
            raise ValueError("verify_delays needs at least one entry")
        self._client = client
        self._journal = journal
        self.store = store
        self.terminal = terminal
        self.verify_deadline = verify_deadline
        self.verify_delays = tuple(verify_delays)
        self._breaker = breaker
        self._lock = asyncio.Lock()
        self.kinds = redeem_kinds(client)

    @property
    def in_flight(self) -> bool:
        """True while a redeem or reconciliation runs (the UI disables its redeem key)."""
        return self._lock.locked()

    # --- redeem ------------------------------------------------------------------------------

    async def redeem(self, member: MemberLike, offer: OfferT) -> RedeemOutcome[OfferT]:
        """Redeem ``offer`` for ``member``, at most once, and say what staff should do.

        Raises :class:`RedeemInProgress` at once if another redeem runs on this terminal, and
        :class:`~kiosk.journal.JournalError` if the attempt can't be journaled (nothing sent).
        Engage failures never raise: they come back as the outcome's ``error``.
        """
        if self._lock.locked():  # checked and taken with no await between: no race
            raise RedeemInProgress("a redemption is already running on this terminal")
        async with self._lock:
            return await self._redeem(member, offer)

    async def _redeem(self, member: MemberLike, offer: OfferT) -> RedeemOutcome[OfferT]:
        kind = self.kinds[kind_of(offer)]
        earlier = self._journal.attempts(offer.id)
        for row in earlier:
            if row.state in (_S.PENDING, _S.UNKNOWN):
                # Never POST over an attempt whose outcome we don't know: settle it first.
                seen = await self._verify(kind, row.contact_id, row.offer_id, delays=(0.0,))
                if seen is None:
                    return RedeemOutcome(OutcomeKind.UNKNOWN, offer, journal_id=row.id)
                self._settle(row, seen)
                if seen.redeemed:
                    return RedeemOutcome(OutcomeKind.ALREADY_USED_VERIFY, offer,
                                         journal_id=row.id, redeemed_on=seen.redeemed_on)
        ambiguous_before = sum(1 for r in earlier if r.state in _AMBIGUOUS)

        try:
            if self._breaker is not None:
                self._breaker.check()  # before the journal: a refused attempt isn't one
        except CircuitOpen as error:
            return RedeemOutcome(OutcomeKind.REJECTED, offer, error=error)

        try:
            row_id = self._journal.begin(
                store=self.store, terminal=self.terminal, masked_card=member.masked_card,
                contact_id=member.contact_id, offer_id=offer.id,
                promotion_id=offer.promotion_id, offer_name=offer.name,
                value_applied=offer.value_text, kind=kind.kind)
        except JournalError:
            log.error("redeem not sent: the journal could not record the attempt")
            raise

        try:
            await kind.send(offer.id)
        except asyncio.CancelledError:
            # Cancelled mid-POST: Engage may have acted. Reconciliation settles it later.
            self._record(row_id, _S.UNKNOWN, code="Cancelled")
            raise
        except EngageError as err:
            self._tell_breaker(err)
            if err.outcome_unknown:
                return await self._after_ambiguous(kind, row_id, member, offer, err,
                                                   ambiguous_before)
            return self._after_refusal(row_id, offer, err, ambiguous_before)
        except Exception as exc:  # a bug below us: the request may or may not have left
            log.exception("redeem: unexpected %s; verifying", type(exc).__name__)
            unexpected = EngageError(f"unexpected {type(exc).__name__} during redeem",
                                     code="UnexpectedError")
            return await self._after_ambiguous(kind, row_id, member, offer, unexpected,
                                               ambiguous_before)
        self._tell_breaker(None)
        self._record(row_id, _S.REDEEMED)
        return RedeemOutcome(OutcomeKind.REDEEMED, offer, journal_id=row_id)

    def _after_refusal(self, row_id: int, offer: OfferT, err: EngageError,
                       ambiguous_before: int) -> RedeemOutcome[OfferT]:
        """A definite answer: Engage refused, or the request never left this machine."""
        note = None
        if isinstance(err, EngageUnreachable):
            note = "not sent: no connection to Engage"
        elif isinstance(err, RateLimited) and err.retry_after is not None:
            note = f"rate limited; Engage asked to wait {err.retry_after:.0f} s"
        self._record(row_id, _S.REJECTED, code=_code(err), note=note)
        if isinstance(err, PromotionAlreadyRedeemed | RewardVoucherAlreadyRedeemed) and \
                ambiguous_before:
            # Our own earlier attempt may have used it, or another till did: staff must check.
            return RedeemOutcome(OutcomeKind.ALREADY_USED_VERIFY, offer, error=err,
                                 journal_id=row_id)
        return RedeemOutcome(OutcomeKind.REJECTED, offer, error=err, journal_id=row_id)

    async def _after_ambiguous(self, kind: RedeemKind, row_id: int, member: MemberLike,
                               offer: OfferT, err: EngageError,
                               ambiguous_before: int) -> RedeemOutcome[OfferT]:
        """No trustworthy answer: record ``unknown``, then re-read the member's items."""
        log.warning("redeem: outcome unknown (%s); verifying", _code(err))
        self._record(row_id, _S.UNKNOWN, code=_code(err))
        seen = await self._verify(kind, member.contact_id, offer.id, delays=self.verify_delays)
        if seen is None:
            return RedeemOutcome(OutcomeKind.UNKNOWN, offer, error=err, journal_id=row_id)
        if seen.redeemed:
            self._record(row_id, _S.VERIFIED_REDEEMED)
            return RedeemOutcome(OutcomeKind.VERIFIED_REDEEMED, offer, error=err,
                                 journal_id=row_id, redeemed_on=seen.redeemed_on)
        self._record(row_id, _S.VERIFIED_NOT_REDEEMED)
        return RedeemOutcome(OutcomeKind.NOT_REDEEMED, offer, error=err, journal_id=row_id,
                             retry_allowed=ambiguous_before == 0)

    # --- verification --------------------------------------------------------------------

    async def _read(self, kind: RedeemKind, contact_id: str) -> Sequence[Usable]:
        """The member's items of this kind under a fresh deadline; raises EngageError."""
        try:
            items = await kind.read(contact_id, self.verify_deadline)
        except EngageError as err:
            self._tell_breaker(err)
            raise
        self._tell_breaker(None)
        return items

    async def _verify(self, kind: RedeemKind, contact_id: str, offer_id: str, *,
                      delays: Sequence[float]) -> _Seen | None:
        """The offer's state from re-reads after each pause; None if no re-read succeeded.

        Stops at the first read that shows it used; otherwise the last successful read counts.
        """
        last: _Seen | None = None
        for delay in delays:
            if delay > 0:
                await asyncio.sleep(delay)  # let Engage finish a request whose answer we lost
            try:
                last = _seen_in(await self._read(kind, contact_id), offer_id)
            except EngageError as err:
                log.warning("redeem: verification read failed (%s)", _code(err))
                continue
            if last.redeemed:
                break
        return last

    def _settle(self, row: JournalRow, seen: _Seen) -> None:
        """Record what a re-read showed for an attempt found unresolved."""
        self._record(row.id, _S.VERIFIED_REDEEMED if seen.redeemed else _S.VERIFIED_NOT_REDEEMED,
                     note="found pending; verified by re-reading" if row.state is _S.PENDING
                     else None)

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
            row = self._journal.get(journal_id)
            try:
                if self._breaker is not None:
                    self._breaker.check()
            except CircuitOpen as error:
                return UndoOutcome(UndoKind.REJECTED, error=error, journal_id=journal_id)
            undo_id = self._journal.begin_reactivation(journal_id)
            try:
                await self._client.reactivate_reward_voucher(row.offer_id)
            except asyncio.CancelledError:
                self._record_undo(undo_id, _U.UNKNOWN, code="Cancelled")
                raise
            except EngageError as err:
                self._tell_breaker(err)
                if not err.outcome_unknown:
                    self._record_undo(undo_id, _U.REJECTED, code=_code(err),
                                      note="not sent: no connection to Engage"
                                      if isinstance(err, EngageUnreachable) else None)
                    return UndoOutcome(UndoKind.REJECTED, error=err, journal_id=journal_id,
                                       reactivation_id=undo_id)
                log.warning("undo: outcome unknown (%s); verifying", _code(err))
                self._record_undo(undo_id, _U.UNKNOWN, code=_code(err))
                seen = await self._verify(self.kinds[Kind.VOUCHER], row.contact_id,
                                          row.offer_id, delays=self.verify_delays)
                if seen is None:
                    return UndoOutcome(UndoKind.UNKNOWN, error=err, journal_id=journal_id,
                                       reactivation_id=undo_id)
                back = not seen.redeemed
                self._record_undo(undo_id, _U.VERIFIED_REACTIVATED if back
                                  else _U.VERIFIED_NOT_REACTIVATED)
                return UndoOutcome(UndoKind.VERIFIED_REACTIVATED if back
                                   else UndoKind.NOT_REACTIVATED, error=err,
                                   journal_id=journal_id, reactivation_id=undo_id)
            self._tell_breaker(None)
            self._record_undo(undo_id, _U.REACTIVATED)
            return UndoOutcome(UndoKind.REACTIVATED, journal_id=journal_id,
                               reactivation_id=undo_id)

    def _record_undo(self, undo_id: int, state: ReactivationState, *, code: str | None = None,
                     note: str | None = None) -> None:
        try:
            self._journal.set_reactivation_state(undo_id, state, code=code, note=note)
        except Exception as exc:
            log.error("reactivation row %d: could not record %s (%s)", undo_id, state, exc)

    async def _reconcile_undos(self) -> int:
        """Settle undo rows a crash or a lost answer left open; returns how many stay open."""
        open_rows: list[ReactivationRow] = self._journal.unresolved_reactivations()
        left = 0
        for undo in open_rows:
            contact_id = self._journal.get(undo.redemption_id).contact_id
            try:
                items = await self._read(self.kinds[Kind.VOUCHER], contact_id)
            except EngageError as err:
                log.warning("reconcile: vouchers unreadable (%s)", _code(err))
                left += 1
                continue
            seen = _seen_in(items, undo.voucher_id)
            self._record_undo(undo.id, _U.VERIFIED_NOT_REACTIVATED if seen.redeemed
                              else _U.VERIFIED_REACTIVATED,
                              note="found pending; verified by re-reading"
                              if undo.state is _U.PENDING else None)
        return left

    # --- reconciliation ------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """Verify every ``pending``/``unknown`` journal row against Engage and update it.

        One re-read per member. Stops early (leaving the rest unresolved) when Engage is
        unreachable, failing, refusing the key or rate limiting: each further read would wait
        for the same failure. Raises :class:`RedeemInProgress` if a redeem is running.
        """
        if self._lock.locked():
            raise RedeemInProgress("a redemption is already running on this terminal")
        async with self._lock:
            rows = self._journal.unresolved()
            by_contact: dict[tuple[str, Kind], list[JournalRow]] = {}
            for row in rows:
                by_contact.setdefault((row.contact_id, row.kind), []).append(row)
            redeemed = not_redeemed = 0
            for (contact_id, kind), contact_rows in by_contact.items():
                try:
                    promotions = await self._read(self.kinds[kind], contact_id)
                except (NotFound, BadRequest, BadResponse) as err:
                    log.warning("reconcile: one member's offers unreadable (%s)", _code(err))
                    continue  # this member only; others may read fine
                except EngageError as err:
                    log.warning("reconcile: stopped, Engage failing (%s)", _code(err))
                    break
                for row in contact_rows:
                    seen = _seen_in(promotions, row.offer_id)
                    self._settle(row, seen)
                    redeemed += seen.redeemed
                    not_redeemed += not seen.redeemed
            resolved = redeemed + not_redeemed
            undos_open = await self._reconcile_undos() \
                if self._journal.unresolved_reactivations() else 0
            for row in self._journal.unresolved():
                if row.state is _S.PENDING:  # left by a crash: its outcome is unknown
                    self._record(row.id, _S.UNKNOWN, note="found pending at start-up")
            report = ReconcileReport(resolved=resolved,
                                     unresolved=len(rows) - resolved + undos_open,
                                     redeemed=redeemed, not_redeemed=not_redeemed)
            log.info("reconcile: %d resolved (%d redeemed), %d unresolved",
                     report.resolved, report.redeemed, report.unresolved)
            return report

    # --- helpers -------------------------------------------------------------------------

    def _record(self, row_id: int, state: JournalState, *, code: str | None = None,
                note: str | None = None) -> None:
        """Write an outcome; a journal failure is logged, never hidden from staff by a crash."""
        try:
            self._journal.set_state(row_id, state, code=code, note=note)
        except Exception as exc:  # the row stays pending/unknown: reconciliation retries it
            log.error("journal row %d: could not record %s (%s)", row_id, state, exc)

    def _tell_breaker(self, err: EngageError | None) -> None:
        if self._breaker is not None:
            self._breaker.record(err)

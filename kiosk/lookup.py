"""Card -> member, all their offers, reward vouchers and points, in few Engage round trips.

A new card costs two sequential round trips (card -> contactId, then contact, promotions,
vouchers and point accounts fetched concurrently); a card seen recently costs one, because
successful card -> contactId answers are cached (bounded LRU with a TTL). A failing voucher or
points call never fails the lookup: the member's ``rewards`` say it couldn't be loaded. A card
several members share (409 ``MultipleMatches``) costs one more round trip: the listed contacts
are fetched concurrently (at most ``MAX_CANDIDATES``) so staff can ask "which of you?".
No Textual here.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kiosk.breaker import CircuitBreaker
from kiosk.engage.errors import ContactNotFound, EngageError, MultipleMatches
from kiosk.offers import Member, MemberOffers, classify_offers
from kiosk.rewards import Rewards, points_of, usable_vouchers
from kiosk.scanner.barcode import mask_value, shown_key
from kiosk.text import sanitize

if TYPE_CHECKING:  # pydantic: imported with the first Engage payload, after the first frame
    from kiosk.engage.models import Contact, LookupKey, PointAccount, Promotion, RewardVoucher

log = logging.getLogger(__name__)
T = TypeVar("T")

#: At most this many members of a shared card are fetched and offered to choose from.
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Candidate:
    """One member sharing a card: only what staff need to ask "which of you?"."""

    contact_id: str = field(repr=False)
    first_name: str  # sanitized; "Member 2" when Engage has none


class SharedCard(MultipleMatches):
    """Several members have this card; ``candidates`` are theirs to choose from (in order).

    A ``MultipleMatches``, so anything that doesn't offer a chooser still says what happened.
    """

    def __init__(self, card: str = "", candidates: list[Candidate] | None = None, *,
                 more: int = 0, key: str | None = None) -> None:
        candidates = candidates or []
        super().__init__("several members share this card",
                         matches=[c.contact_id for c in candidates])
        self.card = card
        self.candidates = candidates
        self.more = more  # listed by Engage beyond MAX_CANDIDATES, not fetched
        self.key = key  # the Engage key looked up: an e-mail's or phone's value is never shown


class EngageLookupClient(Protocol):
    """The part of ``EngageClient`` a lookup needs."""

    async def find_contact_id(self, value: str, key: LookupKey = "customKey", *,
                              contact_type: str | None = None,
                              deadline: float | None = None) -> str: ...
    async def get_contact(self, contact_id: str, *, deadline: float | None = None) -> Contact: ...
    async def get_promotions(self, contact_id: str, channel: Any = None, *,
                             deadline: float | None = None) -> list[Promotion]: ...
    async def ping(self) -> float: ...


class RewardsClient(Protocol):
    """The voucher and points calls (a client without them: no rewards are read)."""

    async def get_reward_vouchers(self, contact_id: str, which: Any = "available", *,
                                  deadline: float | None = None) -> list[RewardVoucher]: ...
    async def get_point_accounts(self, contact_id: str, *,
                                 deadline: float | None = None) -> list[PointAccount]: ...


@dataclass
class LookupStats:
    """Counters for the benchmark: sequential round trips per lookup tell the cache's worth."""

    lookups: int = 0
    round_trips: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    stale_ids: int = 0


class MemberLookup:
    """Finds a member and all their offers by card (or by the configured lookup key)."""

    def __init__(self, client: EngageLookupClient, *, key: LookupKey = "customKey",
                 breaker: CircuitBreaker | None = None, cache_size: int = 256,
                 cache_ttl: float = 600.0, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 rewards: bool = True, currency: str | None = None) -> None:
        self.client = client
        #: read vouchers and points with the offers; ``currency`` picks the voucher value shown
        self._want_rewards = rewards
        self.currency = currency
        self.key: LookupKey = key
        self.breaker = breaker
        self.cache_size = cache_size
        self.cache_ttl = cache_ttl
        self.stats = LookupStats()
        self._clock = clock
        self._now = now
        self._ids: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    @functools.cached_property
    def rewards(self) -> bool:
        """Whether vouchers and points are read: asked at the first lookup, not at build time,
        so a deferred client is not built before the first frame (a client without the
        voucher calls reads none)."""
        return self._want_rewards and hasattr(self.client, "get_reward_vouchers")

    # --- cache ------------------------------------------------------------------------------

    def _cached_id(self, ck: tuple[str, str]) -> str | None:
        hit = self._ids.get(ck)
        if hit is None:
            return None
        contact_id, stored = hit
        if self._clock() - stored > self.cache_ttl:
            del self._ids[ck]
            return None
        self._ids.move_to_end(ck)
        return contact_id

    def _remember(self, ck: tuple[str, str], contact_id: str) -> None:
        self._ids[ck] = (contact_id, self._clock())
        self._ids.move_to_end(ck)
        while len(self._ids) > self.cache_size:
            self._ids.popitem(last=False)

    def forget(self, card: str) -> None:
        """Drop a card from the cache (e.g. after Engage said the contact is gone)."""
        for ck in [ck for ck in self._ids if ck[1] == card]:
            del self._ids[ck]

    # --- calls ------------------------------------------------------------------------------
    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Make and await one Engage call, feeding its outcome to the breaker.

        Takes the call, not its coroutine: a lookup cancelled before this task started would
        otherwise leave a coroutine never awaited (a RuntimeWarning per cancelled scan).
        """
        try:
            result = await call()
        except EngageError as exc:
            if self.breaker is not None:
                self.breaker.record(exc)
            raise
        if self.breaker is not None:
            self.breaker.record(None)
        return result

    def _check_breaker(self) -> None:
        if self.breaker is not None:
            self.breaker.check()

    async def _member_and_offers(self, contact_id: str, card: str, key: str | None = None
                                 ) -> tuple[Member, MemberOffers]:
        self.stats.round_trips += 1
        # Every GET at once; wait for all so none is left running unobserved. All channels:
        # an online-only offer is listed too, so staff can say why it can't be used here.
        calls: list[Any] = [self._call(lambda: self.client.get_contact(contact_id)),
                            self._call(lambda: self.client.get_promotions(contact_id, None))]
        if self.rewards:
            rc: RewardsClient = self.client  # type: ignore[assignment]
            calls += [rc.get_reward_vouchers(contact_id, "available"),
                      rc.get_point_accounts(contact_id)]
        results: list[Any] = await asyncio.gather(*calls, return_exceptions=True)
        errors = [r for r in results[:2] if isinstance(r, BaseException)]
        if errors:
            raise next((e for e in errors if isinstance(e, ContactNotFound)), errors[0])
        contact: Contact = results[0]
        promotions: list[Promotion] = results[1]
        now = self._now()
        # masked by what it is: a personal number shows no digit (nor one scanned at an
        # ``any`` till: Engage doesn't say what matched, its shape does)
        key = shown_key(card, key or self.key)
        member = Member(contact_id=contact_id, first_name=sanitize(contact.first_name, limit=40)
                        or None, card=card, masked_card=mask_value(card, key),
                        rewards=self._rewards(results[2:], now) if self.rewards else None,
                        key=key)
        return member, classify_offers(promotions, now)

    def _rewards(self, results: list[Any], now: datetime) -> Rewards:
        """Vouchers and points from their answers; a failed call is None (never an error)."""
        vouchers, accounts = results
        for what, answer in (("vouchers", vouchers), ("points", accounts)):
            if isinstance(answer, BaseException):
                log.warning("lookup: %s not loaded (%s)", what, type(answer).__name__)
                if not isinstance(answer, Exception):
                    raise answer  # cancellation and the like are not Engage's answer
        return Rewards(
            vouchers=None if isinstance(vouchers, BaseException)
            else usable_vouchers(vouchers, now, self.currency),
            points=None if isinstance(accounts, BaseException) else points_of(accounts))

    async def _find_id(self, ck: tuple[str, str]) -> str:
        self.stats.round_trips += 1
        self.stats.cache_misses += 1
        contact_id = await self._call(
            lambda: self.client.find_contact_id(ck[1], ck[0]))  # type: ignore[arg-type]
        self._remember(ck, contact_id)
        return contact_id

    async def _candidates(self, card: str, error: MultipleMatches, key: str | None = None
                          ) -> SharedCard:
        """The members Engage listed for a shared card, fetched concurrently (first names)."""
        ids = list(dict.fromkeys(error.matches))  # Engage's order, each once
        wanted = ids[:MAX_CANDIDATES]
        self.stats.round_trips += 1
        results = await asyncio.gather(
            *(self._call(partial(self.client.get_contact, cid)) for cid in wanted),
            return_exceptions=True)
        candidates = []
        for i, (cid, result) in enumerate(zip(wanted, results, strict=True), start=1):
            if isinstance(result, ContactNotFound):
                continue  # merged or deleted since Engage listed it
            if isinstance(result, BaseException):
                raise result
            name = sanitize(result.first_name, limit=40) or f"Member {i}"
            candidates.append(Candidate(cid, name))
        return SharedCard(card, candidates, more=len(ids) - len(wanted),
                          key=shown_key(card, key))

    async def lookup(self, card: str, key: LookupKey | None = None
                     ) -> tuple[Member, MemberOffers]:
        """The member with this card (or e-mail/phone, per ``key``) and all their offers.

        Raises ``CircuitOpen`` at once while the breaker is open, ``SharedCard`` (with the
        members to choose from) when several share the card, otherwise the client's typed
        errors (``ContactNotFound``, ``EngageUnreachable``...).
        """
        self._check_breaker()
        self.stats.lookups += 1
        ck = (key or self.key, card)
        contact_id = self._cached_id(ck)
        if contact_id is None:
            try:
                contact_id = await self._find_id(ck)
            except MultipleMatches as exc:
                if not exc.matches:
                    raise
                shared = await self._candidates(card, exc, ck[0])
                if not shared.candidates:
                    raise ContactNotFound("none of the listed contacts exists") from exc
                raise shared from exc
            return await self._member_and_offers(contact_id, card, ck[0])
        self.stats.cache_hits += 1
        try:
            return await self._member_and_offers(contact_id, card, ck[0])
        except ContactNotFound:
            # Merged or deleted since we cached it: ask Engage again, once.
            self.stats.stale_ids += 1
            self._ids.pop(ck, None)
            return await self._member_and_offers(await self._find_id(ck), card, ck[0])

    async def member(self, contact_id: str, card: str, key: str | None = None
                     ) -> tuple[Member, MemberOffers]:
        """A known member's offers read again (a shared card's choice, the next offer of a
        visit): one round trip, no card lookup. ``key``: what ``card`` was looked up by."""
        self._check_breaker()
        return await self._member_and_offers(contact_id, card, key)

    async def ping(self) -> float:
        """Round-trip time of a cheap authenticated GET; feeds the breaker like a lookup."""
        self._check_breaker()
        return float(await self._call(self.client.ping))

    @property
    def breaker_state(self) -> str:
        """"closed", "open", "half-open", or "closed" without a breaker."""
        return self.breaker.state if self.breaker is not None else "closed"

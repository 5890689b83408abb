"""The simulator's reward vouchers and point accounts, with Engage's semantics.

Documented (developer.voyado.com, points-and-vouchers and loyalty/vouchers, loyalty/points):

- ``GET /api/v3/reward-vouchers[/available|/redeemed]?contactId=`` -> a page
  ``{count, offset, totalCount, items}``; items ``id, voucherNumber, name, redeemed,
  redeemedOn, expiresOn, value {currency, amount}, localValues[], points``.
- ``POST /api/v3/reward-vouchers/{id}/redeem``: 400 InvalidRewardVoucherId, 404
  RewardVoucherNotFound, 409 RewardVoucherAlreadyRedeemed / RewardVoucherExpired.
- ``POST /api/v3/reward-vouchers/{id}/reactivate``: 400, 404 as above; 409
  RewardVoucherAlreadyActivated / RewardVoucherExpired / ReactivationLimitExceeded (limit 3 by
  default); value and expiry unchanged.
- Points: active points count now; pending points have a ``validFrom`` in the future.

Assumed (not documented): redeem and reactivate answer 200 with the voucher; ``redeemedOn`` is
the time of the latest redeem (a reactivated voucher has none until it is redeemed again); the
checks run in the order the docs list the codes; ``/api/v3/point-accounts`` answers a page of
accounts ``{id, contactId, definitionId, balance, balanceExpires, pendingPoints}`` (the v2
schema's names); ``/api/v3/point-transactions`` needs ``accountId`` or ``contactId`` +
``definitionId`` (400 otherwise) and pages with ``offset``/``count``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kiosk.sim.rules import SimError, parse_guid

REACTIVATION_LIMIT = 3  # Engage's default per voucher
DEFINITION_ID = 1  # Engage's one point definition ("Default is 1")
VOUCHER_LISTS = ("available", "all", "redeemed")
POINT_FILTERS = ("All", "Active", "Pending")


@dataclass
class Voucher:
    """One reward voucher held by one contact."""

    id: str
    contact_id: str
    voucher_number: str
    name: str
    amount: Decimal
    currency: str
    expires_on: datetime | None
    points: int
    local_values: list[dict[str, Any]] = field(default_factory=list)
    redeemed_on: datetime | None = None
    reactivations: int = 0


@dataclass
class PointTx:
    """One change to a contact's point account."""

    id: int
    amount: Decimal
    description: str
    time_stamp: datetime
    valid_from: datetime
    valid_to: datetime | None = None
    source: str = "Manual"


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    number: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
    return {"currency": currency, "amount": number}


def _page(items: list[dict[str, Any]], offset: int = 0, count: int | None = None
          ) -> dict[str, Any]:
    chosen = items[offset: offset + count if count is not None else None]
    return {"count": len(chosen), "offset": offset, "totalCount": len(items), "items": chosen}


class Rewards:
    """Vouchers and points of a simulated tenant. ``contact(id)`` returns a contact's canonical
    id or raises the Engage error (400 InvalidContactId, 404 ContactNotFound)."""

    def __init__(self, lock: threading.RLock, clock: Callable[[], datetime],
                 contact: Callable[[str], str], new_id: Callable[[], str], *,
                 stamp: Callable[[], datetime] | None = None) -> None:
        self._lock = lock
        self._clock = clock
        self._stamp = stamp or clock  # redeemedOn: Engage's clock, which may be off (a test's)
        self._contact = contact
        self._new_id = new_id
        self.reactivation_limit = REACTIVATION_LIMIT
        self._vouchers: dict[str, Voucher] = {}
        self._points: dict[str, list[PointTx]] = {}  # contact id -> transactions
        self._accounts: dict[str, int] = {}  # contact id -> point account id
        self._numbers = 0

    def clear(self) -> None:
        with self._lock:
            self._vouchers.clear()
            self._points.clear()
            self._accounts.clear()
            self._numbers = 0

    # --- seeding -----------------------------------------------------------------------------

    def add_voucher(self, contact_id: str, *, name: str, amount: Decimal | float | str,
                    currency: str, expires_on: datetime | None, points: int = 0,
                    local_values: Iterable[dict[str, Any]] = (),
                    redeemed_on: datetime | None = None, reactivations: int = 0) -> str:
        """Give a contact a voucher; returns its id."""
        with self._lock:
            cid = self._contact(contact_id)
            self._numbers += 1
            v = Voucher(id=self._new_id(), contact_id=cid,
                        voucher_number=f"25112{self._numbers:08d}", name=name,
                        amount=Decimal(str(amount)), currency=currency, expires_on=expires_on,
                        points=points, local_values=[dict(x) for x in local_values],
                        redeemed_on=redeemed_on, reactivations=reactivations)
            self._vouchers[v.id] = v
            return v.id

    def add_points(self, contact_id: str, amount: Decimal | float | str, *,
                   valid_from: datetime | None = None, description: str = "Points",
                   source: str = "Manual") -> None:
        """Add a point transaction; a ``valid_from`` in the future makes it pending."""
        with self._lock:
            cid = self._contact(contact_id)
            txs = self._points.setdefault(cid, [])
            self._accounts.setdefault(cid, len(self._accounts) + 1)
            now = self._clock()
            txs.append(PointTx(id=sum(len(t) for t in self._points.values()),
                               amount=Decimal(str(amount)), description=description,
                               time_stamp=now, valid_from=valid_from or now, source=source))

    def voucher(self, voucher_id: str) -> dict[str, Any] | None:
        """A voucher as Engage lists it, plus ``contactId`` and ``reactivations`` (tests)."""
        with self._lock:
            v = self._vouchers.get(parse_guid(voucher_id) or "")
            if v is None:
                return None
            return {**self._wire(v), "contactId": v.contact_id, "reactivations": v.reactivations}

    # --- Engage routes -----------------------------------------------------------------------

    def list_vouchers(self, contact_id: str, which: str) -> dict[str, Any]:
        """``GET /api/v3/reward-vouchers[/available|/redeemed]?contactId=``."""
        with self._lock:
            cid = self._contact(contact_id)
            now = self._clock()
            chosen = [v for v in self._vouchers.values() if v.contact_id == cid and (
                which == "all"
                or (which == "redeemed" and v.redeemed_on is not None)
                or (which == "available" and v.redeemed_on is None and not self._expired(v, now)))]
            return _page([self._wire(v) for v in chosen])

    def redeem(self, voucher_id: str) -> dict[str, Any]:
        """``POST /api/v3/reward-vouchers/{id}/redeem``; records ``redeemedOn``."""
        with self._lock:
            v = self._find(voucher_id)
            if v.redeemed_on is not None:
                raise SimError(409, "RewardVoucherAlreadyRedeemed",
                               "The reward voucher is already redeemed")
            if self._expired(v, self._clock()):
                raise SimError(409, "RewardVoucherExpired", "The reward voucher has expired")
            v.redeemed_on = self._stamp()
            return self._wire(v)

    def reactivate(self, voucher_id: str) -> dict[str, Any]:
        """``POST /api/v3/reward-vouchers/{id}/reactivate``: redeemed -> available, at most
        ``reactivation_limit`` times; value and expiry unchanged."""
        with self._lock:
            v = self._find(voucher_id)
            if v.redeemed_on is None:
                raise SimError(409, "RewardVoucherAlreadyActivated",
                               "The reward voucher is not redeemed")
            if self._expired(v, self._clock()):
                raise SimError(409, "RewardVoucherExpired", "The reward voucher has expired")
            if v.reactivations >= self.reactivation_limit:
                raise SimError(409, "ReactivationLimitExceeded",
                               f"The reward voucher was reactivated {v.reactivations} times")
            v.reactivations += 1
            v.redeemed_on = None
            return self._wire(v)

    def point_accounts(self, contact_id: str) -> dict[str, Any]:
        """``GET /api/v3/point-accounts?contactId=``: one account per contact with points."""
        with self._lock:
            cid = self._contact(contact_id)
            if cid not in self._accounts:
                return _page([])
            now = self._clock()
            txs = self._points[cid]
            active = sum((t.amount for t in txs if t.valid_from <= now), Decimal(0))
            pending = sum((t.amount for t in txs if t.valid_from > now), Decimal(0))
            return _page([{"id": self._accounts[cid], "contactId": cid,
                           "definitionId": DEFINITION_ID, "balance": float(active),
                           "balanceExpires": None, "pendingPoints": float(pending)}])

    def point_transactions(self, query: dict[str, str]) -> dict[str, Any]:
        """``GET /api/v3/point-transactions?accountId=`` (or ``contactId`` + ``definitionId``)
        ``&filter=All|Active|Pending&offset=&count=``."""
        flt = query.get("filter", "All")
        if flt not in POINT_FILTERS:
            raise SimError(400, "InvalidFilter", "filter must be All, Active or Pending")
        try:
            offset = int(query.get("offset", "0"))
            count = int(query["count"]) if "count" in query else None
        except ValueError:
            raise SimError(400, "BadRequest", "offset and count must be numbers") from None
        with self._lock:
            cid = self._account_owner(query)
            now = self._clock()
            txs = [t for t in self._points.get(cid, []) if flt == "All"
                   or (flt == "Active" and t.valid_from <= now)
                   or (flt == "Pending" and t.valid_from > now)]
            account = self._accounts.get(cid)
            return _page([{"id": t.id, "accountId": account, "amount": float(t.amount),
                           "description": t.description, "source": t.source,
                           "timeStamp": t.time_stamp.isoformat(),
                           "validFrom": t.valid_from.isoformat(),
                           "validTo": t.valid_to.isoformat() if t.valid_to else None}
                          for t in txs], offset, count)

    # --- internals (callers hold the lock) -----------------------------------------------------

    def _account_owner(self, query: dict[str, str]) -> str:
        if "accountId" in query:
            owner = next((c for c, a in self._accounts.items()
                          if str(a) == query["accountId"].strip()), None)
            if owner is None:
                raise SimError(404, "PointAccountNotFound", "No point account with this id")
            return owner
        if "contactId" in query and "definitionId" in query:
            if query["definitionId"].strip() != str(DEFINITION_ID):
                raise SimError(404, "PointDefinitionNotFound", "No such point definition")
            return self._contact(query["contactId"])
        raise SimError(400, "BadRequest", "Give accountId, or contactId and definitionId")

    def _find(self, voucher_id: str) -> Voucher:
        vid = parse_guid(voucher_id)
        if vid is None:
            raise SimError(400, "InvalidRewardVoucherId", "The reward voucher id is not valid")
        v = self._vouchers.get(vid)
        if v is None:
            raise SimError(404, "RewardVoucherNotFound", "No reward voucher with this id")
        return v

    @staticmethod
    def _expired(v: Voucher, now: datetime) -> bool:
        return v.expires_on is not None and v.expires_on < now

    @staticmethod
    def _wire(v: Voucher) -> dict[str, Any]:
        return {
            "id": v.id, "voucherNumber": v.voucher_number, "name": v.name,
            "redeemed": v.redeemed_on is not None,
            "redeemedOn": v.redeemed_on.isoformat() if v.redeemed_on else None,
            "expiresOn": v.expires_on.isoformat() if v.expires_on else None,
            "value": _money(v.amount, v.currency),
            "localValues": [dict(x) for x in v.local_values],
            "points": v.points,
        }

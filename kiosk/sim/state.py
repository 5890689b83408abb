"""The simulator's in-memory Engage tenant: contacts, promotion templates and their instances.

Every public method takes the state lock: tests call them from their own thread while the
server thread answers HTTP requests. Methods raise :class:`SimError` for Engage error answers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.sim.bodies import check_channels, template_fields, validity_fields
from kiosk.sim.lookup import any_criterion, criterion, matches
from kiosk.sim.rewards import Rewards
from kiosk.sim.rules import (
    CHANNELS,
    CONTACT_TYPES,
    SimError,
    add_validity,
    end_of_day,
    parse_guid,
    response_value,
    start_of_day,
)
from kiosk.sim.rules import now as _now
from kiosk.sim.rules import now_ms as _now_ms

_ID_NAMESPACE = uuid.UUID("6c1f8a52-4f3e-4b7a-9a0e-5d2b8c1e7f30")  # stable ids for seeded data


@dataclass(frozen=True)
class DemoCard:
    """A card number the demo's scan screen offers, with whose it is and what it shows."""

    card: str
    first_name: str
    note: str


@dataclass
class _Contact:
    id: str
    attributes: dict[str, Any]
    note: str = ""


@dataclass
class _Template:
    id: str
    name: str
    external_id: str | None
    status: str
    start_date: date
    end_date: date | None
    assigned_validity: dict[str, Any] | None
    presentation: dict[str, Any]
    channels: list[dict[str, Any]]
    image_url: str | None = None


@dataclass
class _Instance:
    id: str
    template_id: str
    contact_id: str
    assigned_on: datetime
    expires_on: datetime | None
    redeemed_on: datetime | None = None
    redeemed_channel: str | None = None


@dataclass(frozen=True)
class Redemption:
    """One redemption as the simulator committed it: when, on which channel, and by whom
    (``client``: the request's User-Agent; for tests that need to know which till it was)."""

    instance_id: str
    redeemed_on: datetime
    channel: str
    client: str | None


@dataclass
class _Ids:
    """Random ids normally; deterministic ones while seeding, so a restart keeps the demo's ids."""

    seed: str | None = None
    counter: int = 0

    def new(self) -> str:
        if self.seed is None:
            return str(uuid.uuid4())
        self.counter += 1
        return str(uuid.uuid5(_ID_NAMESPACE, f"{self.seed}:{self.counter}"))


@dataclass
class SimState:
    """An Engage tenant in memory; ``reset()`` returns to the seed it was built from.

    ``include_expired`` lists expired instances in a contact's promotions (default: omitted,
    our assumption about Engage's "available promotions").
    """

    seed: Mapping[str, Any] | None = field(default=None, repr=False)  # holds card numbers
    currency: str = "SEK"
    include_expired: bool = False
    clock: Callable[[], datetime] = field(default=_now, repr=False)
    #: stamps ``redeemedOn``; None: to the millisecond (as Engage's .NET timestamps carry
    #: them), or ``clock`` when a test set its own
    redeem_clock: Callable[[], datetime] | None = field(default=None, repr=False)
    #: seconds this Engage's clock runs ahead of the real time (negative: behind), for a till
    #: whose clock disagrees: its own ``redeemedOn`` stamps (not ``redeem_clock``'s) and every
    #: answer's ``Date`` header are shifted by it. Kept by ``reset()``, like the rate limit.
    clock_offset: float = 0.0
    #: False: answers carry no ``Date`` header (nothing for a till to measure its clock by)
    date_header: bool = True
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _contacts: dict[str, _Contact] = field(default_factory=dict, init=False, repr=False)
    _templates: dict[str, _Template] = field(default_factory=dict, init=False, repr=False)
    _instances: dict[str, _Instance] = field(default_factory=dict, init=False, repr=False)
    _ids: _Ids = field(default_factory=_Ids, init=False, repr=False)
    _redemptions: list[Redemption] = field(default_factory=list, init=False, repr=False)
    #: reward vouchers and point accounts (``kiosk.sim.rewards``)
    rewards: Rewards = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rewards = Rewards(self._lock, lambda: self.clock(),
                               lambda cid: self._contact(cid).id, lambda: self._ids.new(),
                               stamp=lambda: self.skewed(self.clock()))
        self.reset()

    def skewed(self, t: datetime) -> datetime:
        """``t`` on this Engage's clock (shifted by :attr:`clock_offset`)."""
        return t + timedelta(seconds=self.clock_offset) if self.clock_offset else t

    # --- seeding and inspection (Python API for tests, demo and benchmarks) -----------------

    def reset(self) -> None:
        """Forget everything and load the seed data again (relative dates against now)."""
        with self._lock:
            self._contacts.clear()
            self._templates.clear()
            self._instances.clear()
            self._redemptions.clear()
            self.rewards.clear()
            if self.seed is not None:
                self._load(self.seed)

    def _load(self, data: Mapping[str, Any]) -> None:
        self.currency = str(data.get("currency", self.currency))
        self.include_expired = bool(data.get("includeExpired", self.include_expired))
        today = self.clock().date()
        self._ids = _Ids(seed="demo")
        try:
            for m in data.get("members", []):
                cid = self.add_contact(
                    first_name=m.get("firstName"), last_name=m.get("lastName"),
                    card=m.get("card"), email=m.get("email"), mobile_phone=m.get("mobilePhone"),
                    social_security_number=m.get("socialSecurityNumber"), note=m.get("note", ""),
                )
                for o in m.get("offers", []):
                    days = o.get("expiresInDays")
                    expires = end_of_day(today + timedelta(days=days)) if days is not None else None
                    ago = o.get("redeemedDaysAgo")
                    redeemed = self.clock() - timedelta(days=ago) if ago is not None else None
                    self._seed_offer(
                        cid, name=o["name"], channels=o["channels"], expires_on=expires,
                        redeemed_on=redeemed, external_id=o.get("externalId"),
                        heading=o.get("heading"), description=o.get("description"),
                        link=o.get("link"), image_url=o.get("imageUrl"),
                        start_date=today + timedelta(days=o["startsInDays"])
                        if o.get("startsInDays") is not None
                        else today - timedelta(days=o.get("startedDaysAgo", 14)),
                    )
                self._load_rewards(cid, m, today)
        finally:
            self._ids = _Ids()

    def _load_rewards(self, cid: str, member: Mapping[str, Any], today: date) -> None:
        """A seeded member's ``vouchers`` (relative dates as offers) and ``points``
        (``{"balance": n, "pending": n, "pendingInDays": d}``)."""
        for v in member.get("vouchers", []):
            days = v.get("expiresInDays")
            ago = v.get("redeemedDaysAgo")
            self.rewards.add_voucher(
                cid, name=v["name"], amount=v["amount"], currency=self.currency,
                expires_on=end_of_day(today + timedelta(days=days)) if days is not None else None,
                points=int(v.get("points", 0)), local_values=v.get("localValues", []),
                redeemed_on=self.clock() - timedelta(days=ago) if ago is not None else None,
                reactivations=int(v.get("reactivations", 0)))
        points = member.get("points")
        if points:
            self.rewards.add_points(cid, points.get("balance", 0), description="Purchases",
                                    source="Purchase",
                                    valid_from=self.clock() - timedelta(days=30))
            if points.get("pending"):
                later = self.clock() + timedelta(days=int(points.get("pendingInDays", 14)))
                self.rewards.add_points(cid, points["pending"], valid_from=later,
                                        description="Purchase (return period)",
                                        source="Purchase")

    def add_contact(self, *, first_name: str | None = None, last_name: str | None = None,
                    card: str | None = None, email: str | None = None,
                    mobile_phone: str | None = None, social_security_number: str | None = None,
                    contact_type: str = "Member", note: str = "") -> str:
        """Add a contact whose ``memberNumber`` (the customKey) is ``card``; returns its id."""
        with self._lock:
            cid = self._ids.new()
            attributes = {
                "contactType": contact_type, "firstName": first_name, "lastName": last_name,
                "memberNumber": card, "email": email, "mobilePhone": mobile_phone,
                "socialSecurityNumber": social_security_number, "externalId": None,
                "store": None, "city": None, "country": "SE",
            }
            self._contacts[cid] = _Contact(cid, attributes, note)
            return cid

    def add_offer(self, contact_id: str, *, name: str, value_type: str, value: Any,
                  channels: Iterable[str] = ("POS",), instruction: str | None = None,
                  expires_on: datetime | date | None = None, redeemed: bool = False,
                  heading: str | None = None, description: str | None = None,
                  external_id: str | None = None, redeemed_on: datetime | None = None) -> str:
        """Create an Active template and assign it to the contact; returns the instance id.

        ``value``: PERCENT a number, MONEY an amount in the tenant currency, else text.
        ``expires_on`` may lie in the past (an expired offer); a date means its 23:59:59.
        ``redeemed`` seeds it used now; ``redeemed_on`` seeds it used at that time.
        """
        if isinstance(expires_on, date) and not isinstance(expires_on, datetime):
            expires_on = end_of_day(expires_on)
        chans = [{"type": c, "valueType": value_type, "value": str(value),
                  "instruction": instruction} for c in channels]
        with self._lock:
            return self._seed_offer(
                contact_id, name=name, channels=chans, expires_on=expires_on,
                redeemed_on=redeemed_on or (self.clock() if redeemed else None),
                external_id=external_id,
                heading=heading, description=description,
            )

    def add_offers_bulk(self, contact_id: str, n: int) -> list[str]:
        """``n`` POS offers cycling through the four value types (for benchmarks)."""
        kinds = [("PERCENT", lambda i: 5 + i % 46, None),
                 ("MONEY", lambda i: 50 * (1 + i % 10), None),
                 ("MANUAL", lambda i: f"Gift no. {i}", "Hand over the gift"),
                 ("EXTERNALOFFER", lambda i: f"TILL-{i:05d}", "Enter the code at the till")]
        expires = self.clock() + timedelta(days=30)
        ids = []
        for i in range(n):
            vtype, value, instruction = kinds[i % 4]
            ids.append(self.add_offer(contact_id, name=f"Offer {i + 1}", value_type=vtype,
                                      value=value(i), instruction=instruction,
                                      expires_on=expires))
        return ids

    def _seed_offer(self, contact_id: str, *, name: str, channels: list[dict[str, Any]],
                    expires_on: datetime | None, redeemed_on: datetime | None,
                    external_id: str | None = None, heading: str | None = None,
                    description: str | None = None, link: str | None = None,
                    image_url: str | None = None, start_date: date | None = None) -> str:
        if contact_id not in self._contacts:
            raise KeyError(f"no contact {contact_id}")
        today = self.clock().date()
        template = _Template(
            id=self._ids.new(), name=name, external_id=external_id, status="Active",
            start_date=start_date or today,
            end_date=expires_on.date() if expires_on else None, assigned_validity=None,
            presentation={"heading": heading, "description": description, "link": link},
            channels=check_channels(channels), image_url=image_url,
        )
        self._templates[template.id] = template
        inst = _Instance(self._ids.new(), template.id, contact_id, self.clock(), expires_on,
                         redeemed_on, "POS" if redeemed_on else None)
        self._instances[inst.id] = inst
        return inst.id

    def promotion_instance(self, instance_id: str) -> dict[str, Any] | None:
        """An instance as Engage lists it, plus ``contactId``; None if there is no such instance."""
        with self._lock:
            inst = self._instances.get(parse_guid(instance_id) or "")
            if inst is None:
                return None
            return {**self._instance_wire(inst), "contactId": inst.contact_id}

    def demo_cards(self) -> list[DemoCard]:
        """One entry per distinct card number, in seed order (shared cards name both members)."""
        with self._lock:
            by_card: dict[str, list[_Contact]] = {}
            for c in self._contacts.values():
                card = c.attributes.get("memberNumber")
                if card:
                    by_card.setdefault(card, []).append(c)
            return [DemoCard(card, " / ".join(str(c.attributes.get("firstName") or "?")
                                              for c in cs), cs[0].note)
                    for card, cs in by_card.items()]

    def activate(self, promotion_id: str) -> dict[str, Any]:
        """Mark a template Active (Engage does this in its UI; the simulator via /sim/)."""
        with self._lock:
            t = self._template(promotion_id)
            t.status = "Active"
            return self._template_wire(t)

    # --- contacts ---------------------------------------------------------------------------

    def contact_count(self) -> int:
        with self._lock:
            return len(self._contacts)

    def find_contact_id(self, query: Mapping[str, str]) -> str:
        """``GET /contacts/id``: the one matching contact's id, or 400/404/409 as Engage does."""
        contact_type = query.get("contactType")
        if contact_type is not None and contact_type not in CONTACT_TYPES:
            raise SimError(400, "InvalidContactType", "Unknown contact type")
        criteria: list[tuple[str, str]] = []
        for key in ("email", "socialSecurityNumber", "mobilePhone", "customKey"):
            if key in query:
                criteria.append(criterion(key, query[key]))
        if "any" in query:
            criteria.append(any_criterion(query["any"]))
        if not criteria:
            raise SimError(400, "InvalidSearchQuery",
                           "Give one of email, mobilePhone, socialSecurityNumber, customKey, any")
        with self._lock:
            found = [c.id for c in self._contacts.values()
                     if all(matches(c.attributes, attr, val) for attr, val in criteria)
                     and (contact_type is None or c.attributes["contactType"] == contact_type)]
        if not found:
            raise SimError(404, "ContactNotFound", "No contact matches the query")
        if len(found) > 1:
            raise SimError(409, "MultipleMatches", "More than one contact matches the query",
                           multipleMatchesFound=found)
        return found[0]

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        with self._lock:
            c = self._contact(contact_id)
            return {
                "id": c.id,
                "attributes": dict(c.attributes),
                "meta": {"createdOn": None, "modifiedOn": None},
                "preferences": {"acceptsEmail": True, "acceptsSms": False,
                                "acceptsPostal": False},
                "consents": [],
            }

    # --- promotion instances ----------------------------------------------------------------

    def list_promotions(self, contact_id: str, channel: str | None) -> list[dict[str, Any]]:
        """A contact's assigned promotions; expired ones omitted unless ``include_expired``."""
        if channel is not None and channel not in CHANNELS:
            raise SimError(400, "NotAValidRedemptionChannel", "redemptionChannelType must be "
                           "POS, ECOM or OTHER")
        with self._lock:
            c = self._contact(contact_id)
            now = self.clock()
            out = []
            for inst in self._instances.values():
                if inst.contact_id != c.id:
                    continue
                if not self.include_expired and inst.expires_on and inst.expires_on < now:
                    continue
                t = self._templates[inst.template_id]
                if channel is not None and not any(ch["type"] == channel for ch in t.channels):
                    continue
                out.append(self._instance_wire(inst))
            return out

    def redemptions(self) -> list[Redemption]:
        """Every redemption committed through :meth:`redeem`, oldest first."""
        with self._lock:
            return list(self._redemptions)

    def redeem(self, instance_id: str, body: Any, contact_id: str | None = None, *,
               client: str | None = None) -> dict[str, Any]:
        """Redeem an instance once on a channel; returns the redeemed instance.

        Every redemption records ``redeemedOn`` (to the millisecond) and, for tests, the
        ``client`` that sent it (see :meth:`redemptions`).
        """
        channel = body.get("redemptionChannel") if isinstance(body, dict) else None
        if channel not in CHANNELS:
            raise SimError(400, "NotAValidRedemptionChannel",
                           "redemptionChannel must be POS, ECOM or OTHER")
        iid = parse_guid(instance_id)
        if iid is None:
            raise SimError(400, "InvalidPromotionIdNoData", "The promotion id is not a valid id")
        with self._lock:
            owner = self._contact(contact_id).id if contact_id is not None else None
            inst = self._instances.get(iid)
            if inst is None:
                raise SimError(404, "PromotionNotFound", "No promotion with this id")
            if owner is not None and inst.contact_id != owner:
                raise SimError(404, "PromotionNotAssociatedWithContact",
                               "The promotion is not assigned to this contact")
            t = self._templates[inst.template_id]
            if not any(ch["type"] == channel for ch in t.channels):
                raise SimError(409, "PromotionNotValidForRedemptionChannel",
                               f"The promotion can't be redeemed on {channel}")
            if inst.redeemed_on is not None:
                raise SimError(409, "PromotionAlreadyRedeemed", "The promotion is already redeemed")
            if inst.expires_on is not None and inst.expires_on < self.clock():
                raise SimError(409, "PromotionExpired", "The promotion has expired")
            if self.redeem_clock is not None:
                inst.redeemed_on = self.redeem_clock()
            else:
                now = _now_ms() if self.clock is _now else self.clock()
                inst.redeemed_on = self.skewed(now)
            inst.redeemed_channel = channel
            self._redemptions.append(Redemption(inst.id, inst.redeemed_on, channel, client))
            return self._instance_wire(inst)

    def assign(self, contact_id: Any, promotion_id: Any) -> dict[str, Any]:
        """Assign an Active template to a contact: a new instance with its own id and expiry."""
        cid, pid = parse_guid(contact_id), parse_guid(promotion_id)
        if cid is None:
            raise SimError(400, "InvalidContactId", "contactId is not a valid id")
        if pid is None:
            raise SimError(400, "InvalidPromotionId", "promotionId is not a valid id")
        with self._lock:
            c = self._contact(cid)
            t = self._template(pid)
            if t.status != "Active":
                raise SimError(409, "PromotionNotActive",
                               f"Only an Active promotion can be assigned (it is {t.status})")
            now = self.clock()
            if t.end_date is not None and t.end_date < now.date():
                raise SimError(409, "PromotionExpired", "The promotion has ended")
            ends = [d for d in (t.end_date, _validity_end(t, now.date())) if d is not None]
            inst = _Instance(self._ids.new(), t.id, c.id, now,
                             end_of_day(min(ends)) if ends else None)
            self._instances[inst.id] = inst
            return self._instance_wire(inst)

    # --- promotion templates ----------------------------------------------------------------

    def create_template(self, body: Any) -> dict[str, Any]:
        """A new template from a create body; always Draft."""
        fields = template_fields(body)
        with self._lock:
            self._check_external_id(fields["external_id"], None)
            t = _Template(id=self._ids.new(), status="Draft", **fields)
            self._templates[t.id] = t
            return self._template_wire(t)

    def get_template(self, promotion_id: str | None = None, *,
                     external_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self._template_wire(self._find_template(promotion_id, external_id))

    def update_template(self, promotion_id: str, body: Any) -> dict[str, Any]:
        """Replace a Draft template's fields with the body's (a whole update)."""
        fields = template_fields(body)
        with self._lock:
            t = self._template(promotion_id)
            if body.get("id") is not None and parse_guid(body["id"]) != t.id:
                raise SimError(400, "BadRequest", "id in the body differs from the path")
            _require_draft(t)
            self._check_external_id(fields["external_id"], t.id)
            for name, value in fields.items():
                setattr(t, name, value)
            return self._template_wire(t)

    def get_validity(self, promotion_id: str | None = None, *,
                     external_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            return _validity_wire(self._find_template(promotion_id, external_id))

    def update_validity(self, promotion_id: str, body: Any) -> dict[str, Any]:
        """Replace a Draft template's validity; returns the whole template."""
        start, end, assigned = validity_fields(body)
        with self._lock:
            t = self._template(promotion_id)
            _require_draft(t)
            t.start_date, t.end_date, t.assigned_validity = start, end, assigned
            return self._template_wire(t)

    def delete_template(self, promotion_id: str | None = None, *,
                        external_id: str | None = None) -> None:
        """Delete a template nobody has been assigned."""
        with self._lock:
            t = self._find_template(promotion_id, external_id)
            if any(i.template_id == t.id for i in self._instances.values()):
                raise SimError(409, "PromotionAssigned",
                               "An assigned promotion can't be deleted")
            del self._templates[t.id]

    # --- internals (callers hold the lock) --------------------------------------------------

    def _contact(self, contact_id: str) -> _Contact:
        cid = parse_guid(contact_id)
        if cid is None:
            raise SimError(400, "InvalidContactId", "The contact id is not a valid id")
        c = self._contacts.get(cid)
        if c is None:
            raise SimError(404, "ContactNotFound", "No contact with this id")
        return c

    def _template(self, promotion_id: str) -> _Template:
        pid = parse_guid(promotion_id)
        if pid is None:
            raise SimError(400, "InvalidPromotionId", "The promotion id is not a valid id")
        t = self._templates.get(pid)
        if t is None:
            raise SimError(404, "PromotionNotFound", "No promotion with this id")
        return t

    def _find_template(self, promotion_id: str | None, external_id: str | None) -> _Template:
        if promotion_id is not None:
            return self._template(promotion_id)
        if not external_id:
            raise SimError(400, "BadRequest", "externalId is required")
        for t in self._templates.values():
            if t.external_id == external_id:
                return t
        raise SimError(404, "PromotionNotFound", "No promotion with this externalId")

    def _check_external_id(self, external_id: str | None, own_id: str | None) -> None:
        if external_id and any(t.external_id == external_id and t.id != own_id
                               for t in self._templates.values()):
            raise SimError(409, "ExternalIdAlreadyExists",
                           "Another promotion has this externalId")

    def _template_wire(self, t: _Template) -> dict[str, Any]:
        return {
            "id": t.id, "externalId": t.external_id, "name": t.name, "status": t.status,
            "validity": _validity_wire(t),
            "presentation": dict(t.presentation),
            "redemptionChannels": [dict(ch) for ch in t.channels],
        }

    def _instance_wire(self, inst: _Instance) -> dict[str, Any]:
        t = self._templates[inst.template_id]
        return {
            "id": inst.id,
            "promotionId": t.id,
            "externalId": t.external_id,
            "type": "Multichannel",
            "name": t.name,
            "expiresOn": inst.expires_on.isoformat() if inst.expires_on else None,
            "heading": t.presentation.get("heading"),
            "description": t.presentation.get("description"),
            "redeemed": inst.redeemed_on is not None,
            "redeemedOn": inst.redeemed_on.isoformat() if inst.redeemed_on else None,
            "imageUrl": t.image_url,
            "link": t.presentation.get("link"),
            # Not in Engage's documented list model: our assumption for an offer not started yet
            **({"validFrom": start_of_day(t.start_date).isoformat()}
               if t.start_date > self.clock().date() else {}),
            "redemptionChannels": [
                {"type": ch["type"], "valueType": ch["valueType"],
                 "value": response_value(ch["valueType"], ch["value"], self.currency),
                 "localValues": [dict(lv) for lv in ch.get("localValues") or []],
                 "instruction": ch.get("instruction")}
                for ch in t.channels
            ],
        }


# --- module helpers -----------------------------------------------------------------------

def _validity_end(t: _Template, assigned_day: date) -> date | None:
    av = t.assigned_validity
    return add_validity(assigned_day, av["unit"], av["amount"]) if av else None


def _validity_wire(t: _Template) -> dict[str, Any]:
    # Engage echoes dates as local midnight with offset, e.g. "2020-03-18T00:00:00+01:00"
    return {
        "startDate": start_of_day(t.start_date).isoformat(),
        "endDate": start_of_day(t.end_date).isoformat() if t.end_date else None,
        "assignedValidity": dict(t.assigned_validity) if t.assigned_validity else None,
    }


def _require_draft(t: _Template) -> None:
    if t.status != "Draft":
        raise SimError(409, "PromotionNotDraft",
                       f"Only a Draft promotion can be changed (it is {t.status})")

"""Typed Engage payloads (pydantic v2).

Engage adds response fields without notice, so every model ignores unknown fields. Field names
follow Engage's camelCase on the wire and snake_case in Python.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

# Re-exported: their home is kiosk.engage.codes (no pydantic, needed before the first frame).
from kiosk.engage.codes import Channel as Channel
from kiosk.engage.codes import ValueType as ValueType


def _money_list(v: Any) -> list[Any]:
    """``localValues``: the well-formed money entries of a list; anything else is none."""
    if not isinstance(v, list):
        return []
    return [x for x in v if isinstance(x, dict) and "amount" in x]


class EngageModel(BaseModel):
    # cache_strings="keys": pydantic's JSON parser keeps every string value it has read
    # (up to 16,384) in a process-wide cache by default; for Engage's replies those are
    # offer ids, codes and member data, new with every visit, so the cache only filled
    # (~1 MB over a few thousand visits) and kept a member's data past the visit.
    model_config = ConfigDict(
        extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=False,
        cache_strings="keys",
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Engage expects (camelCase keys, no unset optionals)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


LookupKey = Literal["customKey", "email", "mobilePhone", "socialSecurityNumber", "any"]
LOOKUP_KEYS: tuple[str, ...] = ("customKey", "email", "mobilePhone", "socialSecurityNumber", "any")


class Money(EngageModel):
    amount: Decimal
    currency: str | None = None


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {str(value)[:20]!r}") from exc


class RedemptionChannel(EngageModel):
    """One channel of a member's promotion, as listed for the contact.

    ``value`` is typed by ``value_type``: PERCENT -> Decimal, MONEY -> Money (a bare number or
    string is accepted as an amount without currency), EXTERNALOFFER / MANUAL -> str. Unknown
    value types (SWIPE, or anything new) keep the raw value.
    """

    type: str
    value_type: str = ""
    value: Decimal | Money | str | Any = None
    local_values: list[Money] = Field(default_factory=list)
    instruction: str | None = None

    @field_validator("local_values", mode="before")
    @classmethod
    def _local_values(cls, v: Any) -> Any:
        return _money_list(v)

    @model_validator(mode="before")
    @classmethod
    def _type_value(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        vtype = str(data.get("valueType") or data.get("value_type") or "").upper()
        data["valueType"] = vtype
        data.pop("value_type", None)
        raw = data.get("value")
        if raw is None:
            return data
        if vtype == ValueType.PERCENT:
            data["value"] = _to_decimal(raw)
        elif vtype == ValueType.MONEY:
            if isinstance(raw, dict):
                amount = raw.get("amount", raw.get("Amount"))
                currency = raw.get("currency", raw.get("Currency"))
                data["value"] = Money(amount=_to_decimal(amount), currency=currency or None)
            else:
                data["value"] = Money(amount=_to_decimal(raw))
        elif vtype in (ValueType.EXTERNALOFFER, ValueType.MANUAL):
            data["value"] = str(raw)
        return data


class Promotion(EngageModel):
    """A promotion *instance* assigned to one contact (``id``), made from a template
    (``promotion_id``).

    Redeem with ``id``; Engage rejects the template id.
    """

    id: str
    promotion_id: str | None = None
    external_id: str | None = None
    type: str | None = None
    name: str = ""
    expires_on: datetime | None = None
    heading: str | None = None
    description: str | None = None
    redeemed: bool = False
    redeemed_on: datetime | None = None
    image_url: str | None = None
    link: str | None = None
    redemption_channels: list[RedemptionChannel] = Field(default_factory=list)
    #: When the offer starts to be valid. Not in Engage's documented list model (§5.3 has only
    #: ``expiresOn``); read if a tenant/version sends it, and sent by the simulator for an
    #: offer whose start date lies ahead. Unreadable values are ignored, never fatal.
    valid_from: datetime | None = None

    @field_validator("redemption_channels", mode="before")
    @classmethod
    def _channels(cls, v: Any) -> Any:
        return v if isinstance(v, list) else []

    @field_validator("valid_from", mode="before")
    @classmethod
    def _valid_from(cls, v: Any) -> Any:
        if isinstance(v, datetime) or v is None:
            return v
        try:
            return datetime.fromisoformat(str(v))
        except ValueError:
            return None

    def channel(self, channel: Channel | str = Channel.POS) -> RedemptionChannel | None:
        """This promotion's channel of the given type, if it has one."""
        want = str(channel).upper()
        return next((c for c in self.redemption_channels if c.type.upper() == want), None)


class Contact(EngageModel):
    """A contact as returned by ``GET /api/v3/contacts/{id}``; attributes depend on the tenant."""

    id: str
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}

    @property
    def first_name(self) -> str | None:
        value = self.attributes.get("firstName")
        return value if isinstance(value, str) and value.strip() else None


# --- promotion templates (admin / seeding) --------------------------------------------------

class AssignedValidity(EngageModel):
    unit: Literal["Days", "Months"]
    amount: int = Field(ge=1)


MAX_END_DATE = date(9999, 12, 30)


class Validity(EngageModel):
    """Either start + end date, or start + a per-contact validity counted from assignment."""

    start_date: date
    end_date: date | None = None
    assigned_validity: AssignedValidity | None = None

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _date_only(cls, v: Any) -> Any:
        # Engage echoes "2020-03-18T00:00:00+02:00"; requests must be YYYY-MM-DD.
        if isinstance(v, str) and "T" in v:
            return v.split("T", 1)[0]
        if isinstance(v, datetime):
            return v.date()
        return v

    @model_validator(mode="after")
    def _check(self) -> Validity:
        if self.end_date is not None:
            if self.end_date > MAX_END_DATE:
                raise ValueError("endDate must be at most 9999-12-30")
            if self.end_date < self.start_date:
                raise ValueError("endDate is before startDate")
        return self


class Presentation(EngageModel):
    heading: str | None = None
    description: str | None = None
    link: str | None = None


class TemplateChannel(EngageModel):
    """A channel on a promotion template; ``value`` is always a string in requests."""

    type: str
    value_type: str
    value: str
    local_values: list[Money] = Field(default_factory=list)
    instruction: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        if isinstance(v, dict) and "amount" in v:
            return str(v["amount"])
        return v if v is None or isinstance(v, str) else str(v)


class PromotionDraft(EngageModel):
    """Body of ``POST /api/v2/promotions/multichannels`` (created as Draft)."""

    name: str = Field(min_length=1)
    external_id: str | None = None
    validity: Validity
    presentation: Presentation | None = None
    redemption_channels: list[TemplateChannel] = Field(default_factory=list)


class PromotionTemplate(PromotionDraft):
    """A promotion template (``MultichannelPromotionModel``): a draft with an id and a status."""

    id: str
    status: str = "Draft"


# --- reward vouchers and points ---------------------------------------------------------------

class RewardVoucher(EngageModel):
    """A reward voucher (a "bonus check" in v2) as ``GET /api/v3/reward-vouchers`` lists it.

    Redeem and reactivate by ``id``; ``voucher_number`` is the code printed for the member.
    ``value`` is in the tenant's currency, ``local_values`` the same value in other currencies.
    """

    id: str
    voucher_number: str | None = None
    name: str = ""
    redeemed: bool = False
    redeemed_on: datetime | None = None
    expires_on: datetime | None = None
    value: Money | None = None
    local_values: list[Money] = Field(default_factory=list)
    points: Decimal | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any) -> Any:
        if isinstance(v, dict):
            amount = v.get("amount", v.get("Amount"))
            return None if amount is None else {
                "amount": _to_decimal(amount), "currency": v.get("currency", v.get("Currency"))}
        return None if v is None else {"amount": _to_decimal(v)}

    @field_validator("local_values", mode="before")
    @classmethod
    def _local_values(cls, v: Any) -> Any:
        return _money_list(v)

    @field_validator("voucher_number", mode="before")
    @classmethod
    def _number_text(cls, v: Any) -> Any:
        return v if v is None or isinstance(v, str) else str(v)

    @field_validator("points", mode="before")
    @classmethod
    def _points(cls, v: Any) -> Any:
        return None if v is None or isinstance(v, bool) else v

    def value_in(self, currency: str | None) -> Money | None:
        """The value in ``currency`` (the voucher's own, else a local value), or its own value."""
        if currency and self.value is not None and \
                (self.value.currency or "").upper() != currency.upper():
            local = next((m for m in self.local_values
                          if (m.currency or "").upper() == currency.upper()), None)
            if local is not None:
                return local
        return self.value


class Page(EngageModel):
    """The paging envelope of v3 lists: ``{"items", "count", "offset", "totalCount"}``."""

    items: list[Any] = Field(default_factory=list)
    count: int | None = None
    offset: int | None = None
    total_count: int | None = None


class PointAccount(EngageModel):
    """One of a contact's point accounts (one per point definition; most tenants have one).

    ``balance`` is the active points; ``pending_points`` those with a ``validFrom`` still in the
    future (named as in Voyado's v2 schema; absent in a v3 answer means unknown, not zero).
    """

    id: int | str | None = None
    contact_id: str | None = None
    definition_id: int | str | None = Field(default=None, alias="definitionId")
    balance: Decimal = Decimal(0)
    pending_points: Decimal | None = None
    balance_expires: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        # The BI export names it pointDefinitionId; the API schema definitionId.
        if isinstance(data, dict) and "definitionId" not in data and "pointDefinitionId" in data:
            data = {**data, "definitionId": data["pointDefinitionId"]}
        return data

    @field_validator("balance", mode="before")
    @classmethod
    def _balance(cls, v: Any) -> Any:
        return Decimal(0) if v is None else _to_decimal(v)

    @field_validator("pending_points", mode="before")
    @classmethod
    def _pending(cls, v: Any) -> Any:
        return None if v is None else _to_decimal(v)


class PointTransaction(EngageModel):
    """One change to a point account (``GET /api/v3/point-transactions``)."""

    id: int | str | None = None
    account_id: int | str | None = None
    amount: Decimal = Decimal(0)
    description: str | None = None
    source: str | None = None
    time_stamp: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return Decimal(0) if v is None else _to_decimal(v)


#: Which of a contact's reward vouchers to list.
VoucherList = Literal["available", "all", "redeemed"]
#: Which point transactions to list (Engage's ``filter``).
PointFilter = Literal["All", "Active", "Pending"]

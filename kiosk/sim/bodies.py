"""Promotion-template request bodies, checked as Engage does (400 BadRequest otherwise)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from kiosk.sim.rules import (
    CHANNELS,
    MAX_END_DATE,
    MAX_VALIDITY,
    MONEY_VALUE,
    PERCENT_VALUE,
    VALUE_TYPES,
    SimError,
    parse_date,
)


def check_channels(channels: Any) -> list[dict[str, Any]]:
    """A template's redemptionChannels, each checked; values kept as text, as Engage does."""
    if channels is None:
        return []
    if not isinstance(channels, list):
        raise SimError(400, "BadRequest", "redemptionChannels must be a list")
    out: list[dict[str, Any]] = []
    for i, ch in enumerate(channels):
        where = f"redemptionChannels[{i}]"
        if not isinstance(ch, dict):
            raise SimError(400, "BadRequest", f"{where} must be an object")
        ctype, vtype, value = ch.get("type"), ch.get("valueType"), ch.get("value")
        if ctype not in CHANNELS:
            raise SimError(400, "BadRequest", f"{where}.type must be POS, ECOM or OTHER")
        if any(o["type"] == ctype for o in out):
            raise SimError(400, "BadRequest", f"{where}: channel {ctype} given twice")
        if vtype not in VALUE_TYPES:
            raise SimError(400, "BadRequest", f"{where}.valueType is not a known value type")
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise SimError(400, "BadRequest", f"{where}.value is required")
        check_channel_value(vtype, value.strip(), where)
        local = ch.get("localValues") or []
        if not isinstance(local, list) or not all(isinstance(x, dict) for x in local):
            raise SimError(400, "BadRequest", f"{where}.localValues must be a list of objects")
        instruction = ch.get("instruction")
        out.append({"type": ctype, "valueType": vtype, "value": value.strip(),
                    "localValues": local,
                    "instruction": instruction if isinstance(instruction, str) else None})
    return out


def validity_fields(v: Any) -> tuple[date, date | None, dict[str, Any] | None]:
    """(startDate, endDate, assignedValidity): dates only, endDate at most 9999-12-30."""
    if not isinstance(v, dict):
        raise SimError(400, "BadRequest", "validity is required")
    start = parse_date(v.get("startDate"), "startDate")
    end = parse_date(v["endDate"], "endDate") if v.get("endDate") is not None else None
    if end is not None:
        if end > MAX_END_DATE:
            raise SimError(400, "BadRequest", "endDate must be at most 9999-12-30")
        if end < start:
            raise SimError(400, "BadRequest", "endDate is before startDate")
    assigned = v.get("assignedValidity")
    if assigned is not None:
        unit, amount = (assigned.get("unit"), assigned.get("amount")) \
            if isinstance(assigned, dict) else (None, None)
        if unit not in MAX_VALIDITY or not isinstance(amount, int) \
                or isinstance(amount, bool) or not 1 <= amount <= MAX_VALIDITY[unit]:
            raise SimError(400, "BadRequest",
                           "assignedValidity needs unit Days (amount 1-36500) or Months "
                           "(amount 1-1200)")
        assigned = {"unit": unit, "amount": amount}
    return start, end, assigned


def template_fields(body: Any) -> dict[str, Any]:
    """The fields of a create/update body (name required), ready for the state's template."""
    if not isinstance(body, dict):
        raise SimError(400, "BadRequest", "The body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SimError(400, "BadRequest", "name is required")
    external_id = body.get("externalId")
    if external_id is not None and not isinstance(external_id, str):
        raise SimError(400, "BadRequest", "externalId must be a string")
    start, end, assigned = validity_fields(body.get("validity"))
    pres = body.get("presentation") or {}
    if not isinstance(pres, dict):
        raise SimError(400, "BadRequest", "presentation must be an object")
    return {
        "name": name, "external_id": external_id or None, "start_date": start, "end_date": end,
        "assigned_validity": assigned,
        "presentation": {k: pres.get(k) for k in ("heading", "description", "link")},
        "channels": check_channels(body.get("redemptionChannels")),
    }


def check_channel_value(value_type: str, value: str, where: str) -> None:
    """Template values are strings: PERCENT a whole number 1-100, MONEY a positive decimal."""
    if value_type == "PERCENT":
        # ASCII digits only: "²".isdigit() is true, and int() of it fails
        if not PERCENT_VALUE.fullmatch(value) or not 1 <= int(value) <= 100:
            raise SimError(400, "BadRequest", f"{where}: PERCENT value must be 1-100")
    # a plain decimal: "Infinity", "NaN" and exponents ("1e999999") never reach Decimal
    elif value_type == "MONEY" and (not MONEY_VALUE.fullmatch(value) or not Decimal(value) > 0):
        raise SimError(400, "BadRequest", f"{where}: MONEY value must be a positive amount "
                       "such as 100 or 49.50")

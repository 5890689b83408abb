"""How Engage finds a contact id: validating and normalizing each lookup key, and ``any``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.sim.rules import SimError, is_email, normalize_phone, normalize_ssn


def criterion(key: str, value: str) -> tuple[str, str]:
    """(attribute, normalized value) for one lookup key, or 400 for a malformed value."""
    value = value.strip()
    if key == "email":
        if not is_email(value):
            raise SimError(400, "InvalidEmailAddress", "Not a valid e-mail address")
        return "email", value.lower()
    if key == "mobilePhone":
        phone = normalize_phone(value)
        if phone is None:
            raise SimError(400, "InvalidPhoneNumber", "Not a valid mobile phone number")
        return "mobilePhone", phone
    if key == "socialSecurityNumber":
        ssn = normalize_ssn(value)
        if ssn is None:
            raise SimError(400, "InvalidSocialSecurityNumber",
                           "Not a valid personal identity number")
        return "socialSecurityNumber", ssn
    if not value:
        raise SimError(400, "InvalidSearchQuery", "customKey is empty")
    return "customKey", value


def any_criterion(value: str) -> tuple[str, str]:
    """Engage's ``any``: the FIRST attribute the value validates as, even if nothing matches."""
    for key in ("email", "socialSecurityNumber", "mobilePhone", "customKey"):
        try:
            return criterion(key, value)
        except SimError:
            continue
    raise SimError(400, "InvalidSearchQuery", "any is empty")


def matches(a: Mapping[str, Any], attr: str, value: str) -> bool:
    """Whether contact attributes ``a`` match one normalized criterion."""
    if attr == "email":
        return str(a.get("email") or "").lower() == value
    if attr == "mobilePhone":
        return normalize_phone(str(a.get("mobilePhone") or "")) == value
    if attr == "socialSecurityNumber":
        return normalize_ssn(str(a.get("socialSecurityNumber") or "")) == value
    # customKey is memberNumber or externalId, depending on the tenant: we accept either
    return value in (a.get("memberNumber"), a.get("externalId"))

"""Engage's input rules as the simulator applies them: identifiers, dates, values, and errors."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Stockholm")  # Engage tenants answer with a local offset, e.g. +01:00
MAX_END_DATE = date(9999, 12, 30)
CHANNELS = ("POS", "ECOM", "OTHER")
VALUE_TYPES = ("PERCENT", "MONEY", "EXTERNALOFFER", "MANUAL", "SWIPE")
CONTACT_TYPES = ("Member", "Contact")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_PHONE = re.compile(r"^\+?\d{7,15}$")
_SSN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{4})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: Template values: PERCENT a whole number, MONEY a plain decimal (no exponent, no Infinity).
PERCENT_VALUE = re.compile(r"[0-9]{1,3}")
MONEY_VALUE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,4})?")
#: The longest per-contact validity accepted (100 years): the end must stay a real date.
MAX_VALIDITY = {"Days": 36_500, "Months": 1_200}


class SimError(Exception):
    """An Engage error answer: HTTP status, code name and message (plus extra body fields)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON error body (our assumed shape: errorCode + message)."""
        return {"errorCode": self.code, "message": self.message, **self.extra}


def parse_guid(value: object) -> str | None:
    """The canonical lower-case GUID, or None when ``value`` is not one.

    Only Engage's documented form (``2e40b702-2767-4abe-ae99-aa510108e22b``, any case,
    surrounding blanks ignored) is an id: braces, ``urn:uuid:`` and the 32-digit form are not.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    return str(uuid.UUID(text)) if _GUID.fullmatch(text) else None


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def normalize_phone(value: str) -> str | None:
    """E.164-ish form (+46...), or None if the value doesn't validate as a phone number."""
    digits = re.sub(r"[\s()\-]", "", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+46" + digits[1:]  # a Swedish tenant: national numbers get the country code
    if not _PHONE.match(digits):
        return None
    return digits if digits.startswith("+") else "+" + digits


def _luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def normalize_ssn(value: str) -> str | None:
    """The 10-digit form of a Swedish personnummer/samordningsnummer, or None if invalid."""
    m = _SSN.match(value.strip())
    if not m:
        return None
    _, yy, mm, dd, tail = m.groups()
    day = int(dd) - 60 if int(dd) > 60 else int(dd)  # samordningsnummer add 60 to the day
    if not (1 <= int(mm) <= 12 and 1 <= day <= 31):
        return None
    ten = f"{yy}{mm}{dd}{tail}"
    return ten if _luhn_ok(ten) else None


def parse_date(value: object, field: str) -> date:
    """A YYYY-MM-DD date (Engage rejects a time of day); 400 BadRequest otherwise."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise SimError(400, "BadRequest", f"{field} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SimError(400, "BadRequest", f"{field} is not a valid date") from None


def now() -> datetime:
    """The current time in the tenant's zone, to the second."""
    return datetime.now(TZ).replace(microsecond=0)


def now_ms() -> datetime:
    """The current time in the tenant's zone, to the millisecond (a redemption's stamp)."""
    t = datetime.now(TZ)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def end_of_day(d: date) -> datetime:
    """Engage promotions end at 23:59:59 local time on their last day."""
    return datetime.combine(d, time(23, 59, 59), TZ)


def start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0, 0), TZ)


def add_months(d: date, months: int) -> date:
    """``d`` plus whole months, clamped to the last day of the target month."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise ValueError("unreachable")


def add_validity(d: date, unit: str, amount: int) -> date:
    """The last valid day of a per-contact validity counted from assignment day ``d``
    (at most :data:`MAX_END_DATE`)."""
    try:
        end = d + timedelta(days=amount) if unit == "Days" else add_months(d, amount)
    except (OverflowError, ValueError):  # past year 9999
        return MAX_END_DATE
    return min(end, MAX_END_DATE)


def response_value(value_type: str, value: str, currency: str) -> Any:
    """A channel value as Engage lists it: PERCENT a number, MONEY {amount, currency}, else text."""
    if value_type in ("PERCENT", "MONEY"):
        if not (PERCENT_VALUE if value_type == "PERCENT" else MONEY_VALUE).fullmatch(value):
            return value  # only checked values are stored; never turn anything else into a number
        try:
            num = Decimal(value)
        except InvalidOperation:
            return value
        number: int | float = int(num) if num == num.to_integral_value() else float(num)
        return number if value_type == "PERCENT" else {"amount": number, "currency": currency}
    return value

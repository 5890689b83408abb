"""Engage's code values the till compares against (channel types, value types), without
pydantic: ``kiosk.offers`` needs them at import, and needs no pydantic until an Engage payload
exists (``kiosk.engage.models`` is imported with the first one). ``kiosk.engage.models``
re-exports both.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    POS = "POS"
    ECOM = "ECOM"
    OTHER = "OTHER"


class ValueType(StrEnum):
    PERCENT = "PERCENT"
    MONEY = "MONEY"
    EXTERNALOFFER = "EXTERNALOFFER"
    MANUAL = "MANUAL"
    SWIPE = "SWIPE"

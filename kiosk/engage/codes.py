"""Engage's code values the till compares against (channel types, value types), without
pydantic: ``kiosk.offers`` needs them at import, and ``kiosk run`` paints its scan screen
before any Engage payload exists (``kiosk.engage.models``, pydantic, is imported after the
first frame). ``kiosk.engage.models`` re-exports both.
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

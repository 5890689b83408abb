"""A test member of the simulator's tenant (imported by the tests in this folder)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A contact a test made, with the identifiers it can be found by."""

    id: str
    card: str
    email: str
    phone: str
    ssn: str

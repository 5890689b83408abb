"""Fixtures for the Engage client: a real simulator on loopback and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kiosk.engage.client import EngageClient
from kiosk.sim import Simulator
from tests.engage.engage_members import Member


@pytest.fixture
async def engage(sim: Simulator) -> AsyncIterator[EngageClient]:
    """An EngageClient on the simulator, closed after the test."""
    async with EngageClient(sim.url, sim.api_key) as client:
        yield client


@pytest.fixture
def member(sim: Simulator) -> Member:
    """A fresh member with a card, e-mail, phone and personal number."""
    card, email, phone, ssn = "2099000000015", "astrid@example.com", "+46701234567", "8112189876"
    contact_id = sim.state.add_contact(first_name="Astrid", last_name="Lind", card=card,
                                       email=email, mobile_phone=phone,
                                       social_security_number=ssn)
    return Member(contact_id, card, email, phone, ssn)

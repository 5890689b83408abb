"""Fixtures for the simulator's tests: a started simulator with the demo data, and a plain
httpx client speaking to it the way the kiosk does (apikey, User-Agent, JSON content type)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from kiosk.sim import Simulator
from tests.sim.simtools import client_for


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The simulator under test here is the demo tenant (the demo data, the default rate
    limit), on a free loopback port; elsewhere ``sim`` is an empty one (tests/conftest.py)."""
    with Simulator() as simulator:
        yield simulator


@pytest.fixture
def api(sim: Simulator) -> Iterator[httpx.Client]:
    """A plain httpx client on the simulator (not the kiosk's Engage client)."""
    with client_for(sim) as client:
        yield client


@pytest.fixture
def contact_id(api: httpx.Client) -> Callable[[str], str]:
    """Card number -> contact id, through the API."""

    def find(card: str) -> str:
        r = api.get("/api/v3/contacts/id", params={"customKey": card})
        assert r.status_code == 200, r.text
        return r.json()

    return find


@pytest.fixture
def offers(api: httpx.Client, contact_id: Callable[[str], str]) -> Callable[..., list[Any]]:
    """Card number -> that member's promotions (POS unless told), through the API."""

    def list_for(card: str, channel: str | None = "POS") -> list[Any]:
        params = {"redemptionChannelType": channel} if channel else {}
        r = api.get(f"/api/v2/contacts/{contact_id(card)}/promotions", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    return list_for


"""Helpers for the simulator's tests (imported by tests/sim/*)."""

from __future__ import annotations

import ssl

import httpx

from kiosk.sim import Simulator

ANNA = "2004173000100"  # demo member with every kind of offer
ERIK = "2004173000278"  # markup-looking offer names
SARA = "2004173000346"  # no offers
OMAR = "2004173000414"  # online-only offers
BERG = "2004173000582"  # family card shared by two contacts

# Plain http on loopback never uses TLS; one shared context spares each client the ~50 ms of
# loading the CA bundle.
_UNUSED_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def client_for(sim: Simulator, **headers: str) -> httpx.Client:
    """A client with the kiosk's headers; pass a header to override it, "" to drop it."""
    base = {"apikey": sim.api_key, "User-Agent": "KioskTests/1.0",
            "Content-Type": "application/json"}
    base.update(headers)
    return httpx.Client(base_url=sim.url, timeout=5.0, verify=_UNUSED_TLS,
                        headers={k: v for k, v in base.items() if v})


def error_code(response: httpx.Response) -> tuple[int, str]:
    """(status, errorCode) of an error answer."""
    return response.status_code, response.json()["errorCode"]

"""The HTTP protocol the simulator serves with (kiosk.sim.protocols): uvicorn's httptools
parser for Engage's plain requests, h11's answers for everything else, each connection
counted once and known by its client address (for dropped-connection faults)."""

from __future__ import annotations

import socket

import httpx
import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol

from kiosk.sim import Fault, Simulator, protocols
from kiosk.sim.server import HTTP_PROTOCOL
from tests.sim.simtools import client_for, error_code
from tests.support import wait_until

httptools = pytest.importorskip("httptools")  # the `sim` extra installs it


def _only_protocol(sim: Simulator) -> object:
    wait_until(lambda: len(sim._conns.by_client) == 1, what="one open connection")
    return next(iter(sim._conns.by_client.values()))


def test_plain_requests_are_parsed_by_httptools(sim: Simulator) -> None:
    assert HTTP_PROTOCOL == "httptools"
    with client_for(sim) as c:
        assert c.get("/api/v2/contacts/count").status_code == 200
        r = c.post("/api/v2/promotions/codes/nope/redeem", json={"redemptionChannel": "POS"})
        assert r.headers["content-type"].startswith("application/json") and r.status_code >= 400
        assert isinstance(_only_protocol(sim), protocols.HttpToolsOrH11)
    assert sim.connections_opened == 1


def test_an_unknown_method_gets_engages_json_405_and_the_connection_goes_on_with_h11(
        sim: Simulator) -> None:
    # llhttp refuses BREW with a plain-text 400; h11 lets the app answer it
    with client_for(sim) as c:
        assert c.get("/api/v2/contacts/count").status_code == 200
        r = c.request("BREW", "/api/v2/contacts/count")
        assert error_code(r) == (405, "MethodNotAllowed")
        assert r.headers["allow"] == "GET, HEAD"
        protocol = _only_protocol(sim)
        assert isinstance(protocol, H11Protocol)
        for _ in range(3):  # the same connection, now h11's, for good
            assert c.get("/api/v2/contacts/count").status_code == 200
        assert error_code(c.request("BREW", "/api/nowhere")) == (404, "ResourceNotFound")
        assert _only_protocol(sim) is protocol
    assert sim.connections_opened == 1  # handed over, not counted again
    wait_until(lambda: not sim._conns.by_client, what="the closed connection forgotten")


def test_a_dropped_connection_fault_closes_a_handed_over_connection(sim: Simulator) -> None:
    with client_for(sim) as c:
        c.request("BREW", "/api/v2/contacts/count")
        assert isinstance(_only_protocol(sim), H11Protocol)
        sim.faults.add(Fault("drop_after_read", method="GET", times=1))
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/api/v2/contacts/count")
        assert c.get("/api/v2/contacts/count").status_code == 200  # a new connection
    assert sim.connections_opened == 2


def test_a_request_line_split_across_reads_is_answered_as_by_h11(sim: Simulator) -> None:
    host, port = sim.url.rsplit("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"GE")  # not yet a method: the connection is h11's from here
        wait_until(lambda: isinstance(_only_protocol(sim), H11Protocol), what="handed to h11")
        s.sendall(f"T /api/v2/contacts/count HTTP/1.1\r\nHost: x\r\napikey: {sim.api_key}\r\n"
                  "Connection: close\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"application/json" in head
    assert body == str(sim.state.contact_count()).encode()


def test_without_httptools_the_simulator_serves_with_h11(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.sim.server.HTTP_PROTOCOL", "h11")
    with Simulator() as sim, client_for(sim) as c:
        assert c.get("/api/v2/contacts/count").status_code == 200
        protocol = _only_protocol(sim)
        assert isinstance(protocol, H11Protocol)
        assert not isinstance(protocol, protocols.HttpToolsOrH11)
    assert protocols.base("h11") is H11Protocol

"""TLS failures are configuration problems with a name, not an outage: each is its own typed
error naming OpenSSL's reason, nothing is sent or retried, and the breaker stays closed.
A real TLS endpoint (a throwaway CA made per test) sits in front of the simulator."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from kiosk.breaker import CircuitBreaker
from kiosk.config import Settings
from kiosk.engage import errors as e
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.lookup import MemberLookup
from kiosk.sim import Simulator
from kiosk.ui.launch import make_client
from kiosk.ui.messages_text import for_error
from tests.tls_front import Certs, TlsFront, expired

CARD = "2004173000100"  # a demo member


@pytest.fixture(scope="module")
def certs() -> Certs:
    return Certs.make()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


# (name, the server's certificate, host the kiosk uses, error class, words in the reason)
CASES: list[tuple[str, Callable[[Certs], trustme.LeafCert | trustme.CA], str,
                  type[e.TlsError], str]] = [
    ("self-signed", lambda c: trustme.CA(), "localhost", e.CertificateUntrusted, "self-signed"),
    ("unknown CA", lambda c: c.other_ca.issue_cert("localhost"), "localhost",
     e.CertificateUntrusted, "unable to get local issuer certificate"),
    ("host name mismatch", lambda c: c.ca.issue_cert("engage.example"), "localhost",
     e.CertificateNameMismatch, "Hostname mismatch"),
    ("IP not in the certificate", lambda c: c.ca.issue_cert("localhost"), "127.0.0.1",
     e.CertificateNameMismatch, "IP address mismatch"),
    ("expired", lambda c: expired(c.ca), "localhost", e.CertificateExpired, "expired"),
]


def client(url: str, certs: Certs, **kw: object) -> EngageClient:
    return EngageClient(url, "the-key", verify=certs.client_context(),
                        timeouts=ClientTimeouts(connect=2.0, lookup_deadline=3.0), **kw)


async def test_a_good_certificate_passes(sim: Simulator, certs: Certs) -> None:
    with TlsFront(sim, certs.good()) as front:
        async with EngageClient(front.url, sim.api_key, verify=certs.client_context()) as c:
            assert await c.ping() > 0


@pytest.mark.parametrize(("name", "cert", "host", "cls", "reason"), CASES,
                         ids=[c[0] for c in CASES])
async def test_each_tls_failure_is_named(
        sim: Simulator, certs: Certs, caplog: pytest.LogCaptureFixture, name: str,
        cert: Callable[[Certs], trustme.LeafCert | trustme.CA], host: str,
        cls: type[e.TlsError], reason: str) -> None:
    with TlsFront(sim, cert(certs), host=host) as front, caplog.at_level(logging.WARNING):
        async with client(front.url, certs) as c:
            with pytest.raises(e.TlsError) as caught:
                await c.find_contact_id(CARD)
            with pytest.raises(e.TlsError):
                await c.redeem("2e40b702-2767-4abe-ae99-aa510108e22b")
    err = caught.value
    assert type(err) is cls and reason.lower() in err.reason.lower(), err.reason
    assert not err.request_sent and not err.outcome_unknown
    assert reason.lower() in str(err).lower() and CARD not in str(err)
    assert sim.requests == []
    failures = [r.getMessage() for r in caplog.records if "failed after" in r.getMessage()]
    assert len(failures) == 2, failures  # one attempt each: a retry can't fix a certificate
    assert all("TLS: " in f and CARD not in f for f in failures)


async def test_https_to_a_plain_http_port_is_not_tls(sim: Simulator, certs: Certs) -> None:
    url = sim.url.replace("http://", "https://")
    async with client(url, certs) as c:
        with pytest.raises(e.NotTls) as caught:
            await c.ping()
    assert "WRONG_VERSION_NUMBER" in caught.value.reason or caught.value.reason


@pytest.mark.parametrize(("cls", "title"), [
    (e.CertificateUntrusted, "Engage's certificate is not trusted by this till"),
    (e.CertificateNameMismatch, "Engage's certificate is for another name"),
    (e.CertificateExpired, "Engage's certificate has expired"),
    (e.NotTls, "Engage's address does not answer securely"),
    (e.TlsError, "Secure connection to Engage failed"),
])
def test_staff_read_a_configuration_problem_for_it(cls: type[e.TlsError], title: str) -> None:
    msg = for_error(cls("GET /x: ConnectError (TLS: whatever)", reason="whatever"))
    assert msg.title == title and "for IT" in msg.body and msg.severity == "error"
    assert "whatever" not in msg.body  # OpenSSL's words are for IT, on F9 and in the log


async def test_tls_failures_do_not_open_the_breaker(sim: Simulator, certs: Certs) -> None:
    breaker = CircuitBreaker(1, 60.0)
    with TlsFront(sim, certs.other_ca.issue_cert("localhost")) as front:
        async with client(front.url, certs, get_retries=0) as c:
            lookup = MemberLookup(c, breaker=breaker)
            for _ in range(3):  # each scan says "not trusted", never "Engage unavailable"
                with pytest.raises(e.CertificateUntrusted):
                    await lookup.lookup(CARD)
    assert breaker.state == "closed"


async def test_the_ca_bundle_setting_makes_the_certificate_trusted(
        sim: Simulator, certs: Certs, tmp_path: Path) -> None:
    with TlsFront(sim, certs.good()) as front:
        trusting = Settings(engage_url=front.url, engage_api_key=sim.api_key,
                            engage_ca_bundle=certs.ca_file(tmp_path))
        default = Settings(engage_url=front.url, engage_api_key=sim.api_key)
        engage = make_client(trusting)
        try:
            assert await engage.find_contact_id(CARD)
        finally:
            await engage.aclose()
        engage = make_client(default)  # the system store doesn't know our throwaway CA
        try:
            with pytest.raises(e.CertificateUntrusted):
                await engage.find_contact_id(CARD)
        finally:
            await engage.aclose()

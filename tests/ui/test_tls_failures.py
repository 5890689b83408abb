"""A certificate problem reads as one for IT, on the result, the scan screen and F9; it is
not shown as "Engage unreachable". A real TLS endpoint sits in front of the simulator."""

from __future__ import annotations

from kiosk.breaker import CircuitBreaker
from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.ui.services import KioskServices
from tests.tls_front import Certs, TlsFront
from tests.ui.kiosk_pilot import ANNA, Members


def services_for(client: EngageClient, base: KioskServices) -> KioskServices:
    breaker = CircuitBreaker(1, 60.0)  # one outage would open it: a TLS failure must not
    return KioskServices(
        lookup=MemberLookup(client, breaker=breaker),
        redeemer=Redeemer(client, base.journal, store="Test Store", terminal="Till 1",
                          breaker=breaker),
        journal=base.journal, settings=base.settings)


async def test_an_untrusted_certificate_is_a_problem_for_it(
        start_kiosk, sim, members: Members, services: KioskServices) -> None:
    certs = Certs.make()
    with TlsFront(sim, certs.other_ca.issue_cert("localhost")) as front:
        client = EngageClient(front.url, sim.api_key, verify=certs.client_context(),
                              timeouts=ClientTimeouts(connect=2.0, lookup_deadline=3.0))
        try:
            async with start_kiosk(size=(120, 40), services_=services_for(client, services)) as k:
                for _ in range(2):  # the second scan too: no breaker hides the reason
                    await k.scan(ANNA)
                    await k.screen_is("ResultScreen")
                    text = k.text()
                    assert "Engage's certificate is not trusted by this till" in text
                    assert "for IT" in text and "unreachable" not in text
                    await k.pilot.press("enter")
                    await k.screen_is("ScanScreen")
                    k.app.gate.debouncer.reset()
                await k.wait_for(lambda: "certificate problem, tell IT" in k.text(), "status")
                await k.pilot.press("f9")  # no PIN configured: straight in
                await k.screen_is("DiagnosticsScreen")
                await k.wait_for(lambda: "CertificateUntrusted" in k.text(), "F9 problem row")
                shown = " ".join(k.text().split())  # the reason may wrap
                assert "TLS: unable to get local issuer certificate" in shown
                assert sim.requests == []
        finally:
            await client.aclose()

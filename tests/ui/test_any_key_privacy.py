"""A till looking members up by ``KIOSK_LOOKUP_KEY=any``: Engage doesn't say which attribute
matched, so a value shaped like a Nordic personal identity number (check digits, a real date:
``kiosk.scanner.personal_number``) is treated as one — no digit of it on any screen, in the
journal (so F2, ``kiosk journal`` and the fleet push) or in the log — and a card keeps its last
four. Against the real simulator (whose ``any`` takes the first attribute a value validates as)
and a real journal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.engage.client import EngageClient
from kiosk.lookup import MemberLookup
from kiosk.sim import Fault, Simulator
from kiosk.sim.lookup import any_criterion
from kiosk.ui.services import KioskServices
from tests.ui.test_personal_lookup_privacy import _flat, kiosk_log, redeem_first

__all__ = ["kiosk_log"]  # the fixture, used by name

MASK = "••••"


def at_an_any_till(services: KioskServices, settings, engage: EngageClient) -> None:
    services.settings = settings.with_changes(lookup_key="any")
    services.lookup = MemberLookup(engage, key="any")


def member_with(sim: Simulator, value: str) -> str:
    """Maria, found by ``value`` at an ``any`` till: in the attribute Engage's ``any`` takes
    it as (a Swedish-valid number as a personal number, a Finnish one as the customKey, ...)."""
    attribute = {"socialSecurityNumber": "social_security_number",
                 "mobilePhone": "mobile_phone", "customKey": "card"}[any_criterion(value)[0]]
    maria = sim.state.add_contact(first_name="Maria", **{attribute: value})
    sim.state.add_offer(maria, name="Autumn 20", value_type="PERCENT", value=20)
    return maria


def digit_groups(value: str) -> set[str]:
    """What of ``value`` must show nowhere: each run of 3+ digits, the last four digits and
    the first six (a date of birth)."""
    digits = re.sub(r"\D", "", value)
    return {*re.findall(r"\d{3,}", value), digits[-4:], digits[:6]}


@pytest.mark.parametrize(("value", "typed"), [
    ("197811247399", False),   # Sweden, 12 digits (Luhn)
    ("781124-7399", False),    # Sweden, 10 with the hyphen
    ("15076500565", False),    # Norway (two mod-11 check digits)
    ("070761-4285", False),    # Denmark (a real date)
    ("131052-308T", False),    # Finland (check character)
    ("781124-7399", True),     # typed: the card rules drop the hyphen
    ("131052-308T", True),     # typed: ... and with it Finland's century sign
])
async def test_a_personal_number_at_an_any_till_leaves_no_digit_anywhere(
        start_kiosk, sim: Simulator, services: KioskServices, settings,
        engage: EngageClient, kiosk_log: Path, value: str, typed: bool) -> None:
    maria = member_with(sim, value.replace("-", "") if typed else value)  # as Engage gets it
    at_an_any_till(services, settings, engage)
    seen: list[str] = []
    async with start_kiosk(notifications=True) as k:
        k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/", latency=0.5))
        if typed:
            await k.type_card(value)
        else:
            k.burst(value)
        await k.wait_for(lambda: "Looking up the personal number…" in k.text(), "busy line")
        seen.append(k.text())
        await k.screen_is("OffersScreen")
        k.sim.faults.clear()
        assert k.sim.requests_to("GET", r"/contacts/id$")[-1].query.startswith("any=")
        await redeem_first(k, seen)
        assert "Maria" in seen[1], seen[1]
        for screen in seen[1:]:
            assert "found by personal number" in _flat(screen), screen
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        await k.wait_for(lambda: "Autumn 20" in k.text(), "the redemption in F2")
        seen.append(k.text())
    for screen in seen:
        for part in digit_groups(value):
            assert part not in screen, (part, screen)
        assert "card •" not in screen, screen
    (row,) = k.journal.rows()
    assert row.masked_card == MASK and row.contact_id == maria
    log = kiosk_log.read_text(encoding="utf-8")
    assert log, "the log file was written"
    for part in digit_groups(value):
        assert part not in log, [line for line in log.splitlines() if part in line]


async def test_a_card_at_an_any_till_keeps_its_last_four(
        start_kiosk, sim: Simulator, services: KioskServices, settings,
        engage: EngageClient) -> None:
    member_with(sim, "MB004715")
    at_an_any_till(services, settings, engage)
    seen: list[str] = []
    async with start_kiosk() as k:
        await k.scan("MB004715")
        await redeem_first(k, seen)
        assert all("•••• 4715" in screen for screen in seen), seen
        assert not any("found by" in screen for screen in seen)
    (row,) = k.journal.rows()
    assert row.masked_card == "•••• 4715"


async def test_a_shared_personal_number_at_an_any_till_is_asked_for_without_it(
        start_kiosk, sim: Simulator, services: KioskServices, settings,
        engage: EngageClient) -> None:
    """Two members with one personal number: the chooser names the kind, no digit of it."""
    for name in ("Maja", "Mikael"):
        sim.state.add_contact(first_name=name, social_security_number="196605178620")
    at_an_any_till(services, settings, engage)
    async with start_kiosk() as k:
        await k.scan("196605178620")
        await k.screen_is("ChooserScreen")
        await k.wait_for(lambda: "Mikael" in k.text(), "the first names")
        text = _flat(k.text())
        assert "Several members have this personal number" in text, text
        assert "8620" not in text and "660517" not in text

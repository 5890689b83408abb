"""A member looked up by a personal number, an e-mail address or a mobile number: no character
of that value on any screen, in the journal (and so in F2, ``kiosk journal`` and the fleet
push), or in the log file. A personnummer's last four digits are its sensitive part, a mobile
number's are personal data, and "•••• .com" tells nobody anything: the screens name what was
used ("found by personal number"), the journal keeps "••••" alone. A card keeps "•••• 0015".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.engage.client import EngageClient
from kiosk.logs import configure_logging, reset_logging
from kiosk.lookup import MemberLookup
from kiosk.sim import Fault, Simulator
from kiosk.ui import messages_text
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members

SSN = "197811247399"  # a valid personnummer (Luhn): the last four, 7399, must show nowhere
SSN_PARTS = ("7399", "247399", "7811247399", "781124")
SHARED_SSN = "196605178620"  # two members have it (a 409 with both listed)
PHONE, PHONE_SENT = "070-312 45 86", "+46703124586"
MASK = "••••"


@pytest.fixture
def kiosk_log(settings) -> Iterator[Path]:
    """The kiosk's log file at DEBUG, as ``kiosk run`` writes it; the root logger given back."""
    level = logging.getLogger().level
    path = configure_logging(settings.with_changes(log_level="DEBUG"))
    yield path
    reset_logging()
    logging.getLogger().setLevel(level)


def by_personal_number(services: KioskServices, settings, engage: EngageClient) -> None:
    """A till that scans personal numbers (KIOSK_LOOKUP_KEY=socialSecurityNumber)."""
    services.settings = settings.with_changes(lookup_key="socialSecurityNumber")
    services.lookup = MemberLookup(engage, key="socialSecurityNumber")


async def redeem_first(k: Kiosk, seen: list[str]) -> None:
    """Offers -> confirm -> result, keeping every screen staff saw."""
    await k.screen_is("OffersScreen")
    await k.wait_for(lambda: "Autumn 20" in k.text(), "the offers")
    seen.append(k.text())
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    seen.append(k.text())
    await k.pilot.press("enter")
    await k.screen_is("ResultScreen")
    await k.wait_for(lambda: "redeemed" in k.text(), "the result")
    seen.append(k.text())


async def test_a_member_found_by_personal_number_shows_and_keeps_no_digit_of_it(
        start_kiosk, sim: Simulator, services: KioskServices, settings, engage: EngageClient,
        kiosk_log: Path) -> None:
    maria = sim.state.add_contact(first_name="Maria", social_security_number=SSN)
    sim.state.add_offer(maria, name="Autumn 20", value_type="PERCENT", value=20)
    by_personal_number(services, settings, engage)
    seen: list[str] = []
    async with start_kiosk(notifications=True) as k:
        k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/", latency=0.5))
        k.burst(SSN)  # a scanned (or wedge-typed) personal number
        await k.wait_for(lambda: "Looking up the personal number…" in k.text(), "busy line")
        seen.append(k.text())
        await k.screen_is("OffersScreen")
        k.sim.faults.clear()
        assert k.sim.requests_to("GET", r"/contacts/id$")[-1].query \
            .startswith("socialSecurityNumber=")  # looked up by the personal number
        await redeem_first(k, seen)
        assert "Maria" in seen[1] and "found by personal number" in seen[1], seen[1]
        assert "found by personal number" in seen[2] and "found by personal number" in seen[3]
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.pilot.press("f2")  # today's redemptions at this till
        await k.screen_is("RecallScreen")
        await k.wait_for(lambda: "Autumn 20" in k.text(), "the redemption in F2")
        seen.append(k.text())
    for screen in seen:
        for part in SSN_PARTS:
            assert part not in screen, screen
        assert "card •" not in screen, screen
    (row,) = k.journal.rows()
    assert row.masked_card == MASK
    log = kiosk_log.read_text(encoding="utf-8")
    assert log, "the log file was written"
    for part in SSN_PARTS:
        assert part not in log, [line for line in log.splitlines() if part in line]


@pytest.mark.parametrize(("typed", "found", "parts"), [
    ("pia.holm@example.com", "found by e-mail address", ("pia.", ".com", "example")),
    (PHONE, "found by mobile number", ("4586", "45 86", PHONE_SENT)),
])
async def test_a_typed_email_or_phone_is_in_the_journal_as_the_mask_alone(
        start_kiosk, members: Members, sim: Simulator, typed: str, found: str,
        parts: tuple[str, ...]) -> None:
    pia = sim.state.add_contact(first_name="Pia", email="pia.holm@example.com",
                                mobile_phone=PHONE_SENT)
    sim.state.add_offer(pia, name="Autumn 20", value_type="PERCENT", value=20)
    seen: list[str] = []
    async with start_kiosk() as k:
        await k.type_card(typed)
        await redeem_first(k, seen)
        for screen in seen:
            assert found in _flat(screen), screen
            for part in parts:
                assert part not in screen, screen
    (row,) = k.journal.rows()
    assert row.masked_card == MASK


async def test_a_card_keeps_its_last_four(start_kiosk, members: Members) -> None:
    seen: list[str] = []
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await redeem_first(k, seen)
        assert all("•••• 0015" in screen for screen in seen), seen
        assert not any("found by" in screen for screen in seen)
    (row,) = k.journal.rows()
    assert row.masked_card == "•••• 0015"


async def test_a_shared_personal_number_asks_without_it_and_keeps_it_hidden_after(
        start_kiosk, sim: Simulator, services: KioskServices, settings,
        engage: EngageClient) -> None:
    """Two members with one personal number: "which of you?" names the kind, no digit; the
    chosen member's offers (a re-read by contact id) still say "found by personal number"."""
    maja = sim.state.add_contact(first_name="Maja", social_security_number=SHARED_SSN)
    sim.state.add_contact(first_name="Mikael", social_security_number=SHARED_SSN)
    sim.state.add_offer(maja, name="Autumn 20", value_type="PERCENT", value=20)
    by_personal_number(services, settings, engage)
    async with start_kiosk() as k:
        await k.scan(SHARED_SSN)
        await k.screen_is("ChooserScreen")
        await k.wait_for(lambda: "Mikael" in k.text(), "the first names")
        text = _flat(k.text())
        assert "Several members have this personal number" in text, text
        assert "8620" not in text and "shared" not in text
        await k.pilot.press("enter")  # Maja, the first
        seen: list[str] = []
        await redeem_first(k, seen)
        for screen in seen:
            assert "8620" not in screen and "found by personal number" in _flat(screen), screen
    (row,) = k.journal.rows()
    assert row.masked_card == MASK


def _flat(text: str) -> str:
    for ch in "│┃▎▊":
        text = text.replace(ch, " ")
    return " ".join(text.split())


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_the_busy_line_and_the_screens_name_a_personal_number_in_every_language(
        language: str) -> None:
    """No digit of it, in words of the language (the msgid only in English)."""
    from kiosk.offers import Member
    from kiosk.ui.screens.offers import member_card

    before = i18n.language()
    i18n.set_language(language)
    try:
        line = messages_text.looking_up(SSN, "socialSecurityNumber")
        found = member_card(Member("c1", "Maria", SSN, MASK, key="socialSecurityNumber"))
        card = member_card(Member("c1", "Maria", ANNA, "•••• 0015"))
    finally:
        i18n.set_language(before)
    assert not any(ch.isdigit() for ch in line + found), (line, found)
    assert "0015" in card
    if language != "en":
        assert line != "Looking up the personal number…" and found != "found by personal number"

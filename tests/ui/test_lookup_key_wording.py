"""What staff read names what was used: a till that *scans* by e-mail address or mobile number
(KIOSK_LOOKUP_KEY) says so when nobody has it, with advice for a scan (ask for another card),
not the typed value's ("type it again, scan the card"); a typed value keeps its own words. And
while Engage looks up a typed e-mail address or mobile number, the busy line names the kind,
never the value's last characters ("•••• .com"); a scanned card keeps its masked digits."""

from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.engage.client import EngageClient
from kiosk.i18n import _
from kiosk.lookup import MemberLookup
from kiosk.sim import Fault, Simulator
from kiosk.ui import messages_text
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members
from tests.ui.test_typed_not_found import _flat, _typed_result, _whole_on_a_row, not_found

UNKNOWN_EMAIL = "nobody.here@example.com"
UNKNOWN_PHONE = "+46709998877"
#: the typed value's advice, wrong for a scan: scanning the same card finds the same nobody
TYPED_ADVICE = ("scan the card", "type it again")


def scanning_by(key: str, services: KioskServices, settings, engage: EngageClient,
                language: str = "en") -> None:
    """A till whose scanners read e-mail addresses or mobile numbers (KIOSK_LOOKUP_KEY)."""
    services.settings = settings.with_changes(lookup_key=key, language=language)
    services.lookup = MemberLookup(engage, key=key)


async def scanned_result(k: Kiosk, value: str) -> str:
    await k.scan(value)
    await k.screen_is("ResultScreen")
    return k.text()


@pytest.mark.parametrize(("key", "value", "typed_value"), [
    ("email", UNKNOWN_EMAIL, "other.nobody@example.com"),
    ("mobilePhone", UNKNOWN_PHONE, "+46709998866"),
])
async def test_a_scanned_email_or_phone_nobody_has_gets_a_scans_advice(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        engage: EngageClient, key: str, value: str, typed_value: str) -> None:
    scanning_by(key, services, settings, engage)
    async with start_kiosk() as k:
        flat = _flat(await scanned_result(k, value))
        for advice in TYPED_ADVICE:
            assert advice not in flat, flat
        assert "Ask for another card" in flat
        title, body = not_found(key, typed=False)
        assert title in flat and _flat(body) in flat, flat
        assert value not in flat and value[-6:] not in flat  # never shown
        query = sim.requests_to("GET", r"/contacts/id$")[-1].query
        assert query.startswith(f"{key}="), query  # looked up by the till's key

        # Typed at the same till: the typed value's words (check it, type it again).
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        flat = _flat(await _typed_result(k, typed_value))
        title, body = not_found(key, typed=True)
        assert title in flat and _flat(body) in flat, flat
        assert "type it again" in flat


async def test_a_scanned_card_and_the_card_key_keep_the_card_words(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        flat = _flat(await scanned_result(k, "2000000000039"))
        assert "Card not found" in flat and "Ask for another card" in flat
        assert "e-mail" not in flat and "mobile number" not in flat


def test_several_members_by_a_scanned_email_or_phone() -> None:
    """Engage's 409 without ids at a till scanning by e-mail or number: no "scan the card"."""
    from kiosk.engage.errors import MultipleMatches

    error = MultipleMatches("more than one", matches=[])
    for key, title in (("email", "Several members have this e-mail address"),
                       ("mobilePhone", "Several members have this mobile number")):
        scanned = messages_text.for_error(error, key)
        assert scanned.title == title and "Ask for another card" in scanned.body
        assert "Scan the member's card" not in scanned.body
        typed = messages_text.for_error(error, key, typed=True)
        assert typed.title == title and "Scan the member's card" in typed.body


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
async def test_scanned_not_found_whole_at_80x24(
        start_kiosk, members: Members, services: KioskServices, settings,
        engage: EngageClient, language: str) -> None:
    """Every language at 80x24: the headline on one row, the scan's advice whole."""
    scanning_by("email", services, settings, engage, language)
    async with start_kiosk() as k:
        text = await scanned_result(k, UNKNOWN_EMAIL)
        title, body = not_found("email", typed=False)
        assert _whole_on_a_row(text, _(title)), f"{language}: {_(title)!r}\n{text}"
        assert _flat(_(body)) in _flat(text), f"{language}: {_(body)!r}\n{text}"


# --- the busy line -------------------------------------------------------------------------

def busy_row(k: Kiosk) -> str:
    return next((row.strip() for row in k.text().splitlines()
                 if row.strip().startswith(_("Looking up {card}…").split("{")[0].strip())
                 or _("Looking up the e-mail address…") in row
                 or _("Looking up the mobile number…") in row), "")


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
async def test_the_busy_line_names_a_typed_email_or_phone_without_it(
        start_kiosk, members: Members, services: KioskServices, settings,
        language: str) -> None:
    """In every language at 80x24 (and 60x20 for the narrowest till): "Looking up the e-mail
    address…" on one row, nothing of the address; the same for a mobile number; a scanned
    card keeps "•••• 0015"."""
    services.settings = settings.with_changes(language=language)
    for size in ((80, 24), (60, 20)):
        async with start_kiosk(size=size) as k:
            for typed, wanted in (("anna@example.com", _("Looking up the e-mail address…")),
                                  ("070-999 88 77", _("Looking up the mobile number…"))):
                k.sim.faults.clear()
                await k.pilot.press(*typed)
                k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/",
                                       latency=1.0))
                await k.pilot.press("enter")
                await k.wait_for(lambda w=wanted: w in k.text(), f"{language}: {wanted!r}")
                row = busy_row(k)
                assert row == wanted, f"{language} {size}: {row!r}"
                for shown in (".com", "example", "anna", "••••", "88 77", "8877"):
                    assert shown not in row, f"{language}: {row!r}"
                await k.wait_for(lambda: not k.app.busy_text, "the answer")
                await k.wait_for(lambda: type(k.app.screen).__name__ != "ScanScreen", "shown")
                await k.pilot.press("escape")
                await k.screen_is("ScanScreen")
            k.sim.faults.clear()
            k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/", latency=1.0))
            k.burst(ANNA)
            card = _("Looking up {card}…").format(card="•••• 0015")
            await k.wait_for(lambda c=card: c in k.text(), f"{language}: {card!r}")
            await k.wait_for(lambda: type(k.app.screen).__name__ == "OffersScreen", "offers")


async def test_the_busy_line_of_a_till_that_scans_by_email(
        start_kiosk, members: Members, services: KioskServices, settings,
        engage: EngageClient) -> None:
    """A scanned e-mail address (KIOSK_LOOKUP_KEY=email) is named, not masked, too."""
    scanning_by("email", services, settings, engage)
    async with start_kiosk() as k:
        k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/", latency=1.0))
        k.burst("anna@example.com")
        await k.wait_for(lambda: "Looking up the e-mail address…" in k.text(), "the busy line")
        assert ".com" not in busy_row(k)
        await k.screen_is("OffersScreen")
        assert "Autumn 20" in k.text()


async def test_the_busy_line_on_the_linux_console_without_colour(
        start_kiosk, members: Members, linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR at 80x24: the line in words the console font has."""
    async with start_kiosk() as k:
        assert k.app.console_mode and k.app.no_color
        await k.pilot.press(*"anna@example.com")
        k.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/", latency=1.0))
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Looking up the e-mail address…" in k.text(), "the busy line")
        assert busy_row(k) == "Looking up the e-mail address…"
        await k.screen_is("OffersScreen")

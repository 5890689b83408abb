"""A typed e-mail address or mobile number no member has (or several have): staff read what
they typed ("No member has this e-mail address"), never "this card"; a scanned or typed card
keeps the card's words. The address or number is never shown or logged in full."""

from __future__ import annotations

import logging

import pytest

from kiosk import i18n
from kiosk.engage.errors import ContactNotFound, MultipleMatches
from kiosk.i18n import _
from kiosk.ui import messages_text
from kiosk.ui.screens import chooser
from tests.ui.kiosk_pilot import NOBODY, Kiosk, Members

UNKNOWN_EMAIL = "nobody.here@example.com"
UNKNOWN_PHONE, UNKNOWN_PHONE_SENT = "070-999 88 77", "+46709998877"


def _flat(text: str) -> str:
    """Row text with box lines and line breaks gone: a wrapped paragraph reads as one."""
    for ch in "│┃":
        text = text.replace(ch, " ")
    return " ".join(text.replace("\xa0", " ").split())


def _whole_on_a_row(screen: str, wanted: str) -> bool:
    return any(wanted in row.replace("\xa0", " ") for row in screen.splitlines())


async def _typed_result(k: Kiosk, typed: str) -> str:
    generation = k.app.generation
    await k.type_card(typed)
    await k.wait_for(lambda: k.app.generation > generation and not k.app.busy_text
                     and type(k.app.screen).__name__ == "ResultScreen", "the result")
    return k.text()


def not_found(key: str, typed: bool = True) -> tuple[str, str]:
    """The headline and advice (msgids) for "no member" by ``key``, typed or scanned."""
    return next((title, body) for cls, by, by_typing, title, body in messages_text.BY_KEY
                if by == key and by_typing == typed and cls is ContactNotFound)


def _kiosk_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("kiosk"))


async def test_typed_email_and_phone_not_found_say_what_was_typed(
        start_kiosk, members: Members, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk")
    async with start_kiosk() as k:
        text = await _typed_result(k, UNKNOWN_EMAIL)
        flat = _flat(text)
        assert "E-mail address not found" in flat, text
        assert "No member has this e-mail address." in flat and "without offers" in flat
        assert "No member has this card" not in flat and "Card not found" not in flat
        assert "nobody.here" not in text and UNKNOWN_EMAIL not in text  # never in full
        # It went to Engage by e-mail: Engage answered "no such member", not a refusal.
        assert k.sim.requests_to("GET", r"/contacts/id$")[-1].query \
            == "email=nobody.here%40example.com"

        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        text = await _typed_result(k, UNKNOWN_PHONE)
        flat = _flat(text)
        assert "Mobile number not found" in flat, text
        assert "No member has this mobile number." in flat and "without offers" in flat
        assert "No member has this card" not in flat and "Card not found" not in flat
        for shown in (UNKNOWN_PHONE, UNKNOWN_PHONE_SENT, "0709998877", "999 88"):
            assert shown not in text

        # A card, typed or scanned, keeps the card's words.
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        flat = _flat(await _typed_result(k, NOBODY))
        assert "Card not found" in flat and "No member has this card." in flat
        assert "e-mail address" not in flat
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.scan(NOBODY)
        flat = _flat(k.text())
        assert "Card not found" in flat and "mobile number" not in flat
    log = _kiosk_log(caplog)
    assert "nobody.here" not in log and "9998877" not in log and "999 88" not in log


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
async def test_not_found_by_email_or_phone_whole_at_80x24(
        start_kiosk, members: Members, services, settings, language: str) -> None:
    """Every language: the headline on one row, the advice whole, at 80x24."""
    services.settings = settings.with_changes(language=language)
    async with start_kiosk() as k:
        for typed, key in ((UNKNOWN_EMAIL, "email"), (UNKNOWN_PHONE, "mobilePhone")):
            text = await _typed_result(k, typed)
            title, body = not_found(key)
            assert _whole_on_a_row(text, _(title)), f"{language}: {_(title)!r}\n{text}"
            assert _flat(_(body)) in _flat(text), f"{language}: {_(body)!r}\n{text}"
            await k.pilot.press("escape")
            await k.screen_is("ScanScreen")


async def test_not_found_by_email_on_the_linux_console_without_colour(
        start_kiosk, members: Members, linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR, 80x24: the headline and its advice readable, in the
    console's glyphs (a cross the VT font has), nothing cut."""
    async with start_kiosk() as k:
        assert k.app.console_mode and k.app.no_color
        text = await _typed_result(k, UNKNOWN_EMAIL)
        title, body = not_found("email")
        assert _whole_on_a_row(text, title), text
        assert _flat(body) in _flat(text), text
        assert not set(text) & set("✔✘⚠⏎"), text  # only what a console font has


FAMILY_EMAIL, FAMILY_PHONE = "family.berg@example.com", "+46701112233"


async def _chooser_text(k: Kiosk, typed: str) -> str:
    await k.type_card(typed)
    await k.screen_is("ChooserScreen")
    await k.wait_for(lambda: "Maja" in k.text(), "the first names")
    return _flat(k.text())


async def test_typed_email_or_phone_several_members_have_asks_which_of_you(
        start_kiosk, members: Members, sim, services, settings) -> None:
    """A family sharing one e-mail address or mobile number: "which of you?" in those words
    (no "card", no masked address); the chosen member's offers follow. In every language at
    80x24, the question whole."""
    maja = sim.state.add_contact(first_name="Maja", email=FAMILY_EMAIL,
                                 mobile_phone=FAMILY_PHONE)
    sim.state.add_contact(first_name="Mikael", email=FAMILY_EMAIL, mobile_phone=FAMILY_PHONE)
    sim.state.add_offer(maja, name="Maja's ten", value_type="PERCENT", value=10)
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        async with start_kiosk() as k:
            for typed, key in ((FAMILY_EMAIL, "email"), (FAMILY_PHONE, "mobilePhone")):
                text = await _chooser_text(k, typed)
                question = _(chooser.TITLE_BY_KEY[key])
                assert _flat(question) in text, f"{language}: {question!r}\n{text}"
                assert "Mikael" in text and "family.berg" not in text and "1112233" not in text
                assert _("Card {card} is shared. Which member is here?").split("{")[0] \
                    not in text
                await k.pilot.press("escape")
                await k.screen_is("ScanScreen")
            if language == "en":
                await _chooser_text(k, FAMILY_EMAIL)
                await k.pilot.press("enter")  # Maja, the first
                await k.screen_is("OffersScreen")
                assert "Maja" in k.text() and "Maja's ten" in k.text()


def test_several_members_without_their_ids_say_what_was_typed() -> None:
    """Engage's 409 without the list of contacts: no chooser, a message in the same words."""
    error = MultipleMatches("more than one", matches=[])
    assert messages_text.for_error(error, "email").title \
        == "Several members have this e-mail address"
    assert messages_text.for_error(error, "mobilePhone").title \
        == "Several members have this mobile number"
    assert messages_text.for_error(error, "customKey").title == "Several members share this card"
    assert messages_text.for_error(error).title == "Several members share this card"

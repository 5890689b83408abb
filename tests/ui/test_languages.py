"""Every language on the main screens at 80x24: all of each staff string shown, none cut.

For each language the frozen demo is driven to the scan, offers, confirm and result screens;
the strings staff read there (translated from the catalogs) must each appear whole, on one
row, or for paragraphs in the row text with the line breaks joined. The scan, offers and
result screens are also kept as SVG snapshots per language (``--snapshot-update`` after a
deliberate change to a translation or the layout).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
from textual.pilot import Pilot

from kiosk import i18n
from kiosk.i18n import _
from kiosk.ui import showcase
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.offers import shown_value

SMALL = (80, 24)
LANGUAGES = list(i18n.LANGUAGES)
Flow = Callable[[Pilot[Any]], Awaitable[None]]


def _flat(text: str) -> str:
    """Row text with box lines and line breaks gone: a wrapped paragraph reads as one."""
    for ch in "│┃":
        text = text.replace(ch, " ")
    return " ".join(text.replace("\xa0", " ").split())


def _whole_on_a_row(screen: str, wanted: str) -> bool:
    wanted = wanted.replace("\xa0", " ")
    return any(wanted in row.replace("\xa0", " ") for row in screen.splitlines())


async def _show(language: str, flow: Flow, size: tuple[int, int] = SMALL) -> tuple[str, Any]:
    """The screen's text and the screen itself once ``flow`` has reached it."""
    with showcase.frozen_demo(language) as make_app:
        app: KioskApp = make_app()
        async with app.run_test(size=size) as pilot:
            await flow(pilot)
            await pilot.pause()
            return showcase.screen_text(app), app.screen


def _footer(*descriptions: str) -> list[str]:
    return [_(d) for d in descriptions]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_scan_screen(language: str) -> None:
    screen, _shown = await _show(language, showcase.scan_screen)
    for text in [_("Scan the member's card"),
                 _("or type the card number, e-mail or mobile number and press Enter"),
                 _("Demo cards: type one and press Enter"), _("Scanner: keyboard"),
                 _("Engage: connected"), *_footer("Diagnostics", "Staff exit"), "F9", "F10"]:
        assert _whole_on_a_row(screen, text), f"{language}: {text!r} cut or missing\n{screen}"
    # the scan box keeps its bottom border
    assert "╰" in screen.splitlines()[11]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_offers_screen(language: str) -> None:
    screen, shown = await _show(language, showcase.offers_screen)
    offers = shown.offers
    wanted = [shown.all_offers.count_text,
              _("scan the next card"), *_footer("Choose", "Redeem…", "Diagnostics",
                                                 "Staff exit"), "F9", "F10"]
    for offer in offers:
        wanted += [offer.name, offer.expiry_text, shown_value(offer)]
    for text in wanted:
        assert _whole_on_a_row(screen, text), f"{language}: {text!r} cut or missing\n{screen}"
    assert _whole_on_a_row(screen, _("Done (new customer)")) or _whole_on_a_row(
        screen, _("Done"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_confirm_screen(language: str) -> None:
    screen, shown = await _show(language, partial(showcase.confirm_screen, down=3))
    offer = shown.offer
    for text in [_("Redeem this offer?"), _("At the till:"), offer.till_instruction,
                 _("or scan another card to start over"), *_footer("Redeem", "Cancel")]:
        assert _whole_on_a_row(screen, text), f"{language}: {text!r} cut or missing\n{screen}"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_result_screen(language: str) -> None:
    screen, shown = await _show(language, showcase.result_screen)
    message = shown.message
    for text in [_("Redeemed. Apply at the till:"), message.title,
                 *_footer("Continue", "Diagnostics", "Staff exit")]:
        assert _whole_on_a_row(screen, text), f"{language}: {text!r} cut or missing\n{screen}"
    for paragraph in [message.body, shown._hint().plain]:
        assert _flat(paragraph) in _flat(screen), f"{language}: {paragraph!r}\n{screen}"
    assert "█" in screen  # "20 %" in large type


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("flow", ["scan_screen", "offers_screen", "result_screen"])
def test_snapshot(snap_compare, monkeypatch: pytest.MonkeyPatch, language: str,
                  flow: str) -> None:
    """Each language's main screens as pictures (English ones are in test_snapshots.py)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    with showcase.frozen_demo(language) as make_app:
        assert snap_compare(make_app(), terminal_size=SMALL, run_before=getattr(showcase, flow))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_60x20_keeps_every_key_the_scan_box_and_the_dates(language: str) -> None:
    """The small items at 60x20: the footer shows F9 and F10 with their words whole, the scan
    box keeps its bottom border, every offer's expiry date stays in view."""
    screen, _shown = await _show(language, showcase.scan_screen, (60, 20))
    footer = screen.splitlines()[-1]
    for text in ["F9", "F10", _("Diagnostics"), _("Staff exit")]:
        assert text in footer, f"{language}: {text!r} not in the footer {footer!r}"
    box = [row for row in screen.splitlines() if "╭" in row or "╰" in row]
    assert len(box) == 4, f"{language}: the prompt and the card box, both closed\n{screen}"

    screen, shown = await _show(language, showcase.offers_screen, (60, 20))
    footer = screen.splitlines()[-1]
    for text in ["F9", "F10", _("Redeem…"), _("Diagnostics"), _("Staff exit")]:
        assert text in footer, f"{language}: {text!r} not in the footer {footer!r}"
    for offer in shown.offers:
        assert _whole_on_a_row(screen, offer.expiry_text), f"{language}\n{screen}"

"""The shared card's chooser where colours can't show the selection (the Linux console, with or
without NO_COLOR; NO_COLOR anywhere): the member under the cursor is in reverse video, the
others are not. Before, both names were bold alike and the highlight's colours were the
terminal's default on its default: staff couldn't see whom Enter would pick."""

from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.i18n import _
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import TWINS, Kiosk, Members


def reversed_names(k: Kiosk) -> dict[str, bool]:
    """Each candidate's name: is it drawn in reverse video?"""
    found: dict[str, bool] = {}
    for strip in k.app.screen._compositor.render_strips():
        for seg in strip:
            name = seg.text.strip()
            if name in ("Twin", "Twain"):
                found[name] = bool(seg.style and seg.style.reverse)
    return found


@pytest.mark.parametrize("env", [{"TERM": "linux", "NO_COLOR": "1"}, {"TERM": "linux"},
                                 {"TERM": "xterm-256color", "NO_COLOR": "1"}])
@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_selected_member_is_in_reverse_video(
        start_kiosk, members: Members, monkeypatch: pytest.MonkeyPatch,
        env: dict[str, str], size: tuple[int, int]) -> None:
    monkeypatch.delenv("COLORTERM", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    async with start_kiosk(size=size) as k:
        assert k.app.has_class("-reverse-select")
        await k.scan(TWINS)
        await k.screen_is("ChooserScreen")
        await k.wait_for(lambda: reversed_names(k) == {"Twin": True, "Twain": False},
                         f"Twin selected: {reversed_names(k)}")
        # the reverse-video row spans the list (not the name alone)
        row = next(line for line in k.text().splitlines() if "Twin " in line)
        assert row.count("│") == 2 or row.count("|") == 2, row
        await k.pilot.press("down")
        await k.wait_for(lambda: reversed_names(k) == {"Twin": False, "Twain": True},
                         f"Twain selected: {reversed_names(k)}")
        await k.pilot.press("enter")  # Enter picks the member shown selected
        await k.wait_for(lambda: type(k.app.screen).__name__ != "ChooserScreen"
                         and "Twain" in k.text(), "Twain's screen")


async def test_a_terminal_with_colours_keeps_the_highlight_colours(
        start_kiosk, members: Members, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    async with start_kiosk() as k:
        assert not k.app.has_class("-reverse-select")
        await k.scan(TWINS)
        await k.screen_is("ChooserScreen")
        await k.wait_for(lambda: reversed_names(k) == {"Twin": False, "Twain": False},
                         "no reverse video")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_the_chooser_is_whole_at_60x20_on_the_console_in_every_language(
        start_kiosk, members: Members, services: KioskServices, settings,
        linux_console_no_color: None, language: str) -> None:
    services.settings = settings.with_changes(language=language)
    async with start_kiosk(size=(60, 20)) as k:
        await k.scan(TWINS)
        await k.screen_is("ChooserScreen")
        await k.wait_for(lambda: reversed_names(k).get("Twin"), "Twin selected")
        text = " ".join(k.text().replace("┃", " ").split())
        title = _("Card {card} is shared. Which member is here?").format(card="•••• 0046")
        hint = _("Ask for the first name, choose it and press Enter. Esc: continue without "
                 "offers.")
        assert title in text and hint in text, text

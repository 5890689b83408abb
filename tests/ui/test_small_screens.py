"""Staff screens at the smallest size we support (60x20) on the Linux console without colour,
in every language: what a review in tmux found cut off, each with its fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk import i18n
from kiosk.i18n import _, ngettext
from kiosk.sim import Fault, Simulator
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members


def flat(k: Kiosk) -> str:
    """The screen's words in one line (box sides left out)."""
    return " ".join(k.text().replace("┃", " ").replace("│", " ").split())


def count_line(usable: int, not_usable: int, vouchers: int | None) -> str:
    line = _("{count} to use").format(count=usable) + " · " + _(
        "{count} not usable here").format(count=not_usable)
    if vouchers is None:
        return line + "  ·  " + _("reward vouchers couldn't be loaded")
    return line + "  ·  " + ngettext("{n} reward voucher", "{n} reward vouchers",
                                     vouchers).format(n=vouchers)


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
@pytest.mark.parametrize("vouchers_fail", [False, True])
async def test_the_offers_count_line_is_whole(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        linux_console_no_color: None, size: tuple[int, int], vouchers_fail: bool) -> None:
    """"4 to use · 4 not usable here  ·  2 reward vouchers" had one row: at 60 columns the
    Swedish line lost "bonuscheckar" (and in Finnish "couldn't be loaded" went at 80)."""
    soon = datetime.now(UTC) + timedelta(days=12)
    for n in range(3):
        sim.state.add_offer(members.anna, name=f"Web {n}", value_type="PERCENT", value=5,
                            channels=("ECOM",))
    for amount in (100, 50):
        sim.state.rewards.add_voucher(members.anna, name=f"Bonus {amount}", amount=amount,
                                      currency="SEK", expires_on=soon)
    if vouchers_fail:
        sim.faults.add(Fault("status", path=r"/reward-vouchers", status=500, times=None))
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        async with start_kiosk(size=size) as k:
            await k.scan(ANNA)
            await k.screen_is("OffersScreen")
            wanted = " ".join(count_line(4, 4, None if vouchers_fail else 2).split())
            await k.wait_for(lambda w=wanted: w in flat(k), f"{language} {size}: {wanted!r}\n"
                             f"{k.text()}")


async def test_the_member_header_is_whole_at_60x20(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        linux_console_no_color: None) -> None:
    """Under 24 rows the header had one row: in Danish and Finnish "(+200 pending)" lost its
    word at 60 columns."""
    from kiosk.ui.screens.offers import OffersScreen, greeting

    soon = datetime.now(UTC) + timedelta(days=12)
    sim.state.rewards.add_points(members.anna, 1250)
    sim.state.rewards.add_points(members.anna, 200, valid_from=soon)
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        async with start_kiosk(size=(60, 20)) as k:
            await k.scan(ANNA)
            await k.screen_is("OffersScreen")
            screen = k.app.screen
            assert isinstance(screen, OffersScreen) and screen.member is not None
            wanted = " ".join(greeting(screen.member).plain.split())
            assert "200" in wanted
            await k.wait_for(lambda w=wanted: w in flat(k), f"{language}: {wanted!r}\n"
                             f"{k.text()}")


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_idle_countdown_is_whole(
        start_kiosk, members: Members, services: KioskServices, settings,
        linux_console_no_color: None, size: tuple[int, int]) -> None:
    """The countdown had one row: at 60 columns Swedish lost "behålla" and Finnish "tahansa
    näppäintä" (what to press)."""
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        now = [1000.0]
        async with start_kiosk(size=size, idle_timeout=60.0,
                               clock=lambda now=now: now[0]) as k:
            await k.scan(ANNA)
            now[0] += 50.5
            wanted = "! " + _("Clearing in {n} s — press any key to keep").format(n=10)
            await k.wait_for(lambda w=wanted: w in flat(k), f"{language} {size}: {wanted!r}\n"
                             f"{k.text()}")


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_result_footer_keeps_f10_after_a_voucher(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        linux_console_no_color: None, size: tuple[int, int]) -> None:
    """After a reward voucher the result offers F3: at 60 columns its footer ran past the
    edge in every language and F10 (staff exit) was cut off. Now the keys fit: F3 says
    "Undo", and F9 shows by name alone where even that doesn't fit."""
    from tests.ui.test_rewards import choose

    soon = datetime.now(UTC) + timedelta(days=12)
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        sim.state.rewards.add_voucher(members.anna, name="Bonus 100", amount=100,
                                      currency="SEK", expires_on=soon)
        async with start_kiosk(size=size) as k:
            await k.scan(ANNA)
            await choose(k, "Bonus 100")
            await k.pilot.press("enter")
            await k.screen_is("ConfirmScreen")
            await k.pilot.press("enter")
            await k.screen_is("ResultScreen")
            await k.wait_for(lambda: "F3" in k.text().splitlines()[-1], "F3 offered")
            footer = k.text().splitlines()[-1]
            assert len(footer.rstrip()) <= size[0]
            assert "F3 " + _("Undo") in footer, f"{language} {size}: {footer!r}"
            assert "F9" in footer and "F10 " + _("Staff exit") in footer, footer

"""F4 hides the scan screen's notices of settled answers: offered in the footer only while
there is one to hide, never the notice of an attempt still unresolved (it must not read as
settled), nor the start-up warnings; the journal and F2 keep every attempt."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from kiosk import i18n
from kiosk.engage.client import EngageClient
from kiosk.i18n import _
from kiosk.journal import Journal
from kiosk.sim import Fault, Simulator
from kiosk.ui.services import KioskServices
from kiosk.ui.widgets.footer import SHORT
from tests.ui.kiosk_pilot import (
    ANNA,
    BO,
    Kiosk,
    Members,
    redeem_and_leave,
    services_without_breaker,
)

WARNING = "KIOSK_STAFF_PIN is a plain PIN: use `kiosk pin`"  # a start-up warning (for IT)


def notices(k: Kiosk) -> str:
    return str(k.app.screen.query_one("#notices", Static).render())


def footer(k: Kiosk) -> str:
    return k.text().splitlines()[-1]


async def test_f4_hides_settled_answers_but_not_an_unresolved_one(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices,
        journal: Journal, quick: EngageClient) -> None:
    bo_offer = sim.state.add_offer(members.bo, name="Bo's tenner", value_type="MONEY",
                                   value=10)
    async with start_kiosk(services_=services_without_breaker(
            quick, services, journal, settle_window=3.0, notices=[WARNING])) as k:
        assert WARNING in notices(k)
        assert "F4" not in footer(k)  # nothing it would hide

        # Anna: the answer is lost and every re-read fails until the window is over.
        await redeem_and_leave(
            k, ANNA, Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False),
            Fault("status", method="GET", path=rf"/{members.anna}/promotions", status=503,
                  times=None))
        # Bo: Engage commits late; a re-read proves it ours.
        await redeem_and_leave(k, BO, Fault("latency", method="POST", path=r"/redeem$",
                                            latency=1.0, instance_id=bo_offer))

        await k.wait_for(lambda: "•••• 0022, Bo's tenner: Take 10 kr off" in notices(k),
                         "Bo's answer", timeout=15)
        await k.wait_for(lambda: "•••• 0015, Autumn 20: Not confirmed — don't apply"
                         in notices(k), "Anna's final word", timeout=15)
        assert re.search(r"\d\d:\d\d •••• 0022", notices(k))
        assert "F4 Hide notices" in footer(k), footer(k)
        rows_before = [(r.id, r.state) for r in journal.rows()]

        await k.pilot.press("f4")
        await k.wait_for(lambda: "Bo's tenner" not in notices(k), "the settled notice hidden")
        # The unresolved attempt still says so; the warning for IT stays too.
        assert "•••• 0015, Autumn 20: Not confirmed — don't apply" in notices(k)
        assert WARNING in notices(k)
        await k.wait_for(lambda: "F4" not in footer(k), "F4 no longer offered")
        await k.pilot.press("f4")  # not offered: nothing happens
        await k.pilot.pause()
        assert "Not confirmed — don't apply" in notices(k) and WARNING in notices(k)

        # Hiding lost nothing: the journal is as it was, and F2 lists both attempts.
        assert [(r.id, r.state) for r in journal.rows()] == rows_before
        assert sorted(state for _id, state in rows_before) == ["unknown", "verified-redeemed"]
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        text = k.text()
        assert "Bo's tenner" in text and "Autumn 20" in text
        assert _("not verified: check") in text
        assert len(k.posts()) == 2


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_f4_is_whole_in_every_language(
        start_kiosk, members: Members, services: KioskServices, settings,
        size: tuple[int, int]) -> None:
    """With a settled notice up, the footer keeps every key whole: at 80 columns in full
    words, at 60 (the narrowest the footer is made for) F4 may say just "Hide"."""
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language)
        services.notices = []
        async with start_kiosk(size=size) as k:
            k.app.add_notice("•••• 0015, Autumn 20: Give 20 % off")
            await k.wait_for(lambda: "F4" in footer(k), "F4 offered")
            line = footer(k)
            keys = [("F2", "Today's redemptions"), ("F4", "Hide notices"),
                    ("F9", "Diagnostics"), ("F10", "Staff exit")]
            for key, words in keys:
                short = SHORT.get(words, words) if size[0] < 80 else words
                assert f"{key} {_(short)}" in line, f"{language} {size}: {line!r}"


async def test_f4_on_the_linux_console_without_colour(
        start_kiosk, members: Members, linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR at 80x24: the notice in the console's glyphs, F4 in the
    footer; F4 hides it and leaves the key out again."""
    async with start_kiosk() as k:
        assert k.app.console_mode and k.app.no_color
        k.app.add_notice("•••• 0015, Autumn 20: Give 20 % off")
        await k.wait_for(lambda: "F4 Hide notices" in footer(k), "F4 offered")
        text = k.text()
        assert re.search(r"^  ! \d\d:\d\d •••• 0015, Autumn 20: Give 20 % off$", text, re.M), text
        assert footer(k).strip() == ("F2 Today's redemptions  F4 Hide notices  "
                                     "F9 Diagnostics  F10 Staff exit")
        await k.pilot.press("f4")
        await k.wait_for(lambda: "Autumn 20" not in k.text() and "F4" not in footer(k),
                         "hidden")

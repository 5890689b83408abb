"""The success result built while staff read the confirmation (kiosk.ui.prepared): shown only
when it is the answer, painted exactly as a fresh one, never a frame of it otherwise, and
dropped when the confirmation is left another way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from kiosk.sim import Fault
from kiosk.ui import showcase
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.result import ResultScreen
from tests.ui.kiosk_pilot import ANNA, Kiosk, Members


def painted(app: KioskApp) -> list[Screen[Any]]:
    """Every screen the app paints from now on, one entry per frame."""
    frames: list[Screen[Any]] = []
    display = app._display

    def note(screen: Screen[Any], renderable: Any) -> None:
        frames.append(screen)
        display(screen, renderable)

    app._display = note  # type: ignore[method-assign]
    return frames


async def prepared_ready(pilot: Pilot[Any]) -> ResultScreen:
    """The result prepared for the confirmation on top, once fully mounted."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    await showcase.wait_for(pilot, lambda: app._prepared.screen is not None
                            and app._prepared.screen.is_mounted, "the result prepared")
    screen = app._prepared.screen
    assert screen is not None
    return screen


async def first_result(pilot: Pilot[Any], prepared: list[ResultScreen]) -> None:
    """Anna's 20 % redeemed (showcase.result_screen, waiting for the preparation)."""
    await showcase.confirm_screen(pilot, down=2)
    if prepared is not NOT_PREPARED:
        prepared.append(await prepared_ready(pilot))
    await pilot.press("enter")
    await showcase.wait_for(pilot, lambda: isinstance(pilot.app.screen, ResultScreen),
                            "the result")


async def second_result(pilot: Pilot[Any], prepared: list[ResultScreen]) -> None:
    """A second offer in the visit: the strip lists both (showcase.visit_result_screen)."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    await first_result(pilot, NOT_PREPARED if prepared is NOT_PREPARED else [])
    await pilot.press("enter")
    await showcase.wait_for(pilot, lambda: type(app.screen).__name__ == "OffersScreen"
                            and app.visit is not None and bool(app.visit.redeemed), "offers")
    await pilot.press("home", "enter")
    await showcase.wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen",
                            "the confirmation")
    if prepared is not NOT_PREPARED:
        prepared.append(await prepared_ready(pilot))
    await pilot.press("enter")
    await showcase.wait_for(pilot, lambda: isinstance(app.screen, ResultScreen)
                            and app.visit is not None and len(app.visit.redeemed) == 2,
                            "the second result")


NOT_PREPARED: list[ResultScreen] = []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("flow", [first_result, second_result])
async def test_the_prepared_result_is_shown_and_looks_like_a_fresh_one(
        flow: Callable[[Pilot[Any], list[ResultScreen]], Awaitable[None]],
        size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    pictures = {}
    with showcase.frozen_demo() as make_app:
        for variant in ("prepared", "fresh"):
            with monkeypatch.context() as patch:
                if variant == "fresh":
                    patch.setattr(KioskApp, "_prepare_result", lambda self, confirm: None)
                app = make_app()
                async with app.run_test(size=size) as pilot:
                    prepared: list[ResultScreen] = [] if variant == "prepared" else NOT_PREPARED
                    await flow(pilot, prepared)
                    await pilot.pause()
                    if variant == "prepared":
                        assert app.screen is prepared[-1]  # the one built ahead was shown
                    pictures[variant] = (app.export_screenshot(), showcase.screen_text(app))
    assert pictures["prepared"][1] == pictures["fresh"][1]
    assert pictures["prepared"][0] == pictures["fresh"][0]


@pytest.mark.parametrize(("fault", "words"), [
    (Fault("status", method="POST", path=r"/redeem$", status=409,
           body='{"errorCode": "PromotionNotValidForRedemptionChannel"}'), "Not valid in store"),
    (Fault("status", method="POST", path=r"/redeem$", status=404,
           body='{"errorCode": "PromotionNotFound"}'), "Offer no longer available"),
])
async def test_another_answer_never_paints_the_prepared_result(
        start_kiosk, members: Members, sim, fault: Fault, words: str) -> None:
    sim.faults.add(fault)
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        prepared = await prepared_ready(k.pilot)
        assert "Redeemed" in prepared.query_one("#result-kicker").render().plain
        frames = painted(k.app)
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        await k.wait_for(lambda: words in k.text(), "the answer")
        assert "Redeemed" not in k.text()
        assert k.app.screen is not prepared
        assert prepared not in frames  # not a single frame of it
        await k.wait_for(lambda: not prepared.is_attached, "the prepared result dropped")


def result_screens(app: KioskApp) -> int:
    return sum(isinstance(node, ResultScreen) for node in list(app._registry))


async def leave_with_escape(k: Kiosk) -> None:
    await k.pilot.press("escape")
    await k.screen_is("OffersScreen")


async def leave_with_a_new_scan(k: Kiosk) -> None:
    k.app.gate.debouncer.reset()  # the same card again, as the next customer's would be
    await k.scan(ANNA)


async def leave_by_idle_reset(k: Kiosk) -> None:
    await k.app.start_over()  # what the idle reset runs
    await k.screen_is("ScanScreen")


@pytest.mark.parametrize("leave", [leave_with_escape, leave_with_a_new_scan,
                                   leave_by_idle_reset])
async def test_a_confirmation_left_without_an_answer_drops_its_prepared_result(
        start_kiosk, members: Members, leave: Callable[[Kiosk], Awaitable[None]]) -> None:
    async with start_kiosk() as k:
        for _ in range(5):
            if type(k.app.screen).__name__ != "OffersScreen":
                k.app.gate.debouncer.reset()
                await k.scan(ANNA)
            await k.pilot.press("enter")
            await k.screen_is("ConfirmScreen")
            prepared = await prepared_ready(k.pilot)
            await leave(k)
            await k.wait_for(lambda p=prepared: not p.is_attached, "the prepared result dropped")
            assert k.app._prepared.screen is None
        await k.wait_for(lambda: result_screens(k.app) == 0, "no result screen left")
        assert not k.posts()  # and nothing was redeemed


async def test_a_prepared_result_still_ignores_keys_right_after_it_appears(
        start_kiosk, members: Members) -> None:
    # The guards' clock is the test's: a loaded machine's slow poll can't outlast the 0.5 s
    # guard between the result appearing and the check (it did with the real clock).
    now = [1000.0]
    async with start_kiosk(key_guard=0.5, clock=lambda: now[0]) as k:
        await k.scan(ANNA)
        now[0] += 1.0
        await k.wait_for(lambda: not k.app.screen.guarding, "the offers list's guard over")
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        prepared = await prepared_ready(k.pilot)
        now[0] += 1.0  # after it was built: a guard armed then would be over
        await k.wait_for(lambda: not k.app.screen.guarding, "the confirmation's guard over")
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        assert k.app.screen is prepared
        assert prepared.guarding  # armed when shown, not when it was built

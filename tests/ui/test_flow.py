"""Scan -> offers -> confirm -> result, for each value type, against the simulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import Screen

from kiosk.sim import Fault
from kiosk.ui.screens.offers import OffersScreen
from tests.ui.kiosk_pilot import ANNA, BO, Kiosk, Members


async def choose(k: Kiosk, name: str) -> None:
    """Move the cursor to the offer called ``name`` (with Down, as staff would)."""
    screen = k.app.screen
    assert isinstance(screen, OffersScreen)
    target = next(i for i, o in enumerate(screen.offers) if o.name == name)
    await k.pilot.press("home", *["down"] * target)
    assert screen.highlighted_offer is not None and screen.highlighted_offer.name == name


@pytest.mark.parametrize(("kind", "name", "apply"), [
    ("percent", "Autumn 20", "Give 20 % off"),
    ("money", "Hundred off", "Take 100 kr off"),
    ("manual", "Coffee", "Hand over a coffee"),
    ("code", "Till code", "Key code 10056 into the till"),
])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_redeem_each_value_type(start_kiosk, members: Members, kind: str, name: str,
                                      apply: str, size: tuple[int, int]) -> None:
    async with start_kiosk(size=size) as k:
        await k.scan(ANNA)
        await choose(k, name)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        assert apply in k.text()
        assert k.posts() == []
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        text = k.text()
        assert apply in text
        assert "redeemed" in text
        assert len(k.posts()) == 1
        assert k.sim.state.promotion_instance(members.offers[kind])["redeemed"] is True


async def test_offers_screen_shows_name_masked_card_and_pos_offers_only(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        text = k.text()
        assert "Anna" in text
        assert "•••• 0015" in text and ANNA not in text
        for shown in ("Autumn 20", "20 %", "Hundred off", "100 kr", "Till code",
                      "Code 10056", "Coffee"):
            assert shown in text
        assert "4 to use · 1 not usable here" in text
        await k.pilot.press("end")  # the online-only offer is listed below, with its reason
        text = k.text()
        assert "Web only" in text and "online only" in text


async def test_member_without_offers_or_first_name(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(BO)
        text = k.text()
        assert "This member has no offers to use in store right now." in text
        assert "Member" in text
        await k.pilot.press("enter")  # nothing to choose: nothing happens
        assert isinstance(k.app.screen, OffersScreen)


async def test_cancel_on_confirm_sends_nothing(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.press("escape")
        await k.screen_is("OffersScreen")
        await k.pilot.pause()
        assert k.posts() == []
        assert not any(k.sim.state.promotion_instance(i)["redeemed"]
                       for i in members.offers.values())
        assert k.journal.rows() == []


async def test_enter_five_times_on_confirm_sends_one_post(start_kiosk, members: Members
                                                          ) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        k.burst("", "", "", "", "")  # five Enters back to back, no waiting between them
        await k.screen_is("ResultScreen")
        await k.app.workers.wait_for_complete()
        await k.pilot.pause()
        assert len(k.posts()) == 1
        assert len(k.journal.rows()) == 1


async def test_escape_right_after_enter_on_confirm_cancels_nothing(
        start_kiosk, members: Members, sim) -> None:
    """The busy line and greyed keys are drawn a moment after Enter (once the POST has left),
    but Escape is refused from Enter on: the redemption goes on and its result is shown."""
    sim.faults.add(Fault("latency", method="POST", path=r"/redeem$", latency=0.5))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        k.burst("", end="enter")
        await k.wait_for(lambda: k.app.redeeming, "the redemption started")
        k.burst("", end="escape")  # at once: most likely before anything is redrawn
        await k.screen_is("ResultScreen")
        assert "Give 20 % off" in k.text()
        await k.app.workers.wait_for_complete()
        assert len(k.posts()) == 1


async def test_after_a_result_any_key_starts_over(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter", "enter")
        await k.screen_is("ResultScreen")
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        assert k.app.member is None
        assert "Anna" not in k.text()
        assert len(k.app.screen_stack) == 1  # the offers and confirm screens under it went too


async def test_result_and_the_way_back_paint_no_screen_in_between(start_kiosk, members: Members
                                                                  ) -> None:
    """Confirm -> result shows the result next, not the offers list or the scan screen first;
    continuing goes straight to the scan screen, not back through confirm and offers."""
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.pause()
        painted: list[str] = []
        display = k.app._display  # hands each finished frame to the terminal: what staff see

        def noting(screen: Any, renderable: Any) -> None:
            if renderable is not None and not k.app._batch_count:
                painted.append(type(screen).__name__)
            display(screen, renderable)

        k.app._display = noting  # type: ignore[method-assign]
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        await k.wait_for(lambda: "ResultScreen" in painted, "result painted")
        assert set(painted[:painted.index("ResultScreen")]) <= {"ConfirmScreen"}, painted
        painted.clear()
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.wait_for(lambda: "ScanScreen" in painted, "scan screen painted")
        assert set(painted[:painted.index("ScanScreen")]) <= {"ResultScreen"}, painted


async def test_escape_on_offers_returns_to_scan_and_forgets_member(start_kiosk, members: Members
                                                                   ) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        assert k.app.member is None
        assert len(k.app.screen_stack) == 1


async def test_next_scan_on_result_screen_starts_over_with_new_member(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter", "enter")
        await k.screen_is("ResultScreen")
        await k.scan(BO)
        await k.screen_is("OffersScreen")
        assert k.app.member is not None and k.app.member.masked_card.endswith("0022")
        assert len(k.app.screen_stack) == 2


async def test_typed_card_with_backspace(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.press(*ANNA[:-1], "9", "backspace", ANNA[-1], "enter")
        await k.screen_is("OffersScreen")
        assert any(getattr(m, "source", None) == "typed" and getattr(m, "card", None) == ANNA
                   for m in k.messages)


async def test_enter_mashed_neither_confirms_unread_nor_hides_the_result(
        start_kiosk, members: Members) -> None:
    """A double Enter on the offers list stops at the question; Enters as the result appears
    leave it on screen (``kiosk run``'s key guard, on a clock the test moves)."""
    now = [1000.0]
    async with start_kiosk(key_guard=0.5, clock=lambda: now[0]) as k:
        await k.scan(ANNA)
        k.burst("", "")  # Enter twice back to back on the offers list
        await k.screen_is("ConfirmScreen")
        await k.pilot.pause()
        assert k.posts() == [] and k.journal.rows() == []
        now[0] += 0.6  # staff have read the question
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        k.burst("", "", "")  # still mashing as the answer arrives
        await k.pilot.pause()
        assert type(k.app.screen).__name__ == "ResultScreen"
        assert "Redeemed" in k.text()
        assert len(k.posts()) == 1
        now[0] += 0.6
        await k.pilot.press("enter")  # a deliberate key after the guard continues the visit
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: "This visit" in k.text(), "the member's offers again")
        k.burst("", "")  # the Enter mashed on: no confirmation opens unread
        await k.pilot.pause()
        assert type(k.app.screen).__name__ == "OffersScreen"
        now[0] += 0.6
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")


async def test_only_the_confirmation_shows_a_typing_cursor(start_kiosk, members: Members
                                                           ) -> None:
    """Behind the confirmation the offers screen's scan field shows no cursor: typing goes to
    the question on top, and staff must see that."""
    async with start_kiosk(cursor_blink=False) as k:
        await k.scan(ANNA)
        assert "scan the next card▏" in k.text()
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        await k.pilot.pause()
        text = k.text()
        assert text.count("▏") == 1 and "scan the next card▏" not in text
        await k.pilot.press("escape")  # back to the offers: their field has the cursor again
        await k.screen_is("OffersScreen")
        await k.pilot.pause()
        text = k.text()
        assert text.count("▏") == 1 and "scan the next card▏" in text


async def test_the_confirmation_under_the_result_is_not_redrawn_first(
        start_kiosk, members: Members) -> None:
    """When the answer comes the result goes up first; only then does the confirmation
    underneath drop its "Waiting for Engage…" line and get its keys back (done the other way
    round, the confirmation was restyled and laid out just before being covered)."""
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        confirm = k.app.screen
        on_top_when_done: list[str] = []
        watch = type(confirm).watch_redeeming

        def noting(redeeming: bool) -> None:
            if not redeeming:
                on_top_when_done.append(type(k.app.screen).__name__)
            watch(confirm, redeeming)

        confirm.watch_redeeming = noting  # type: ignore[method-assign]
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        await k.wait_for(lambda: not k.app.redeeming, "the redeem over")
        assert on_top_when_done == ["ResultScreen"]
        assert "Give 20 % off" in k.text() and len(k.posts()) == 1


async def test_the_scan_screens_busy_line_is_cleared_under_the_offers(
        start_kiosk, members: Members) -> None:
    """"Looking up…" goes once the offers list is up and painted: cleared first, the scan
    screen was laid out again just before the list covered it, and cleared before the list's
    first frame, its update delayed that frame. A newer scan's line is never cleared by it."""
    async with start_kiosk() as k:
        on_top_when_cleared: list[tuple[str, int]] = []
        offers_frames = [0]
        watch = type(k.app).watch_busy_text
        display = k.app._display

        def counting(screen: Screen[object], update: object) -> None:
            offers_frames[0] += type(screen).__name__ == "OffersScreen" and update is not None
            display(screen, update)  # type: ignore[arg-type]

        def noting(text: str) -> None:
            if not text:
                on_top_when_cleared.append((type(k.app.screen).__name__, offers_frames[0]))
            watch(k.app, text)

        k.app._display = counting  # type: ignore[method-assign]
        k.app.watch_busy_text = noting  # type: ignore[method-assign]
        await k.scan(ANNA)
        await k.screen_is("OffersScreen")
        assert len(on_top_when_cleared) == 1
        on_top, frames_before = on_top_when_cleared[0]
        assert on_top == "OffersScreen" and frames_before >= 1
        assert "Autumn 20" in k.text()
        # The answer's clearing comes late: by then a newer scan may be looking up.
        answered = k.app.generation
        k.app.generation += 1
        k.app.busy_text = "Looking up •••• 0022…"
        k.app._lookup_shown(answered)
        assert k.app.busy_text == "Looking up •••• 0022…"
        k.app._lookup_shown(k.app.generation)
        assert k.app.busy_text == ""


async def test_a_known_card_shows_looking_up_until_its_offers_are_up(
        start_kiosk, sim, members: Members) -> None:
    """A known card (contact id cached): the lookup's GETs now leave before the busy line is
    drawn, and the scan screen still says "Looking up …0015" while Engage answers."""
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        sim.faults.add(Fault("latency", method="GET", path=members.anna + "/promotions",
                             latency=1.0))  # long enough to see the line on a loaded machine
        lookups = len(sim.requests_to("GET", members.anna + "/promotions"))
        k.burst(ANNA)
        await k.wait_for(lambda: "Looking up" in k.text(), "the busy line")
        assert type(k.app.screen).__name__ == "ScanScreen"
        assert "0015" in next(li for li in k.text().splitlines() if "Looking up" in li)
        await k.screen_is("OffersScreen")
        assert "Autumn 20" in k.text() and "Looking up" not in k.text()
        assert len(sim.requests_to("GET", members.anna + "/promotions")) == lookups + 1

"""Kiosk behaviour: locked keys, staff PIN, idle reset, wedge bursts, literal text, long lists,
stale answers, and a redemption that outlives a new scan."""

from __future__ import annotations

import os

import pytest
from textual import events
from textual.command import CommandPalette
from textual.widgets import OptionList

from kiosk.breaker import CircuitBreaker
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.scanner.serial_reader import SerialScanner
from kiosk.sim import Fault
from kiosk.staff_pin import PinGuard, hash_pin
from kiosk.ui.messages import CardScanned, LookupDone, ScannerStatus
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import ANNA, BO, Members


async def test_lock_keys_keep_the_app_running(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        for key in ("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "ctrl+backslash"):
            await k.pilot.press(key)
        await k.pilot.pause()
        assert k.app.is_running and k.app.return_code is None
        assert type(k.app.screen).__name__ == "ScanScreen"
        assert not any(isinstance(s, CommandPalette) for s in k.app.screen_stack)
        await k.scan(ANNA)  # and it still works
        await k.screen_is("OffersScreen")


async def test_staff_key_without_pin_exits(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.press("f10")
        await k.wait_for(lambda: k.app.return_code == 0, "exit")


async def test_staff_pin_locks_after_five_wrong_and_right_pin_exits(
        start_kiosk, members: Members, services: KioskServices) -> None:
    now = [0.0]
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000), clock=lambda: now[0])
    async with start_kiosk(notifications=True) as k:
        await k.pilot.press("f10")
        await k.screen_is("PinScreen")
        for _ in range(5):
            await k.pilot.press("1", "1", "1", "1", "enter")
            await k.wait_for(lambda: not k.app.screen._checking, "PIN checked")
        assert "locked" in k.text()
        await k.pilot.press("2", "4", "6", "8", "enter")  # right PIN, but locked
        await k.wait_for(lambda: not k.app.screen._checking, "PIN checked")
        assert k.app.return_code is None
        now[0] += 61
        await k.pilot.press("2", "4", "6", "8", "enter")
        await k.wait_for(lambda: k.app.return_code == 0, "exit after the right PIN")


async def test_pin_prompt_escape_goes_back(start_kiosk, members: Members,
                                           services: KioskServices) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    async with start_kiosk() as k:
        await k.pilot.press("f10")
        await k.screen_is("PinScreen")
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        assert k.app.return_code is None


async def test_idle_reset_clears_the_member(start_kiosk, members: Members) -> None:
    async with start_kiosk(idle_timeout=0.5) as k:
        k.burst(ANNA)
        await k.wait_for(lambda: any(isinstance(m, LookupDone) for m in k.messages), "member")
        await k.wait_for(lambda: type(k.app.screen).__name__ == "ScanScreen"
                         and k.app.member is None, "idle reset")
        assert "Anna" not in k.text()


async def test_markup_in_offer_names_is_shown_literally(start_kiosk, sim, members: Members
                                                        ) -> None:
    sim.state.add_offer(members.bo, name="[bold]x[/] [link=http://e.vil]y[/]\x1b[31m",
                        value_type="PERCENT", value=10)
    async with start_kiosk() as k:
        await k.scan(BO)
        await k.screen_is("OffersScreen")
        text = k.text()
        assert "[bold]x[/] [link=http://e.vil]y[/]" in text
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        assert "[bold]x[/]" in k.text()


async def test_two_wedge_scans_back_to_back_stay_apart(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        k.burst(ANNA, BO)  # one burst: 26 characters and two Enters, nothing awaited between
        await k.wait_for(lambda: len([m for m in k.messages if isinstance(m, CardScanned)]) >= 2,
                         "two scans")
        scans = [m for m in k.messages if isinstance(m, CardScanned)]
        assert [(m.card, m.source) for m in scans] == [(ANNA, "wedge"), (BO, "wedge")]
        await k.screen_is("OffersScreen")  # the later scan wins
        await k.wait_for(lambda: k.app.member is not None
                         and k.app.member.masked_card.endswith("0022"), "second member")


async def test_lf_suffix_submits_like_enter(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        k.burst(ANNA, end="ctrl+j")
        await k.screen_is("OffersScreen")


async def test_500_offers_render_at_once(start_kiosk, sim, members: Members) -> None:
    sim.state.add_offers_bulk(members.bo, 500)
    async with start_kiosk(size=(120, 40)) as k:
        await k.scan(BO)
        await k.screen_is("OffersScreen")
        option_list = k.app.screen.query_one(OptionList)
        assert option_list.option_count == 500
        assert "500 to use" in k.text()
        await k.pilot.press("end")
        assert option_list.highlighted == 499
        assert "Offer " in k.text()


async def test_a_stale_lookup_answer_is_dropped(start_kiosk, sim, members: Members) -> None:
    # Anna's promotions come back slowly; Bo is scanned meanwhile and must be the one shown.
    sim.faults.add(Fault("latency", method="GET", path=members.anna + "/promotions",
                         latency=0.5))
    async with start_kiosk() as k:
        k.burst(ANNA)
        await k.wait_for(lambda: k.app.busy_text, "lookup started")
        await k.scan(BO)
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: len(sim.requests_to("GET", members.anna + "/promotions")) == 1,
                         "slow request arrived")
        await k.app.workers.wait_for_complete()  # Anna's lookup is over: cancelled or dropped
        await k.pilot.pause()
        assert not any(isinstance(m, LookupDone) and m.member.first_name == "Anna"
                       and m.generation == k.app.generation for m in k.messages)
        assert k.app.member is not None and k.app.member.masked_card.endswith("0022")
        assert "Anna" not in k.text()


async def test_redeem_survives_a_new_scan_and_reports_as_a_toast(start_kiosk, sim,
                                                                 members: Members) -> None:
    sim.faults.add(Fault("latency", method="POST", path=r"/redeem$", latency=1.5))
    async with start_kiosk(notifications=True, size=(120, 40)) as k:
        await k.scan(ANNA)
        await k.pilot.press("enter", "enter")
        await k.wait_for(lambda: k.app.redeeming, "redeem started")
        await k.scan(BO)
        await k.wait_for(lambda: not k.app.redeeming, "redeem finished")
        await k.wait_for(lambda: "Give 20 % off" in k.text(), "toast with the outcome")
        assert len(k.posts()) == 1
        assert k.app.member is not None and k.app.member.masked_card.endswith("0022")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")
async def test_serial_scanner_scan_leads_to_offers(start_kiosk, members: Members,
                                                   services: KioskServices) -> None:
    master, slave = os.openpty()
    port = os.ttyname(slave)

    def factory(*, on_line, on_state, on_junk=None) -> SerialScanner:
        return SerialScanner(port, on_line=on_line, on_state=on_state, on_junk=on_junk)

    services.scanner_factory = factory
    try:
        async with start_kiosk() as k:
            await k.wait_for(lambda: k.app.scanner_state == "connected", "scanner connected")
            assert "Scanner ready" in k.text()
            os.write(master, f"]E0{ANNA}\r".encode())
            await k.screen_is("OffersScreen")
            scans = [m for m in k.messages if isinstance(m, CardScanned)]
            assert [(m.card, m.source) for m in scans] == [(ANNA, "serial")]
    finally:
        os.close(master)
        os.close(slave)


async def test_diagnostics_behind_the_pin_show_no_secrets(start_kiosk, sim, members: Members,
                                                          services: KioskServices) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    async with start_kiosk(size=(120, 40)) as k:
        await k.pilot.press("f9")
        await k.screen_is("PinScreen")
        await k.pilot.press("2", "4", "6", "8", "enter")
        await k.screen_is("DiagnosticsScreen")
        await k.wait_for(lambda: "Last round trip" in k.text() and " ms" in k.text(), "rtt")
        # journal counts by state, read off the event loop
        await k.wait_for(lambda: "verified-redeemed" in k.text(), "journal counts")
        text = k.text()
        assert "KIOSK_ENGAGE_API_KEY" in text and "set" in text
        assert sim.api_key not in text
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")


async def test_diagnostics_say_so_when_the_journal_cannot_be_read(
        start_kiosk, sim, members: Members, services: KioskServices, journal) -> None:
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000))
    async with start_kiosk(size=(120, 40)) as k:
        journal.close()  # as good as a file gone bad under the running kiosk
        await k.pilot.press("f9")
        await k.screen_is("PinScreen")
        await k.pilot.press("2", "4", "6", "8", "enter")
        await k.screen_is("DiagnosticsScreen")
        await k.wait_for(lambda: "could not be read" in k.text(), "the journal's line")
        assert "Last round trip" in k.text() and k.app.is_running


async def test_pasted_card_number_with_line_break_is_looked_up(start_kiosk, members: Members
                                                               ) -> None:
    async with start_kiosk() as k:
        k.app.screen.query_one("ScanInput").post_message(events.Paste(f"{ANNA}\n"))
        await k.screen_is("OffersScreen")


async def test_idle_reset_waits_for_a_redemption_in_flight(start_kiosk, sim, members: Members
                                                           ) -> None:
    # The kiosk's idle clock is the test's: a slow lookup on a loaded machine can't pass for
    # idleness before the redemption starts (it did with a real 1 s timeout).
    now = [1000.0]
    sim.faults.add(Fault("latency", method="POST", path=r"/redeem$", latency=2.5))
    async with start_kiosk(idle_timeout=1.0, clock=lambda: now[0]) as k:
        await k.scan(ANNA)
        await k.pilot.press("enter", "enter")
        await k.wait_for(lambda: k.app.redeeming, "redeem started")
        now[0] += 600  # long idle, with the redemption in flight (≥ 2 s: the client's read)
        await k.app._check_idle()  # what the idle timer runs: it must wait
        assert k.app.redeeming, "the check ran while the redemption was in flight"
        assert type(k.app.screen).__name__ == "ConfirmScreen" and k.app.member is not None
        await k.wait_for(lambda: not k.app.redeeming, "redeem finished", timeout=10)
        # The answer was shown as the result for this customer, not pushed aside as a toast.
        results = [m for m in k.messages if type(m).__name__ == "Mount"
                   and type(m._sender).__name__ == "ResultScreen"]
        assert results, "a result screen was shown"
        await k.screen_is("ScanScreen")  # and then the idle reset cleared it
        assert k.app.member is None


async def test_the_idle_check_is_quiet_while_the_app_closes(start_kiosk) -> None:
    # Its timer can fire once more while Textual takes the app down (the screens already
    # gone): it raised ScreenStackError there, seen in a loaded full test run.
    async with start_kiosk(idle_timeout=1.0) as k:
        app = k.app
    assert not app.screen_stack
    await app._check_idle()  # must not raise


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_line_wider_than_the_field_shows_its_end(start_kiosk, members: Members,
                                                         size: tuple[int, int]) -> None:
    """A long e-mail or number being typed stays visible (it used to wrap out of the field)."""
    typed = "averyveryverylongname" + "0123456789" * 3  # 51 characters, wider than the field
    async with start_kiosk(size=size) as k:
        await k.pilot.press(*typed)
        text = k.text()
        line = next(li for li in text.splitlines() if "›" in li)
        assert "…" in line and typed[-25:] in line


#: the scan screen's line while today's attempt stays unresolved (kiosk.ui.open_attempts)
OPEN_LINE = "1 redemption not confirmed — F2 to see it"


async def test_redemption_left_open_by_a_crash_is_settled_when_engage_comes_back(
        start_kiosk, sim, members: Members, services: KioskServices, journal) -> None:
    """A till that starts before Engage is reachable: the notice shows, and once Engage
    answers the open row is verified and the notice goes away (no restart needed)."""
    breaker = CircuitBreaker(failure_threshold=1, cooldown=0.2)
    services.lookup = MemberLookup(services.lookup.client, breaker=breaker)
    services.redeemer = Redeemer(services.lookup.client, journal, store="Test Store",
                                 terminal="Till 1", recheck_delays=(0.05,), settle_window=0.3,
                                 breaker=breaker)
    row = journal.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                        contact_id=members.anna, offer_id=members.offers["percent"],
                        promotion_id=None, offer_name="Autumn 20", value_applied="20 %")
    sim.faults.add(Fault("status", method="GET", status=503, times=None))  # Engage down
    async with start_kiosk(ping_interval=0.1) as k:
        await k.wait_for(lambda: OPEN_LINE in k.text()
                         and "Engage: unavailable" in k.text(), "notice and outage shown")
        assert journal.rows()[0].state == "unknown"
        sim.faults.clear()
        await k.wait_for(lambda: journal.rows()[0].state == "verified-not-redeemed",
                         "row settled after Engage came back")
        await k.wait_for(lambda: OPEN_LINE not in k.text(), "notice gone")
        assert "Engage: connected" in k.text()
        assert journal.rows()[0].id == row and k.posts() == []


async def test_diagnostics_footer_offers_only_keys_that_work_there(start_kiosk,
                                                                   members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.press("f9")  # no PIN configured: straight in
        await k.screen_is("DiagnosticsScreen")
        await k.pilot.pause()
        footer = k.text().splitlines()[-1]
        assert "Back" in footer and "Staff exit" in footer
        assert "Diagnostics" not in footer  # f9 does nothing here


async def test_long_scanner_and_engage_states_both_fit_at_80_columns(start_kiosk,
                                                                     members: Members) -> None:
    """A scanner missing at a by-id path and a rejected key: both states whole, not cut."""
    async with start_kiosk(size=(80, 24)) as k:
        k.app.post_message(ScannerStatus(
            "disconnected", "no scanner at /dev/serial/by-id/usb-Datalogic_Scanner-if00"))
        k.app.engage_state = "unauthorized"
        await k.wait_for(lambda: "tell IT" in k.text(), "Engage state shown whole")
        text = k.text()
        assert "type the card number" in text and "Engage: API key rejected, tell IT" in text


async def test_pin_lockout_counts_down_and_clears_by_itself(start_kiosk, members: Members,
                                                            services: KioskServices) -> None:
    now = [0.0]
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000), clock=lambda: now[0])
    async with start_kiosk() as k:
        await k.pilot.press("f10")
        await k.screen_is("PinScreen")
        for _ in range(5):
            await k.pilot.press("1", "1", "1", "1", "enter")
            await k.wait_for(lambda: not k.app.screen._checking, "PIN checked")
        assert "locked for 60 s" in k.text()  # whole seconds left, rounded up
        now[0] += 30  # no key pressed meanwhile
        await k.wait_for(lambda: "locked for 30 s" in k.text(), "the countdown moving")
        now[0] += 31
        await k.wait_for(lambda: "locked" not in k.text(), "the lockout message gone")


async def test_a_card_scanned_into_the_pin_prompt_is_not_a_wrong_pin(
        start_kiosk, members: Members, services: KioskServices) -> None:
    """A keyboard-wedge scan while the PIN prompt is open: not counted towards the lockout."""
    now = [0.0]
    services.pin_guard = PinGuard(hash_pin("2468", iterations=1000), clock=lambda: now[0])
    async with start_kiosk() as k:
        await k.pilot.press("f10")
        await k.screen_is("PinScreen")
        for _ in range(5):
            k.burst(ANNA)  # 13 digits and Enter, as a scanner types them
            await k.wait_for(lambda: "not a PIN" in k.text(), "the scan refused")
            await k.pilot.press("1", "backspace")  # typing clears the message
            assert "not a PIN" not in k.text()
        assert "locked" not in k.text()
        await k.pilot.press("2", "4", "6", "8", "enter")
        await k.wait_for(lambda: k.app.return_code == 0, "exit after the right PIN")


async def test_footer_offers_no_redeem_or_cancel_while_redeeming(start_kiosk, sim,
                                                                 members: Members) -> None:
    """Enter and Esc do nothing while Engage answers a redeem: the footer doesn't offer them
    (it used to show "Redeem" and "Cancel" greyed), and says nothing else changed."""
    sim.faults.add(Fault("latency", method="POST", path=r"/redeem$", latency=1.5))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        footer = k.text().splitlines()[-1]
        assert "Redeem" in footer and "Cancel" in footer
        await k.pilot.press("enter")
        await k.wait_for(lambda: k.app.redeeming, "redeem started")
        await k.wait_for(lambda: "Redeem" not in k.text().splitlines()[-1], "footer updated")
        footer = k.text().splitlines()[-1]
        assert "Cancel" not in footer
        assert "Waiting for Engage…" in k.text() and "Don't apply anything yet." in k.text()
        await k.wait_for(lambda: not k.app.redeeming, "redeem finished")

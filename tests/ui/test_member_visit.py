"""A whole member visit at the till: conditions, every offer's status, several offers in one
visit, a shared card's chooser, F2 recall, typed e-mail/phone routing and the idle warning.
Against the simulator over HTTP, driven by Pilot; assertions on what staff see and what Engage
received."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.widgets import Static

from kiosk import i18n
from kiosk.sim import Fault, Simulator
from kiosk.ui.screens.offers import OffersScreen
from tests.support import tenant_today
from tests.ui.kiosk_pilot import ANNA, TWINS, Kiosk, Members


def id_lookups(k: Kiosk) -> list:
    return k.sim.requests_to("GET", r"/api/v3/contacts/id$")


def promotion_reads(k: Kiosk) -> list:
    return k.sim.requests_to("GET", r"/promotions$")


async def choose(k: Kiosk, name: str) -> None:
    screen = k.app.screen
    assert isinstance(screen, OffersScreen)
    target = next(i for i, o in enumerate(screen.offers) if o.name == name)
    await k.pilot.press("home", *["down"] * target)
    assert screen.highlighted_offer is not None and screen.highlighted_offer.name == name


async def redeem(k: Kiosk, name: str) -> str:
    """From the offers list: choose, confirm, and the result's text."""
    await choose(k, name)
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    await k.pilot.press("enter")
    await k.screen_is("ResultScreen")
    return k.text()


async def test_three_offers_in_one_visit_without_scanning_again(
        start_kiosk, sim: Simulator, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        assert "4 to use · 1 not usable here" in k.text()
        result = await redeem(k, "Autumn 20")
        assert "Give 20 % off" in result and "This visit, apply: 20 %" in result
        assert "Enter: Anna's other offers" in result

        lookups, reads = len(id_lookups(k)), len(promotion_reads(k))
        await k.pilot.press("enter")  # the same member's offers, read again from Engage
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: "3 to use" in k.text(), "offers re-read")
        assert len(id_lookups(k)) == lookups  # no new card lookup
        assert len(promotion_reads(k)) == reads + 1  # but Engage was asked again
        text = k.text()
        assert "This visit, apply: 20 %" in text
        assert "3 to use · 2 not usable here" in text
        # the one just used, now listed as used, with the day of Engage's redeemedOn (in its
        # tenant's zone: a day ahead of a UTC test machine's between 23:00 and midnight)
        used = (sim.state.promotion_instance(members.offers["percent"]) or {})["redeemedOn"]
        assert f"used {i18n.format_date(datetime.fromisoformat(used))}" in text

        await redeem(k, "Hundred off")
        await k.pilot.press("enter")
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: "2 to use" in k.text(), "offers re-read")
        result = await redeem(k, "Till code")
        assert "This visit, apply: 20 % · 100 kr · Code 10056" in result
        assert len(k.posts()) == 3 and len(id_lookups(k)) == lookups

        await k.pilot.press("escape")  # the visit ends
        await k.screen_is("ScanScreen")
        assert k.app.visit is None and k.app.member is None
        await k.scan(ANNA)  # a new scan is a new visit: nothing redeemed in it yet
        assert "This visit" not in k.text()
        assert "1 to use · 4 not usable here" in k.text()


async def test_enter_on_an_offer_that_cant_be_used_says_why_and_sends_nothing(
        start_kiosk, members: Members) -> None:
    async with start_kiosk(notifications=True) as k:
        await k.scan(ANNA)
        await k.pilot.press("end")  # the last row: "Web only", below the usable ones
        screen = k.app.screen
        assert isinstance(screen, OffersScreen)
        assert screen.highlighted_offer is not None
        assert screen.highlighted_offer.name == "Web only"
        assert "Can't be used here: online only" in k.text()
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Web only: online only. Nothing was" in k.text(),
                         "the reason as a toast")
        assert isinstance(k.app.screen, OffersScreen)
        assert k.posts() == [] and k.journal.rows() == []


async def test_conditions_on_the_list_the_confirmation_and_the_result(
        start_kiosk, sim, members: Members) -> None:
    sim.state.add_offer(members.anna, name="Big spender", value_type="MONEY", value=100,
                        heading="[b]100 kr att handla för[/b]",
                        description="Vid köp över 500 kr. Gäller ej presentkort, ej tillsammans "
                        "med andra erbjudanden, ej på redan nedsatta varor eller på tjänster.",
                        expires_on=tenant_today() + timedelta(days=1))
    async with start_kiosk() as k:
        await k.scan(ANNA)
        screen = k.app.screen
        assert isinstance(screen, OffersScreen)
        assert screen.offers[0].name == "Big spender"  # soonest expiry first
        text = k.text()
        assert "[b]100 kr att handla för[/b]" in text  # data, never markup
        assert "Vid köp över 500 kr." in text
        await k.pilot.press("enter")
        await k.screen_is("ConfirmScreen")
        joined = " ".join(k.text().split())
        assert "ej på redan nedsatta varor eller på tjänster." in joined  # in full, wrapped
        await k.pilot.press("enter")
        await k.screen_is("ResultScreen")
        joined = " ".join(k.text().split())
        assert "Take 100 kr off" in joined and "Vid köp över 500 kr." in joined


async def test_shared_card_chooser_first_names_then_the_chosen_members_offers(
        start_kiosk, sim, members: Members) -> None:
    twain = next(c for c in sim.state._contacts.values()
                 if c.attributes["firstName"] == "Twain").id
    sim.state.add_offer(twain, name="Twain's treat", value_type="PERCENT", value=15)
    async with start_kiosk() as k:
        await k.scan(TWINS)
        await k.screen_is("ChooserScreen")
        text = k.text()
        assert "Which member is here?" in text and "Twin" in text and "Twain" in text
        assert TWINS not in text and "•••• 0046" in text
        await k.pilot.press("down", "enter")
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: "Twain's treat" in k.text(), "the chosen member's offers")
        assert "Twain" in k.text() and len(id_lookups(k)) == 1
        result = await redeem(k, "Twain's treat")
        assert "Give 15 % off" in result
        await k.pilot.press("enter")  # the visit goes on with the chosen member
        await k.screen_is("OffersScreen")
        await k.wait_for(lambda: "Twain's treat" in k.text() and "used" in k.text(), "re-read")
        assert len(id_lookups(k)) == 1


async def test_escape_on_the_chooser_gives_up(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(TWINS)
        await k.screen_is("ChooserScreen")
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        assert k.app.member is None and k.posts() == []


async def test_f2_recalls_todays_redemptions_without_names_or_full_cards(
        start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        assert "No redemptions at this till today." in k.text()
        assert "0 redemptions" not in k.text()  # said once, in words
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.scan(ANNA)
        await redeem(k, "Till code")
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        text = k.text()
        assert "1 redemption" in text
        assert "•••• 0015" in text and "Till code" in text and "Code 10056" in text
        assert "redeemed" in text
        assert ANNA not in text and "Anna" not in text
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")


async def test_f2_does_nothing_during_a_visit(start_kiosk, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await k.pilot.press("f2")
        await k.pilot.pause()
        assert isinstance(k.app.screen, OffersScreen)


async def test_typed_card_with_spaces_email_and_phone_go_to_their_own_keys(
        start_kiosk, sim, members: Members) -> None:
    sim.state.add_contact(first_name="Pia", card="2000000000053", mobile_phone="+46701740699")
    async with start_kiosk() as k:
        await k.type_card("2000 0000 0001 5")
        await k.screen_is("OffersScreen")
        assert "Anna" in k.text()
        assert id_lookups(k)[-1].query == f"customKey={ANNA}"
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.type_card("anna@example.com")
        await k.screen_is("OffersScreen")
        assert id_lookups(k)[-1].query == "email=anna%40example.com"
        await k.pilot.press("escape")
        await k.screen_is("ScanScreen")
        await k.type_card("070-174 06 99")
        await k.screen_is("OffersScreen")
        assert "Pia" in k.text()
        assert id_lookups(k)[-1].query == "mobilePhone=%2B46701740699"
        assert not any("any=" in r.query for r in id_lookups(k))


async def test_typed_kinds_not_allowed_are_refused_before_engage(
        start_kiosk, settings, services, members: Members) -> None:
    services.settings = settings.with_changes(typed_lookup="card")
    async with start_kiosk(notifications=True) as k:
        await k.type_card("anna@example.com")
        await k.wait_for(lambda: "E-mail lookup is off" in " ".join(k.text().split()),
                         "the refusal")
        assert id_lookups(k) == []


async def test_idle_warning_counts_down_and_any_key_keeps_the_visit(
        start_kiosk, members: Members) -> None:
    now = [1000.0]
    async with start_kiosk(idle_timeout=60.0, clock=lambda: now[0]) as k:
        await k.scan(ANNA)
        now[0] += 50.5
        await k.wait_for(lambda: "Clearing in 10 s — press any key to keep" in k.text(),
                         "the countdown")
        now[0] += 1.0
        await k.wait_for(lambda: "Clearing in 9 s" in k.text(), "the countdown going on")
        await k.pilot.press("down")  # any key keeps the visit
        await k.wait_for(lambda: "Clearing in" not in k.text(), "the countdown gone")
        assert isinstance(k.app.screen, OffersScreen) and k.app.member is not None
        now[0] += 61
        await k.screen_is("ScanScreen")  # no key this time: the idle reset ends the visit
        assert k.app.visit is None and "Clearing in" not in k.text()


async def test_a_slow_re_read_says_so_on_the_result(start_kiosk, sim, members: Members) -> None:
    async with start_kiosk() as k:
        await k.scan(ANNA)
        await redeem(k, "Autumn 20")
        sim.faults.add(Fault("latency", method="GET", path=r"/promotions$", latency=1.0))
        await k.pilot.press("enter")
        await k.wait_for(lambda: "Reading Anna's offers again…" in k.text(), "the busy line")
        assert type(k.app.screen).__name__ == "ResultScreen"
        await k.screen_is("OffersScreen")


async def test_the_first_offers_conditions_are_composed_then_follow_the_cursor(
        start_kiosk, sim, members: Members, monkeypatch) -> None:
    """The first frame already shows the highlighted offer's conditions: the pane isn't
    filled in after the screen is shown (each update was another layout before the list
    settled). A screen prepared ahead is filled once, before it is shown."""
    sim.state.add_offer(members.anna, name="Big spender", value_type="MONEY", value=100,
                        heading="Shop for 100 kr", description="Over 500 kr only.",
                        expires_on=tenant_today() + timedelta(days=1))
    updates: list[str] = []
    update = Static.update

    def spy(self: Static, *args: object, **kwargs: object) -> None:
        if self.id == "detail" and self.is_attached and self.screen.is_current:
            updates.append(str(args[0]) if args else "")
        update(self, *args, **kwargs)

    monkeypatch.setattr(Static, "update", spy)
    async with start_kiosk() as k:
        await k.scan(ANNA)
        screen = k.app.screen
        assert isinstance(screen, OffersScreen)
        await k.wait_for(lambda: "Redeem" in k.text().splitlines()[-1], "the keys")
        assert "Shop for 100 kr — Over 500 kr only." in k.text()
        assert updates == []  # shown with it, never redrawn for the same offer
        await k.pilot.press("down")
        await k.wait_for(lambda: "Over 500 kr only." not in k.text(), "the next offer's pane")
        assert len(updates) == 1
        await k.pilot.press("up")
        await k.wait_for(lambda: "Over 500 kr only." in k.text(), "back to the first")


async def test_f2_keeps_every_state_in_view_at_80_columns(
        start_kiosk, journal, members: Members) -> None:
    """A long offer name and a long till code (Engage allows both) must not push the state
    column — the one that says "don't apply" — off an 80-column screen (the table has no
    sideways key), nor cut the code."""
    for i, (state, name, value) in enumerate((
            ("redeemed", "Vårkampanj: 3 för 2 på strumpor i kampanjhyllan, alla storlekar",
             "Code SPRING-2026-SOCKS-3FOR2-CAMPAIGN"),
            ("rejected", "Höstrea 25 % på ytterkläder", "25 %"),
            ("verified-not-redeemed", "Present: tygkasse", "Tygkasse"))):
        row = journal.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                            contact_id="c1", offer_id=f"o{i}", promotion_id=None,
                            offer_name=name, value_applied=value)
        journal.set_state(row, state)
    async with start_kiosk(size=(80, 24)) as k:
        await k.pilot.press("f2")
        await k.screen_is("RecallScreen")
        await k.pilot.pause()
        rows = [line for line in k.text().splitlines() if "•••• 0015" in line]
        assert [line.rstrip().endswith(end) for line, end in zip(rows, (
            "not redeemed: don't apply", "refused: don't apply", "redeemed"), strict=True)] == [
            True] * 3, rows
        text = k.text()  # what to key in: wrapped if it must be, never cut
        assert "SPRING-20" in text and "CAMPAI" in text and "SPRING-20…" not in text

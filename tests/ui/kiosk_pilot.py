"""Helpers for driving the kiosk with Pilot: seeded members, a wait_for with a deadline,
back-to-back wedge bursts, and the screen as plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from textual import events
from textual.message import Message
from textual.pilot import Pilot

from kiosk.engage.client import EngageClient
from kiosk.i18n import ngettext
from kiosk.journal import Journal, JournalState
from kiosk.lookup import MemberLookup
from kiosk.redeem import Redeemer
from kiosk.sim import Fault, Simulator
from kiosk.ui.app import KioskApp
from kiosk.ui.services import KioskServices
from tests.support import async_wait_until

ANNA = "2000000000015"   # valid in-store EAN-13 cards (prefix 2, right check digit)
BO = "2000000000022"
NOBODY = "2000000000039"
TWINS = "2000000000046"


@dataclass
class Members:
    """Ids of what the test simulator was seeded with."""

    anna: str
    bo: str
    offers: dict[str, str] = field(default_factory=dict)


def seed(sim: Simulator) -> Members:
    state = sim.state
    anna = state.add_contact(first_name="Anna", card=ANNA, email="anna@example.com")
    bo = state.add_contact(first_name=None, card=BO)
    state.add_contact(first_name="Twin", card=TWINS)
    state.add_contact(first_name="Twain", card=TWINS)
    offers = {
        "percent": state.add_offer(anna, name="Autumn 20", value_type="PERCENT", value=20),
        "money": state.add_offer(anna, name="Hundred off", value_type="MONEY", value=100),
        "manual": state.add_offer(anna, name="Coffee", value_type="MANUAL", value="Free coffee",
                                  instruction="Hand over a coffee"),
        "code": state.add_offer(anna, name="Till code", value_type="EXTERNALOFFER",
                                value="10056"),
        "web": state.add_offer(anna, name="Web only", value_type="PERCENT", value=5,
                               channels=("ECOM",)),
    }
    return Members(anna=anna, bo=bo, offers=offers)


@dataclass
class Kiosk:
    """A running app plus what the test needs to look at."""

    app: KioskApp
    pilot: Pilot
    sim: Simulator
    journal: Journal
    messages: list[Message]

    async def wait_for(self, predicate: Callable[[], Any], what: str = "condition",
                       timeout: float = 10.0) -> Any:
        """Poll with a deadline, letting the app run between polls (never a fixed sleep)."""
        async def check() -> Any:
            await self.pilot.pause()
            return predicate()
        return await async_wait_until(check, timeout=timeout, what=what)

    async def screen_is(self, name: str) -> None:
        await self.wait_for(lambda: type(self.app.screen).__name__ == name, f"{name} on top")

    async def type_card(self, text: str) -> None:
        """A person typing then pressing Enter."""
        await self.pilot.press(*text, "enter")

    def burst(self, *lines: str, end: str = "enter") -> None:
        """A wedge scanner: all keys posted back to back, without waiting between them."""
        for line in lines:
            for ch in line:
                self.app.post_message(events.Key(ch, ch))
            self.app.post_message(events.Key(end, "\r" if end == "enter" else "\n"))

    async def scan(self, card: str) -> None:
        """Scan and wait until the lookup has answered (offers or a result)."""
        generation = self.app.generation
        self.burst(card)
        await self.wait_for(lambda: self.app.generation > generation and not self.app.busy_text,
                            f"lookup of {card[-4:]}")
        await self.wait_for(lambda: type(self.app.screen).__name__ in (
            "OffersScreen", "ResultScreen", "ChooserScreen"), "offers, result or chooser screen")

    def text(self) -> str:
        """Everything on screen now, as plain text."""
        return _screen_text(self.app)

    def posts(self) -> list[Any]:
        return self.sim.requests_to("POST", r"/redeem$")


#: The scan screen's steady line for one attempt of today's still unresolved (English).
TODAY_ONE = "1 redemption not confirmed — F2 to see it"


def steady_lines(today: int, earlier: int) -> list[str]:
    """The scan screen's steady lines for ``today`` attempts of today's and ``earlier`` ones of
    an earlier day still unresolved, in the current language (none for a count of 0)."""
    lines = []
    if today:
        lines.append(ngettext("{n} redemption not confirmed — F2 to see it",
                              "{n} redemptions not confirmed — F2 to see them",
                              today).format(n=today))
    if earlier:
        lines.append(ngettext("{n} earlier redemption not confirmed — tell IT",
                              "{n} earlier redemptions not confirmed — tell IT",
                              earlier).format(n=earlier))
    return lines


def stopped_clock(at: datetime) -> Callable[[], datetime]:
    """A till clock that reads ``at`` (``KioskServices.clock``: the till's day for F2 and the
    steady lines). Stopped a little in the past, the till's day can't turn over in the middle of
    a test: an attempt written at ``at`` or later is today's at any hour, and one at ``at`` is
    already past the tests' settle windows."""
    return lambda: at


def till_clock() -> Callable[[], datetime]:
    """The tests' till clock: stopped 5 s ago (past every settle window the tests use)."""
    return stopped_clock(datetime.now(UTC) - timedelta(seconds=5))


def seed_open(journal: Journal, at: datetime, *, today: int, earlier: int) -> None:
    """Unresolved attempts in the journal as a crash or a lost answer leaves them: ``today``
    at this till at ``at`` (the till's now: today's, and a few seconds old so past the tests'
    settle window, so no background check announces them), ``earlier`` a day and an hour
    before it (an earlier day even on a 25-hour day)."""
    for n, when in [(n, at) for n in range(today)] + \
            [(n, at - timedelta(days=1, hours=1)) for n in range(earlier)]:
        with Journal(journal.path, clock=lambda when=when: when) as j:
            row = j.begin(store="Test Store", terminal="Till 1", masked_card=f"•••• 00{n}9",
                          contact_id=f"gone-{n}", offer_id=f"offer-{(at - when).days}-{n}",
                          promotion_id=None, offer_name=f"Offer {n}", value_applied="10 %")
            j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")


def seed_used_no_date(journal: Journal, members: Members, sim: Simulator,
                      services: KioskServices, at: datetime) -> int:
    """Anna's attempt at ``at`` (past its settle window), its answer lost, and Engage listing
    the offer used without a date, so no reconciliation settles it; the till's clock stopped at
    ``at``, so F2 and its line count it as today's at any hour. Returns the row's id."""
    services.clock = stopped_clock(at)
    offer = members.offers["percent"]
    with Journal(journal.path, clock=lambda: at) as j:
        row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                      contact_id=members.anna, offer_id=offer, promotion_id=None,
                      offer_name="Autumn 20", value_applied="20 %")
        j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    inst = dict(sim.state.promotion_instance(offer) or {})
    inst.pop("contactId")
    sim.faults.add(Fault("status", method="GET", path=rf"/{members.anna}/promotions",
                         status=200, times=None,
                         body=json.dumps([{**inst, "redeemed": True, "redeemedOn": None}])))
    return row


def notices(k: Kiosk) -> str:
    """The scan screen's notice area as text (the scan screen is always the stack's first)."""
    from textual.widgets import Static

    return str(k.app.screen_stack[0].query_one("#notices", Static).render())


async def redeem_and_leave(k: Kiosk, card: str, *faults: Fault) -> None:
    """Redeem the member's first offer (``faults`` on once the offers are read); at "not
    confirmed yet", Esc: the next customer."""
    await k.scan(card)
    for fault in faults:
        k.sim.faults.add(fault)
    await k.pilot.press("enter")
    await k.screen_is("ConfirmScreen")
    await k.pilot.press("enter")
    await k.wait_for(lambda: "Not confirmed yet" in k.text(), "not confirmed yet")
    await k.pilot.press("escape")
    await k.screen_is("ScanScreen")


def _screen_text(app: KioskApp) -> str:
    """The rendered terminal as plain text (what staff see), rebuilt from Textual's screenshot."""
    svg = app.export_screenshot()
    rows: dict[float, dict[int, str]] = {}
    for x, y, text in re.findall(r'<text class="terminal-[^"]*-r\d+" x="([\d.]+)" y="([\d.]+)"'
                                 r'[^>]*>(.*?)</text>', svg, flags=re.S):
        col = round(float(x) / 12.2)  # Textual's SVG cell is 12.2 units wide
        for i, ch in enumerate(unescape(text).replace("\n", "")):
            rows.setdefault(float(y), {})[col + i] = ch
    lines = []
    for _, cells in sorted(rows.items()):
        width = max(cells) + 1 if cells else 0
        lines.append("".join(cells.get(i, " ") for i in range(width)).replace("\xa0", " ")
                     .rstrip())
    return "\n".join(lines)


def services_without_breaker(client: EngageClient, base: KioskServices, journal: Journal, *,
                             settle_window: float, notices: list[str] | None = None
                             ) -> KioskServices:
    """Services on ``client`` whose answers are re-read quickly (0.2 s), with no breaker: the
    re-reads tests make fail on purpose must not stop the next lookup."""
    return KioskServices(
        lookup=MemberLookup(client),
        redeemer=Redeemer(client, journal, store="Test Store", terminal="Till 1",
                          recheck_delays=(0.2,), settle_window=settle_window,
                          verify_deadline=1.0),
        journal=journal, settings=base.settings, notices=notices or [], clock=base.clock)

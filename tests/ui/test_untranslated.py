"""No English left on any staff screen: every word staff read comes through the catalogs.

The kiosk runs with a pseudo-catalog (``tests/ui/pseudo_locale.py``: every msgstr is its msgid
with accented letters) and a demo tenant whose Engage texts (names, offers, instructions) are
accented the same way, and is driven with real keys through every screen and state: scan
screen (demo cards, notices, status lines, idle countdown, rejected scans), chooser, offers
(every kind, conditions, reasons, vouchers, points), confirm, result (every outcome), voucher
undo, F2 recall, settling by hand (F5 on F2; settled elsewhere meanwhile, on F2 and on a "not
confirmed yet" result), F9 diagnostics, PIN, staff exit, Engage errors
and Engage down. A run of plain ASCII letters left on screen did not come through the catalog,
unless it is on the small allowlist below (key names, URLs and paths, KIOSK_* names and config
values on F9, CLDR month names and currency codes). ``test_a_planted_english_string_is_caught``
shows the check fail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from babel.dates import get_day_names, get_month_names
from babel.numbers import get_currency_symbol
from textual.pilot import Pilot

from kiosk import i18n
from kiosk.config import Settings
from kiosk.engage.client import EngageClient
from kiosk.engage.outage import EngageState
from kiosk.journal import Journal, JournalState
from kiosk.lookup import MAX_CANDIDATES
from kiosk.rewards import VOUCHER
from kiosk.scanner import barcode
from kiosk.scanner.state import ScannerState
from kiosk.sim import Fault, SimState, Simulator
from kiosk.sim.demo import read_demo_data
from kiosk.ui import showcase
from kiosk.ui.app import JOURNAL_WATCH_EVERY, KioskApp
from kiosk.ui.launch import build_services
from kiosk.ui.messages import ScannerJunk, ScannerStatus
from tests.ui.pseudo_locale import PLAIN_WORD, install, pseudo, untranslated

ANNA, ERIK, NO_OFFERS, ONLINE, FAMILY = (
    "2004173000100", "2004173000278", "2004173000346", "2004173000414", "2004173000582")
PIN = "2468"
#: Member fields that are Engage's texts (accented like the catalog); ``note`` is ours.
_ENGAGE_TEXTS = {"firstName", "lastName", "name", "heading", "description", "value",
                 "instruction"}


def _engage_texts_accented(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (pseudo(v) if k in _ENGAGE_TEXTS and isinstance(v, str)
                    else _engage_texts_accented(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_engage_texts_accented(v) for v in data]
    return data


#: IT's names for states, shown in brackets after the staff's words on F9 ("[verified-redeemed]").
_IT_NAMES = {*map(str, JournalState), *map(str, EngageState), *map(str, ScannerState),
             "keyboard", "closed", "open", "half-open"}


def _allowed(locale: str, extra: Iterable[str] = ()) -> re.Pattern[str]:
    """What may stay plain: key names (F-keys, F9's one-letter "r"), URLs and paths, IT's
    names of states in brackets, F9's Engage problem's reason in brackets as logged, KIOSK_*
    names and ``extra`` (their values on F9), CLDR's month and day names, currency codes and
    symbols."""
    cldr = set()
    for width in ("abbreviated", "wide"):
        cldr |= set(get_month_names(width, locale=locale).values())
        cldr |= set(get_day_names(width, locale=locale).values())
    for code in ("SEK", "NOK", "EUR", "DKK"):
        cldr |= {code, get_currency_symbol(code, locale=locale)}
    words = sorted((w.rstrip(".") for w in cldr), key=len, reverse=True)
    values = sorted((v for v in extra if v), key=len, reverse=True)
    return re.compile("|".join([
        r"\bF\d{1,2}\b", r"(?<=\s)[a-z](?=\s)", r"https?://\S+", r"(?<![\w.])/[\w./-]+",
        r"\[(?:" + "|".join(map(re.escape, sorted(_IT_NAMES))) + r")\]",
        r"\[[A-Z][A-Za-z]*(?:Error|Exception)\]",  # an exception's class, for IT (F9)
        r"\[[A-Z]\w+: [^\]]*(?:\]|…)",  # F9's Engage problem: IT's reason as logged
        r"\bKIOSK(?:_[A-Z0-9_]*)?", *(r"(?<=\s)" + re.escape(v) + r"(?=\s|$)" for v in values),
        r"\b(?:" + "|".join(map(re.escape, words)) + r")\b",
    ]))


class Till:
    """One running app and everything the flows need."""

    def __init__(self, app: KioskApp, pilot: Pilot[Any], sim: Simulator) -> None:
        self.app, self.pilot, self.sim = app, pilot, sim
        self.shots: list[tuple[str, str, set[str]]] = []

    async def until(self, predicate: Callable[[], object], what: str,
                    timeout: float = 10.0) -> None:
        await showcase.wait_for(self.pilot, predicate, what, timeout)

    async def on(self, screen: str) -> None:
        await self.until(lambda: type(self.app.screen).__name__ == screen, screen)

    async def shot(self, label: str) -> None:
        """What the screen shows now; on F9 the words of the Engage problem's reason for IT
        (in brackets, as logged: "[ServerError: ... (HTTP 503)]") may stay English."""
        await self.pilot.pause()
        reason = re.search(r"\[(.*)\]$", self.app.engage_problem)
        it_words = set(PLAIN_WORD.findall(reason.group(1))) if reason and type(
            self.app.screen).__name__ == "DiagnosticsScreen" else set()
        self.shots.append((label, showcase.screen_text(self.app), it_words))

    async def type(self, text: str) -> None:
        await self.pilot.press(*text, "enter")

    async def scan(self, card: str, screen: str = "OffersScreen") -> None:
        await self.type(card)
        await self.on(screen)

    async def diagnostics(self) -> None:
        """F9 and the staff PIN: the diagnostics screen."""
        await self.pilot.press("f9")
        await self.on("PinScreen")
        await self.type(PIN)
        await self.on("DiagnosticsScreen")


@contextmanager
def _demo_sim() -> Iterator[Simulator]:
    data = _engage_texts_accented(read_demo_data())
    with Simulator(SimState(seed=data, clock=lambda: showcase.FROZEN_NOW),
                   rate_limit=None) as sim:
        yield sim


@asynccontextmanager
async def till(tmp_path: Path, sim: Simulator, *, size: tuple[int, int] = (80, 24),
               idle_timeout: float | None = None, api_key: str | None = None,
               url: str | None = None, journal_watch_every: float = JOURNAL_WATCH_EVERY,
               **settings: Any) -> AsyncIterator[Till]:
    """The demo till speaking the pseudo-catalog, its store and till named in it too."""
    path = tmp_path / f"journal-{len(list(tmp_path.glob('journal-*')))}.sqlite3"
    kwargs: dict[str, Any] = {"store_name": pseudo("Demo Store"),
                              "terminal_name": pseudo("Till 1"), "language": "sv",
                              "staff_pin": PIN, "journal_path": path,
                              "log_dir": tmp_path / "log"} | settings
    config = Settings(engage_url=sim.url, engage_api_key=sim.api_key, **kwargs)
    with Journal(path) as journal:
        client = EngageClient(url or sim.url, api_key or sim.api_key)
        services = build_services(config, client, journal, demo_cards=sim.state.demo_cards(),
                                  now=lambda: showcase.FROZEN_NOW, log_path=tmp_path / "kiosk.log")
        app = KioskApp(services, cursor_blink=False, ping_interval=None,
                       idle_timeout=idle_timeout, journal_watch_every=journal_watch_every)
        async with app.run_test(size=size, notifications=True) as pilot:
            t = Till(app, pilot, sim)
            await t.on("ScanScreen")
            yield t


Flow = Callable[[Till], Awaitable[None]]


async def idle_screen(t: Till) -> None:
    """Demo cards, the plain-PIN notice, Engage's and the scanner's states."""
    await t.until(lambda: t.app.engage_state == "ok", "Engage connected")
    await t.shot("scan screen")
    for state, detail in [("connecting", ""), ("connected", ""), ("disconnected", ""),
                          ("off", "")]:
        t.app.post_message(ScannerStatus(state, detail))  # type: ignore[arg-type]
        await t.shot(f"scanner {state}")


async def rejected_scans(t: Till) -> None:
    """What the barcode rules refuse, and a card no member has."""
    for typed in ["123", "7310865004703", "anna@", "+46 70", "2004173000101",
                  showcase.UNKNOWN_CARD]:
        await t.type(typed)
        await t.pilot.pause()
        await t.until(lambda: not t.app.busy_text, "the lookup's end")
        await t.shot(f"typed {typed!r}")
        await t.pilot.press("escape")
        await t.on("ScanScreen")


async def every_offer(t: Till) -> None:
    """Each demo member's offers, every row highlighted in turn (its conditions or reason)."""
    for card in [ANNA, ERIK, ONLINE]:
        await t.scan(card)
        for _ in range(20):
            await t.shot(f"offers of {card}")
            await t.pilot.press("down")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
    await t.type(NO_OFFERS)
    await t.until(lambda: type(t.app.screen).__name__ != "ScanScreen", "no offers")
    await t.shot("no offers")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    for i in range(MAX_CANDIDATES):  # more than the chooser lists: "(and 2 more ...)"
        t.sim.state.add_contact(first_name=pseudo(f"Kin {'abcdefghij'[i % 10]}"), card=FAMILY)
    await t.scan(FAMILY, "ChooserScreen")
    await t.shot("chooser")
    await t.pilot.press("enter")
    await t.until(lambda: type(t.app.screen).__name__ != "ChooserScreen", "a member chosen")
    await t.shot("chosen member")


async def give_back(t: Till) -> None:
    """Enter on the give-back question; wait for its answer's own result screen."""
    under = t.app.screen_stack[-2]  # the voucher's result, under the question
    await t.pilot.press("enter")
    await t.until(lambda: type(t.app.screen).__name__ == "ResultScreen"
                  and t.app.screen is not under, "the give-back's answer", 20)


async def redeem_everything(t: Till) -> None:
    """Every usable offer and voucher of Anna's redeemed in one visit (confirm and result);
    each voucher given back with F3 and the PIN."""
    await t.scan(ANNA)
    for _ in range(6):
        await t.pilot.press("home", "enter")
        await t.on("ConfirmScreen")
        await t.shot("confirm")
        await t.pilot.press("enter")
        await t.on("ResultScreen")
        await t.until(lambda: not getattr(t.app.screen, "checking", False), "the answer")
        await t.shot("result")
        if "undo" in {b.action for b in t.app.screen.active_bindings.values()
                      if b.binding.action == "undo" for b in [b.binding]}:
            await t.pilot.press("f3")
            await t.shot("undo or its PIN")
            if type(t.app.screen).__name__ == "PinScreen":
                await t.type(PIN)
            await t.on("UndoScreen")
            await t.shot("undo")
            await give_back(t)
            await t.shot("undone")
        await t.pilot.press("enter")
        await t.on("OffersScreen")
    await t.shot("offers after the visit")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.scan(ANNA)
    await t.pilot.press("end")
    await t.shot("offers used at this till")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    await t.shot("today's redemptions")


async def refusals(t: Till) -> None:
    """Engage's refusals of a redeem: used elsewhere, not valid in store, gone, busy."""
    bodies = ["PromotionAlreadyRedeemed", "PromotionNotValidForRedemptionChannel",
              "PromotionNotFound", "PromotionExpired"]
    for code in bodies:
        t.sim.faults.add(Fault("status", method="POST", path=r"/redeem$", status=409,
                               body=f'{{"errorCode": "{code}"}}'))
        await t.scan(ANNA)
        await t.pilot.press("enter")
        await t.on("ConfirmScreen")
        await t.pilot.press("enter")
        await t.on("ResultScreen")
        await t.shot(f"refused: {code}")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
    t.sim.faults.add(Fault("status", method="GET", status=429, headers={"Retry-After": "7"},
                           times=None))
    await t.scan(ANNA, "ResultScreen")
    await t.shot("rate limited")
    t.sim.faults.clear()
    await t.pilot.press("escape")
    await t.on("ScanScreen")


async def not_confirmed(t: Till) -> None:
    """A redeem whose answer is lost: "not confirmed yet", then the settled answer; Esc: the
    scan screen's steady line and settled notices, F4, F2."""
    t.sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    await t.scan(ANNA)
    await t.pilot.press("enter")
    await t.on("ConfirmScreen")
    await t.pilot.press("enter")
    await t.on("ResultScreen")
    await t.shot("not confirmed yet")
    await t.until(lambda: not getattr(t.app.screen, "checking", False), "settled", 15)
    await t.shot("settled")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.shot("notices")
    t.sim.faults.add(Fault("status", status=503, times=None))
    t.sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    await t.shot("recall")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f4")
    await t.shot("notices hidden")


async def engage_down(t: Till) -> None:
    """Engage answers 503 to everything: the result, then "unavailable" (breaker open)."""
    t.sim.faults.add(Fault("status", status=503, times=None))
    for _ in range(4):
        await t.scan(ANNA, "ResultScreen")
        await t.shot("Engage down")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
    await t.shot("scan screen, Engage down")
    await t.diagnostics()
    await t.shot("diagnostics, Engage down")


async def unauthorised(t: Till) -> None:
    await t.scan(ANNA, "ResultScreen")
    await t.shot("unauthorised")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.until(lambda: t.app.engage_state != "ok", "the status line")
    await t.shot("scan screen, key rejected")
    await t.diagnostics()
    await t.shot("diagnostics, key rejected")


async def unreachable(t: Till) -> None:
    """Nothing answers at Engage's address: the result, and the scan screen after it."""
    await t.scan(ANNA, "ResultScreen")
    await t.shot("Engage unreachable")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.shot("scan screen, Engage unreachable")


async def staff_keys(t: Till) -> None:
    """Every redemption of a visit (``redeem_everything``: it fills the journal), then F9 (PIN,
    wrong PIN, diagnostics with a journal of every state), F10 (PIN). (No flow of its own for
    ``redeem_everything``: with the same options it showed the same screens, a second time.)"""
    await redeem_everything(t)
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f9")
    await t.on("PinScreen")
    await t.shot("PIN for F9")
    await t.type("1111")
    await t.shot("wrong PIN")
    await t.type(PIN)
    await t.on("DiagnosticsScreen")
    await t.until(lambda: "journal" in str(t.app.screen.query_one("#diag-journal").render())
                  .lower() or True, "the journal counts")
    for _ in range(8):
        await t.shot("diagnostics")
        await t.pilot.press("down", "down", "down")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f10")
    await t.on("PinScreen")
    await t.shot("PIN for F10")


async def typed_lookups(t: Till) -> None:
    """Busy lines, typed e-mail and mobile number (found, not found), a scanner's junk line."""
    await t.until(lambda: t.app.engage_state == "ok", "Engage connected")
    t.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/id", latency=1.0,
                           times=None))
    for typed in [ANNA, "nobody@example.com", "+46701740699"]:
        await t.type(typed)
        await t.until(lambda: bool(t.app.busy_text), "the busy line")
        await t.shot(f"looking up {typed}")
        await t.until(lambda: not t.app.busy_text
                      and type(t.app.screen).__name__ != "ScanScreen", "the answer")
        await t.shot(f"typed {typed}")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
    t.sim.faults.clear()
    await t.scan("anna.lindqvist@example.com")
    await t.shot("found by e-mail")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    for reason in [barcode.NOT_A_MEMBER_CARD, barcode.UNREADABLE, "something else"]:
        t.app.post_message(ScannerJunk(reason))
        await t.shot(f"scanner junk {reason}")


async def other_lookup_keys(t: Till) -> None:
    """A till set to look members up by any key, or with typing off: its hint, what typing
    something it doesn't take says, a personal number's busy line."""
    await t.shot("the hint")
    for typed in ["anna.lindqvist@example.com", "+46701740605", "2004173000100",
                  "19850312-1231"]:
        t.sim.faults.add(Fault("latency", method="GET", path=r"/contacts/id", latency=0.5))
        await t.type(typed)
        await t.shot(f"looking up {typed}")
        await t.until(lambda: not t.app.busy_text, "the answer")
        await t.shot(f"typed {typed}")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
        t.sim.faults.clear()


async def settled_later(t: Till) -> None:
    """Esc at "not confirmed yet": the answer arrives on the scan screen (notice and toast)."""
    t.sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False))
    await t.scan(ANNA)
    await t.pilot.press("enter")
    await t.on("ConfirmScreen")
    await t.pilot.press("enter")
    await t.on("ResultScreen")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.shot("left before the answer")
    await t.until(lambda: t.app.screen.hideable > 0, "the settled notice", 15)
    await t.shot("the answer, settled")


async def undo_outcomes(t: Till) -> None:
    """A voucher's give-back refused by Engage, and one whose answer is lost."""
    faults = [Fault("status", method="POST", path=r"/reactivate$", status=409,
                    body='{"errorCode": "ReactivationLimitExceeded"}'),
              Fault("drop_after_read", method="POST", path=r"/reactivate$", commit=False,
                    times=None)]
    for fault in faults:
        await t.scan(ANNA)
        for _ in range(40):
            if getattr(t.app.screen.highlighted_offer, "kind", "") == VOUCHER:
                break
            await t.pilot.press("down")
        await t.pilot.press("enter")
        await t.on("ConfirmScreen")
        await t.pilot.press("enter")
        await t.on("ResultScreen")
        t.sim.faults.add(fault)
        await t.pilot.press("f3")
        await t.on("PinScreen")
        await t.type(PIN)
        await t.on("UndoScreen")
        await give_back(t)
        await t.shot(f"give-back: {fault.kind}")
        await t.pilot.press("escape")
        await t.on("ScanScreen")
        t.sim.faults.clear()


async def pin_lockout(t: Till) -> None:
    await t.pilot.press("f10")
    await t.on("PinScreen")
    for _ in range(3):
        await t.type("1111")
        await t.shot("wrong PIN")
    await t.type("12345678901234")
    await t.shot("not a PIN")


async def small_screen(t: Till) -> None:
    """60x20: the short key descriptions, the status on two rows, a voucher's F3 as "Undo"."""
    await idle_screen(t)
    await t.scan(ANNA)
    await t.shot("offers at 60x20")
    for _ in range(40):
        if getattr(t.app.screen.highlighted_offer, "kind", "") == VOUCHER:
            break
        await t.pilot.press("down")
    await t.pilot.press("enter")
    await t.on("ConfirmScreen")
    await t.shot("confirm at 60x20")
    await t.pilot.press("enter")
    await t.on("ResultScreen")
    await t.shot("voucher result at 60x20")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    await t.shot("recall at 60x20")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.diagnostics()
    await t.shot("diagnostics at 60x20")


async def journal_unreadable(t: Till) -> None:
    """The journal gone bad under the running kiosk: F9 and F2 say so."""
    journal = t.app.services.journal
    assert journal is not None
    journal.close()
    await t.diagnostics()
    await t.pilot.press("down", "down", "down", "down", "down", "down")
    await t.shot("diagnostics, journal unreadable")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    await t.shot("recall, journal unreadable")


async def idle_countdown(t: Till) -> None:
    await t.scan(ANNA)
    await t.until(lambda: t.app.screen.query("IdleWarning") and any(
        w.display for w in t.app.screen.query("IdleWarning")), "the countdown", 10)
    await t.shot("idle countdown")


async def settle_by_hand(t: Till) -> None:
    """An attempt Engage couldn't confirm, settled at the till: F2's F5, the PIN, the choices,
    the answer; then one settled meanwhile (by IT): the refusal."""
    journal = t.app.services.journal
    assert isinstance(journal, Journal)
    rows = []
    for offer in ("inst-settle-1", "inst-settle-2"):
        row = journal.begin(store="s", terminal=t.app.terminal_name, masked_card="•••• 0100",
                            contact_id="c", offer_id=offer, promotion_id=None,
                            offer_name=pseudo("Autumn 20"), value_applied="20 %")
        journal.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
        rows.append(row)
    t.app._count_open_attempts()
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    await t.shot("recall with open attempts")
    await t.pilot.press("f5")
    await t.on("PinScreen")
    await t.shot("PIN to settle")
    await t.type(PIN)
    await t.on("SettleScreen")
    await t.shot("settle")
    await t.pilot.press("down")
    await t.shot("settle, one chosen")
    await t.pilot.press("enter")
    await t.on("RecallScreen")
    await t.until(lambda: journal.resolutions(), "settled")
    await t.shot("settled at the till")
    await t.pilot.press("down")
    await t.pilot.press("f5")
    await t.on("PinScreen")
    await t.type(PIN)
    await t.on("SettleScreen")
    (first,) = [r.redemption_id for r in journal.resolutions()]
    (other,) = [r for r in rows if r != first]
    journal.resolve(other, applied=False, by="it", reason="x")  # IT, meanwhile
    await t.pilot.press("down", "enter")
    await t.on("RecallScreen")
    await t.until(lambda: any(n.title == i18n._("Not settled") for n in t.app._notifications),
                  "the refusal")
    await t.shot("not settled")


async def settled_elsewhere(t: Till) -> None:
    """Attempts settled by IT (another connection) under the till's screens: F5 on F2's row
    settled meanwhile ("Settled already"); a "not confirmed yet" result settled by hand as
    applied, then another as not applied. (The watch's looks are this flow's own calls.)"""
    journal = t.app.services.journal
    assert isinstance(journal, Journal)
    row = journal.begin(store="s", terminal=t.app.terminal_name, masked_card="•••• 0100",
                        contact_id="c", offer_id="inst-elsewhere", promotion_id=None,
                        offer_name=pseudo("Autumn 20"), value_applied="20 %")
    journal.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    await t.pilot.press("f2")
    await t.on("RecallScreen")
    with Journal(journal.path) as it:
        it.resolve(row, applied=False, by="it", reason="x")
    await t.pilot.press("f5")
    await t.until(lambda: any(n.title == i18n._("Settled already")
                              for n in t.app._notifications), "settled already")
    await t.shot("F5 on a row settled meanwhile")
    await t.pilot.press("escape")
    await t.on("ScanScreen")
    t.sim.faults.add(Fault("drop_after_read", method="POST", path=r"/redeem$", commit=False,
                           times=None))
    for applied, offer_keys in ((True, ("enter",)), (False, ("down", "enter"))):
        await t.scan(ANNA)
        await t.pilot.press(*offer_keys)
        await t.on("ConfirmScreen")
        await t.pilot.press("enter")
        await t.until(lambda: getattr(t.app.screen, "provisional", False), "checking")
        with Journal(journal.path) as it:
            it.resolve(t.app.screen.journal_id, applied=applied, by="it", reason="x")
        t.app._watch_views()
        await t.until(lambda: not t.app.screen.provisional, "settled by IT")
        await t.shot(f"checking, settled by IT ({'applied' if applied else 'not applied'})")
        await t.pilot.press("escape")
        await t.on("ScanScreen")


def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


FLOWS: dict[str, tuple[Flow, dict[str, Any]]] = {
    "idle_screen": (idle_screen, {}),
    "rejected_scans": (rejected_scans, {"typed_lookup": "card,email,phone"}),
    "every_offer": (every_offer, {}),
    "refusals": (refusals, {}),
    "not_confirmed": (not_confirmed, {"redeem_settle_window": 1.0}),
    "engage_down": (engage_down, {}),
    "unauthorised": (unauthorised, {"api_key": "not-the-key"}),
    "unreachable": (unreachable, {"url": _closed_port_url()}),
    "staff_keys": (staff_keys, {}),
    "idle_countdown": (idle_countdown, {"idle_timeout": 6.0}),
    "typed_lookups": (typed_lookups, {"typed_lookup": "card,email,phone"}),
    "settled_later": (settled_later, {"redeem_settle_window": 1.0}),
    "lookup_key_any": (other_lookup_keys, {"lookup_key": "any"}),
    "typing_off": (other_lookup_keys, {"typed_lookup": ""}),
    "undo_outcomes": (undo_outcomes, {"redeem_settle_window": 1.0}),
    "pin_lockout": (pin_lockout, {"pin_max_attempts": 2}),
    "small_screen": (small_screen, {"size": (60, 20)}),
    "journal_unreadable": (journal_unreadable, {}),
    "settle_by_hand": (settle_by_hand, {}),
    "settled_elsewhere": (settled_elsewhere, {"redeem_settle_window": 30.0,
                                              "journal_watch_every": 3600.0}),
}


async def _run(flow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The rows with plain English that ``flow`` showed, each with the first state shown in."""
    install(monkeypatch)
    run, options = FLOWS[flow]
    with _demo_sim() as sim:
        async with till(tmp_path, sim, **options) as t:
            await run(t)
            settings = t.app.services.settings
            assert settings is not None
            config_values = [value for _name, value in settings.public_items()]
    allowed = _allowed(i18n.locale(), config_values)
    found: dict[str, str] = {}  # each row once, with the first state it was seen in
    for label, screen, it_words in t.shots:
        for row, words in untranslated(screen, allowed):
            if set(words) - it_words:
                found.setdefault(f"{row!r}: {', '.join(words)}", label)
    assert t.shots
    return found


@pytest.mark.parametrize("flow", FLOWS)
async def test_every_word_on_screen_comes_from_the_catalog(
        flow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = await _run(flow, tmp_path, monkeypatch)
    assert not found, "English on screen, not from the catalog:\n" + "\n".join(
        f"{label}: {line}" for line, label in found.items())


async def test_a_planted_english_string_is_caught(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A status line whose text was never added to the catalogs: the check names it."""
    from kiosk.ui.screens import scan

    monkeypatch.setitem(scan.ENGAGE_TEXT, "ok", ("Engage: online", "ok"))
    found = await _run("idle_screen", tmp_path, monkeypatch)
    assert any(line.endswith(": Engage, online") for line in found), found

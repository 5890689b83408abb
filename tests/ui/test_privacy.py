"""Issue 6's proof for the whole app: a distinctive API key and a member card go through scan,
redeem, every failure, diagnostics and the PIN prompt; then the key is on no screen, in no file
under the temporary HOME and in no journal row, and the full card number and the member's e-mail
are in no log line and no journal row.

The kiosk is wired as ``kiosk run`` wires it (``kiosk.ui.launch``): ``load_settings`` from KIOSK_*
variables and a config file in the temporary HOME (tests/conftest.py), ``configure_logging`` at
DEBUG, the real journal in the user data dir, ``make_client`` and ``build_services``. Only
``app.run()`` becomes Pilot's ``run_test``. Engage is the real simulator with the demo tenant,
started with the distinctive key.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.containers import VerticalScroll

from kiosk.config import default_config_path, load_settings
from kiosk.journal import Journal
from kiosk.logs import LOG_FILE, configure_logging, reset_logging
from kiosk.sim import Fault, Simulator, load_demo_data
from kiosk.staff_pin import hash_pin
from kiosk.ui.app import KioskApp
from kiosk.ui.launch import build_services, make_client, open_journal
from kiosk.ui.screens.offers import OffersScreen
from tests.support import async_wait_until

KEY = "KEY-7f3a9c-SECRET-DO-NOT-LEAK"
ROTATED_KEY = "KEY-ROTATED-4e1d-TENANT-SIDE"  # the tenant's new key: ours is refused
PIN = "2468"
REDEEM_TIMEOUT = 0.5  # KIOSK_ENGAGE_REDEEM_TIMEOUT: the latency fault outlasts it

# From assets/demo-data.json.
ANNA_CARD, ANNA_MASKED = "2004173000100", "•••• 0100"
SHARED_CARD = "2004173000582"  # Lars and Lena Berg: MultipleMatches
UNKNOWN_CARD = "2004173000995"  # a valid EAN-13 no member has
CARDS = (ANNA_CARD, SHARED_CARD, UNKNOWN_CARD)
PERSONAL = ("anna.lindqvist@example.com", "lars.berg@example.com", "lena.berg@example.com",
            "Lindqvist", "+46701740605", "19850312-1231")
FIRST_NAMES = ("Anna", "Lars", "Lena")  # fine on screen, not in the log or the journal

SCAN_PROMPT = "Scan the member's card"
RESULT_HINT = "or scan"  # both hints: with a member (a visit) and without

#: What a redeem hits: (label, Fault arguments). Each runs after a fresh scan, so a lookup
#: succeeds between two failures and the breaker stays closed.
REDEEM_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("commit then 504", {"kind": "commit_then_504"}),
    ("dropped after read", {"kind": "drop_after_read"}),
    ("status 500", {"kind": "status", "status": 500, "latency": 0.3}),
    ("status 429", {"kind": "status", "status": 429, "headers": {"Retry-After": "7"}}),
    ("malformed JSON", {"kind": "malformed_json"}),
    ("status 401", {"kind": "status", "status": 401}),
    # commits after the timeout but before the first verifying re-read 0.5 s later
    ("past the redeem timeout", {"kind": "latency", "latency": REDEEM_TIMEOUT + 0.2}),
]


def screen_text(app: KioskApp) -> str:
    """The terminal as staff see it, toasts and all: ``App.export_screenshot`` as plain text
    (the SVG is ten times slower to build and needs parsing back)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def _content(text: str) -> str:
    """The screen without its right-hand scrollbar column."""
    return "\n".join(line[:-4] for line in text.splitlines())


def key_slices(key: str, width: int = 8) -> set[str]:
    """Every ``width``-character piece of the key: a key wrapped over two lines still shows."""
    return {key[i:i + width] for i in range(len(key) - width + 1)}


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def found_in(paths: list[Path], needles: tuple[str, ...] | set[str]) -> list[str]:
    """``"needle in path"`` for each needle found in a file's bytes."""
    hits = []
    for path in paths:
        data = path.read_bytes()
        hits += [f"{needle!r} in {path}" for needle in needles if needle.encode() in data]
    return hits


#: Staff keys as a terminal sends them (character or None).
KEYS = {"enter": "\r", "escape": "\x1b", "f9": None, "f10": None}


@dataclass
class Tour:
    """One kiosk run under Pilot, and every screen seen on the way as (label, text).

    Keys are posted to the app as the terminal driver posts them, and waits poll the screen
    text: Pilot's ``press``/``pause`` wait for the whole *process* to go idle, which the
    simulator thread in this process delays (the run took twice as long that way).
    """

    app: KioskApp
    screens: list[tuple[str, str]] = field(default_factory=list)

    def snap(self, label: str) -> str:
        text = screen_text(self.app)
        self.screens.append((label, text))
        return text

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.app.post_message(events.Key(key, KEYS.get(key, key)))

    async def shows(self, screen: str, marker: str, label: str, timeout: float = 10.0) -> str:
        """Wait until ``screen`` is on top showing ``marker``; capture it as ``label``."""
        def ready() -> str | None:
            if type(self.app.screen).__name__ != screen:
                return None
            text = screen_text(self.app)
            return text if marker in text else None
        text = await async_wait_until(ready, timeout=timeout, interval=0.02,
                                      what=f"{screen} showing {marker!r} ({label})")
        self.screens.append((label, text))
        return text

    async def scan(self, card: str, label: str) -> str:
        """A wedge scan (from any screen); the offers or result screen it leads to."""
        before = list(self.app.screen_stack)
        self.keys(*card, "enter")
        await async_wait_until(lambda: self.app.screen not in before and type(
            self.app.screen).__name__ in ("OffersScreen", "ResultScreen", "ChooserScreen"),
            what=f"lookup of {card[-4:]}")
        if type(self.app.screen).__name__ == "OffersScreen":
            return await self.shows("OffersScreen", ANNA_MASKED, label)
        if type(self.app.screen).__name__ == "ChooserScreen":
            return await self.shows("ChooserScreen", "Which member is here?", label)
        return await self.shows("ResultScreen", RESULT_HINT, label)

    async def next_customer(self, label: str) -> None:
        self.keys("escape")  # ends the visit (Enter would go back to the member's offers)
        await self.shows("ScanScreen", SCAN_PROMPT, f"{label}: back to scan")

    async def start_redeem(self, label: str) -> None:
        """Offers -> confirm -> redeeming, for the first offer."""
        assert type(self.app.screen).__name__ == "OffersScreen", self.snap("unexpected")
        self.keys("enter")
        await self.shows("ConfirmScreen", "Redeem this offer?", f"{label}: confirm")
        self.keys("enter")
        await async_wait_until(lambda: self.app.redeeming or type(self.app.screen).__name__
                               == "ResultScreen", what=f"{label}: redeem started")
        self.snap(f"{label}: redeeming")

    async def redeem_first(self, label: str) -> str:
        """Offers -> confirm -> redeeming -> result, for the first offer."""
        await self.start_redeem(label)
        return await self.shows("ResultScreen", RESULT_HINT, f"{label}: result")

    async def diagnostics(self, label: str) -> str:
        """The diagnostics screen, a page at a time to its end so every line is captured."""
        text = await self.shows("DiagnosticsScreen", "Log file", label)
        scroll = self.app.screen.query_one(VerticalScroll)
        while scroll.scroll_y < scroll.max_scroll_y:
            scroll.scroll_relative(y=scroll.size.height - 1, animate=False, immediate=True)
            before = _content(self.screens[-1][1])
            page = await async_wait_until(lambda before=before: (
                t := screen_text(self.app)) and _content(t) != before and t,
                what="diagnostics scrolled")
            self.screens.append((f"{label}: scrolled", page))
            text += "\n" + page
        return text


@pytest.fixture
def kiosk_logging() -> Iterator[None]:
    """configure_logging takes over the root logger: give it back afterwards."""
    level = logging.getLogger().level
    yield
    reset_logging()
    logging.getLogger().setLevel(level)


@contextlib.asynccontextmanager
async def kiosk_run(screens: list[tuple[str, str]]) -> AsyncIterator[Tour]:
    """``kiosk run`` (``launch.run`` and ``launch.start``) with Pilot in place of ``app.run()``
    and no key guard (it only delays keys); the staff exit key must end it with status 0."""
    settings = load_settings(None)
    log_path = configure_logging(settings)
    journal = open_journal(settings.journal_path)
    try:
        services = build_services(settings, make_client(settings), journal, log_path=log_path)
        app = KioskApp(services, cursor_blink=False)
        async with app.run_test(size=(80, 24), notifications=True):
            tour = Tour(app, screens)
            await tour.shows("ScanScreen", SCAN_PROMPT, "start")
            yield tour
            await async_wait_until(lambda: app.return_code == 0, what="staff exit")
        assert app.return_code == 0
    finally:
        journal.close()


def configure(key_from: str, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store terminal's setup: the key one way or the other, the rest in the config file."""
    if key_from == "KIOSK_ENGAGE_API_KEY":
        monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    else:
        key_file.parent.mkdir()
        key_file.write_text(KEY + "\n", encoding="utf-8")
        key_file.chmod(0o640)  # readable by group: the warning goes on screen and in the log
        monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key_file))
    config = default_config_path()
    config.parent.mkdir(parents=True)
    config.write_text('store_name = "Gränden 4"\nterminal_name = "Till 7"\n'
                      f"engage_redeem_timeout = {REDEEM_TIMEOUT}\n", encoding="utf-8")
    config.chmod(0o600)
    monkeypatch.setenv("KIOSK_LOG_LEVEL", "DEBUG")  # the chattiest a support call would use


async def first_run(tour: Tour, sim: Simulator, home: Path, key_from: str) -> str:
    """No PIN, Engage accepts the key: scan, redeem, every failure, diagnostics, Engage gone.
    Returns the screen with Anna's card typed but not yet sent."""
    app = tour.app
    await async_wait_until(lambda: app.engage_state == "ok", what="Engage connected")
    start = tour.snap("Engage connected")
    if key_from == "KIOSK_ENGAGE_API_KEY_FILE":
        assert "readable by group or others" in " ".join(start.split()), start  # wrapped

    tour.keys(*ANNA_CARD)
    typed = await tour.shows("ScanScreen", ANNA_CARD, "card typed")
    tour.screens.pop()  # the one screen where the full card belongs
    tour.keys("enter")
    offers = await tour.shows("OffersScreen", ANNA_MASKED, "Anna's offers")
    assert "Anna" in offers
    assert "✔ Redeemed" in await tour.redeem_first("redeem")
    await tour.next_customer("redeem")

    for label, fault in REDEEM_FAULTS:
        sim.faults.add(Fault(method="POST", path=r"/redeem$", **fault))
        await tour.scan(ANNA_CARD, f"{label}: offers")
        if label != "status 500":
            await tour.redeem_first(label)
            await tour.next_customer(label)
        else:  # while the kiosk verifies, staff serve the next customers: the answer is a toast
            # Engage commits the request it answered 500 (as after a 504): the fault answers
            # without running the handler, so the test commits once the POST has arrived
            # (redeemedOn inside the attempt's window) and the first re-read settles it.
            assert isinstance(app.screen, OffersScreen)
            offer_id = app.screen.offers[0].id
            posts = len(sim.requests_to("POST", r"/redeem$"))
            await tour.start_redeem(label)
            await async_wait_until(
                lambda n=posts: len(sim.requests_to("POST", r"/redeem$")) > n,  # type: ignore[misc]
                what=f"{label}: the POST")
            sim.state.redeem(offer_id, {"redemptionChannel": "POS"})
            assert "Card not found" in await tour.scan(UNKNOWN_CARD, "card not found")
            await tour.next_customer("card not found")
            chooser = await tour.scan(SHARED_CARD, "multiple matches")
            assert "Lars" in chooser and "Lena" in chooser and "Berg" not in chooser
            await tour.next_customer("multiple matches")  # Escape: gives up
            toast = await tour.shows("ScanScreen", ANNA_MASKED, f"{label}: result as a toast")
            assert "is redeemed" in " ".join(toast.split())
            tour.app.clear_notifications()  # it would stay 30 s, over the next screens
        assert not sim.faults.active(), f"{label}: the fault was not hit"

    tour.keys("f9")  # no PIN configured: straight in
    await tour.diagnostics("diagnostics")
    tour.keys("escape")
    await tour.shows("ScanScreen", SCAN_PROMPT, "diagnostics closed")

    # While the journal is open its -wal file holds the latest rows: look there too.
    assert list(home.rglob("*.sqlite3-wal")), files_under(home)
    assert found_in(files_under(home), key_slices(KEY) | set(CARDS + PERSONAL)) == []

    sim.stop()  # Engage goes away
    text = await tour.scan(ANNA_CARD, "Engage unreachable")
    assert "Engage unreachable" in text or "not answering" in text
    await tour.next_customer("Engage unreachable")
    tour.keys("f10")  # no PIN: leaves at once
    return typed


async def second_run(tour: Tour) -> None:
    """IT set a PIN and the tenant rotated its key (ours now gets 401): lookups are refused,
    diagnostics and the exit need the PIN."""
    app = tour.app
    await async_wait_until(lambda: app.engage_state == "unauthorized", what="key rejected")
    assert "API key rejected" in tour.snap("key rejected")
    text = await tour.scan(ANNA_CARD, "lookup with a refused key")
    assert "Kiosk not authorised by Engage" in text
    await tour.next_customer("lookup with a refused key")

    tour.keys("f9")
    await tour.shows("PinScreen", "enter the PIN to open diagnostics", "PIN for diagnostics")
    tour.keys(*"1111", "enter")
    await tour.shows("PinScreen", "Wrong PIN.", "wrong PIN")
    tour.keys(*PIN, "enter")
    await tour.diagnostics("diagnostics behind the PIN")
    tour.keys("escape")
    await tour.shows("ScanScreen", SCAN_PROMPT, "diagnostics closed")

    tour.keys("f10")
    await tour.shows("PinScreen", "enter the PIN to leave", "PIN to leave")
    tour.keys("escape")
    await tour.shows("ScanScreen", SCAN_PROMPT, "stayed")
    tour.keys("f10")
    await tour.shows("PinScreen", "enter the PIN to leave", "PIN to leave again")
    tour.keys(*PIN, "enter")


@pytest.mark.parametrize("key_from", ["KIOSK_ENGAGE_API_KEY", "KIOSK_ENGAGE_API_KEY_FILE"])
async def test_key_card_and_email_stay_where_they_belong(
        key_from: str, tmp_path: Path, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch,
        kiosk_logging: None) -> None:
    key_file = tmp_path / "secrets" / "engage.key"  # outside HOME, as /etc/kiosk would be
    configure(key_from, key_file, monkeypatch)
    state = load_demo_data()
    anna = state.find_contact_id({"customKey": ANNA_CARD})
    for n in range(4):  # enough offers for every attempt that commits
        state.add_offer(anna, name=f"Extra {n + 1}", value_type="PERCENT", value=5 + n)
    screens: list[tuple[str, str]] = []

    sim = Simulator(state, api_key=KEY, rate_limit=None)
    try:
        monkeypatch.setenv("KIOSK_ENGAGE_URL", sim.start())
        async with kiosk_run(screens) as tour:
            typed = await first_run(tour, sim, _isolated_home, key_from)
    finally:
        sim.stop()
    sent = sim.requests

    monkeypatch.setenv("KIOSK_STAFF_PIN", hash_pin(PIN, iterations=1000))
    with Simulator(state, api_key=ROTATED_KEY, rate_limit=None) as rotated:
        monkeypatch.setenv("KIOSK_ENGAGE_URL", rotated.url)
        async with kiosk_run(screens) as tour:
            await second_run(tour)
    sent += rotated.requests

    # The test can fail: the card was typed and reached Engage, and the key travelled (in the
    # apikey header only).
    assert ANNA_CARD in typed
    assert any(r.query == f"customKey={ANNA_CARD}" for r in sent)
    assert sent and all(r.headers.get("apikey") == KEY for r in sent)
    assert not [r for r in sent if KEY in r.path + r.query or KEY.encode() in r.body]
    labels = [label for label, _ in screens]
    assert len(screens) > 50 and "status 500: result as a toast" in labels, labels

    for label, text in screens:  # the key on no screen; nor a full card or personal data
        for needle in key_slices(KEY) | set(CARDS) | set(PERSONAL):
            assert needle not in text, f"{needle!r} on screen {label!r}:\n{text}"

    settings = load_settings(None)
    files = [p for p in files_under(tmp_path) if p != key_file]
    assert {p.name for p in files} >= {"kiosk.toml", "kiosk.log", "journal.sqlite3"}
    assert found_in(files, key_slices(KEY)) == []  # config, log, journal, anything else
    assert found_in(files, CARDS + PERSONAL) == []

    lines = [line for p in sorted(settings.log_dir.glob(LOG_FILE + "*"))
             for line in p.read_text(encoding="utf-8").splitlines()]
    assert any("(level DEBUG)" in line for line in lines)
    assert any("POST /api/v2/promotions/codes/{id}/redeem 401" in line for line in lines)
    for line in lines:
        assert not any(s in line for s in (KEY, *CARDS, *PERSONAL, *FIRST_NAMES)), line

    journal = Journal(settings.journal_path)
    try:
        rows = journal.rows()
    finally:
        journal.close()
    assert len(rows) == 1 + len(REDEEM_FAULTS)
    assert {row.masked_card for row in rows} == {ANNA_MASKED}
    assert {"verified-redeemed", "rejected"} <= {str(row.state) for row in rows}
    with contextlib.closing(sqlite3.connect(settings.journal_path)) as db:
        dump = "\n".join(db.iterdump())  # every table, not only what rows() selects
    for text in [*(str(row.as_dict()) for row in rows), dump]:
        assert not any(s in text for s in (KEY, *CARDS, *PERSONAL, *FIRST_NAMES)), text

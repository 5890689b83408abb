"""The kiosk in this process, headless, wired exactly as ``kiosk run`` wires it.

Services come from ``kiosk.ui.launch.build_services`` around the production Engage client
(``make_client``), a real SQLite journal and the production logging. Two probes, neither of
which changes what the app does:

- ``RequestTimer`` wraps the client's httpx transport and records each exchange's start and
  the moment its whole body has arrived (for round-trip counts and "data arrived").
- ``FrameProbe`` wraps the app's ``_display``, the call that hands a finished frame to the
  driver; the first frame of a screen is the moment it is on screen (headless: the frame is
  composed and rendered, only the write to a terminal is skipped).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import httpx
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from kiosk.config import Settings
from kiosk.journal import Journal
from kiosk.logs import configure_logging, reset_logging
from kiosk.scanner.barcode import ean13_check_digit
from kiosk.ui.app import KioskApp
from kiosk.ui.launch import build_services, make_client

from .simproc import SimProcess

DEADLINE = 30.0  # seconds any one awaited UI step may take before the benchmark gives up
DEFAULT_GC_THRESHOLDS = gc.get_threshold()


def bench_card(n: int) -> str:
    """A valid in-store EAN-13 card number (prefix 29) unique to ``n``."""
    first12 = f"29{n:010d}"
    return first12 + str(ean13_check_digit(first12))


@dataclass
class Exchange:
    """One HTTP exchange as the kiosk's client saw it (perf_counter seconds)."""

    method: str
    path: str
    start: float
    end: float
    url: str = ""


class RequestTimer(httpx.AsyncBaseTransport):
    """Delegates to the real transport; notes when each request left and its body arrived."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.log: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()  # the whole body: "data arrived"
        self.log.append(Exchange(request.method, request.url.path, start, perf_counter(),
                                 str(request.url)))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def since(self, t0: float) -> list[Exchange]:
        """Exchanges that started at or after ``t0``."""
        return [x for x in self.log if x.start >= t0]

    def trim(self) -> None:
        """Forget old exchanges (endurance runs keep memory flat)."""
        self.log.clear()


def sequential_round_trips(exchanges: list[Exchange]) -> int:
    """How many exchanges had to wait for each other: the longest chain of non-overlapping
    ones (concurrent requests count once)."""
    count, last_end = 0, float("-inf")
    for x in sorted(exchanges, key=lambda x: x.end):
        if x.start >= last_end:
            count, last_end = count + 1, x.end
    return count


def waves(exchanges: list[Exchange]) -> list[list[Exchange]]:
    """The exchanges grouped as they ran: each group started together (concurrently) after
    the previous group had answered."""
    out: list[list[Exchange]] = []
    for x in sorted(exchanges, key=lambda x: x.start):
        if out and x.start < min(y.end for y in out[-1]):
            out[-1].append(x)
        else:
            out.append([x])
    return out


class BareHttp:
    """The network floor: a plain pooled ``httpx.AsyncClient`` that replays a flow's exchanges
    (same URLs, same grouping, the API key header) and reads each body, nothing else."""

    def __init__(self, sim: SimProcess) -> None:
        self.client = httpx.AsyncClient(headers={"apikey": sim.api_key}, trust_env=False)

    async def replay(self, exchanges: list[Exchange]) -> float:
        """Milliseconds to replay ``exchanges`` (GETs only; others are skipped: replaying a
        redeem would change what the simulator holds)."""
        gets = [x for x in exchanges if x.method == "GET"]
        t0 = perf_counter()
        for wave in waves(gets):
            responses = await asyncio.gather(*(self.client.get(x.url) for x in wave))
            for r in responses:
                await r.aread()
        return (perf_counter() - t0) * 1000

    async def get(self, url: str) -> float:
        """Milliseconds for one GET and its body."""
        t0 = perf_counter()
        r = await self.client.get(url)
        await r.aread()
        return (perf_counter() - t0) * 1000

    async def aclose(self) -> None:
        await self.client.aclose()


class GcTimer:
    """Notes every garbage collection's (start, end, generation) via ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: deque[tuple[float, float, int]] = deque(maxlen=1000)
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = perf_counter()
        else:
            self.pauses.append((self._start, perf_counter(), info["generation"]))

    def within(self, t0: float, t1: float) -> float:
        """Milliseconds spent collecting garbage between ``t0`` and ``t1``."""
        return sum(min(e, t1) - max(s, t0) for s, e, _ in self.pauses if e > t0 and s < t1) * 1000

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


class FrameProbe:
    """Resolves futures at the first frame that satisfies a predicate on the shown screen."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self._waiters: list[tuple[Callable[[Screen], bool], asyncio.Future[float]]] = []
        self.frames = 0
        original = app._display

        def display(screen: Screen, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return  # not a frame: nothing reached the driver
            now = perf_counter()
            self.frames += 1
            for waiter in list(self._waiters):
                predicate, future = waiter
                if not future.done() and predicate(screen):
                    future.set_result(now)
                    self._waiters.remove(waiter)

        app._display = display  # type: ignore[method-assign]

    def expect(self, predicate: Callable[[Screen], bool]) -> asyncio.Future[float]:
        """A future for the time of the next frame whose screen satisfies ``predicate``."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return future

    def expect_screen(self, name: str, not_this: Screen | None = None) -> asyncio.Future[float]:
        """The next frame showing a screen of class ``name`` (other than ``not_this``)."""
        return self.expect(lambda s: type(s).__name__ == name and s is not not_this)


class _EmptyScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("floor")


@dataclass
class Kiosk:
    """A running headless kiosk and its probes."""

    app: KioskApp
    pilot: Pilot[int]
    probe: FrameProbe
    timer: RequestTimer
    settings: Settings
    gc_timer: GcTimer
    hooks: list[Callable[[Message], None]] = field(default_factory=list)

    def burst(self, card: str) -> None:
        """A keyboard-wedge scan: the keys posted back to back, then Enter."""
        for ch in card:
            self.app.post_message(events.Key(ch, ch))
        self.app.post_message(events.Key("enter", "\r"))

    def key(self, key: str, character: str | None = None) -> None:
        self.app.post_message(events.Key(key, character))

    async def wait(self, future: asyncio.Future[float], what: str) -> float:
        """The frame time, or a clear error after the deadline."""
        try:
            return await asyncio.wait_for(future, DEADLINE)
        except TimeoutError:
            raise RuntimeError(f"timed out after {DEADLINE}s waiting for {what} "
                               f"(screen: {type(self.app.screen).__name__})") from None

    async def scan(self, card: str) -> tuple[float, float]:
        """Scan ``card`` from wherever the app is; (t0, time the offers screen is painted)."""
        shown = self.probe.expect_screen("OffersScreen", not_this=self.app.screen)
        t0 = perf_counter()
        self.burst(card)
        return t0, await self.wait(shown, "the offers screen")

    async def empty_screen(self) -> float:
        """The UI floor: push a screen holding one ``Static`` onto this app and time it to its
        first frame (ms); popped again. What any screen change costs in this Textual app."""
        screen = _EmptyScreen()
        shown = self.probe.expect(lambda s: s is screen)
        t0 = perf_counter()
        await self.app.push_screen(screen)
        t1 = await self.wait(shown, "the empty screen")
        await self.app.pop_screen()
        await self.pilot.pause()
        return (t1 - t0) * 1000

    async def start_over(self) -> None:
        """Back to a painted scan screen (as after Escape on the offers screen)."""
        if len(self.app.screen_stack) > 1 or self.app.member:
            shown = self.probe.expect_screen("ScanScreen")
            await self.app.start_over()
            await self.wait(shown, "the scan screen")
        else:
            await self.app.start_over()
        # Customers come seconds apart: let the screen's follow-up work (footer, focus) finish.
        await self.pilot.pause()


def kiosk_settings(sim: SimProcess, tmp: Path, **extra: Any) -> Settings:
    """Production defaults, pointed at the simulator process and a throwaway directory."""
    return Settings(engage_url=sim.url, engage_api_key=sim.api_key, store_name="Bench store",
                    terminal_name="Till 1", journal_path=tmp / "journal.sqlite3",
                    log_dir=tmp / "log", **extra)


def instrumented_client(settings: Settings) -> tuple[Any, RequestTimer]:
    """``make_client(settings)`` with its transport wrapped by a ``RequestTimer``."""
    client = make_client(settings)
    http = client._http  # the client's one httpx.AsyncClient (benchmark instrumentation only)
    timer = RequestTimer(http._transport)
    http._transport = timer
    return client, timer


@contextlib.asynccontextmanager
async def running_kiosk(sim: SimProcess, *, size: tuple[int, int] = (120, 40),
                        **settings_extra: Any) -> AsyncIterator[Kiosk]:
    """A headless KioskApp as ``kiosk run`` builds it, on its painted scan screen."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmpdir:
        tmp = Path(tmpdir)
        settings = kiosk_settings(sim, tmp, **settings_extra)
        configure_logging(settings)
        client, timer = instrumented_client(settings)
        journal = Journal(settings.journal_path)
        hooks: list[Callable[[Message], None]] = []

        def hook(message: Message) -> None:
            for h in hooks:
                h(message)

        try:
            # tune_gc as ``kiosk run`` sets it: the start-up heap frozen, collections between
            # customers (kiosk.ui.heap)
            app = KioskApp(build_services(settings, client, journal), tune_gc=True)
            probe = FrameProbe(app)
            ready = probe.expect_screen("ScanScreen")
            with GcTimer() as gc_timer:
                # Tooltips on, as ``kiosk run`` has them (``run_test`` turns them off by
                # default: each screen then lacks its Tooltip child, and every key made
                # Textual's tooltip check raise and format a NoMatches). BENCH_TOOLTIPS=0: off.
                tooltips = os.environ.get("BENCH_TOOLTIPS", "1") != "0"
                async with app.run_test(size=size, message_hook=hook,
                                        tooltips=tooltips) as pilot:
                    kiosk = Kiosk(app, pilot, probe, timer, settings, gc_timer, hooks)
                    await kiosk.wait(ready, "the scan screen")
                    # Start-up work (reconcile, first ping, freezing the start-up heap) must
                    # not overlap the first figure: a till's first customer comes later.
                    await asyncio.wait_for(app.workers.wait_for_complete(), DEADLINE)
                    await _until(lambda: gc.get_freeze_count() > 0, "the start-up heap frozen")
                    yield kiosk
                    await asyncio.wait_for(app.workers.wait_for_complete(), DEADLINE)
        finally:
            journal.close()
            reset_logging()  # the log file's directory is going away
            gc.unfreeze()  # the next kiosk in this process starts from Python's defaults
            gc.set_threshold(*DEFAULT_GC_THRESHOLDS)


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` every 10 ms until it holds, or fail after ``DEADLINE``."""
    deadline = perf_counter() + DEADLINE
    while not condition():
        if perf_counter() > deadline:
            raise RuntimeError(f"timed out after {DEADLINE}s waiting for {what}")
        await asyncio.sleep(0.01)


def rss_kb() -> int:
    """Resident set size of this process in KiB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))

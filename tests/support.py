"""Small helpers shared by the tests: polling with a deadline instead of sleeping, a clock
the test moves by hand."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class FakeClock:
    """A monotonic clock the test moves by hand (``clock.now += 5`` or ``advance(5)``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


def wait_until(predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01,
               what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


async def async_wait_until(predicate: Callable[[], T | Awaitable[T]], timeout: float = 5.0,
                           interval: float = 0.01, what: str = "condition") -> T:
    """The same inside an event loop (lets the loop run between polls)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
            value = await value  # type: ignore[misc]
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A temporary folder an ordinary user can enter (pytest's own tmp_path is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_unprivileged(fn: Callable[[], int | None], timeout: float = 60.0) -> tuple[int, str, str]:
    """Run ``fn`` in a forked child as an ordinary user (``nobody`` when the tests run as root,
    where file modes don't apply) and return its exit status, stdout and stderr."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - pytest replaced them
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            code = int(fn() or 0)
        except SystemExit as exc:
            code = int(exc.code or 0)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(out_w)
    os.close(err_w)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"the unprivileged child ran over {timeout}s")
        time.sleep(0.01)
    with open(out_r, encoding="utf-8", errors="replace") as o, \
            open(err_r, encoding="utf-8", errors="replace") as e:
        return os.waitstatus_to_exitcode(status), o.read(), e.read()


#: Debian's Lat15-Terminus16 console font's Unicode table (where it came from: its header).
CONSOLE_FONT_TABLE = Path(__file__).parent / "data" / "Lat15-Terminus16.unicode.txt"


def console_font() -> set[str]:
    """Every character the Linux console's Lat15-Terminus16 font can draw."""
    return {chr(int(line.split()[0][2:], 16)) for line in
            CONSOLE_FONT_TABLE.read_text(encoding="utf-8").splitlines()
            if line.startswith("U+")}


def tenant_today() -> date:
    """Today in the Engage tenant's zone (the simulator's, Europe/Stockholm): the day Engage's
    dates (startDate, endDate, expiresOn) are in. ``date.today()`` is the test machine's, a day
    off from it for an hour or more of every day (on a UTC machine from 23:00 to midnight, on
    one in Helsinki from midnight to 01:00)."""
    from kiosk.sim.rules import TZ

    return datetime.now(TZ).date()
